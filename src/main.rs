fn main() {
    // The agent's language first: every view reads its texts. (Leptos's own `spawn_local`
    // needs the executor that mounting starts.)
    wasm_bindgen_futures::spawn_local(async {
        parley_client::i18n::start("/i18n/").await;
        leptos::mount::mount_to_body(parley_desktop::app::App);
    });
}
