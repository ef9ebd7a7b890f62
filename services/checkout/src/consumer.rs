//! `checkout.payments`: moves orders when payments and reservations change. Decodes the
//! payloads of docs/COMMERCE.md with its own structs (unknown fields ignored). Every
//! transition it drives is idempotent by the order's state (and refunds by refund id),
//! so an event delivered twice changes nothing the second time.

use std::sync::Arc;

use async_trait::async_trait;
use emporium_kernel::{
    events::{Consumer, Event, HandleError},
    id::OrderId,
};
use serde::Deserialize;

use crate::{error::CheckoutError, Checkout};

pub const CONSUMER_NAME: &str = "checkout.payments";

const PAYMENT_SUCCEEDED: &str = "payment.succeeded";
const PAYMENT_FAILED: &str = "payment.failed";
const PAYMENT_REFUNDED: &str = "payment.refunded";
const PAYMENT_MISMATCH: &str = "payment.mismatch";
const RESERVATION_EXPIRED: &str = "inventory.reservation_expired";

#[derive(Deserialize)]
struct PaymentEvent {
    payment_id: String,
    order_id: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    refund_id: Option<String>,
    #[serde(default)]
    refund_amount: Option<i64>,
    #[serde(default)]
    amount_refunded: Option<i64>,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    amount_received: Option<i64>,
    #[serde(default)]
    currency_received: Option<String>,
    #[serde(default)]
    provider_ref: Option<String>,
}

#[derive(Deserialize)]
struct ReservationEvent {
    reservation_id: String,
    reference: String,
}

/// The consumer of payment and reservation events.
pub struct PaymentEventsConsumer {
    checkout: Checkout,
}

impl PaymentEventsConsumer {
    #[allow(clippy::new_ret_no_self)] // registered as a trait object with the dispatcher
    pub fn new(checkout: Checkout) -> Arc<dyn Consumer> {
        Arc::new(PaymentEventsConsumer { checkout })
    }

    async fn payment(&self, event: &Event) -> Result<(), HandleError> {
        let p: PaymentEvent = event.decode().map_err(|e| {
            HandleError::new(format!("{} payload does not decode: {e}", event.topic))
        })?;
        // An id of another shape cannot name an order here: like an unknown one, below.
        let Ok(order_id) = OrderId::parse(&p.order_id) else {
            tracing::warn!(event_id = %event.id, order_id = %p.order_id, topic = %event.topic, "payment event for an unknown order ignored");
            return Ok(());
        };
        let outcome = match event.topic.as_str() {
            PAYMENT_SUCCEEDED => self
                .checkout
                .mark_paid(&order_id, &p.payment_id)
                .await
                .map(drop),
            PAYMENT_MISMATCH => {
                let note = format!(
                    "Stripe reported a payment of {} {} for PaymentIntent {}, but the payment is {} {}: \
                     the order was not marked paid. Check the payment in Stripe, then refund it or \
                     settle the difference with the customer.",
                    p.amount_received.map_or("an unknown amount".to_owned(), |a| a.to_string()),
                    p.currency_received.as_deref().unwrap_or("?"),
                    p.provider_ref.as_deref().unwrap_or("?"),
                    p.amount.unwrap_or_default(),
                    p.currency.as_deref().unwrap_or("?"),
                );
                self.checkout
                    .flag_payment(&order_id, &p.payment_id, &note)
                    .await
                    .map(drop)
            }
            PAYMENT_FAILED => self
                .checkout
                .payment_failed(&order_id, p.reason.as_deref().unwrap_or("payment_failed"))
                .await
                .map(drop),
            _ => {
                let (Some(refund_id), Some(amount)) = (p.refund_id.as_deref(), p.refund_amount)
                else {
                    return Err(HandleError::new(
                        "payment.refunded without refund_id and refund_amount",
                    ));
                };
                let total = p.amount_refunded.unwrap_or(amount);
                self.checkout
                    .apply_refund(&order_id, refund_id, amount, total)
                    .await
                    .map(drop)
            }
        };
        match outcome {
            Ok(()) => Ok(()),
            // A payment for an order this store does not know: nothing to move, and
            // retrying will not make it appear.
            Err(CheckoutError::OrderNotFound) => {
                tracing::warn!(event_id = %event.id, order_id = %p.order_id, topic = %event.topic, "payment event for an unknown order ignored");
                Ok(())
            }
            Err(e) => Err(HandleError::new(e)),
        }
    }
}

#[async_trait]
impl Consumer for PaymentEventsConsumer {
    fn name(&self) -> &'static str {
        CONSUMER_NAME
    }

    fn wants(&self, topic: &str) -> bool {
        matches!(
            topic,
            PAYMENT_SUCCEEDED
                | PAYMENT_FAILED
                | PAYMENT_REFUNDED
                | PAYMENT_MISMATCH
                | RESERVATION_EXPIRED
        )
    }

    async fn handle(&self, event: &Event) -> Result<(), HandleError> {
        if event.topic == RESERVATION_EXPIRED {
            let r: ReservationEvent = event.decode().map_err(|e| {
                HandleError::new(format!("{} payload does not decode: {e}", event.topic))
            })?;
            return self
                .checkout
                .reservation_expired(&r.reservation_id, &r.reference)
                .await
                .map_err(HandleError::new);
        }
        self.payment(event).await
    }
}
