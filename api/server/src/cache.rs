//! Catalog reads are cacheable at three levels:
//! - clients and CDNs: a weak ETag over the body, `Cache-Control` with `s-maxage` and
//!   `stale-while-revalidate`, and `304 Not Modified` on a matching `If-None-Match`;
//! - this process: rendered JSON bodies are kept by what they answer (the path and the
//!   parsed query, see `store::cached`), so a hot product list costs a map lookup
//!   instead of five queries. Every admin write in this process drops the whole map;
//!   entries also expire after [`LOCAL_TTL`], which bounds how long another instance's
//!   write can go unseen when several instances share a database. The map is bounded in
//!   bytes (keys and bodies), so requests for many large pages cannot grow it without
//!   end.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::RwLock,
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

/// How long a locally cached body may be served without asking the database.
pub const LOCAL_TTL: Duration = Duration::from_secs(5);
/// Bound on the bytes of cached keys and bodies; past it the map is cleared (cheap, and
/// rare in practice: the catalog's distinct reads are few).
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// What shared caches may do with catalog reads.
const CATALOG_CACHE_CONTROL: &str = "public, max-age=0, s-maxage=60, stale-while-revalidate=300";

/// A JSON body with its validator.
#[derive(Clone)]
pub struct CachedBody {
    pub body: Bytes,
    pub etag: HeaderValue,
    stored_at: Instant,
}

impl CachedBody {
    pub fn new(body: Bytes) -> Self {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
            .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
        CachedBody {
            body,
            etag,
            stored_at: Instant::now(),
        }
    }

    /// The response for a request with `headers`: 304 when the client's copy matches.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let not_modified = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| etag_matches(v, &self.etag));
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut r = self.body.clone().into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        };
        let h = response.headers_mut();
        h.insert(header::ETAG, self.etag.clone());
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CATALOG_CACHE_CONTROL),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }
}

/// `If-None-Match` may list several tags or `*`; weak comparison per RFC 9110.
fn etag_matches(if_none_match: &str, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default().trim_start_matches("W/");
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}

/// Rendered catalog bodies by what they answer.
pub struct ReadCache {
    entries: RwLock<Entries>,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, CachedBody>,
    /// Σ key and body lengths in `map`.
    bytes: usize,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache::with_max_bytes(MAX_BYTES)
    }
}

impl ReadCache {
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        ReadCache {
            entries: RwLock::default(),
            max_bytes,
        }
    }

    pub fn get(&self, key: &str) -> Option<CachedBody> {
        let entries = self.entries.read().ok()?;
        entries
            .map
            .get(key)
            .filter(|e| e.stored_at.elapsed() < LOCAL_TTL)
            .cloned()
    }

    pub fn put(&self, key: String, body: CachedBody) {
        let size = key.len() + body.body.len();
        if size > self.max_bytes {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.bytes + size > self.max_bytes {
                entries.map.clear();
                entries.bytes = 0;
            }
            let replaced = entries
                .map
                .insert(key.clone(), body)
                .map_or(0, |old| key.len() + old.body.len());
            entries.bytes = entries.bytes + size - replaced;
        }
    }

    /// Bytes held (keys and bodies).
    pub fn bytes(&self) -> usize {
        self.entries.read().map_or(0, |e| e.bytes)
    }

    /// Forgets everything: called after every catalog write.
    pub fn invalidate(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.map.clear();
            entries.bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_weakly_and_in_lists() {
        let body = CachedBody::new(Bytes::from_static(b"{}"));
        let tag = body.etag.to_str().map(str::to_owned).unwrap_or_default();
        assert!(etag_matches(&tag, &body.etag));
        assert!(etag_matches(&format!("\"x\", {tag}"), &body.etag));
        assert!(etag_matches(tag.trim_start_matches("W/"), &body.etag));
        assert!(etag_matches("*", &body.etag));
        assert!(!etag_matches("W/\"other\"", &body.etag));
    }

    #[test]
    fn the_cache_never_holds_more_bytes_than_its_bound() {
        let cache = ReadCache::with_max_bytes(1_000);
        let body = |n: usize| CachedBody::new(Bytes::from(vec![b'x'; n]));
        cache.put("/a".into(), body(400));
        cache.put("/a".into(), body(300));
        assert_eq!(cache.bytes(), 302, "a replaced entry counts once");
        cache.put("/b".into(), body(500));
        assert_eq!(cache.bytes(), 804);
        assert!(cache.get("/a").is_some() && cache.get("/b").is_some());
        cache.put("/c".into(), body(400));
        assert!(cache.bytes() <= 1_000, "{}", cache.bytes());
        assert!(cache.get("/c").is_some(), "the newest entry is kept");
        cache.put("/huge".into(), body(2_000));
        assert!(
            cache.get("/huge").is_none(),
            "larger than the bound: not kept"
        );
        for i in 0..1_000 {
            cache.put(format!("/p{i}"), body(90));
            assert!(cache.bytes() <= 1_000);
        }
    }

    #[test]
    fn invalidate_forgets_cached_bodies() {
        let cache = ReadCache::default();
        cache.put("/a".into(), CachedBody::new(Bytes::from_static(b"1")));
        assert!(cache.get("/a").is_some());
        cache.invalidate();
        assert!(cache.get("/a").is_none());
    }
}
