//! A short-lived cache of rendered catalog pages for anonymous shoppers (a "micro-cache",
//! as nginx or Varnish keep in front of a dynamic site).
//!
//! Rendering a product page costs a few Store API calls and a Leptos render; the same
//! URL for a shopper without a cart or a region choice is the same bytes for everyone,
//! and the page already says so: catalog pages answer `Cache-Control: public, s-maxage=…`.
//! This layer keeps exactly those responses, by URI, for a few seconds (`ttl`, far below
//! `s-maxage`), so a burst of traffic on one page renders it once per `ttl` instead of
//! once per request. What it never keeps or serves:
//! - requests other than GET, and requests with the cart cookie, the region cookie, the
//!   session cookie or an `Authorization` header (their pages are personal: the header
//!   shows the cart count or the customer's name, prices are in the chosen region's
//!   currency);
//! - responses that are not `200`, not `public`, or that set a cookie.
//!
//! A request with `Cache-Control: no-cache` (or `Pragma: no-cache`) is rendered afresh
//! and its page kept. Each hit carries `x-page-cache: hit`, a stored miss `x-page-cache: miss`. The total
//! size is bounded; past the bound the map is cleared (cheap, and rare in practice).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, RwLock,
    },
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
    /// Set by the one request that renders the page again once it expired; until that
    /// render is stored the others get this copy (stale-while-revalidate), so an expiry
    /// costs one render instead of one per request in flight.
    refreshing: Arc<AtomicBool>,
}

/// How long past its TTL a page may still be served while one request renders it anew.
const STALE_GRACE: Duration = Duration::from_secs(10);

enum Lookup {
    Fresh(Page),
    /// Expired, and another request is rendering it: serve this copy.
    Stale(Page),
    Miss,
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

    fn lookup(&self, key: &str) -> Lookup {
        let Ok(state) = self.state.read() else {
            return Lookup::Miss;
        };
        let Some(page) = state.pages.get(key) else {
            return Lookup::Miss;
        };
        let age = page.stored_at.elapsed();
        if age < self.ttl {
            return Lookup::Fresh(page.clone());
        }
        // The first request to see it expired renders it; the rest get the stale copy.
        if age < self.ttl + STALE_GRACE && page.refreshing.swap(true, Ordering::AcqRel) {
            return Lookup::Stale(page.clone());
        }
        Lookup::Miss
    }

    #[cfg(test)]
    fn get(&self, key: &str) -> Option<Page> {
        match self.lookup(key) {
            Lookup::Fresh(page) => Some(page),
            _ => None,
        }
    }

    /// Drops a page that is no longer cacheable (unpublished, an error now).
    fn forget(&self, key: &str) {
        if let Ok(mut state) = self.state.write() {
            if let Some(old) = state.pages.remove(key) {
                state.bytes = state.bytes.saturating_sub(old.body.len());
            }
        }
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
        match cache.lookup(&key) {
            Lookup::Fresh(page) => return respond(&page, "hit"),
            Lookup::Stale(page) => return respond(&page, "stale"),
            Lookup::Miss => {}
        }
    }
    let response = next.run(request).await;
    if !is_shared(&response) {
        cache.forget(&key);
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
        refreshing: Arc::default(),
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
///
/// The region cookie exists only for a region other than the default one, so pages for
/// such a region are neither served from nor kept in this cache (the key is not varied
/// by the cookie): the page answers them as personal (`private`), as it does a shopper
/// with a cart, so no shared cache downstream keeps a page in the wrong currency either,
/// and shoppers who never chose a region, the bulk of the traffic, still share one copy.
fn is_anonymous_read(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !crate::response::is_personal(request.headers())
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
            refreshing: Arc::default(),
        }
    }

    #[test]
    fn after_expiry_one_caller_renders_while_the_others_get_the_stale_copy() {
        let cache = PageCache::new(Duration::from_millis(20));
        cache.put("/p".into(), page("old"));
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            matches!(cache.lookup("/p"), Lookup::Miss),
            "the first renders"
        );
        for _ in 0..3 {
            match cache.lookup("/p") {
                Lookup::Stale(p) => assert_eq!(p.body, Bytes::from("old")),
                _ => panic!("the others must get the stale copy"),
            }
        }
        cache.put("/p".into(), page("new"));
        match cache.lookup("/p") {
            Lookup::Fresh(p) => assert_eq!(p.body, Bytes::from("new")),
            _ => panic!("the new render is served fresh"),
        }
        cache.forget("/p");
        assert!(matches!(cache.lookup("/p"), Lookup::Miss));
        assert_eq!(cache.state.read().map(|s| s.bytes).unwrap_or(1), 0);
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
