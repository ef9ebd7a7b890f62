use std::{future::Future, pin::Pin};

/// A boxed future that is `Send`, so a transport can be shared across server threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, thiserror::Error)]
#[error("transport failed: {0}")]
pub struct TransportError(pub String);

/// Carries one request to the API and brings back its response.
pub trait Transport: Send + Sync + 'static {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, TransportError>>;
}

/// Talks to an Emporium API at a base URL over HTTP.
#[cfg(feature = "http")]
pub struct HttpTransport {
    base_url: String,
    http: reqwest::Client,
}

#[cfg(feature = "http")]
impl HttpTransport {
    /// `base_url` is the API's origin, e.g. `http://api.internal:3000`.
    pub fn new(base_url: impl Into<String>) -> Self {
        HttpTransport {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }
}

#[cfg(feature = "http")]
impl Transport for HttpTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = format!("{}{}", self.base_url, parts.uri);
            let response = self
                .http
                .request(parts.method, url)
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            builder
                .body(bytes.to_vec())
                .map_err(|e| TransportError(e.to_string()))
        })
    }
}
