//! Each commerce service's errors as problem documents: the caller's mistakes are 4xx
//! with a stable code and the field at fault; only our own failures are 5xx.

use axum::http::StatusCode;
use emporium_cart::CartError;
use emporium_checkout::{CheckoutError, SourceError};
use emporium_inventory::InventoryError;
use emporium_kernel::clock::rfc3339;
use emporium_payments::PaymentError;

use crate::problem::ApiError;

fn problem(
    status: StatusCode,
    code: &'static str,
    param: Option<&str>,
    detail: String,
) -> ApiError {
    ApiError::status(status, code, param, detail)
}

impl From<CartError> for ApiError {
    fn from(err: CartError) -> Self {
        let detail = err.to_string();
        match err {
            CartError::CartNotFound { .. }
            | CartError::LineNotFound { .. }
            | CartError::RegionNotFound { .. } => ApiError::NotFound { detail },
            CartError::VariantNotFound { .. } => problem(
                StatusCode::NOT_FOUND,
                "not_found",
                Some("variant_id"),
                detail,
            ),
            CartError::InvalidQuantity { field, .. } | CartError::InvalidField { field, .. } => {
                problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    Some(&field),
                    detail,
                )
            }
            CartError::PriceMissing { .. } => problem(
                StatusCode::BAD_REQUEST,
                "currency_mismatch",
                Some("variant_id"),
                detail,
            ),
            CartError::UnsupportedCurrency { .. } => problem(
                StatusCode::BAD_REQUEST,
                "currency_mismatch",
                Some("currency"),
                detail,
            ),
            CartError::InsufficientStock { .. } => problem(
                StatusCode::CONFLICT,
                "out_of_stock",
                Some("quantity"),
                detail,
            ),
            CartError::TooManyLines { .. } => {
                problem(StatusCode::BAD_REQUEST, "too_many_lines", None, detail)
            }
            CartError::CartCompleted { .. } => {
                problem(StatusCode::CONFLICT, "cart_completed", None, detail)
            }
            CartError::DiscountNotFound { .. } => problem(
                StatusCode::BAD_REQUEST,
                "discount_not_found",
                Some("code"),
                detail,
            ),
            CartError::DiscountExpired { ended_at, .. } => problem(
                StatusCode::BAD_REQUEST,
                "discount_expired",
                Some("code"),
                format!("this discount code expired on {}", rfc3339(ended_at)),
            ),
            CartError::DiscountNotStarted { starts_at, .. } => problem(
                StatusCode::BAD_REQUEST,
                "discount_not_started",
                Some("code"),
                format!("this discount code is valid from {}", rfc3339(starts_at)),
            ),
            CartError::DiscountMinimumNotMet { .. } => problem(
                StatusCode::BAD_REQUEST,
                "discount_minimum_not_met",
                Some("code"),
                detail,
            ),
            CartError::DiscountUsedUp { .. } => problem(
                StatusCode::BAD_REQUEST,
                "discount_used_up",
                Some("code"),
                detail,
            ),
            CartError::DiscountCodeTaken { .. } => {
                problem(StatusCode::CONFLICT, "conflict", Some("code"), detail)
            }
            CartError::CheckoutIncomplete { ref missing } => problem(
                StatusCode::BAD_REQUEST,
                "checkout_incomplete",
                missing.first().map(String::as_str),
                detail,
            ),
            CartError::CartEmpty => problem(StatusCode::BAD_REQUEST, "cart_empty", None, detail),
            CartError::DiscountCurrencyMismatch { .. } => problem(
                StatusCode::BAD_REQUEST,
                "discount_currency_mismatch",
                Some("code"),
                detail,
            ),
            CartError::TotalsOverflow(_) => problem(
                StatusCode::BAD_REQUEST,
                "amount_too_large",
                Some("quantity"),
                detail,
            ),
            CartError::Lookup(cause) => ApiError::Internal(cause),
            CartError::Database(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<InventoryError> for ApiError {
    fn from(err: InventoryError) -> Self {
        let detail = err.to_string();
        match err {
            InventoryError::OutOfStock { .. } => {
                problem(StatusCode::CONFLICT, "out_of_stock", None, detail)
            }
            InventoryError::InvalidQuantity { field, .. } => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some(&field),
                detail,
            ),
            InventoryError::WouldGoNegative { .. } => problem(
                StatusCode::CONFLICT,
                "stock_would_go_negative",
                Some("delta"),
                detail,
            ),
            InventoryError::ReasonRequired => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some("reason"),
                detail,
            ),
            InventoryError::ReservationNotFound { .. } => ApiError::NotFound { detail },
            InventoryError::AlreadyCommitted { .. } | InventoryError::ReservationLapsed { .. } => {
                problem(StatusCode::CONFLICT, "conflict", None, detail)
            }
            InventoryError::Database(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(err: PaymentError) -> Self {
        let detail = err.to_string();
        match err {
            PaymentError::UnknownProvider { .. } => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some("payment_method"),
                detail,
            ),
            PaymentError::NotFound { .. } => ApiError::NotFound { detail },
            PaymentError::InvalidAmount { .. } | PaymentError::RefundExceedsBalance { .. } => {
                problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    Some("amount"),
                    detail,
                )
            }
            PaymentError::InvalidTransition { .. } | PaymentError::WrongProvider { .. } => {
                problem(StatusCode::CONFLICT, "invalid_transition", None, detail)
            }
            PaymentError::SignatureInvalid(_) => problem(
                StatusCode::BAD_REQUEST,
                "invalid_signature",
                Some("Stripe-Signature"),
                detail,
            ),
            PaymentError::MalformedEvent(_) => {
                problem(StatusCode::BAD_REQUEST, "invalid_body", None, detail)
            }
            PaymentError::Provider { .. } => {
                tracing::warn!(error = %detail, "payment provider refused or failed");
                problem(
                    StatusCode::BAD_GATEWAY,
                    "payment_provider_error",
                    None,
                    detail,
                )
            }
            PaymentError::Database(e) => ApiError::Internal(e.to_string()),
        }
    }
}

/// An error that crossed a service boundary as a boxed source: mapped as the service
/// it came from would map it.
fn from_source(source: SourceError) -> ApiError {
    let source = match source.downcast::<CartError>() {
        Ok(e) => return ApiError::from(*e),
        Err(other) => other,
    };
    let source = match source.downcast::<InventoryError>() {
        Ok(e) => return ApiError::from(*e),
        Err(other) => other,
    };
    match source.downcast::<PaymentError>() {
        Ok(e) => ApiError::from(*e),
        Err(other) => ApiError::Internal(other.to_string()),
    }
}

impl From<CheckoutError> for ApiError {
    fn from(err: CheckoutError) -> Self {
        let detail = err.to_string();
        match err {
            CheckoutError::OrderNotFound => ApiError::NotFound { detail },
            CheckoutError::InvalidIdempotencyKey => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some("Idempotency-Key"),
                detail,
            ),
            CheckoutError::IdempotencyKeyReused => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                Some("Idempotency-Key"),
                detail,
            ),
            CheckoutError::CartAlreadyCompleted { .. } => {
                problem(StatusCode::CONFLICT, "cart_completed", None, detail)
            }
            CheckoutError::OutOfStock { .. } => {
                problem(StatusCode::CONFLICT, "out_of_stock", None, detail)
            }
            CheckoutError::PaymentUnavailable(cause) => {
                tracing::warn!(error = %cause, "payment session could not be created");
                problem(
                    StatusCode::BAD_GATEWAY,
                    "payment_provider_unavailable",
                    None,
                    "the payment provider did not answer; your cart is unchanged, try again"
                        .to_owned(),
                )
            }
            CheckoutError::PlacementInProgress => problem(
                StatusCode::CONFLICT,
                "placement_in_progress",
                Some("Idempotency-Key"),
                detail,
            ),
            CheckoutError::InvalidTransition { .. } => {
                problem(StatusCode::CONFLICT, "invalid_transition", None, detail)
            }
            CheckoutError::InvalidField { field, .. } => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some(&field),
                detail,
            ),
            CheckoutError::RefundExceedsBalance { .. } => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some("amount"),
                detail,
            ),
            CheckoutError::InvalidCursor => problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                Some("cursor"),
                detail,
            ),
            CheckoutError::Cart(source)
            | CheckoutError::Stock(source)
            | CheckoutError::Payment(source) => from_source(source),
            CheckoutError::Database(e) => ApiError::Internal(e.to_string()),
        }
    }
}
