//! Stable sorting through one copy of the standard library's sort.
//!
//! `slice::sort_by` is compiled anew for every element type and comparison, and each copy is
//! about 4 KB of WebAssembly (1 KB brotli). The apps sort rarely and short lists (responses,
//! the Team Communicator's entries), so they sort positions instead, with the comparison behind
//! a reference: one copy of the sort serves them all, and only the small reordering is per type.

use std::cmp::Ordering;

/// Sorts `items` by `cmp`, keeping the order of equal items, like `sort_by`.
pub fn sort_by<T>(items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &|a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// The one copy of the sort: positions, compared through a reference.
#[inline(never)]
fn sort_positions(order: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|a, b| cmp(*a, *b));
}

#[cfg(test)]
mod tests {
    use super::sort_by;

    #[test]
    fn sorts_like_the_standard_sort_and_keeps_equal_items_in_order() {
        let mut items: Vec<(u8, usize)> = [3, 1, 2, 1, 3, 0, 2, 1]
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let mut expected = items.clone();
        expected.sort_by_key(|a| a.0);
        sort_by(&mut items, |a, b| a.0.cmp(&b.0));
        assert_eq!(items, expected);
        assert_eq!(items[1..4], [(1, 1), (1, 3), (1, 7)]);
    }

    #[test]
    fn an_empty_list_and_one_item_stay_as_they_are() {
        let mut none: Vec<String> = Vec::new();
        sort_by(&mut none, |a, b| a.cmp(b));
        assert!(none.is_empty());
        let mut one = vec![String::from("x")];
        sort_by(&mut one, |a, b| b.cmp(a));
        assert_eq!(one, ["x"]);
    }
}
