//! The order events' payloads as docs/COMMERCE.md defines them, and the `customer.*`
//! payloads as the accounts crate documents them, decoded with this crate's own
//! structs: unknown fields are ignored and optional ones default, so the producing
//! services can add fields without breaking the emails.

/// Checkout stores only parsed addresses and always sends the whole one, so the kernel's
/// type decodes it; an event without one still decodes (the field is optional).
pub use emporium_kernel::contact::Address;
use std::fmt;

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

/// Payload of the `customer.*` events that send an email. One struct for all of them:
/// each has `customer_id`, and the fields of the others default.
///
/// `token` is the raw secret of a verification or reset link: `Debug` hides it, and the
/// struct is not `Serialize`, so it cannot end up in a log line.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CustomerPayload {
    pub customer_id: String,
    /// The address the email goes to (all but `customer.email_changed`).
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    /// `customer.verification_requested`, `customer.password_reset_requested`: the
    /// link's token.
    #[serde(default)]
    pub token: Option<String>,
    /// When the link stops working, RFC 3339.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// `customer.verification_requested`: `registration`, `requested` or
    /// `email_changed`.
    #[serde(default)]
    pub reason: Option<String>,
    /// `customer.email_changed`: the address the account had (the email goes there).
    #[serde(default)]
    pub old_email: Option<String>,
    /// `customer.email_changed`: the address it has now.
    #[serde(default)]
    pub new_email: Option<String>,
    /// `customer.password_changed`: `change` or `reset`.
    #[serde(default)]
    pub via: Option<String>,
    /// `customer.registration_attempted_existing`.
    #[serde(default)]
    pub attempted_at: Option<String>,
    /// `customer.password_changed`, `customer.email_changed`.
    #[serde(default)]
    pub changed_at: Option<String>,
}

impl fmt::Debug for CustomerPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerPayload")
            .field("customer_id", &self.customer_id)
            .field("email", &self.email)
            .field("first_name", &self.first_name)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("reason", &self.reason)
            .field("old_email", &self.old_email)
            .field("new_email", &self.new_email)
            .field("via", &self.via)
            .field("attempted_at", &self.attempted_at)
            .field("changed_at", &self.changed_at)
            .finish()
    }
}
