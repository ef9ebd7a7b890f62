//! The typed client's in-process transport: requests go straight into the axum router
//! (tower `oneshot`), no socket. The storefront uses the same client over HTTP when it
//! runs apart from the API, so both deployments exercise one code path.

use axum::{body::Body, Router};
use emporium_client::{BoxFuture, Transport, TransportError};
use tower::ServiceExt;

/// Upper bound on a response body read into memory.
const MAX_BODY: usize = 64 * 1024 * 1024;

pub struct InProcessTransport {
    router: Router,
}

impl InProcessTransport {
    pub fn new(router: Router) -> Self {
        InProcessTransport { router }
    }
}

impl Transport for InProcessTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let request = request.map(Body::from);
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, MAX_BODY)
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            Ok(http::Response::from_parts(parts, bytes.to_vec()))
        })
    }
}
