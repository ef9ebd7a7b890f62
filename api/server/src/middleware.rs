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

use crate::problem::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Accepts or generates `x-request-id`, echoes it on the response, and opens a tracing
/// span carrying it so every log line of the request names it.
pub fn with_http_layers(router: Router) -> Router {
    router
        .layer(middleware::from_fn(run_to_completion))
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
