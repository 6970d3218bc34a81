fn main() {
    leptos::mount::mount_to_body(parley_desktop::app::App);
}
