//! The one mapping from errors to HTTP: every error leaves as an RFC 9457
//! `application/problem+json` document whose `code` comes from one closed catalogue,
//! [`ProblemCode`], and whose status follows from the code alone.
//!
//! Each domain error variant maps to exactly one code: `From<CatalogError>` here and the
//! commerce services' in [`crate::commerce::errors`], all exhaustive matches, so a new
//! variant does not compile until it is given one. The catalogue, and the variant → code
//! table, are snapshot-tested (`api/server/tests/contract.rs`).

use std::fmt;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use emporium_catalog::CatalogError;
use emporium_client::types::Problem;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Declares the catalogue: each entry is a variant with its HTTP status, its stable
/// code and its title (RFC 9457 `title`: the same for every occurrence of the code).
macro_rules! problems {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = ($status:ident, $code:literal, $title:literal),
    )*) => {
        /// Every problem the API can answer with: a closed set, so a code cannot be
        /// misspelt and each code always comes with the same status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ProblemCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ProblemCode {
            /// The whole catalogue, in declaration order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            /// The stable machine-readable code (`out_of_stock`).
            pub const fn code(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code,)*
                }
            }

            /// The HTTP status every problem with this code is sent with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ProblemCode::$variant => StatusCode::$status,)*
                }
            }

            /// A short human summary, the same for every occurrence.
            pub const fn title(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $title,)*
                }
            }
        }
    };
}

problems! {
    /// A query, path or header parameter or a body field is malformed; `param` names it.
    InvalidParameter = (BAD_REQUEST, "invalid_parameter", "Invalid parameter"),
    /// The body is not JSON, or does not fit the operation's schema.
    InvalidBody = (BAD_REQUEST, "invalid_body", "Invalid body"),
    /// The operation needs an `Idempotency-Key` header.
    IdempotencyKeyRequired = (BAD_REQUEST, "idempotency_key_required", "Idempotency key required"),
    /// A currency no region sells in, or a variant without a price in the cart's currency.
    CurrencyMismatch = (BAD_REQUEST, "currency_mismatch", "Currency mismatch"),
    /// The cart already holds the most distinct lines allowed.
    TooManyLines = (BAD_REQUEST, "too_many_lines", "Too many cart lines"),
    /// Checkout needs fields that are not set yet; `param` names the first.
    CheckoutIncomplete = (BAD_REQUEST, "checkout_incomplete", "Checkout incomplete"),
    /// An order cannot be placed for an empty cart.
    CartEmpty = (BAD_REQUEST, "cart_empty", "Cart is empty"),
    /// Prices times quantities exceed what an amount can hold.
    AmountTooLarge = (BAD_REQUEST, "amount_too_large", "Amount too large"),
    /// A code tried on a cart that cannot be used there, whatever the reason (unknown,
    /// expired, used up, conditions not met): the answer to a guess reveals nothing.
    DiscountInvalid = (BAD_REQUEST, "discount_invalid", "Discount code not valid"),
    /// No discount with this code.
    DiscountNotFound = (BAD_REQUEST, "discount_not_found", "Discount code not found"),
    /// The discount code's end date has passed.
    DiscountExpired = (BAD_REQUEST, "discount_expired", "Discount code expired"),
    /// The discount code's start date is still to come.
    DiscountNotStarted = (BAD_REQUEST, "discount_not_started", "Discount code not yet valid"),
    /// The cart's subtotal is below the discount code's minimum.
    DiscountMinimumNotMet = (BAD_REQUEST, "discount_minimum_not_met", "Discount minimum not met"),
    /// The discount code reached its usage limit.
    DiscountUsedUp = (BAD_REQUEST, "discount_used_up", "Discount code used up"),
    /// A fixed-amount discount code for another currency than the cart's.
    DiscountCurrencyMismatch = (BAD_REQUEST, "discount_currency_mismatch", "Discount currency mismatch"),
    /// A webhook whose signature does not prove where it came from.
    InvalidSignature = (BAD_REQUEST, "invalid_signature", "Invalid webhook signature"),
    /// A verification or password-reset link that is unknown, expired or used already
    /// (which of the three is not said); `param` is `token`.
    TokenInvalid = (BAD_REQUEST, "token_invalid", "Invalid or expired link"),
    /// The Admin API token is missing or wrong (or the Admin API is disabled).
    Unauthorized = (UNAUTHORIZED, "unauthorized", "Unauthorized"),
    /// The email and password do not match an account, or the current password given
    /// to change the password or the email is wrong. Says no more: a wrong password and
    /// an unknown email are the same answer.
    InvalidCredentials = (UNAUTHORIZED, "invalid_credentials", "Invalid credentials"),
    /// The customer session token is missing, unknown, expired or ended: log in again.
    /// Sent with `WWW-Authenticate: Bearer`.
    Unauthenticated = (UNAUTHORIZED, "unauthenticated", "Not signed in"),
    /// No such resource (or API route).
    NotFound = (NOT_FOUND, "not_found", "Not found"),
    /// Too many attempts from this client (or for this email) in a short time: try again
    /// after `Retry-After` seconds.
    RateLimited = (TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
    /// The value is taken or the change conflicts with existing data.
    Conflict = (CONFLICT, "conflict", "Conflict"),
    /// The cart became an order and cannot change any more.
    CartCompleted = (CONFLICT, "cart_completed", "Cart completed"),
    /// Not enough stock for the quantity asked for.
    OutOfStock = (CONFLICT, "out_of_stock", "Out of stock"),
    /// A stock change would go below zero or below what is reserved.
    StockWouldGoNegative = (CONFLICT, "stock_would_go_negative", "Stock would go negative"),
    /// The order's or payment's status does not allow this action.
    InvalidTransition = (CONFLICT, "invalid_transition", "Invalid status transition"),
    /// Another request with this idempotency key is still placing the order.
    PlacementInProgress = (CONFLICT, "placement_in_progress", "Placement in progress"),
    /// A JSON body was sent without `Content-Type: application/json`.
    /// A cookie-authenticated form post from another site's page (CSRF).
    CrossSiteRequest = (FORBIDDEN, "cross_site_request", "Cross-site request refused"),
    /// A request body larger than the app accepts.
    PayloadTooLarge = (PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large"),
    UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type"),
    /// The idempotency key was used before for a different request.
    IdempotencyKeyReused = (UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Idempotency key reused"),
    /// A failure of our own (the database); never caused by input.
    Internal = (INTERNAL_SERVER_ERROR, "internal", "Internal server error"),
    /// The payment provider refused or failed.
    PaymentProviderError = (BAD_GATEWAY, "payment_provider_error", "Payment provider error"),
    /// No payment session could be opened; the cart is unchanged.
    PaymentProviderUnavailable = (BAD_GATEWAY, "payment_provider_unavailable", "Payment provider unavailable"),
    /// The service cannot answer now (the database is down).
    Unavailable = (SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
}

impl ProblemCode {
    /// The `type` URI of the problem document.
    pub fn type_uri(self) -> String {
        format!("https://docs.emporium.dev/problems/{}", self.code())
    }

    /// The codes sent with `status`.
    pub fn with_status(status: StatusCode) -> impl Iterator<Item = ProblemCode> {
        Self::ALL
            .iter()
            .copied()
            .filter(move |c| c.status() == status)
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An error a handler returns: a code from the catalogue, the parameter at fault (if
/// any) and what to change. Callers' mistakes are 4xx; only failures of our own are
/// 5xx, and their detail (which may name tables or hosts) is logged, not sent.
#[derive(Debug)]
pub struct ApiError {
    code: ProblemCode,
    param: Option<String>,
    detail: String,
    /// Seconds for `Retry-After` (rate limits).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        ApiError {
            code,
            param: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// Names the request parameter or body field at fault.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// A malformed query parameter or body field, named so the caller can fix it.
    pub fn invalid(param: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::new(ProblemCode::InvalidParameter, detail).param(param)
    }

    /// A body that is not JSON or does not fit the schema.
    pub fn invalid_body(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemCode::InvalidBody, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemCode::NotFound, detail)
    }

    /// Over a rate limit: try again in `retry_after_secs` (sent as `Retry-After`).
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut err = ApiError::new(
            ProblemCode::RateLimited,
            format!("too many attempts: try again in {retry_after_secs} seconds"),
        );
        err.retry_after = Some(retry_after_secs);
        err
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemCode::Unauthorized, detail)
    }

    /// A failure of our own; `cause` is logged, never sent.
    pub fn internal(cause: impl fmt::Display) -> Self {
        ApiError::new(ProblemCode::Internal, cause.to_string())
    }

    pub fn code(&self) -> ProblemCode {
        self.code
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn param_name(&self) -> Option<&str> {
        self.param.as_deref()
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The problem document as sent.
    pub fn to_problem(&self) -> Problem {
        let detail = if self.code == ProblemCode::Internal {
            "something went wrong on our side; try again later".to_owned()
        } else {
            self.detail.clone()
        };
        Problem {
            kind: self.code.type_uri(),
            title: self.code.title().to_owned(),
            status: self.code.status().as_u16(),
            detail,
            code: self.code.code().to_owned(),
            param: self.param.clone(),
            request_id: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        let detail = err.to_string();
        match err {
            CatalogError::NotFound { .. } => ApiError::not_found(detail),
            CatalogError::Invalid { field, .. } => ApiError::invalid(field, detail),
            CatalogError::Conflict { field, .. } => {
                ApiError::new(ProblemCode::Conflict, detail).param(field)
            }
            CatalogError::Database(e) => ApiError::internal(e),
        }
    }
}

impl From<emporium_search::SearchError> for ApiError {
    fn from(err: emporium_search::SearchError) -> Self {
        match err {
            emporium_search::SearchError::InvalidQuery { field, message } => {
                ApiError::invalid(field, message)
            }
            emporium_search::SearchError::Unavailable(cause) => {
                // The cause may name hosts; it is logged, not sent.
                tracing::error!(error = %cause, "search engine unavailable");
                ApiError::new(
                    ProblemCode::Unavailable,
                    "search is unavailable for a moment; try again shortly",
                )
            }
        }
    }
}

impl From<crate::search::IndexingError> for ApiError {
    fn from(err: crate::search::IndexingError) -> Self {
        match err {
            crate::search::IndexingError::Search(e) => e.into(),
            crate::search::IndexingError::Catalog(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == ProblemCode::Internal {
            tracing::error!(error = %self.detail, "request failed");
        }
        let problem = self.to_problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.code.status(), body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == ProblemCode::Unauthenticated {
            // RFC 9110 wants the scheme named on a 401; a client learns to send a
            // customer session as a bearer token.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
