//! The browser entry: hydrate the server-rendered page, nothing else.
// The view types of the larger pages are deep; their layouts need more than the default 128.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::document;
    console_error_panic_hook::set_once();
    let Some(body) = document().body() else {
        return;
    };
    // Hydration waits for the module of a screen outside the main one (app::screens)
    // before it walks that screen's HTML, so it is asynchronous.
    wasm_bindgen_futures::spawn_local(async move {
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // Lets tests (and curious people) tell a hydrated page from a server-only one.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
