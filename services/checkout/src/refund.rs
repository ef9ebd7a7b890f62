//! Refunds: the merchant's refunds through the payment service, and refunds the payment
//! service reports (`payment.refunded`, also for refunds made in the provider's
//! dashboard). Both end in [`apply_refund`], idempotent by the refund id, so an admin
//! refund is applied once even though its event arrives too.

use emporium_kernel::clock::now_ms;

use crate::{
    error::{CheckoutError, Result},
    events::{self, Extra, RefundDoc, ORDER_REFUNDED},
    model::Order,
    placement::validate_idempotency_key,
    store, Checkout,
};

pub(crate) async fn refund_order(
    co: &Checkout,
    order_id: &str,
    amount: Option<i64>,
    reason: Option<&str>,
    idempotency_key: &str,
) -> Result<Order> {
    validate_idempotency_key(idempotency_key)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(CheckoutError::invalid(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let order = co.load(order_id).await?;
    if !order.status.is_refundable() {
        return Err(CheckoutError::InvalidTransition {
            from: order.status,
            action: "refund",
        });
    }
    let available = order.refundable();
    let amount = amount.unwrap_or(available);
    if amount <= 0 {
        if available == 0 {
            return Err(CheckoutError::RefundExceedsBalance { available });
        }
        return Err(CheckoutError::invalid(
            "amount",
            "must be more than 0 (minor units)",
        ));
    }
    if amount > available {
        return Err(CheckoutError::RefundExceedsBalance { available });
    }
    let refund = co
        .payments
        .refund(&order.id, amount, reason, idempotency_key)
        .await
        .map_err(CheckoutError::Payment)?;
    tracing::info!(order_id, refund_id = %refund.refund_id, amount = refund.amount, "refund made");
    apply_refund(
        co,
        order_id,
        &refund.refund_id,
        refund.amount,
        refund.amount_refunded_total,
        reason,
    )
    .await
}

pub(crate) async fn apply_refund(
    co: &Checkout,
    order_id: &str,
    refund_id: &str,
    amount: i64,
    amount_refunded_total: i64,
    reason: Option<&str>,
) -> Result<Order> {
    if amount <= 0 {
        return Err(CheckoutError::invalid(
            "amount",
            "must be more than 0 (minor units)",
        ));
    }
    let now = now_ms();
    // The cumulative amount includes this refund at least.
    let refunded_total = amount_refunded_total.max(amount);
    let (id, refund, reason) = (
        order_id.to_owned(),
        refund_id.to_owned(),
        reason.map(str::to_owned),
    );
    let (new, current) = co
        .db
        .write(async move |conn| {
            if store::order(conn, &id).await?.is_none() {
                return Err(CheckoutError::OrderNotFound);
            }
            let new = store::insert_refund(
                conn,
                &refund,
                &id,
                amount,
                refunded_total,
                reason.as_deref(),
                now,
            )
            .await?;
            if new {
                store::apply_refunded_total(conn, &id, refunded_total, now).await?;
            }
            let current = store::order(conn, &id)
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            if new {
                let extra = Extra {
                    refund: Some(RefundDoc {
                        amount,
                        total_refunded: current.refunded_total,
                    }),
                    ..Extra::default()
                };
                events::emit(conn, ORDER_REFUNDED, &current, extra, None).await?;
            }
            Ok((new, current))
        })
        .await?;
    if new {
        co.bus.wake();
        tracing::info!(order_id, refund_id, amount, refunded_total = current.refunded_total, status = %current.status, "refund applied");
    }
    Ok(current)
}
