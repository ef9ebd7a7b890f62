//! Catalog reads are cacheable at three levels:
//! - clients and CDNs: a weak ETag over the body, `Cache-Control` with `s-maxage` and
//!   `stale-while-revalidate`, and `304 Not Modified` on a matching `If-None-Match`;
//! - this process: rendered JSON bodies are kept by request URI, so a hot product list
//!   costs a map lookup instead of five queries. Every admin write in this process
//!   drops the whole map; entries also expire after [`LOCAL_TTL`], which bounds how long
//!   another instance's write can go unseen when several instances share a database.

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
/// Bound on cached bodies; past it the map is cleared (cheap, and rare in practice).
const MAX_ENTRIES: usize = 20_000;
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

/// Rendered catalog bodies by request URI.
#[derive(Default)]
pub struct ReadCache {
    entries: RwLock<HashMap<String, CachedBody>>,
}

impl ReadCache {
    pub fn get(&self, key: &str) -> Option<CachedBody> {
        let entries = self.entries.read().ok()?;
        entries
            .get(key)
            .filter(|e| e.stored_at.elapsed() < LOCAL_TTL)
            .cloned()
    }

    pub fn put(&self, key: String, body: CachedBody) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, body);
        }
    }

    /// Forgets everything: called after every catalog write.
    pub fn invalidate(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
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
    fn invalidate_forgets_cached_bodies() {
        let cache = ReadCache::default();
        cache.put("/a".into(), CachedBody::new(Bytes::from_static(b"1")));
        assert!(cache.get("/a").is_some());
        cache.invalidate();
        assert!(cache.get("/a").is_none());
    }
}
