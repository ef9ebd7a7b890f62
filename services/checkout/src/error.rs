//! What can go wrong in checkout. The errors that come from the other services keep the
//! original error boxed ([`SourceError`]) so the HTTP layer can downcast it and answer
//! as that service's error.

use emporium_kernel::db::DbError;

use crate::model::OrderStatus;

/// An error from another service, as its adapter reported it. The HTTP layer downcasts it
/// to the original service error.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// No such order; also the answer to a wrong guest access token, so that a token guess never
    /// learns whether the order id exists.
    #[error("order not found")]
    OrderNotFound,
    /// The cart belongs to another customer (answered as if it did not exist).
    #[error("cart {cart_id} not found")]
    CartNotFound { cart_id: String },
    /// The idempotency key breaks its rules.
    #[error("the Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)")]
    InvalidIdempotencyKey,
    /// The key was used before with a different request body.
    #[error(
        "this Idempotency-Key was already used for a different request: use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// Another request with this idempotency key is still placing the order; retry
    /// it shortly with the same key to get its result.
    #[error("a request with this Idempotency-Key is still being processed: retry shortly")]
    PlacementInProgress,
    /// The cart already became an order (under another idempotency key).
    #[error("the cart was already checked out as order {order_id}")]
    CartAlreadyCompleted { order_id: String },
    /// The order was cancelled because a line could not be reserved.
    #[error(
        "variant {variant_id} is out of stock: {requested} requested, {available} available; \
         lower the quantity or remove the item"
    )]
    OutOfStock {
        variant_id: String,
        requested: i64,
        available: i64,
    },
    /// No payment session could be opened; the order
    /// was cancelled and its stock released, the cart is still open for a retry.
    #[error("the payment provider is unavailable: {0}")]
    PaymentUnavailable(#[source] SourceError),
    /// The order's status does not allow this action.
    #[error("cannot {action} an order that is {from}")]
    InvalidTransition {
        from: OrderStatus,
        action: &'static str,
    },
    /// An input field is malformed; `message` says what to change.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// The refund is larger than what is left to refund.
    #[error("the refund exceeds the refundable balance of {available} (minor units)")]
    RefundExceedsBalance { available: i64 },
    /// The list cursor is not one this service made.
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
    /// The database failed; never caused by input.
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
