//! The one mapping from domain errors to HTTP: every error leaves as an RFC 9457
//! `application/problem+json` document with a stable `code`.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use emporium_catalog::CatalogError;
use emporium_client::types::Problem;

/// An error a handler returns. Callers' mistakes are 4xx with a message that says what
/// to fix; only failures of our own (the database) are 5xx.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        param: Option<String>,
        detail: String,
    },
    #[error("{detail}")]
    NotFound { detail: String },
    #[error("{detail}")]
    Conflict {
        param: Option<String>,
        detail: String,
    },
    #[error("{detail}")]
    Unauthorized { detail: String },
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    #[error("{detail}")]
    Unavailable { detail: String },
    /// Any other problem, with its own status and stable code (`out_of_stock`,
    /// `idempotency_key_reused`, `payment_provider_unavailable`, …).
    #[error("{detail}")]
    Status {
        status: StatusCode,
        code: &'static str,
        param: Option<String>,
        detail: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A malformed query parameter or body field, named so the caller can fix it.
    pub fn invalid(param: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid_parameter",
            param: Some(param.into()),
            detail: detail.into(),
        }
    }

    /// A problem with its own status and code.
    pub fn status(
        status: StatusCode,
        code: &'static str,
        param: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        ApiError::Status {
            status,
            code,
            param: param.map(str::to_owned),
            detail: detail.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<&str>) {
        match self {
            ApiError::Status {
                status,
                code,
                param,
                ..
            } => (
                *status,
                code,
                status.canonical_reason().unwrap_or("Error"),
                param.as_deref(),
            ),
            ApiError::BadRequest { code, param, .. } => (
                StatusCode::BAD_REQUEST,
                code,
                "Bad request",
                param.as_deref(),
            ),
            ApiError::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found", "Not found", None),
            ApiError::Conflict { param, .. } => (
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                param.as_deref(),
            ),
            ApiError::Unauthorized { .. } => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                None,
            ),
            ApiError::UnsupportedMediaType { .. } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                None,
            ),
            ApiError::Unavailable { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                None,
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
                None,
            ),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::NotFound { .. } => ApiError::NotFound {
                detail: err.to_string(),
            },
            CatalogError::Invalid { field, message } => ApiError::BadRequest {
                code: "invalid_parameter",
                detail: format!("{field}: {message}"),
                param: Some(field),
            },
            CatalogError::Conflict { field, message } => ApiError::Conflict {
                detail: format!("{field}: {message}"),
                param: Some(field),
            },
            CatalogError::Database(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title, param) = self.parts();
        let detail = match &self {
            // The cause is logged, not shown: it may name tables or hosts.
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                "something went wrong on our side; try again later".to_owned()
            }
            other => other.to_string(),
        };
        let problem = Problem {
            kind: format!("https://docs.emporium.dev/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            param: param.map(str::to_owned),
            request_id: None,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
