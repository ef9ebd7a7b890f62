//! Request parsing that fails with a problem document naming what to fix, instead of
//! axum's plain-text rejections.

use std::collections::HashMap;

use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    Json,
};
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

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
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType {
                detail: "send the body as JSON with `Content-Type: application/json`".to_owned(),
            }),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::BadRequest {
                code: "invalid_body",
                param: None,
                detail: format!("the JSON body does not fit the schema: {}", e.body_text()),
            }),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest {
                code: "invalid_body",
                param: None,
                detail: format!("the body is not valid JSON: {}", e.body_text()),
            }),
            Err(other) => Err(ApiError::BadRequest {
                code: "invalid_body",
                param: None,
                detail: other.body_text(),
            }),
        }
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
