use emporium_kernel::db::DbError;

use emporium_kernel::clock::rfc3339 as clock_text;

use crate::totals::TotalsOverflow;

/// What can go wrong in the cart. Each variant carries what a problem+json body needs
/// (which thing, which field, what to change); [`CartError::code`] is the stable code.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    /// 404.
    #[error("cart `{cart_id}` does not exist")]
    CartNotFound { cart_id: String },
    /// 404.
    #[error("cart line `{line_id}` does not exist in this cart")]
    LineNotFound { line_id: String },
    /// 404.
    #[error("region `{region_id}` does not exist")]
    RegionNotFound { region_id: String },
    /// 404 (or 422 at checkout): unknown variant, or its product is not published.
    #[error("variant `{variant_id}` does not exist or is not for sale")]
    VariantNotFound { variant_id: String },
    /// 400: no region sells in this currency.
    #[error("no region sells in {currency}: choose one of the regions' currencies")]
    UnsupportedCurrency { currency: String },
    /// 400: a quantity outside 1..=99 per line.
    #[error("{field}: {message}")]
    InvalidQuantity { field: String, message: String },
    /// 400: an input field is malformed; `field` is its path (`shipping_address.city`).
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// 422: the cart already has the most distinct lines allowed.
    #[error("a cart holds at most {max} different items: remove one first")]
    TooManyLines { max: usize },
    /// 422: the variant has no price in the cart's currency.
    #[error("variant `{variant_id}` has no price in {currency}")]
    PriceMissing {
        variant_id: String,
        currency: String,
    },
    /// 409: not enough stock for the quantity asked for.
    #[error("only {available} of variant `{variant_id}` available, {requested} requested")]
    InsufficientStock {
        variant_id: String,
        requested: i64,
        available: i64,
    },
    /// 409: the cart became an order and cannot change any more.
    #[error("the cart is completed (order `{order_id}`): start a new cart")]
    CartCompleted { order_id: String },
    /// 404: no discount with this code (or id, for admin calls).
    #[error("discount code `{code}` does not exist")]
    DiscountNotFound { code: String },
    /// 422.
    #[error("discount code `{code}` expired at {}", clock_text(*ended_at))]
    DiscountExpired { code: String, ended_at: i64 },
    /// 422.
    #[error("discount code `{code}` is valid from {}", clock_text(*starts_at))]
    DiscountNotStarted { code: String, starts_at: i64 },
    /// 422: `minimum` and `subtotal` in minor units of the cart's currency.
    #[error(
        "discount code `{code}` needs a subtotal of at least {minimum}, the cart has {subtotal}"
    )]
    DiscountMinimumNotMet {
        code: String,
        minimum: i64,
        subtotal: i64,
    },
    /// 422: the code reached its usage limit.
    #[error("discount code `{code}` has been used up")]
    DiscountUsedUp { code: String },
    /// 422: a fixed-amount code in another currency than the cart's.
    #[error(
        "discount code `{code}` is for {discount_currency} carts, this cart is in {cart_currency}"
    )]
    DiscountCurrencyMismatch {
        code: String,
        discount_currency: String,
        cart_currency: String,
    },
    /// 409.
    #[error("discount code `{code}` already exists")]
    DiscountCodeTaken { code: String },
    /// 422: checkout needs these fields first (`email`, `shipping_address`, …).
    #[error("checkout needs: {}", missing.join(", "))]
    CheckoutIncomplete { missing: Vec<String> },
    /// 422.
    #[error("the cart is empty")]
    CartEmpty,
    /// 422: absurd prices or quantities.
    #[error(transparent)]
    TotalsOverflow(#[from] TotalsOverflow),
    /// 502/503: the catalog or inventory could not be asked.
    #[error("lookup failed: {0}")]
    Lookup(String),
    /// 5xx: the database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<crate::LookupError> for CartError {
    fn from(e: crate::LookupError) -> Self {
        CartError::Lookup(e.0)
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

    /// A stable machine-readable code for problem+json bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CartError::CartNotFound { .. } => "cart_not_found",
            CartError::LineNotFound { .. } => "line_not_found",
            CartError::RegionNotFound { .. } => "region_not_found",
            CartError::VariantNotFound { .. } => "variant_not_found",
            CartError::UnsupportedCurrency { .. } => "unsupported_currency",
            CartError::InvalidQuantity { .. } => "invalid_quantity",
            CartError::InvalidField { .. } => "invalid_field",
            CartError::TooManyLines { .. } => "too_many_lines",
            CartError::PriceMissing { .. } => "price_missing",
            CartError::InsufficientStock { .. } => "insufficient_stock",
            CartError::CartCompleted { .. } => "cart_completed",
            CartError::DiscountNotFound { .. } => "discount_not_found",
            CartError::DiscountExpired { .. } => "discount_expired",
            CartError::DiscountNotStarted { .. } => "discount_not_started",
            CartError::DiscountMinimumNotMet { .. } => "discount_minimum_not_met",
            CartError::DiscountUsedUp { .. } => "discount_used_up",
            CartError::DiscountCurrencyMismatch { .. } => "discount_currency_mismatch",
            CartError::DiscountCodeTaken { .. } => "discount_code_taken",
            CartError::CheckoutIncomplete { .. } => "checkout_incomplete",
            CartError::CartEmpty => "cart_empty",
            CartError::TotalsOverflow(_) => "amount_too_large",
            CartError::Lookup(_) => "lookup_failed",
            CartError::Database(_) => "database_error",
        }
    }
}

pub type Result<T, E = CartError> = std::result::Result<T, E>;
