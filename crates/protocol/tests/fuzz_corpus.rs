//! The fuzz corpus (`fuzz/corpus/<target>/`) replayed on stable: every input, and every cut of
//! it (a frame broken off anywhere), through its target. A crash the fuzzer finds is added to
//! the corpus with its fix and stays fixed here. Native only: the corpus is read from disk.
#![cfg(not(target_arch = "wasm32"))]

use parley_protocol::fuzz;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).expect("the committed corpus") {
        let data = std::fs::read(entry.expect("entry").path()).expect("an input");
        for cut in 0..=data.len() {
            run(&data[..cut]);
        }
        inputs += 1;
    }
    assert!(
        inputs >= 5,
        "{target}: {inputs} inputs in {}",
        dir.display()
    );
}

#[test]
fn client_frames_of_the_corpus_read_or_are_refused_never_crash() {
    replay("client_frame", fuzz::client_frame);
}

#[test]
fn server_frames_of_the_corpus_read_alike_in_both_readers() {
    replay("server_frame", fuzz::server_frame);
}

#[test]
fn journeys_of_the_corpus_read_or_are_refused() {
    replay("journey", fuzz::journey);
}
