//! Entry point of the browser bundle: hydrates the HTML the server rendered, so the
//! page is usable before this WASM arrives and interactive after. Empty on the host.

#![cfg(target_arch = "wasm32")]
// The app's view types (the order page) nest deeper than rustc's default query depth.
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(emporium_storefront::App);
}
