//! Each commerce service's errors as problem documents: every variant maps to one code
//! of the catalogue ([`ProblemCode`]), in exhaustive matches, so a new variant does not
//! compile until it is given one. The caller's mistakes are 4xx with the field at fault;
//! only our own failures are 5xx.

use emporium_accounts::AccountError;
use emporium_cart::CartError;
use emporium_checkout::{CheckoutError, SourceError};
use emporium_inventory::InventoryError;
use emporium_kernel::clock::rfc3339;
use emporium_payments::PaymentError;

use crate::problem::{ApiError, ProblemCode as P};

fn problem(code: P, param: Option<&str>, detail: String) -> ApiError {
    let err = ApiError::new(code, detail);
    match param {
        Some(param) => err.param(param),
        None => err,
    }
}

impl From<CartError> for ApiError {
    fn from(err: CartError) -> Self {
        let detail = err.to_string();
        match err {
            CartError::CartNotFound { .. }
            | CartError::LineNotFound { .. }
            | CartError::RegionNotFound { .. } => problem(P::NotFound, None, detail),
            CartError::VariantNotFound { .. } => problem(P::NotFound, Some("variant_id"), detail),
            CartError::InvalidQuantity { field, .. } | CartError::InvalidField { field, .. } => {
                problem(P::InvalidParameter, Some(&field), detail)
            }
            CartError::PriceMissing { .. } => {
                problem(P::CurrencyMismatch, Some("variant_id"), detail)
            }
            CartError::UnsupportedCurrency { .. } => {
                problem(P::CurrencyMismatch, Some("currency"), detail)
            }
            CartError::InsufficientStock { .. } => problem(P::OutOfStock, Some("quantity"), detail),
            CartError::TooManyLines { .. } => problem(P::TooManyLines, None, detail),
            CartError::CartCompleted { .. } => problem(P::CartCompleted, None, detail),
            CartError::DiscountNotFound { .. } => {
                problem(P::DiscountNotFound, Some("code"), detail)
            }
            CartError::DiscountExpired { ended_at, .. } => problem(
                P::DiscountExpired,
                Some("code"),
                format!("this discount code expired on {}", rfc3339(ended_at)),
            ),
            CartError::DiscountNotStarted { starts_at, .. } => problem(
                P::DiscountNotStarted,
                Some("code"),
                format!("this discount code is valid from {}", rfc3339(starts_at)),
            ),
            CartError::DiscountMinimumNotMet { .. } => {
                problem(P::DiscountMinimumNotMet, Some("code"), detail)
            }
            CartError::DiscountUsedUp { .. } => problem(P::DiscountUsedUp, Some("code"), detail),
            CartError::DiscountCodeTaken { .. } => problem(P::Conflict, Some("code"), detail),
            CartError::CheckoutIncomplete { ref missing } => problem(
                P::CheckoutIncomplete,
                missing.first().map(String::as_str),
                detail,
            ),
            CartError::CartEmpty => problem(P::CartEmpty, None, detail),
            CartError::DiscountCurrencyMismatch { .. } => {
                problem(P::DiscountCurrencyMismatch, Some("code"), detail)
            }
            CartError::TotalsOverflow(_) => problem(P::AmountTooLarge, Some("quantity"), detail),
            CartError::Lookup(cause) => ApiError::internal(cause),
            CartError::Database(e) => ApiError::internal(e),
        }
    }
}

impl From<InventoryError> for ApiError {
    fn from(err: InventoryError) -> Self {
        let detail = err.to_string();
        match err {
            InventoryError::OutOfStock { .. } => problem(P::OutOfStock, None, detail),
            InventoryError::InvalidQuantity { field, .. } => {
                problem(P::InvalidParameter, Some(&field), detail)
            }
            InventoryError::WouldGoNegative { .. } => {
                problem(P::StockWouldGoNegative, Some("delta"), detail)
            }
            InventoryError::ReasonRequired => problem(P::InvalidParameter, Some("reason"), detail),
            InventoryError::ReservationNotFound { .. } => problem(P::NotFound, None, detail),
            InventoryError::AlreadyCommitted { .. } | InventoryError::ReservationLapsed { .. } => {
                problem(P::Conflict, None, detail)
            }
            InventoryError::Database(e) => ApiError::internal(e),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(err: PaymentError) -> Self {
        let detail = err.to_string();
        match err {
            PaymentError::UnknownProvider { .. } => {
                problem(P::InvalidParameter, Some("payment_method"), detail)
            }
            PaymentError::NotFound { .. } => problem(P::NotFound, None, detail),
            PaymentError::InvalidAmount { .. } | PaymentError::RefundExceedsBalance { .. } => {
                problem(P::InvalidParameter, Some("amount"), detail)
            }
            PaymentError::InvalidTransition { .. } | PaymentError::WrongProvider { .. } => {
                problem(P::InvalidTransition, None, detail)
            }
            PaymentError::SignatureInvalid(_) => {
                problem(P::InvalidSignature, Some("Stripe-Signature"), detail)
            }
            PaymentError::MalformedEvent(_) => problem(P::InvalidBody, None, detail),
            PaymentError::Provider { .. } => {
                tracing::warn!(error = %detail, "payment provider refused or failed");
                problem(P::PaymentProviderError, None, detail)
            }
            PaymentError::Database(e) => ApiError::internal(e),
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
        Err(other) => ApiError::internal(other),
    }
}

impl From<CheckoutError> for ApiError {
    fn from(err: CheckoutError) -> Self {
        let detail = err.to_string();
        match err {
            CheckoutError::OrderNotFound | CheckoutError::CartNotFound { .. } => {
                problem(P::NotFound, None, detail)
            }
            CheckoutError::InvalidIdempotencyKey => {
                problem(P::InvalidParameter, Some("Idempotency-Key"), detail)
            }
            CheckoutError::IdempotencyKeyReused => {
                problem(P::IdempotencyKeyReused, Some("Idempotency-Key"), detail)
            }
            CheckoutError::CartAlreadyCompleted { .. } => problem(P::CartCompleted, None, detail),
            CheckoutError::OutOfStock { .. } => problem(P::OutOfStock, None, detail),
            CheckoutError::PaymentUnavailable(cause) => {
                tracing::warn!(error = %cause, "payment session could not be created");
                problem(
                    P::PaymentProviderUnavailable,
                    None,
                    "the payment provider did not answer; your cart is unchanged, try again"
                        .to_owned(),
                )
            }
            CheckoutError::PlacementInProgress => {
                problem(P::PlacementInProgress, Some("Idempotency-Key"), detail)
            }
            CheckoutError::InvalidTransition { .. } => problem(P::InvalidTransition, None, detail),
            CheckoutError::InvalidField { field, .. } => {
                problem(P::InvalidParameter, Some(&field), detail)
            }
            CheckoutError::RefundExceedsBalance { .. } => {
                problem(P::InvalidParameter, Some("amount"), detail)
            }
            CheckoutError::InvalidCursor => problem(P::InvalidParameter, Some("cursor"), detail),
            CheckoutError::Cart(source)
            | CheckoutError::Stock(source)
            | CheckoutError::Payment(source) => from_source(source),
            CheckoutError::Database(e) => ApiError::internal(e),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        let detail = err.to_string();
        match err {
            AccountError::InvalidField { field, .. } => {
                problem(P::InvalidParameter, Some(&field), detail)
            }
            AccountError::InvalidCredentials => problem(P::InvalidCredentials, None, detail),
            AccountError::TokenInvalid => problem(P::TokenInvalid, Some("token"), detail),
            AccountError::NotFound => problem(P::NotFound, None, detail),
            AccountError::Database(e) => ApiError::internal(e),
            AccountError::Internal(cause) => ApiError::internal(cause),
        }
    }
}
