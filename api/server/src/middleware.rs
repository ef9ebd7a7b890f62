//! Layers every request passes through, API and storefront alike.

use axum::{
    extract::Request as AxumRequest,
    http::{HeaderName, HeaderValue, Request},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Instrument;
use tracing::Level;

use crate::problem::{ApiError, ProblemCode};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest request body the app reads, API and storefront forms alike: the JSON and
/// form bodies of a shop are small, and nothing else is accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Accepts or generates `x-request-id`, echoes it on the response, opens a tracing span
/// carrying it so every log line of the request names it, and limits request bodies to
/// [`MAX_BODY_BYTES`].
pub fn with_http_layers(router: Router) -> Router {
    router
        .layer(middleware::from_fn(run_to_completion))
        .layer(middleware::from_fn(limit_body))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = %request_id,
                    )
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUlid))
}

/// Generates `req_<128 random bits>` ids. Random, not from the monotonic id generator:
/// every response carries its request id, and an id from that generator would tell a
/// client the next cart id. tower-http's `MakeRequestUuid` would do, but without the
/// `uuid` crate's `fast-rng` feature it makes a `getrandom` system call per request; the
/// kernel draws from a thread-local CSPRNG instead.
#[derive(Clone, Copy, Debug, Default)]
struct MakeRequestUlid;

impl MakeRequestId for MakeRequestUlid {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        // Always ASCII, so always a valid header value.
        HeaderValue::from_str(&emporium_kernel::id::new_secret_id("req"))
            .ok()
            .map(RequestId::new)
    }
}

/// One body limit for every route: a declared length over [`MAX_BODY_BYTES`] is a 413
/// problem before anything reads the body, and a body that turns out longer (chunked,
/// or lying about its length) fails to read past the limit, which the reader answers
/// as a 4xx (the API's extractors) or refuses (the storefront's server functions).
async fn limit_body(request: AxumRequest, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return ApiError::new(
            ProblemCode::PayloadTooLarge,
            format!("the request body may be at most {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, MAX_BODY_BYTES));
    next.run(AxumRequest::from_parts(parts, body)).await
}

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) whose `Origin`
/// (or, without one, `Referer`) names another site than the `Host` it was sent to: the
/// storefront's forms act with the shopper's cookies, and a page elsewhere must not be
/// able to submit them (CSRF). Browsers send `Origin` on every cross-site POST, so
/// requests without either header come from other clients, which hold no shopper's
/// cookies, and pass. Mounted on the storefront's routes only: the API authenticates
/// with `Authorization: Bearer`, which another site cannot borrow.
pub async fn same_origin_forms(request: AxumRequest, next: Next) -> Response {
    if is_same_origin_or_safe(request.method(), request.headers()) {
        next.run(request).await
    } else {
        ApiError::new(
            ProblemCode::CrossSiteRequest,
            "this form was sent from another site's page; open the shop and submit it there",
        )
        .into_response()
    }
}

fn is_same_origin_or_safe(method: &axum::http::Method, headers: &axum::http::HeaderMap) -> bool {
    use axum::http::{header, Method};

    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some(source) = text(header::ORIGIN).or_else(|| text(header::REFERER)) else {
        return true;
    };
    // `Origin: null` (sandboxed frames, some redirects) names no site: refused.
    let Some(host) = text(header::HOST) else {
        return false;
    };
    url::Url::parse(source).ok().is_some_and(|url| {
        let source_host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => return false,
        };
        source_host.eq_ignore_ascii_case(host)
    })
}

/// Runs the rest of the request as its own task, so it finishes even when the client
/// goes away. hyper drops a request's future when its connection closes; a service call
/// cut off between `BEGIN` and `COMMIT` leaves sqlx's SQLite connection believing it is
/// still inside a transaction (launchbadge/sqlx#3932), and every later write on that
/// pooled connection fails. Finishing the call costs one task spawn per request.
async fn run_to_completion(request: AxumRequest, next: Next) -> Response {
    let span = tracing::Span::current();
    match tokio::spawn(next.run(request).instrument(span)).await {
        Ok(response) => response,
        // A panic: answered as any failure of ours, a problem document (the cause is
        // logged by `ApiError`, not sent).
        Err(e) => ApiError::internal(format!("request task failed: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{header, HeaderMap, Method};

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.insert(name.clone(), value);
            }
        }
        map
    }

    #[test]
    fn only_same_site_form_posts_pass() {
        let host = (header::HOST, "shop.example:8080");
        let cases = [
            (
                Method::GET,
                vec![host.clone(), (header::ORIGIN, "https://evil.example")],
                true,
            ),
            (Method::POST, vec![host.clone()], true),
            (
                Method::POST,
                vec![host.clone(), (header::ORIGIN, "http://shop.example:8080")],
                true,
            ),
            (
                Method::POST,
                vec![host.clone(), (header::ORIGIN, "http://SHOP.example:8080")],
                true,
            ),
            (
                Method::POST,
                vec![host.clone(), (header::ORIGIN, "https://evil.example")],
                false,
            ),
            (
                Method::POST,
                vec![host.clone(), (header::ORIGIN, "http://shop.example")],
                false,
            ),
            (
                Method::POST,
                vec![host.clone(), (header::ORIGIN, "null")],
                false,
            ),
            (
                Method::POST,
                vec![
                    host.clone(),
                    (header::REFERER, "http://shop.example:8080/cart"),
                ],
                true,
            ),
            (
                Method::DELETE,
                vec![host.clone(), (header::REFERER, "https://evil.example/page")],
                false,
            ),
            (
                Method::POST,
                vec![(header::ORIGIN, "http://shop.example:8080")],
                false,
            ),
        ];
        for (method, pairs, allowed) in cases {
            assert_eq!(
                is_same_origin_or_safe(&method, &headers(&pairs)),
                allowed,
                "{method} {pairs:?}"
            );
        }
    }
}
