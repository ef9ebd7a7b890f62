//! A short-lived cache of rendered catalog pages for anonymous shoppers (a "micro-cache",
//! as nginx or Varnish keep in front of a dynamic site).
//!
//! Rendering a product page costs three Store API calls and a Leptos render (~1 ms of
//! CPU); the same URL for a shopper without a cart is the same bytes for everyone, and
//! the page already says so: catalog pages answer `Cache-Control: public, s-maxage=…`.
//! This layer keeps exactly those responses, by URI, for a few seconds (`ttl`, far below
//! `s-maxage`), so a burst of traffic on one page renders it once per `ttl` instead of
//! once per request. What it never keeps or serves:
//! - requests other than GET, and requests with the cart cookie or an `Authorization`
//!   header (their pages are personal: the header shows the cart count);
//! - responses that are not `200`, not `public`, or that set a cookie.
//!
//! A request with `Cache-Control: no-cache` (or `Pragma: no-cache`) is rendered afresh
//! and its page kept. Each hit carries `x-page-cache: hit`, a stored miss `x-page-cache: miss`. The total
//! size is bounded; past the bound the map is cleared (cheap, and rare in practice).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

/// Marks whether a response came from the cache.
pub const CACHE_STATUS: HeaderName = HeaderName::from_static("x-page-cache");
/// Bound on the bytes of all kept pages (a product page is ~30 KB).
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Rendered pages by request URI.
pub struct PageCache {
    ttl: Duration,
    state: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    pages: HashMap<String, Page>,
    bytes: usize,
}

#[derive(Clone)]
struct Page {
    headers: HeaderMap,
    body: Bytes,
    stored_at: Instant,
}

impl PageCache {
    /// A cache keeping pages for `ttl`; `Duration::ZERO` keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            ttl,
            state: RwLock::new(Entries::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn get(&self, key: &str) -> Option<Page> {
        let state = self.state.read().ok()?;
        state
            .pages
            .get(key)
            .filter(|p| p.stored_at.elapsed() < self.ttl)
            .cloned()
    }

    fn put(&self, key: String, page: Page) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        if state.bytes + page.body.len() > MAX_BYTES {
            state.pages.clear();
            state.bytes = 0;
        }
        state.bytes += page.body.len();
        if let Some(old) = state.pages.insert(key, page) {
            state.bytes = state.bytes.saturating_sub(old.body.len());
        }
    }
}

/// The axum middleware: `axum::middleware::from_fn_with_state(cache, serve_cached)`.
pub async fn serve_cached(
    State(cache): State<Arc<PageCache>>,
    request: Request,
    next: Next,
) -> Response {
    if !cache.enabled() || !is_anonymous_read(&request) {
        return next.run(request).await;
    }
    let key = request.uri().to_string();
    // `Cache-Control: no-cache` asks for a fresh answer (RFC 9111 §5.2.1.4): render, and
    // keep the result for the next request.
    if !wants_fresh(request.headers()) {
        if let Some(page) = cache.get(&key) {
            return respond(&page, "hit");
        }
    }
    let response = next.run(request).await;
    if !is_shared(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(uri = %key, error = %e, "rendering a page failed mid-body");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let page = Page {
        headers: parts.headers,
        body,
        stored_at: Instant::now(),
    };
    cache.put(key, page.clone());
    respond(&page, "miss")
}

fn respond(page: &Page, status: &'static str) -> Response {
    let mut response = Response::new(Body::from(page.body.clone()));
    *response.headers_mut() = page.headers.clone();
    response
        .headers_mut()
        .insert(CACHE_STATUS, HeaderValue::from_static(status));
    response
}

/// A GET that no shopper-specific state can change the answer to.
fn is_anonymous_read(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !crate::response::has_cookie(request.headers(), crate::cart_api::CART_COOKIE)
}

fn wants_fresh(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .chain(headers.get_all(header::PRAGMA).iter())
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("no-cache"))
}

/// A response the page itself declared fit for shared caches.
fn is_shared(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && !headers.contains_key(header::SET_COOKIE)
        && headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.contains("public") && v.contains("s-maxage") && !v.contains("no-store")
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &'static str) -> Page {
        Page {
            headers: HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
            stored_at: Instant::now(),
        }
    }

    #[test]
    fn keeps_pages_for_the_ttl_only() {
        let cache = PageCache::new(Duration::from_millis(50));
        cache.put("/p".into(), page("one"));
        assert_eq!(cache.get("/p").map(|p| p.body), Some(Bytes::from("one")));
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("/p").is_none());
    }

    #[test]
    fn counts_bytes_once_per_key_and_clears_past_the_bound() {
        let cache = PageCache::new(Duration::from_secs(5));
        cache.put("/a".into(), page("12345"));
        cache.put("/a".into(), page("123"));
        assert_eq!(cache.state.read().map(|s| s.bytes).unwrap_or(0), 3);
        let big = Page {
            body: Bytes::from(vec![b'x'; MAX_BYTES]),
            ..page("")
        };
        cache.put("/big".into(), big);
        assert!(cache.get("/a").is_none(), "the map was cleared for room");
        assert!(cache.get("/big").is_some());
    }

    #[test]
    fn a_zero_ttl_disables_it() {
        assert!(!PageCache::new(Duration::ZERO).enabled());
    }
}
