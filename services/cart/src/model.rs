//! The cart's domain types: what callers pass in and the views they get back. Views are
//! `Serialize` in their wire shape: currencies as ISO codes, times as RFC 3339.

pub use emporium_kernel::contact::{Address, Email};
use emporium_kernel::{
    id::{CartId, CustomerId, LineId, OrderId, ProductId, VariantId},
    money::Currency,
};
use serde::Serialize;

use crate::totals::Totals;

pub(crate) use emporium_kernel::wire;

/// Who asks for a cart. A guest cart answers to whoever holds its id; a customer's cart
/// (one made while signed in, or a guest cart adopted at sign-in) only to that customer,
/// and to anyone else as if it did not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shopper {
    Guest,
    Customer(CustomerId),
}

impl Shopper {
    pub fn customer_id(&self) -> Option<&CustomerId> {
        match self {
            Shopper::Guest => None,
            Shopper::Customer(id) => Some(id),
        }
    }
}

/// What [`crate::Carts::sign_in`] did with the shopper's carts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInCart {
    /// The customer has no open cart and brought none.
    None,
    /// The customer's open cart, unchanged (no guest cart came along).
    Kept(CartId),
    /// The guest cart became the customer's (they had no open cart).
    Adopted(CartId),
    /// The guest cart's lines were added to the customer's cart and the guest cart
    /// deleted. `skipped` lists the variants that could not be carried over whole
    /// (no longer sold, no price in the cart's currency, out of stock, or the cart full).
    Merged {
        cart_id: CartId,
        skipped: Vec<VariantId>,
    },
}

impl SignInCart {
    /// The cart the shopper continues with.
    pub fn cart_id(&self) -> Option<&CartId> {
        match self {
            SignInCart::None => None,
            SignInCart::Kept(id) | SignInCart::Adopted(id) => Some(id),
            SignInCart::Merged { cart_id, .. } => Some(cart_id),
        }
    }
}

/// A market: one currency, one tax rule, the countries it ships to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "wire::currency")]
    pub currency: Currency,
    /// Basis points: 2000 = 20 %.
    pub tax_rate_bp: i64,
    /// Prices include the tax (EU) rather than having it added at checkout (US).
    pub tax_inclusive: bool,
    /// ISO 3166-1 alpha-2 codes, upper case.
    pub countries: Vec<String>,
    /// Rates of countries whose rate differs from `tax_rate_bp` (the region's default).
    pub tax_rates: Vec<CountryTaxRate>,
}

/// One country's tax rate within its region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryTaxRate {
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// Basis points: 1900 = 19 %.
    pub rate_bp: i64,
}

impl Region {
    /// The rate for goods shipped to `country`: its own, else the region's default.
    pub fn tax_rate_for(&self, country: Option<&str>) -> i64 {
        country
            .and_then(|c| self.tax_rates.iter().find(|r| r.country == c))
            .map_or(self.tax_rate_bp, |r| r.rate_bp)
    }
}

/// A shipping option priced for one cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippingQuote {
    pub id: String,
    pub name: String,
    /// What the cart pays now: 0 when its subtotal reaches `free_above`.
    pub amount: i64,
    pub free_above: Option<i64>,
}

/// How a discount reduces the subtotal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DiscountKind {
    /// Basis points of the subtotal, 1..=10000.
    Percentage { rate_bp: i64 },
    /// Minor units, only for carts in `currency`.
    Fixed {
        amount: i64,
        #[serde(serialize_with = "wire::currency")]
        currency: Currency,
    },
}

impl DiscountKind {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            DiscountKind::Percentage { .. } => "percentage",
            DiscountKind::Fixed { .. } => "fixed",
        }
    }

    /// Basis points or minor units, as stored.
    pub(crate) fn value(&self) -> i64 {
        match self {
            DiscountKind::Percentage { rate_bp } => *rate_bp,
            DiscountKind::Fixed { amount, .. } => *amount,
        }
    }
}

/// A discount code to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDiscount {
    /// Letters, digits, `-` and `_`; matched case-insensitively, stored upper case.
    pub code: String,
    pub kind: DiscountKind,
    /// Subtotal (before discount) the cart must reach, in the cart's minor units.
    pub min_subtotal: Option<i64>,
    /// Unix ms; valid from this instant.
    pub starts_at: Option<i64>,
    /// Unix ms; invalid from this instant on.
    pub ends_at: Option<i64>,
    /// How many orders may use the code; `None` = unlimited.
    pub usage_limit: Option<i64>,
}

/// A stored discount code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discount {
    pub id: String,
    pub code: String,
    pub kind: DiscountKind,
    pub min_subtotal: Option<i64>,
    #[serde(serialize_with = "wire::opt_time")]
    pub starts_at: Option<i64>,
    #[serde(serialize_with = "wire::opt_time")]
    pub ends_at: Option<i64>,
    pub usage_limit: Option<i64>,
    /// Completed orders that redeemed the code.
    pub used_count: i64,
    #[serde(serialize_with = "wire::time")]
    pub created_at: i64,
}

/// What the shopper enters at checkout, set in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutDetails {
    pub email: Email,
    pub shipping_address: Address,
    /// `None`: same as the shipping address.
    pub billing_address: Option<Address>,
    pub shipping_option_id: String,
    /// `manual`, `stripe`, …: a name of `[a-z_]`, at most 32 characters. Whether that
    /// provider is enabled is the HTTP layer's business.
    pub payment_method: String,
}

/// The cart as the shopper sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cart {
    pub id: CartId,
    /// The owner; `None` for a guest cart.
    pub customer_id: Option<CustomerId>,
    pub region: CartRegion,
    #[serde(serialize_with = "wire::currency")]
    pub currency: Currency,
    pub lines: Vec<CartLine>,
    /// Σ quantity.
    pub item_count: i64,
    pub discount: Option<CartDiscount>,
    pub email: Option<Email>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub shipping_option: Option<CartShipping>,
    pub payment_method: Option<String>,
    pub totals: Totals,
    #[serde(serialize_with = "wire::opt_time")]
    pub completed_at: Option<i64>,
    pub order_id: Option<OrderId>,
    #[serde(serialize_with = "wire::time")]
    pub created_at: i64,
    #[serde(serialize_with = "wire::time")]
    pub updated_at: i64,
    /// When an idle cart may be purged (30 days after its last change).
    #[serde(serialize_with = "wire::time")]
    pub expires_at: i64,
}

/// The cart's region, as shown on the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartRegion {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "wire::currency")]
    pub currency: Currency,
    /// The rate applied to this cart: its shipping country's, else the region's.
    pub tax_rate_bp: i64,
    pub tax_inclusive: bool,
    /// Where the region ships (ISO 3166-1 alpha-2), for the checkout's country choice.
    pub countries: Vec<String>,
}

/// One line: a variant, its price when it was added, and a quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartLine {
    pub id: LineId,
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub product_handle: String,
    /// The product's title.
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub image_url: Option<String>,
    /// The price snapshot in the cart's currency, taken when the line was last added to.
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
}

/// The discount code on a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartDiscount {
    pub code: String,
    /// `percentage` or `fixed`; empty when the code no longer exists.
    pub kind: String,
    /// Basis points or minor units.
    pub value: i64,
    /// Why the code does not apply right now (then `totals.discount_total` is 0).
    pub note: Option<String>,
}

/// The chosen shipping option, priced for this cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartShipping {
    pub id: String,
    pub name: String,
    pub amount: i64,
}

/// Everything the checkout service needs to place an order, re-priced and validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutSnapshot {
    pub cart_id: CartId,
    /// Whose cart it is (`None`: a guest's); the order belongs to the same customer.
    pub customer_id: Option<CustomerId>,
    #[serde(serialize_with = "wire::currency")]
    pub currency: Currency,
    pub region_id: String,
    pub tax_inclusive: bool,
    pub email: Email,
    pub shipping_address: Address,
    /// The shipping address when the shopper gave no other.
    pub billing_address: Address,
    pub shipping_option_id: String,
    pub shipping_option_name: String,
    pub payment_method: String,
    /// The code that applies to these totals; `None` when none applies.
    pub discount_code: Option<String>,
    pub lines: Vec<SnapshotLine>,
    pub totals: Totals,
}

/// A line at its current price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotLine {
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    /// The current price differs from the one the cart showed.
    pub price_changed: bool,
}
