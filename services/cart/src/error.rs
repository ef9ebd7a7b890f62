use emporium_kernel::{contact::FieldError, db::DbError};

use emporium_kernel::clock::rfc3339 as clock_text;

use crate::totals::TotalsOverflow;

/// What can go wrong in the cart. Each variant carries what a caller needs to put it
/// right (which thing, which field, what to change); the HTTP layer maps each variant
/// to its response.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    /// No cart with this id.
    #[error("cart `{cart_id}` does not exist")]
    CartNotFound { cart_id: String },
    /// No line with this id in the cart.
    #[error("cart line `{line_id}` does not exist in this cart")]
    LineNotFound { line_id: String },
    /// No region with this id.
    #[error("region `{region_id}` does not exist")]
    RegionNotFound { region_id: String },
    /// Unknown variant, or its product is not published.
    #[error("variant `{variant_id}` does not exist or is not for sale")]
    VariantNotFound { variant_id: String },
    /// No region sells in this currency.
    #[error("no region sells in {currency}: choose one of the regions' currencies")]
    UnsupportedCurrency { currency: String },
    /// A quantity outside 1..=99 per line.
    #[error("{field}: {message}")]
    InvalidQuantity { field: String, message: String },
    /// An input field is malformed; `field` is its path (`shipping_address.city`).
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// The cart already has the most distinct lines allowed.
    #[error("a cart holds at most {max} different items: remove one first")]
    TooManyLines { max: usize },
    /// The variant has no price in the cart's currency.
    #[error("variant `{variant_id}` has no price in {currency}")]
    PriceMissing {
        variant_id: String,
        currency: String,
    },
    /// Not enough stock for the quantity asked for.
    #[error("only {available} of variant `{variant_id}` available, {requested} requested")]
    InsufficientStock {
        variant_id: String,
        requested: i64,
        available: i64,
    },
    /// The cart became an order and cannot change any more.
    #[error("the cart is completed (order `{order_id}`): start a new cart")]
    CartCompleted { order_id: String },
    /// No discount with this code (or id, for admin calls).
    #[error("discount code `{code}` does not exist")]
    DiscountNotFound { code: String },
    /// The discount code's end date has passed.
    #[error("discount code `{code}` expired at {}", clock_text(*ended_at))]
    DiscountExpired { code: String, ended_at: i64 },
    /// The discount code's start date is still to come.
    #[error("discount code `{code}` is valid from {}", clock_text(*starts_at))]
    DiscountNotStarted { code: String, starts_at: i64 },
    /// The subtotal is below the code's minimum; `minimum` and `subtotal` in minor units
    /// of the cart's currency.
    #[error(
        "discount code `{code}` needs a subtotal of at least {minimum}, the cart has {subtotal}"
    )]
    DiscountMinimumNotMet {
        code: String,
        minimum: i64,
        subtotal: i64,
    },
    /// The code reached its usage limit.
    #[error("discount code `{code}` has been used up")]
    DiscountUsedUp { code: String },
    /// A fixed-amount code in another currency than the cart's.
    #[error(
        "discount code `{code}` is for {discount_currency} carts, this cart is in {cart_currency}"
    )]
    DiscountCurrencyMismatch {
        code: String,
        discount_currency: String,
        cart_currency: String,
    },
    /// Another discount already has this code.
    #[error("discount code `{code}` already exists")]
    DiscountCodeTaken { code: String },
    /// Checkout needs these fields first (`email`, `shipping_address`, …).
    #[error("checkout needs: {}", missing.join(", "))]
    CheckoutIncomplete { missing: Vec<String> },
    /// An order cannot be placed for an empty cart.
    #[error("the cart is empty")]
    CartEmpty,
    /// Absurd prices or quantities: the totals do not fit an amount.
    #[error(transparent)]
    TotalsOverflow(#[from] TotalsOverflow),
    /// The catalog or inventory could not be asked.
    #[error("lookup failed: {0}")]
    Lookup(String),
    /// The database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<crate::LookupError> for CartError {
    fn from(e: crate::LookupError) -> Self {
        CartError::Lookup(e.0)
    }
}

impl From<FieldError> for CartError {
    fn from(e: FieldError) -> Self {
        CartError::InvalidField {
            field: e.field,
            message: e.message,
        }
    }
}

impl CartError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CartError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn quantity(message: impl Into<String>) -> Self {
        CartError::InvalidQuantity {
            field: "quantity".to_owned(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = CartError> = std::result::Result<T, E>;
