//! The order events' payloads as docs/COMMERCE.md defines them, decoded with this
//! crate's own structs: unknown fields are ignored and optional ones default, so the
//! checkout service can add fields without breaking the emails.

/// Checkout stores only parsed addresses and always sends the whole one, so the kernel's
/// type decodes it; an event without one still decodes (the field is optional).
pub use emporium_kernel::contact::Address;
use serde::{Deserialize, Serialize};

/// Payload of `order.placed`, `order.paid`, `order.fulfilled`, `order.refunded`, …
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPayload {
    pub order: Order,
    /// Only on `order.fulfilled`.
    #[serde(default)]
    pub fulfillment: Option<Fulfillment>,
    /// Only on `order.refunded`.
    #[serde(default)]
    pub refund: Option<Refund>,
    /// Only on `order.cancelled`.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    /// Human-friendly order number (`1001`).
    pub number: String,
    /// The customer's address; may be malformed (the mailer parks such emails as dead).
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub status: String,
    /// ISO 4217 code; amounts are minor units of it.
    pub currency: String,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    pub subtotal: i64,
    #[serde(default)]
    pub discount_total: i64,
    #[serde(default)]
    pub shipping_total: i64,
    #[serde(default)]
    pub tax_total: i64,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub tax_inclusive: bool,
    #[serde(default)]
    pub shipping_address: Option<Address>,
    #[serde(default)]
    pub shipping_method: Option<String>,
    #[serde(default)]
    pub payment_provider: Option<String>,
    /// Lets the customer open the order page without an account.
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Set once the order was confirmed to the customer.
    #[serde(default)]
    pub confirmed_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub title: String,
    #[serde(default)]
    pub variant_title: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    pub quantity: i64,
    #[serde(default)]
    pub unit_price: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfillment {
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub tracking_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// This refund, in minor units of the order currency.
    pub amount: i64,
    /// All refunds of the order so far, this one included.
    #[serde(default)]
    pub total_refunded: i64,
}
