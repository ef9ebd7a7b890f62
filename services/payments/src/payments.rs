//! The payments service: the rules around the providers and the tables.

use std::{collections::BTreeMap, sync::Arc};

use emporium_kernel::{
    clock::now_ms,
    db::{Conn, Database},
    events::{self, EventBus},
    id::{OrderId, PaymentId, RefundId},
};
use serde_json::{json, Value};

use crate::{
    error::{PaymentError, Result},
    store,
    webhook::{self, StripeEvent},
    ManualProvider, NewPayment, Payment, PaymentProvider, PaymentStatus, Refund, RefundRequest,
    SessionRequest, WebhookOutcome,
};

/// The payments service. Cheap to clone: a database handle, a bus and shared providers.
#[derive(Clone)]
pub struct Payments {
    db: Database,
    bus: EventBus,
    providers: BTreeMap<&'static str, Arc<dyn PaymentProvider>>,
    stripe_webhook_secret: Option<Arc<str>>,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field(
                "stripe_webhook_secret",
                &self.stripe_webhook_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// Statuses from which a provider's "succeeded" moves a payment forward. A shopper's retry
/// that succeeds after a failed attempt is real money, and so is a success that arrives
/// after the order was cancelled (docs/COMMERCE.md: it must not be lost).
const SUCCEEDS_FROM: [PaymentStatus; 3] = [
    PaymentStatus::Pending,
    PaymentStatus::Failed,
    PaymentStatus::Canceled,
];

impl Payments {
    /// A service with the manual provider registered.
    pub fn new(db: Database, bus: EventBus) -> Self {
        let mut providers: BTreeMap<&'static str, Arc<dyn PaymentProvider>> = BTreeMap::new();
        providers.insert("manual", Arc::new(ManualProvider));
        Payments {
            db,
            bus,
            providers,
            stripe_webhook_secret: None,
        }
    }

    /// Registers (or replaces) a provider under its id.
    pub fn with_provider(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.providers.insert(provider.id(), provider);
        self
    }

    /// The signing secret (`whsec_…`) of the Stripe webhook endpoint.
    pub fn with_stripe_webhook_secret(mut self, secret: String) -> Self {
        self.stripe_webhook_secret = Some(secret.into());
        self
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades the payments tables.
    pub async fn migrate(&self) -> Result<()> {
        store::migrate(&self.db).await
    }

    /// Registered provider ids, sorted.
    pub fn providers(&self) -> Vec<&'static str> {
        self.providers.keys().copied().collect()
    }

    fn provider(&self, id: &str) -> Result<&Arc<dyn PaymentProvider>> {
        self.providers
            .get(id)
            .ok_or_else(|| PaymentError::UnknownProvider(id.to_owned()))
    }

    // ----- reads -----

    /// Errors: `NotFound` (entity `payment`).
    pub async fn payment(&self, id: &PaymentId) -> Result<Payment> {
        self.db.read(async |conn| reload(conn, id).await).await
    }

    pub async fn payment_for_order(&self, order_id: &OrderId) -> Result<Option<Payment>> {
        let stored = self
            .db
            .read(async |conn| store::payment_by_order(conn, order_id).await)
            .await?;
        Ok(stored.map(|p| p.payment))
    }

    /// Refunds of a payment, oldest first.
    pub async fn refunds(&self, payment_id: &PaymentId) -> Result<Vec<Refund>> {
        self.db
            .read(async |conn| store::refunds_for(conn, payment_id).await)
            .await
    }

    // ----- writes -----

    /// Creates the order's payment and opens the provider's session. Idempotent per order:
    /// once a session exists, later calls return the payment without calling the provider.
    /// A payment whose provider call failed stays pending without a session, and the next
    /// call retries the provider with the key stored the first time.
    ///
    /// Errors: `InvalidAmount` (amount not positive), `UnknownProvider`, `Provider`.
    pub async fn create_payment(&self, input: NewPayment) -> Result<Payment> {
        if input.amount <= 0 {
            return Err(PaymentError::InvalidAmount {
                message: format!(
                    "must be a positive number of minor units, got {}",
                    input.amount
                ),
            });
        }
        let provider = Arc::clone(self.provider(&input.provider)?);
        let now = now_ms();
        let fresh = Payment {
            id: PaymentId::new(),
            order_id: input.order_id.clone(),
            order_number: input.order_number,
            provider: input.provider,
            provider_ref: None,
            amount: input.amount,
            currency: input.currency,
            status: PaymentStatus::Pending,
            amount_refunded: 0,
            client_secret: None,
            failure_reason: None,
            email: input.email,
            created_at: now,
            updated_at: now,
        };
        // The insert keeps the first payment of an order: whichever is stored decides.
        let key = input.idempotency_key;
        let stored = self
            .db
            .write(async move |conn| {
                store::insert_payment(conn, &fresh, &key).await?;
                store::payment_by_order(conn, &fresh.order_id).await
            })
            .await?
            .ok_or_else(|| PaymentError::not_found("payment for order", input.order_id.as_str()))?;
        let payment = stored.payment;
        if payment.provider_ref.is_some() || payment.status != PaymentStatus::Pending {
            tracing::debug!(payment_id = %payment.id, order_id = %payment.order_id, "payment exists; returned as is");
            return Ok(payment);
        }
        // The stored row decides provider and amount: a retry with other input must not
        // open a session that differs from the payment.
        let provider = if payment.provider == provider.id() {
            provider
        } else {
            Arc::clone(self.provider(&payment.provider)?)
        };
        let request = SessionRequest {
            payment_id: payment.id.clone(),
            order_id: payment.order_id.clone(),
            order_number: payment.order_number.clone(),
            amount: payment.amount,
            currency: payment.currency,
            email: payment.email.clone(),
            idempotency_key: stored.idempotency_key,
        };
        // Outside any write: an HTTP round trip must not hold the write lock.
        let session = match provider.create_session(&request).await {
            Ok(session) => session,
            Err(err) => {
                tracing::warn!(payment_id = %payment.id, provider = provider.id(), error = %err, "payment session failed");
                let (id, reason) = (payment.id.clone(), err.to_string());
                self.db
                    .write(async move |conn| {
                        store::note_session_failure(conn, &id, &reason, now_ms()).await
                    })
                    .await?;
                return Err(err);
            }
        };
        let (id, provider_ref, secret) = (
            payment.id.clone(),
            session.provider_ref.clone(),
            session.client_secret,
        );
        let stored = self
            .db
            .write(async move |conn| {
                store::set_session(conn, &id, &provider_ref, secret.as_deref(), now_ms()).await?;
                store::payment_by_id(conn, &id).await
            })
            .await?
            .ok_or_else(|| PaymentError::not_found("payment", payment.id.as_str()))?;
        tracing::info!(
            payment_id = %payment.id,
            order_id = %payment.order_id,
            provider = provider.id(),
            provider_ref = %session.provider_ref,
            amount = payment.amount,
            currency = %payment.currency,
            "payment created"
        );
        Ok(stored.payment)
    }

    /// The merchant received the money (bank transfer, cash on delivery). Idempotent: a
    /// paid payment is returned as is, without a second event.
    ///
    /// Errors: `NotFound`, `WrongProvider` (not a manual payment), `InvalidTransition`
    /// (failed or canceled).
    pub async fn mark_paid_manually(&self, order_id: &OrderId, actor: &str) -> Result<Payment> {
        let order = order_id.clone();
        let (payment, applied) = self
            .db
            .write(async move |conn| {
                let payment = store::payment_by_order(conn, &order)
                    .await?
                    .ok_or_else(|| PaymentError::not_found("payment for order", order.as_str()))?
                    .payment;
                if payment.provider != "manual" {
                    return Err(PaymentError::WrongProvider {
                        provider: payment.provider,
                        action: "mark paid manually",
                    });
                }
                match payment.status {
                    s if s.is_paid() => return Ok((payment, None)),
                    PaymentStatus::Pending => {}
                    other => {
                        return Err(PaymentError::InvalidTransition {
                            from: other.to_string(),
                            action: "mark paid",
                        })
                    }
                }
                let applied = succeed_in(conn, &payment, &[PaymentStatus::Pending]).await?;
                Ok((reload(conn, &payment.id).await?, applied))
            })
            .await?;
        if let Some(applied) = applied {
            applied.log();
            self.bus.wake();
            tracing::info!(payment_id = %payment.id, %order_id, actor, "payment marked paid manually");
        }
        Ok(payment)
    }

    /// Cancels a pending payment (the order was cancelled). Idempotent for canceled
    /// payments. Stripe's PaymentIntent is cancelled after the commit, best effort: one that
    /// cannot be cancelled any more reports its outcome by webhook.
    ///
    /// Errors: `NotFound`, `InvalidTransition` (paid or failed).
    pub async fn cancel_payment(&self, order_id: &OrderId) -> Result<Payment> {
        let order = order_id.clone();
        let (payment, moved) = self
            .db
            .write(async move |conn| {
                let payment = store::payment_by_order(conn, &order)
                    .await?
                    .ok_or_else(|| PaymentError::not_found("payment for order", order.as_str()))?
                    .payment;
                match payment.status {
                    PaymentStatus::Canceled => return Ok((payment, false)),
                    PaymentStatus::Pending => {}
                    other => {
                        return Err(PaymentError::InvalidTransition {
                            from: other.to_string(),
                            action: "cancel",
                        })
                    }
                }
                let moved = store::transition(
                    conn,
                    &payment.id,
                    &[PaymentStatus::Pending],
                    PaymentStatus::Canceled,
                    None,
                    now_ms(),
                )
                .await?;
                Ok((reload(conn, &payment.id).await?, moved))
            })
            .await?;
        if !moved {
            return Ok(payment);
        }
        tracing::info!(payment_id = %payment.id, %order_id, "payment canceled");
        if let (Some(provider_ref), Ok(provider)) =
            (&payment.provider_ref, self.provider(&payment.provider))
        {
            if let Err(err) = provider.cancel(provider_ref).await {
                tracing::warn!(payment_id = %payment.id, provider_ref = %provider_ref, error = %err, "provider cancel failed; left to the provider's webhook");
            }
        }
        Ok(payment)
    }

    /// Refunds `amount` of a paid payment. Idempotent per `idempotency_key`: a repeat
    /// returns the first refund without a second provider call.
    ///
    /// Errors: `NotFound`, `InvalidTransition` (not paid, or fully refunded),
    /// `InvalidAmount` (not positive, or the key was used for another amount),
    /// `RefundExceedsBalance { available }`, `Provider`.
    pub async fn refund(
        &self,
        order_id: &OrderId,
        amount: i64,
        reason: Option<String>,
        idempotency_key: &str,
    ) -> Result<Refund> {
        let (payment, existing) = self
            .db
            .read(async |conn| {
                let payment = store::payment_by_order(conn, order_id)
                    .await?
                    .ok_or_else(|| PaymentError::not_found("payment for order", order_id.as_str()))?
                    .payment;
                let existing = store::refund_by_key(conn, &payment.id, idempotency_key).await?;
                Ok::<_, PaymentError>((payment, existing))
            })
            .await?;
        if let Some(existing) = existing {
            return same_refund(existing, amount);
        }
        if !matches!(
            payment.status,
            PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded
        ) {
            return Err(PaymentError::InvalidTransition {
                from: payment.status.to_string(),
                action: "refund",
            });
        }
        if amount <= 0 {
            return Err(PaymentError::InvalidAmount {
                message: format!("a refund must be a positive number of minor units, got {amount}"),
            });
        }
        let available = payment.amount - payment.amount_refunded;
        if amount > available {
            return Err(PaymentError::RefundExceedsBalance { available });
        }
        let provider = Arc::clone(self.provider(&payment.provider)?);
        let provider_ref = payment
            .provider_ref
            .clone()
            .unwrap_or_else(|| payment.id.to_string());
        // Stripe's keys are account-wide: scope the caller's key to this payment.
        let request = RefundRequest {
            provider_ref,
            amount,
            currency: payment.currency,
            idempotency_key: format!("{}:refund:{idempotency_key}", payment.id),
            reason: reason.clone(),
        };
        // Outside any write: an HTTP round trip must not hold the write lock.
        let answer = provider.refund(&request).await?;

        let refund = Refund {
            id: RefundId::new(),
            payment_id: payment.id.clone(),
            provider_ref: Some(answer.refund_ref.clone()),
            amount,
            reason,
            status: answer.status,
            idempotency_key: Some(idempotency_key.to_owned()),
            created_at: now_ms(),
        };
        let (key, refund_ref) = (idempotency_key.to_owned(), answer.refund_ref);
        let recorded = self
            .db
            .write(async move |conn| record_refund(conn, refund, key, &refund_ref).await)
            .await;
        match recorded {
            Ok(RecordedRefund::Known(existing)) => Ok(existing),
            Ok(RecordedRefund::New {
                refund,
                amount_refunded,
            }) => {
                self.bus.wake();
                tracing::info!(payment_id = %payment.id, refund_id = %refund.id, amount, amount_refunded, "payment refunded");
                Ok(refund)
            }
            Err(err @ PaymentError::RefundExceedsBalance { .. }) => {
                // The balance changed since the check (a concurrent refund). The provider
                // refunded anyway, so its refusal would have shown; nothing is recorded twice.
                tracing::error!(payment_id = %payment.id, amount, error = %err, "refund exceeds the stored balance after the provider accepted it");
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    /// Forgets webhook event ids received before `before_ms` (Stripe stops retrying a
    /// delivery after three days, so an id that old will not come again). Returns how
    /// many went.
    pub async fn purge_webhook_events(&self, before_ms: i64) -> Result<u64> {
        self.db
            .write(async move |conn| store::purge_webhook_events(conn, before_ms).await)
            .await
    }

    /// Applies a Stripe webhook delivery exactly once per event id: the event id is
    /// recorded in the same write as the changes it makes.
    ///
    /// Errors: `SignatureInvalid` (nothing is recorded), `MalformedEvent`.
    pub async fn handle_stripe_webhook(
        &self,
        payload: &[u8],
        signature_header: Option<&str>,
        now_unix_secs: i64,
    ) -> Result<WebhookOutcome> {
        let secret = self.stripe_webhook_secret.as_deref().ok_or_else(|| {
            PaymentError::SignatureInvalid("no Stripe webhook secret is configured".to_owned())
        })?;
        webhook::verify_stripe_signature(payload, signature_header, secret, now_unix_secs)?;
        let event = webhook::parse_event(payload)?;
        let (event_id, event_type) = (event.id.clone(), event.event_type.clone());
        let (outcome, applied) = self
            .db
            .write(async move |conn| apply_stripe_event(conn, &event).await)
            .await?;
        if outcome == WebhookOutcome::Duplicate {
            tracing::debug!(event_id = %event_id, event_type = %event_type, "stripe event already processed");
            return Ok(outcome);
        }
        for change in &applied {
            change.log();
        }
        if !applied.is_empty() {
            self.bus.wake();
        }
        tracing::info!(event_id = %event_id, event_type = %event_type, outcome = ?outcome, "stripe event handled");
        Ok(outcome)
    }
}

// ----- steps of a write (database statements only) -----

/// A state change a write made (each with its outbox event), logged once it committed.
#[derive(Debug)]
enum Applied {
    Succeeded {
        payment_id: PaymentId,
        order_id: OrderId,
    },
    Failed {
        payment_id: PaymentId,
        reason: String,
    },
    /// Stripe reported a success for another amount or currency than the payment's.
    Mismatch {
        payment_id: PaymentId,
        received: Option<i64>,
        currency: Option<String>,
    },
    /// A refund made at Stripe (the dashboard), learnt from a webhook.
    RefundedAtStripe {
        payment_id: PaymentId,
        refund_id: RefundId,
        amount: i64,
        amount_refunded: i64,
    },
}

impl Applied {
    fn log(&self) {
        match self {
            Applied::Succeeded {
                payment_id,
                order_id,
            } => {
                tracing::info!(payment_id = %payment_id, order_id = %order_id, "payment succeeded")
            }
            Applied::Failed { payment_id, reason } => {
                tracing::info!(payment_id = %payment_id, reason = %reason, "payment failed")
            }
            Applied::Mismatch {
                payment_id,
                received,
                currency,
            } => tracing::warn!(
                payment_id = %payment_id,
                ?received,
                ?currency,
                "payment succeeded at Stripe for another amount or currency; not applied"
            ),
            Applied::RefundedAtStripe {
                payment_id,
                refund_id,
                amount,
                amount_refunded,
            } => tracing::info!(
                payment_id = %payment_id,
                refund_id = %refund_id,
                amount,
                amount_refunded,
                "refund made at Stripe recorded"
            ),
        }
    }
}

/// What recording a refund the provider accepted came to.
enum RecordedRefund {
    /// This refund was recorded before (a concurrent call with the same key, or Stripe's
    /// webhook): that row, counted once.
    Known(Refund),
    /// Recorded and counted now.
    New {
        refund: Refund,
        amount_refunded: i64,
    },
}

/// Records `refund` (accepted by the provider as `refund_ref`) and counts it against the
/// payment's balance, with its `payment.refunded` event. An `Err` rolls the write back.
async fn record_refund(
    conn: &mut Conn<'_>,
    refund: Refund,
    key: String,
    refund_ref: &str,
) -> Result<RecordedRefund> {
    if !store::insert_refund(conn, &refund).await? {
        // Either a concurrent call with the same key won, or Stripe's webhook recorded
        // this very refund first (and counted it): return that row, count nothing.
        if let Some(existing) = store::refund_by_key(conn, &refund.payment_id, &key).await? {
            return same_refund(existing, refund.amount).map(RecordedRefund::Known);
        }
        let existing = store::refund_by_provider_ref(conn, refund_ref)
            .await?
            .ok_or_else(|| PaymentError::not_found("refund", refund_ref))?;
        store::attach_refund_key(conn, &existing.id, &key).await?;
        return Ok(RecordedRefund::Known(Refund {
            idempotency_key: Some(key),
            ..existing
        }));
    }
    if !store::add_refunded(conn, &refund.payment_id, refund.amount, now_ms()).await? {
        let current = reload(conn, &refund.payment_id).await?;
        return Err(PaymentError::RefundExceedsBalance {
            available: current.amount - current.amount_refunded,
        });
    }
    let updated = reload(conn, &refund.payment_id).await?;
    append_refunded(conn, &updated, &refund.id, refund.amount).await?;
    Ok(RecordedRefund::New {
        refund,
        amount_refunded: updated.amount_refunded,
    })
}

/// Records a Stripe event as seen and applies it, unless it was seen before
/// ([`WebhookOutcome::Duplicate`]).
async fn apply_stripe_event(
    conn: &mut Conn<'_>,
    event: &StripeEvent,
) -> Result<(WebhookOutcome, Vec<Applied>)> {
    if !store::record_webhook_event(conn, "stripe", &event.id, &event.event_type, now_ms()).await? {
        return Ok((WebhookOutcome::Duplicate, Vec::new()));
    }
    let mut applied = Vec::new();
    let outcome = match event.event_type.as_str() {
        "payment_intent.succeeded" => intent_succeeded(conn, event, &mut applied).await?,
        "payment_intent.payment_failed" => intent_failed(conn, event, &mut applied).await?,
        "charge.refunded" => charge_refunded(conn, event, &mut applied).await?,
        _ => ignored(event),
    };
    Ok((outcome, applied))
}

/// The payment a PaymentIntent belongs to: the one that recorded its id. Our metadata
/// (`payment_id`) is trusted only for a Stripe payment that has recorded no intent yet
/// (the process stopped between Stripe creating the intent and our write), and that
/// payment then adopts this intent; an intent that names a payment holding another
/// intent belongs to something else and is ignored.
async fn payment_for_intent(conn: &mut Conn<'_>, intent: &Value) -> Result<Option<Payment>> {
    let Some(intent_id) = intent.get("id").and_then(Value::as_str) else {
        return Ok(None);
    };
    if let Some(p) = store::payment_by_provider_ref(conn, "stripe", intent_id).await? {
        return Ok(Some(p.payment));
    }
    // Metadata comes from outside: an id that does not parse names no payment of ours.
    let Some(id) = intent
        .pointer("/metadata/payment_id")
        .and_then(Value::as_str)
        .and_then(|id| PaymentId::parse(id).ok())
    else {
        return Ok(None);
    };
    let Some(found) = store::payment_by_id(conn, &id).await? else {
        return Ok(None);
    };
    let mut payment = found.payment;
    if payment.provider != "stripe" || payment.provider_ref.is_some() {
        tracing::warn!(payment_id = %payment.id, intent_id, "a PaymentIntent names a payment that is not waiting for one; ignored");
        return Ok(None);
    }
    store::set_session(conn, &payment.id, intent_id, None, now_ms()).await?;
    payment.provider_ref = Some(intent_id.to_owned());
    Ok(Some(payment))
}

/// A success is applied only for exactly the amount and currency of the payment: a
/// PaymentIntent whose amount was changed elsewhere (the dashboard, another integration)
/// must not pay the order. A mismatch appends `payment.mismatch` for the merchant to
/// look at and leaves the payment as it was.
async fn intent_succeeded(
    conn: &mut Conn<'_>,
    event: &StripeEvent,
    applied: &mut Vec<Applied>,
) -> Result<WebhookOutcome> {
    let intent = &event.data.object;
    let Some(payment) = payment_for_intent(conn, intent).await? else {
        return Ok(ignored(event));
    };
    let received = intent.get("amount_received").and_then(Value::as_i64);
    let currency = intent
        .get("currency")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    if received != Some(payment.amount) || currency.as_deref() != Some(payment.currency.as_str()) {
        let mut payload = payment_payload(&payment);
        payload["amount_received"] = json!(received);
        payload["currency_received"] = json!(currency);
        events::append(
            conn,
            "payment.mismatch",
            payment.id.as_str(),
            &payload,
            None,
        )
        .await?;
        applied.push(Applied::Mismatch {
            payment_id: payment.id,
            received,
            currency,
        });
        return Ok(processed(event));
    }
    applied.extend(succeed_in(conn, &payment, &SUCCEEDS_FROM).await?);
    Ok(processed(event))
}

async fn intent_failed(
    conn: &mut Conn<'_>,
    event: &StripeEvent,
    applied: &mut Vec<Applied>,
) -> Result<WebhookOutcome> {
    let intent = &event.data.object;
    let Some(payment) = payment_for_intent(conn, intent).await? else {
        return Ok(ignored(event));
    };
    let reason = intent
        .pointer("/last_payment_error/code")
        .and_then(Value::as_str)
        .or_else(|| {
            intent
                .pointer("/last_payment_error/message")
                .and_then(Value::as_str)
        })
        .unwrap_or("payment_failed")
        .to_owned();
    // Only a pending payment fails: a failure delivered after the success (or after a
    // cancel) is an older attempt and changes nothing.
    let moved = store::transition(
        conn,
        &payment.id,
        &[PaymentStatus::Pending],
        PaymentStatus::Failed,
        Some(&reason),
        now_ms(),
    )
    .await?;
    if moved {
        let mut payload = payment_payload(&payment);
        payload["reason"] = json!(reason);
        events::append(conn, "payment.failed", payment.id.as_str(), &payload, None).await?;
        applied.push(Applied::Failed {
            payment_id: payment.id,
            reason,
        });
    }
    Ok(processed(event))
}

/// Refunds made in the Stripe dashboard (and echoes of our own): raises the refunded
/// amount to the charge's total.
async fn charge_refunded(
    conn: &mut Conn<'_>,
    event: &StripeEvent,
    applied: &mut Vec<Applied>,
) -> Result<WebhookOutcome> {
    let charge = &event.data.object;
    let intent_id = charge.get("payment_intent").and_then(|v| match v {
        Value::String(s) => Some(s.as_str()),
        other => other.get("id").and_then(Value::as_str),
    });
    // Only a charge of an intent we recorded: refunds are matched by the intent id.
    let mut payment = None;
    if let Some(id) = intent_id {
        payment = store::payment_by_provider_ref(conn, "stripe", id)
            .await?
            .map(|p| p.payment);
    }
    let Some(mut payment) = payment else {
        return Ok(ignored(event));
    };
    let total = charge
        .get("amount_refunded")
        .and_then(Value::as_i64)
        .ok_or_else(|| {
            PaymentError::MalformedEvent("charge.refunded without amount_refunded".to_owned())
        })?;
    if total > payment.amount || total < 0 {
        return Err(PaymentError::MalformedEvent(format!(
            "amount_refunded {total} is outside 0..={}",
            payment.amount
        )));
    }
    if total <= payment.amount_refunded {
        return Ok(processed(event));
    }
    // A refund proves the charge succeeded, even if that webhook has not arrived yet.
    if !payment.status.is_paid() {
        applied.extend(succeed_in(conn, &payment, &SUCCEEDS_FROM).await?);
        payment = reload(conn, &payment.id).await?;
    }
    let delta = total - payment.amount_refunded;
    if !store::raise_refunded_total(conn, &payment.id, total, now_ms()).await? {
        return Ok(processed(event));
    }
    let latest_ref = charge
        .pointer("/refunds/data/0/id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let known = match &latest_ref {
        Some(r) => store::refund_by_provider_ref(conn, r).await?.is_some(),
        None => false,
    };
    let refund = Refund {
        id: RefundId::new(),
        payment_id: payment.id.clone(),
        provider_ref: if known { None } else { latest_ref },
        amount: delta,
        reason: charge
            .pointer("/refunds/data/0/reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        status: "succeeded".to_owned(),
        idempotency_key: None,
        created_at: now_ms(),
    };
    store::insert_refund(conn, &refund).await?;
    let updated = reload(conn, &payment.id).await?;
    append_refunded(conn, &updated, &refund.id, delta).await?;
    applied.push(Applied::RefundedAtStripe {
        payment_id: payment.id,
        refund_id: refund.id,
        amount: delta,
        amount_refunded: total,
    });
    Ok(processed(event))
}

/// Moves a payment to succeeded from one of `from`, with its event. `None` when it did
/// not move (already further along, or raced).
async fn succeed_in(
    conn: &mut Conn<'_>,
    payment: &Payment,
    from: &[PaymentStatus],
) -> Result<Option<Applied>> {
    let moved = store::transition(
        conn,
        &payment.id,
        from,
        PaymentStatus::Succeeded,
        None,
        now_ms(),
    )
    .await?;
    if !moved {
        return Ok(None);
    }
    events::append(
        conn,
        "payment.succeeded",
        payment.id.as_str(),
        &payment_payload(payment),
        None,
    )
    .await?;
    Ok(Some(Applied::Succeeded {
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
    }))
}

/// Errors: `NotFound` (entity `payment`).
async fn reload(conn: &mut Conn<'_>, id: &PaymentId) -> Result<Payment> {
    store::payment_by_id(conn, id)
        .await?
        .map(|p| p.payment)
        .ok_or_else(|| PaymentError::not_found("payment", id.as_str()))
}

fn processed(event: &StripeEvent) -> WebhookOutcome {
    WebhookOutcome::Processed {
        event_type: event.event_type.clone(),
    }
}

fn ignored(event: &StripeEvent) -> WebhookOutcome {
    WebhookOutcome::Ignored {
        event_type: event.event_type.clone(),
    }
}

/// A repeated refund request: the same key must mean the same amount.
fn same_refund(existing: Refund, amount: i64) -> Result<Refund> {
    if existing.amount == amount {
        Ok(existing)
    } else {
        Err(PaymentError::InvalidAmount {
            message: format!(
                "this idempotency key was used for a refund of {}, not {amount}: use a new key",
                existing.amount
            ),
        })
    }
}

/// The `payment.*` payload of docs/COMMERCE.md.
fn payment_payload(payment: &Payment) -> Value {
    json!({
        "payment_id": payment.id,
        "order_id": payment.order_id,
        "provider": payment.provider,
        "amount": payment.amount,
        "currency": payment.currency.as_str(),
        "provider_ref": payment.provider_ref,
    })
}

async fn append_refunded(
    conn: &mut Conn<'_>,
    payment: &Payment,
    refund_id: &RefundId,
    refund_amount: i64,
) -> Result<()> {
    let mut payload = payment_payload(payment);
    payload["refund_id"] = json!(refund_id);
    payload["refund_amount"] = json!(refund_amount);
    payload["amount_refunded"] = json!(payment.amount_refunded);
    events::append(
        conn,
        "payment.refunded",
        payment.id.as_str(),
        &payload,
        None,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>(_: T) {}

    /// The API server awaits these in its request handlers, which must be `Send`: a
    /// write closure holding something that is not would only fail to build there.
    #[allow(dead_code)]
    fn service_futures_are_send(p: &Payments, input: NewPayment) {
        let (pay, ord) = (PaymentId::new(), OrderId::new());
        send(p.payment(&pay));
        send(p.payment_for_order(&ord));
        send(p.refunds(&pay));
        send(p.create_payment(input));
        send(p.mark_paid_manually(&ord, "admin"));
        send(p.cancel_payment(&ord));
        send(p.refund(&ord, 1, None, "key"));
        send(p.handle_stripe_webhook(b"{}", None, 0));
    }
}
