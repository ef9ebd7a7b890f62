//! Orders and the inputs of checkout's operations. Times are Unix milliseconds in the
//! structs and RFC 3339 when serialised; money is integer minor units of `currency`.

use std::fmt;

use emporium_kernel::{
    id::{CartId, CustomerId, OrderId, ProductId, VariantId},
    money::Currency,
    wire,
};
use serde::Serialize;

use crate::partners::{Address, Email, PaymentInfo};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Fulfilled,
    Delivered,
    Cancelled,
    Refunded,
    PartiallyRefunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Fulfilled,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Statuses in which money was taken and can still be refunded.
    pub fn is_refundable(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid
                | OrderStatus::Fulfilled
                | OrderStatus::Delivered
                | OrderStatus::PartiallyRefunded
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order with its lines and fulfillments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// `ord_…`
    pub id: OrderId,
    /// Human-friendly: `1001`, `1002`, …
    pub number: String,
    pub cart_id: CartId,
    /// Whose order it is; `None` for a guest's.
    pub customer_id: Option<CustomerId>,
    pub status: OrderStatus,
    pub email: Email,
    #[serde(serialize_with = "wire::currency")]
    pub currency: Currency,
    pub region_id: String,
    pub lines: Vec<OrderLine>,
    pub subtotal: i64,
    pub discount_total: i64,
    pub shipping_total: i64,
    pub tax_total: i64,
    pub total: i64,
    pub tax_inclusive: bool,
    pub refunded_total: i64,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub shipping_option_id: String,
    /// The shipping method's display name.
    pub shipping_method: String,
    pub payment_provider: String,
    pub payment_id: Option<String>,
    pub reservation_id: Option<String>,
    pub discount_code: Option<String>,
    pub fulfillments: Vec<Fulfillment>,
    /// `out_of_stock`, `payment_unavailable`, `payment_failed`, `reservation_expired`, or
    /// the merchant's reason.
    pub cancel_reason: Option<String>,
    /// Who cancelled (a staff id) when a merchant did.
    pub cancelled_by: Option<String>,
    /// The merchant must look at this order (a payment arrived for stock that is gone).
    pub needs_attention: bool,
    /// What to do about it.
    pub attention_note: Option<String>,
    /// Lets a guest read the order; returned once by the HTTP layer on placement.
    #[serde(skip_serializing)]
    pub access_token: String,
    #[serde(serialize_with = "wire::time")]
    pub created_at: i64,
    #[serde(serialize_with = "wire::time")]
    pub updated_at: i64,
    #[serde(serialize_with = "wire::opt_time")]
    pub paid_at: Option<i64>,
    #[serde(serialize_with = "wire::opt_time")]
    pub cancelled_at: Option<i64>,
    /// When the shopper was told the order is theirs: stock secured and paid, or awaiting
    /// an offline (manual) payment. A placement that failed is never confirmed.
    #[serde(serialize_with = "wire::opt_time")]
    pub confirmed_at: Option<i64>,
    /// Why the last payment attempt failed (`card_declined`, …) while the order still
    /// waits for payment: the shopper may try another card.
    pub payment_error: Option<String>,
}

impl Order {
    /// What can still be refunded.
    pub fn refundable(&self) -> i64 {
        self.total - self.refunded_total
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
}

/// A shipment of the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fulfillment {
    /// `ful_…`
    pub id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    #[serde(serialize_with = "wire::time")]
    pub created_at: i64,
}

/// Input of [`crate::Checkout::fulfil_order`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfilment {
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
}

/// Input of [`crate::Checkout::place_order`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    pub cart_id: CartId,
    /// The signed-in customer placing it (`None`: a guest). A customer's cart is placed
    /// only by that customer; the order belongs to the cart's owner.
    pub customer_id: Option<CustomerId>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: String,
    /// A hash of the request body, made by the HTTP layer: the same key with another
    /// body is refused.
    pub request_hash: String,
    /// `x-request-id`, carried into the events.
    pub request_id: Option<String>,
}

/// The result of a placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub order: Order,
    /// The payment session to continue with; `None` only when a replay finds the first
    /// request's saga unfinished.
    pub payment: Option<PaymentInfo>,
    /// Whether this answers an earlier request with the same idempotency key.
    pub replayed: bool,
}

/// Filters and page of [`crate::Checkout::list_orders`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only this customer's orders.
    pub customer_id: Option<CustomerId>,
    pub status: Option<OrderStatus>,
    /// An order number (exactly, `#` optional) or part of an email (any case).
    pub q: Option<String>,
    /// 1..=100.
    pub limit: i64,
    pub cursor: Option<String>,
}

impl Default for OrderQuery {
    fn default() -> Self {
        OrderQuery {
            customer_id: None,
            status: None,
            q: None,
            limit: 20,
            cursor: None,
        }
    }
}

/// Newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderPage {
    pub items: Vec<Order>,
    pub next_cursor: Option<String>,
}
