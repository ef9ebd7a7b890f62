//! HTTP status and caching of server-rendered pages. Every route renders in
//! `SsrMode::Async` (the whole page before the first byte), so what a page sets here
//! while it renders still reaches the response headers. In the browser these are no-ops.

/// Catalog pages: shared caches (a CDN, fly's edge) may keep them a minute and serve
/// a stale copy for five more while they fetch a fresh one; browsers always revalidate.
pub const CATALOG_CACHE_CONTROL: &str =
    "public, max-age=0, s-maxage=60, stale-while-revalidate=300";

/// Error pages are never cached, so a product that appears is found at once.
pub const ERROR_CACHE_CONTROL: &str = "no-store";

/// Cart, checkout and order pages belong to one shopper: no cache may keep them.
pub const PRIVATE_CACHE_CONTROL: &str = "private, no-store";

/// A catalog page rendered for a shopper with a cart shows their cart count in the
/// header, one rendered for a shopper who chose a region shows its currency, and one
/// rendered for a signed-in shopper names them, so a shared cache must not keep it
/// (browsers still may, revalidating).
pub const PERSONAL_CATALOG_CACHE_CONTROL: &str = "private, no-cache";

/// Marks the page being rendered as a cacheable catalog page (personal when the
/// request carries a cart, a region or a session cookie).
pub fn cache_catalog_page() {
    if has_personal_cookie() {
        set(None, PERSONAL_CATALOG_CACHE_CONTROL);
    } else {
        set(None, CATALOG_CACHE_CONTROL);
    }
}

/// Marks the page being rendered as one shopper's (cart, checkout, order, account).
pub fn private_page() {
    set(None, PRIVATE_CACHE_CONTROL);
}

/// Marks the page being rendered as a 404.
pub fn not_found() {
    set(Some(404), ERROR_CACHE_CONTROL);
}

/// Marks the page being rendered as failed because the API is unavailable.
pub fn unavailable() {
    set(Some(503), ERROR_CACHE_CONTROL);
}

#[cfg(feature = "ssr")]
fn set(status: Option<u16>, cache_control: &'static str) {
    use http::{header::CACHE_CONTROL, HeaderValue, StatusCode};
    use leptos::prelude::use_context;

    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Some(status) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
        response.set_status(status);
    }
    response.insert_header(CACHE_CONTROL, HeaderValue::from_static(cache_control));
}

/// Whether the request carries a cookie that changes what a catalog page shows.
#[cfg(feature = "ssr")]
fn has_personal_cookie() -> bool {
    use leptos::prelude::use_context;

    use_context::<http::request::Parts>().is_some_and(|parts| is_personal(&parts.headers))
}

/// Whether these request headers carry a cookie that changes what a catalog page
/// shows: the cart's (the header's count), the region's (prices, the region form) or
/// the session's (the header names the customer).
#[cfg(feature = "ssr")]
pub(crate) fn is_personal(headers: &http::HeaderMap) -> bool {
    has_cookie(headers, crate::cart_api::CART_COOKIE)
        || has_cookie(headers, crate::cart_api::REGION_COOKIE)
        || has_cookie(headers, crate::cart_api::SESSION_COOKIE)
}

/// Whether the request carries a non-empty cookie `name`.
#[cfg(feature = "ssr")]
fn has_cookie(headers: &http::HeaderMap, name: &str) -> bool {
    let prefix = format!("{name}=");
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim().starts_with(&prefix) && pair.trim().len() > prefix.len())
}

#[cfg(not(feature = "ssr"))]
fn has_personal_cookie() -> bool {
    false
}

#[cfg(not(feature = "ssr"))]
fn set(_status: Option<u16>, _cache_control: &'static str) {}
