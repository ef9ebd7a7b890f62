//! The `order.*` events and their payload, exactly as docs/COMMERCE.md documents it (the
//! notifications service decodes it with its own structs).

use emporium_kernel::{clock::rfc3339, db::Conn, events::append};
use serde::Serialize;

use crate::{
    error::{CheckoutError, Result},
    model::{Fulfillment, Order},
    partners::Address,
    store,
};

pub(crate) const ORDER_PLACED: &str = "order.placed";
pub(crate) const ORDER_CONFIRMED: &str = "order.confirmed";
pub(crate) const ORDER_PAID: &str = "order.paid";
pub(crate) const ORDER_CANCELLED: &str = "order.cancelled";
pub(crate) const ORDER_FULFILLED: &str = "order.fulfilled";
pub(crate) const ORDER_DELIVERED: &str = "order.delivered";
pub(crate) const ORDER_REFUNDED: &str = "order.refunded";

/// Orders carry no locale yet; emails are written in English.
const LOCALE: &str = "en";

/// What an event adds to the order document: one of these at most, by topic.
#[derive(Debug, Default)]
pub(crate) struct Extra<'a> {
    pub fulfillment: Option<&'a Fulfillment>,
    pub refund: Option<RefundDoc>,
    pub reason: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RefundDoc {
    pub amount: i64,
    pub total_refunded: i64,
}

#[derive(Serialize)]
struct Payload<'a> {
    order: OrderDoc<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fulfillment: Option<FulfillmentDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund: Option<RefundDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct OrderDoc<'a> {
    id: &'a str,
    number: &'a str,
    email: &'a str,
    status: &'static str,
    currency: &'a str,
    locale: &'static str,
    lines: Vec<LineDoc<'a>>,
    subtotal: i64,
    discount_total: i64,
    shipping_total: i64,
    tax_total: i64,
    total: i64,
    tax_inclusive: bool,
    shipping_address: &'a Address,
    shipping_method: &'a str,
    payment_provider: &'a str,
    /// Lets the email link to the guest order page.
    access_token: &'a str,
    created_at: String,
    /// Set once the order was confirmed to the shopper (see `Order::confirmed_at`).
    confirmed_at: Option<String>,
}

#[derive(Serialize)]
struct LineDoc<'a> {
    title: &'a str,
    variant_title: &'a str,
    sku: &'a str,
    quantity: i64,
    unit_price: i64,
    line_total: i64,
}

#[derive(Serialize)]
struct FulfillmentDoc<'a> {
    carrier: &'a str,
    tracking_number: &'a str,
    tracking_url: Option<&'a str>,
}

/// Confirms `order_id` to the shopper if it is not yet, appending `order.confirmed` in
/// the same write; returns the order as it now is.
pub(crate) async fn confirm(
    conn: &mut Conn<'_>,
    order_id: &str,
    now: i64,
    request_id: Option<&str>,
) -> Result<Order> {
    let confirmed = store::confirm(conn, order_id, now).await?;
    let order = store::order(conn, order_id)
        .await?
        .ok_or(CheckoutError::OrderNotFound)?;
    if confirmed {
        emit(conn, ORDER_CONFIRMED, &order, Extra::default(), request_id).await?;
    }
    Ok(order)
}

/// Appends `topic` about `order` (in its current state) to the outbox on `conn`, the
/// write that made the change.
pub(crate) async fn emit(
    conn: &mut Conn<'_>,
    topic: &str,
    order: &Order,
    extra: Extra<'_>,
    request_id: Option<&str>,
) -> Result<String> {
    let payload = Payload {
        order: OrderDoc {
            id: order.id.as_str(),
            number: &order.number,
            email: order.email.as_str(),
            status: order.status.as_str(),
            currency: order.currency.as_str(),
            locale: LOCALE,
            lines: order
                .lines
                .iter()
                .map(|l| LineDoc {
                    title: &l.title,
                    variant_title: &l.variant_title,
                    sku: &l.sku,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                })
                .collect(),
            subtotal: order.subtotal,
            discount_total: order.discount_total,
            shipping_total: order.shipping_total,
            tax_total: order.tax_total,
            total: order.total,
            tax_inclusive: order.tax_inclusive,
            shipping_address: &order.shipping_address,
            shipping_method: &order.shipping_method,
            payment_provider: &order.payment_provider,
            access_token: &order.access_token,
            created_at: rfc3339(order.created_at),
            confirmed_at: order.confirmed_at.map(rfc3339),
        },
        fulfillment: extra.fulfillment.map(|f| FulfillmentDoc {
            carrier: &f.carrier,
            tracking_number: &f.tracking_number,
            tracking_url: f.tracking_url.as_deref(),
        }),
        refund: extra.refund,
        reason: extra.reason,
    };
    let id = append(conn, topic, order.id.as_str(), &payload, request_id).await?;
    tracing::debug!(order_id = %order.id, event_id = %id, topic, "order event appended");
    Ok(id)
}
