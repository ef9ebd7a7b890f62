//! Request parsing that fails with a problem document naming what to fix, instead of
//! axum's plain-text rejections. Handlers take these, never axum's `Json`, `Path` or
//! `Bytes` directly, so no request can be answered outside the problem catalogue.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{
        path::ErrorKind,
        rejection::{JsonRejection, PathRejection},
        FromRequest, FromRequestParts, Request,
    },
    http::{header, request::Parts, HeaderMap},
    Json,
};
use emporium_kernel::id::InvalidId;
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, ProblemCode};

const SEND_JSON: &str = "send the body as JSON with `Content-Type: application/json`";

/// A JSON request body. Malformed JSON, a wrong content type or a field of the wrong
/// type is a 400/415 problem that quotes serde's message (which names the field).
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON body that may be left out: an empty (or all-whitespace) body, or JSON `null`,
/// is `None`, so other frontends can POST without one. A body that is sent must be
/// JSON, as for [`JsonBody`].
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = json_content_type(req.headers());
        let RawBody(body) = RawBody::from_request(req, state).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(None));
        }
        if !is_json {
            return Err(ApiError::new(ProblemCode::UnsupportedMediaType, SEND_JSON));
        }
        match Json::<Option<T>>::from_bytes(&body) {
            Ok(Json(value)) => Ok(OptionalJsonBody(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// The body as bytes (a webhook's signed payload). A body that cannot be read (too
/// large, cut off) is a 400 problem.
pub struct RawBody(pub Bytes);

impl<S> FromRequest<S> for RawBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| ApiError::invalid_body(format!("the body could not be read: {e}")))
    }
}

/// Path parameters, deserialized as axum's `Path` does; a value that does not parse
/// (or is not UTF-8 once percent-decoded) is a 400 naming the parameter.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let text = e.body_text();
                let err = match e.into_kind() {
                    ErrorKind::UnsupportedType { .. }
                    | ErrorKind::WrongNumberOfParameters { .. } => {
                        // The handler and its route disagree: our bug, not the caller's.
                        return Err(ApiError::internal(text));
                    }
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => ApiError::invalid(key, text),
                    _ => ApiError::new(ProblemCode::InvalidParameter, text),
                };
                Err(err)
            }
            Err(other) => Err(ApiError::internal(other.body_text())),
        }
    }
}

/// Whether the request says its body is JSON (`application/json` or
/// `application/<something>+json`), as axum's `Json` decides.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::new(ProblemCode::UnsupportedMediaType, SEND_JSON)
        }
        JsonRejection::JsonDataError(e) => ApiError::invalid_body(format!(
            "the JSON body does not fit the schema: {}",
            e.body_text()
        )),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::invalid_body(format!("the body is not valid JSON: {}", e.body_text()))
        }
        other => ApiError::invalid_body(other.body_text()),
    }
}

/// Query parameters as text, parsed one by one so an error can name its parameter.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let map = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        QueryParams(map)
    }

    /// Every parameter as (name, value).
    pub fn pairs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    /// A text parameter; empty counts as absent (an HTML form's empty field).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An integer parameter within `min..=max`.
    pub fn integer(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(text) = self.text(name) else {
            return Ok(None);
        };
        match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(
                name,
                format!("`{name}` must be a whole number from {min} to {max}, got `{text}`"),
            )),
        }
    }
}

/// An id taken from the path. One of another shape names nothing that could exist, so
/// it is a 404 like an unknown id, never a 400: the caller learns only that there is no
/// such resource.
pub fn path_id<T>(raw: &str, parse: fn(&str) -> Result<T, InvalidId>) -> Result<T, ApiError> {
    parse(raw).map_err(|e| ApiError::not_found(format!("{} `{}` does not exist", e.kind, e.value)))
}

/// An id taken from a body field: one of another shape is a 400 naming the field.
pub fn body_id<T>(
    field: &str,
    raw: &str,
    parse: fn(&str) -> Result<T, InvalidId>,
) -> Result<T, ApiError> {
    parse(raw).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// An optional RFC 3339 time of a body field, as Unix milliseconds; a malformed one is a
/// 400 naming the field.
pub fn parse_time(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    use time::{format_description::well_known::Rfc3339, OffsetDateTime};

    value
        .map(|text| {
            OffsetDateTime::parse(text, &Rfc3339)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .map_err(|_| {
                    ApiError::invalid(
                        field,
                        format!("`{field}` must be an RFC 3339 time such as 2026-12-01T00:00:00Z"),
                    )
                })
        })
        .transpose()
}
