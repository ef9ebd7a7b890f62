use emporium_kernel::{
    db::DbError,
    id::{ReservationId, VariantId},
};

/// What can go wrong in the inventory. Each variant carries what a caller needs to put
/// it right (which variant or field, the numbers, what to fix); [`field`] is the
/// offending input field, if any.
///
/// [`field`]: InventoryError::field
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// Not enough available stock (`on_hand - reserved`) for one line.
    #[error(
        "variant `{variant_id}` is out of stock: {requested} requested, {available} available"
    )]
    OutOfStock {
        variant_id: VariantId,
        requested: i64,
        available: i64,
    },
    /// A number or required input is malformed; `field` names it with its path
    /// (`lines[1].quantity`), `message` says what to change.
    #[error("{field}: {message}")]
    InvalidQuantity { field: String, message: String },
    /// The change would take on_hand below zero or below what is reserved for
    /// pending orders.
    #[error(
        "variant `{variant_id}` has {on_hand} on hand and {reserved} reserved: a change of {delta} \
         would take stock below zero or below the reserved quantity"
    )]
    WouldGoNegative {
        variant_id: VariantId,
        on_hand: i64,
        reserved: i64,
        delta: i64,
    },
    /// No reservation with this id.
    #[error("reservation `{reservation_id}` does not exist")]
    ReservationNotFound { reservation_id: ReservationId },
    /// The reservation was committed (the goods are sold); it cannot be released.
    #[error("reservation `{reservation_id}` is already committed and cannot be released")]
    AlreadyCommitted { reservation_id: ReservationId },
    /// The reservation was released or expired and its stock is no longer available,
    /// so it cannot be committed (a late payment needs the merchant's attention).
    #[error(
        "reservation `{reservation_id}` was released or expired and its stock is no longer available"
    )]
    ReservationLapsed { reservation_id: ReservationId },
    /// Stock changes must say why (field `reason`).
    #[error("reason: must not be empty; say why the stock changes (for example `recount`)")]
    ReasonRequired,
    /// The database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl InventoryError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        InventoryError::InvalidQuantity {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The input field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            InventoryError::InvalidQuantity { field, .. } => Some(field),
            InventoryError::ReasonRequired => Some("reason"),
            _ => None,
        }
    }
}

pub type Result<T, E = InventoryError> = std::result::Result<T, E>;
