//! The browser entry: hydrate the server-rendered page, nothing else.
// The view types of the larger pages are deep; their layouts need more than the default 128.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets tests (and curious people) tell a hydrated page from a server-only one.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
