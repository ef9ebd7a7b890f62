//! Domain types of the payments service.

use emporium_kernel::{
    id::{OrderId, PaymentId, RefundId},
    money::Currency,
};
use serde::Serialize;

/// Where a payment stands. States only move forward (see `Payments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Canceled,
    Refunded,
    PartiallyRefunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Canceled => "canceled",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "pending" => PaymentStatus::Pending,
            "succeeded" => PaymentStatus::Succeeded,
            "failed" => PaymentStatus::Failed,
            "canceled" => PaymentStatus::Canceled,
            "refunded" => PaymentStatus::Refunded,
            "partially_refunded" => PaymentStatus::PartiallyRefunded,
            _ => return None,
        })
    }

    /// Whether money was captured (refunded payments were paid first).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::Refunded | PaymentStatus::PartiallyRefunded
        )
    }
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One payment for one order.
#[derive(Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub order_number: String,
    /// `manual` or `stripe`.
    pub provider: String,
    /// The provider's id (`pi_…`; the payment id for manual); None until it answered.
    pub provider_ref: Option<String>,
    pub amount: i64,
    pub currency: Currency,
    pub status: PaymentStatus,
    pub amount_refunded: i64,
    /// Stripe's PaymentIntent client secret, for the shopper's browser only.
    pub client_secret: Option<String>,
    pub failure_reason: Option<String>,
    pub email: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

// By hand so that the client secret never reaches a log line through `{:?}`.
impl std::fmt::Debug for Payment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payment")
            .field("id", &self.id)
            .field("order_id", &self.order_id)
            .field("order_number", &self.order_number)
            .field("provider", &self.provider)
            .field("provider_ref", &self.provider_ref)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("status", &self.status)
            .field("amount_refunded", &self.amount_refunded)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("failure_reason", &self.failure_reason)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// Input of `Payments::create_payment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub order_id: OrderId,
    pub order_number: String,
    pub provider: String,
    pub amount: i64,
    pub currency: Currency,
    pub email: Option<String>,
    /// Sent to the provider so that a retried creation returns the same session.
    pub idempotency_key: String,
}

/// A refund of (part of) a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Emporium's id; the provider's is `provider_ref`.
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub provider_ref: Option<String>,
    pub amount: i64,
    pub reason: Option<String>,
    pub status: String,
    /// None for refunds made outside Emporium (the Stripe dashboard).
    pub idempotency_key: Option<String>,
    pub created_at: i64,
}

/// What a webhook delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event was applied (a state change, or none when the payment was already
    /// further along: states only move forward).
    Processed { event_type: String },
    /// This event id was processed before; nothing changed.
    Duplicate,
    /// Recorded as seen but not relevant (another event type or an unknown payment).
    Ignored { event_type: String },
}

/// What a provider needs to open a payment session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub order_number: String,
    pub amount: i64,
    pub currency: Currency,
    pub email: Option<String>,
    pub idempotency_key: String,
}

/// What the provider opened.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSession {
    /// `pi_…` for Stripe; the payment id for manual.
    pub provider_ref: String,
    pub client_secret: Option<String>,
    pub status: PaymentStatus,
}

impl std::fmt::Debug for ProviderSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSession")
            .field("provider_ref", &self.provider_ref)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("status", &self.status)
            .finish()
    }
}

/// A refund to ask the provider for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub provider_ref: String,
    pub amount: i64,
    pub currency: Currency,
    pub idempotency_key: String,
    pub reason: Option<String>,
}

/// The provider's answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    /// `re_…` at Stripe.
    pub refund_ref: String,
    pub status: String,
}
