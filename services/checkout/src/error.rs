//! What can go wrong in checkout. Each variant maps to one precise HTTP response; the
//! errors that come from the other services keep the original error boxed
//! ([`SourceError`]) so the HTTP layer can downcast it for its own precise response.

use emporium_kernel::db::DbError;

use crate::model::OrderStatus;

/// An error from another service, as its adapter reported it. The HTTP layer downcasts it
/// to the original service error.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// 404, also the answer to a wrong guest access token, so that a token guess never
    /// learns whether the order id exists.
    #[error("order not found")]
    OrderNotFound,
    /// 400: the `Idempotency-Key` header is missing its rules.
    #[error("the Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)")]
    InvalidIdempotencyKey,
    /// 422: the key was used before with a different request body.
    #[error(
        "this Idempotency-Key was already used for a different request: use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// 409: another request with this idempotency key is still placing the order; retry
    /// it shortly with the same key to get its result.
    #[error("a request with this Idempotency-Key is still being processed: retry shortly")]
    PlacementInProgress,
    /// 409: the cart already became an order (under another idempotency key).
    #[error("the cart was already checked out as order {order_id}")]
    CartAlreadyCompleted { order_id: String },
    /// 409 `out_of_stock`: the order was cancelled because a line could not be reserved.
    #[error(
        "variant {variant_id} is out of stock: {requested} requested, {available} available; \
         lower the quantity or remove the item"
    )]
    OutOfStock {
        variant_id: String,
        requested: i64,
        available: i64,
    },
    /// 502 `payment_provider_unavailable`: no payment session could be opened; the order
    /// was cancelled and its stock released, the cart is still open for a retry.
    #[error("the payment provider is unavailable: {0}")]
    PaymentUnavailable(#[source] SourceError),
    /// 409: the order's status does not allow this action.
    #[error("cannot {action} an order that is {from}")]
    InvalidTransition {
        from: OrderStatus,
        action: &'static str,
    },
    /// 400: an input field is malformed; `message` says what to change.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// 422: the refund is larger than what is left to refund.
    #[error("the refund exceeds the refundable balance of {available} (minor units)")]
    RefundExceedsBalance { available: i64 },
    /// 400: the list cursor is not one this service made.
    #[error("the cursor is not valid: pass the `next_cursor` of the previous page unchanged")]
    InvalidCursor,
    /// The cart service failed (downcast for its own error, e.g. an empty cart).
    #[error("cart: {0}")]
    Cart(#[source] SourceError),
    /// The inventory service failed.
    #[error("stock: {0}")]
    Stock(#[source] SourceError),
    /// The payment service failed.
    #[error("payment: {0}")]
    Payment(#[source] SourceError),
    /// 5xx: the database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl CheckoutError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CheckoutError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = CheckoutError> = std::result::Result<T, E>;
