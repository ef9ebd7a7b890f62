//! The order's life after placement: payment outcomes, reservation expiry, cancellation,
//! fulfilment and delivery.
//!
//! Each operation reads the order, makes the calls to the other services (outside any
//! write), then moves the order with one conditional UPDATE on the status it leaves and
//! appends its event in the same write. The calls are idempotent on the other side, so
//! an operation that crashed half-way is safe to run again.

use std::sync::Arc;

use emporium_kernel::{clock::now_ms, id::VariantId};

use crate::{
    error::{CheckoutError, Result},
    events::{
        self, Extra, RefundDoc, ORDER_CANCELLED, ORDER_DELIVERED, ORDER_FULFILLED, ORDER_PAID,
        ORDER_REFUNDED,
    },
    model::{Fulfilment, Order, OrderStatus},
    partners::ReserveError,
    placement::release_cart,
    store::{self, Cancellation},
    Checkout,
};

/// Cancellations the system made on its own while a payment was still possible: a
/// payment that succeeds afterwards re-commits the stock instead of being refused.
const AUTOMATIC_CANCELLATIONS: [&str; 2] = ["reservation_expired", "payment_failed"];

pub(crate) async fn mark_paid(co: &Checkout, order_id: &str, payment_id: &str) -> Result<Order> {
    let order = co.load(order_id).await?;
    match order.status {
        OrderStatus::PendingPayment => {}
        OrderStatus::Cancelled => return paid_after_cancellation(co, order, payment_id).await,
        // Paid already (or later in its life): a repeated event.
        _ => return Ok(order),
    }
    let Some(reservation_id) = order.reservation_id.clone() else {
        // The saga records the reservation before it opens a payment; an order paid
        // without one has no stock set aside.
        return flag(
            co,
            order,
            payment_id,
            "payment received but the order has no stock reservation: check stock, then fulfil or refund",
        )
        .await;
    };
    match co.stock.commit(&reservation_id).await {
        Ok(()) => {}
        Err(ReserveError::Lapsed | ReserveError::OutOfStock { .. }) => {
            // The reservation ran out before its expiry event reached us.
            return cancel_and_flag(
                co,
                order,
                payment_id,
                "payment received after the stock reservation lapsed and the stock is gone: refund the payment or restock and fulfil",
            )
            .await;
        }
        Err(ReserveError::Other(e)) => return Err(CheckoutError::Stock(e)),
    }
    transition_to_paid(co, &order, OrderStatus::PendingPayment, payment_id).await
}

async fn paid_after_cancellation(co: &Checkout, order: Order, payment_id: &str) -> Result<Order> {
    if order.needs_attention && order.payment_id.as_deref() == Some(payment_id) {
        return Ok(order); // flagged for this payment already
    }
    let reason = order.cancel_reason.clone().unwrap_or_default();
    let automatic = AUTOMATIC_CANCELLATIONS.contains(&reason.as_str()) && !order.needs_attention;
    let reservation_id = order.reservation_id.clone();
    let (true, Some(reservation_id)) = (automatic, reservation_id) else {
        let note = format!(
            "payment {payment_id} succeeded after the order was cancelled ({reason}): refund it"
        );
        return flag(co, order, payment_id, &note).await;
    };
    match co.stock.commit(&reservation_id).await {
        Ok(()) => {
            tracing::info!(order_id = %order.id, %reason, "late payment: stock reserved again, order paid");
            transition_to_paid(co, &order, OrderStatus::Cancelled, payment_id).await
        }
        Err(ReserveError::Lapsed | ReserveError::OutOfStock { .. }) => {
            let note = format!(
                "payment {payment_id} succeeded after the order was cancelled ({reason}) and the stock is gone: refund the payment or restock and fulfil"
            );
            flag(co, order, payment_id, &note).await
        }
        Err(ReserveError::Other(e)) => Err(CheckoutError::Stock(e)),
    }
}

async fn transition_to_paid(
    co: &Checkout,
    order: &Order,
    from: OrderStatus,
    payment_id: &str,
) -> Result<Order> {
    let (order_id, paid_with, now) = (order.id.clone(), payment_id.to_owned(), now_ms());
    let (changed, current) = co
        .db
        .write(async move |conn| {
            let changed =
                store::mark_paid(conn, order_id.as_str(), from, Some(&paid_with), now).await?;
            if !changed {
                let current = store::order(conn, order_id.as_str())
                    .await?
                    .ok_or(CheckoutError::OrderNotFound)?;
                return Ok::<_, CheckoutError>((false, current));
            }
            // An online payment is what confirms its order; a manual order was confirmed
            // when placed and this changes nothing.
            let current = events::confirm(conn, order_id.as_str(), now, None).await?;
            events::emit(conn, ORDER_PAID, &current, Extra::default(), None).await?;
            Ok((true, current))
        })
        .await?;
    if changed {
        co.bus.wake();
        tracing::info!(order_id = %current.id, %payment_id, "order paid");
    }
    Ok(current)
}

/// Keeps the order visible to the merchant with a note on what to do.
pub(crate) async fn flag(
    co: &Checkout,
    order: Order,
    payment_id: &str,
    note: &str,
) -> Result<Order> {
    let (order_id, paid_with, text, now) = (
        order.id.clone(),
        payment_id.to_owned(),
        note.to_owned(),
        now_ms(),
    );
    let flagged = co
        .db
        .write(async move |conn| {
            store::flag_attention(conn, order_id.as_str(), &paid_with, &text, now).await
        })
        .await?;
    if flagged {
        tracing::warn!(order_id = %order.id, %payment_id, note, "order needs attention");
    }
    co.load(order.id.as_str()).await
}

/// A pending order whose stock is gone but whose payment succeeded: cancelled for the
/// expired reservation (so the expiry event finds nothing left to do) and flagged.
async fn cancel_and_flag(
    co: &Checkout,
    order: Order,
    payment_id: &str,
    note: &str,
) -> Result<Order> {
    let how = Cancellation {
        reason: "reservation_expired".to_owned(),
        detail: None,
        by: None,
    };
    let (order_id, paid_with, text, now) = (
        order.id.clone(),
        payment_id.to_owned(),
        note.to_owned(),
        now_ms(),
    );
    let carts = Arc::clone(&co.carts);
    let (changed, current) = co
        .db
        .write(async move |conn| {
            let changed = store::cancel(
                conn,
                order_id.as_str(),
                OrderStatus::PendingPayment,
                &how,
                now,
            )
            .await?;
            store::flag_attention(conn, order_id.as_str(), &paid_with, &text, now).await?;
            let current = store::order(conn, order_id.as_str())
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            if changed {
                release_cart(conn, &*carts, &current).await?;
                let extra = Extra {
                    reason: Some(&how.reason),
                    ..Extra::default()
                };
                events::emit(conn, ORDER_CANCELLED, &current, extra, None).await?;
            }
            Ok::<_, CheckoutError>((changed, current))
        })
        .await?;
    if changed {
        co.bus.wake();
    }
    tracing::warn!(order_id = %order.id, %payment_id, note, "order needs attention");
    Ok(current)
}

/// Cancels `order` from `from` and appends `order.cancelled`. Whether it changed.
async fn cancel_with_event(
    co: &Checkout,
    order_id: &str,
    from: OrderStatus,
    how: Cancellation,
) -> Result<(bool, Order)> {
    let (id, reason, now) = (order_id.to_owned(), how.reason.clone(), now_ms());
    let carts = Arc::clone(&co.carts);
    let (changed, current) = co
        .db
        .write(async move |conn| {
            let changed = store::cancel(conn, &id, from, &how, now).await?;
            let current = store::order(conn, &id)
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            if changed && from == OrderStatus::PendingPayment {
                release_cart(conn, &*carts, &current).await?;
            }
            if changed {
                let extra = Extra {
                    reason: Some(&how.reason),
                    ..Extra::default()
                };
                events::emit(conn, ORDER_CANCELLED, &current, extra, None).await?;
            }
            Ok::<_, CheckoutError>((changed, current))
        })
        .await?;
    if changed {
        co.bus.wake();
        tracing::info!(order_id, %reason, "order cancelled");
    }
    Ok((changed, current))
}

/// A payment attempt failed (a declined card). Stripe lets the shopper retry on the
/// same PaymentIntent, so the order keeps waiting with its stock held: only the reason
/// is recorded (shown on the order page). The reservation's expiry cancels the order if
/// no attempt succeeds; a late success is still a payment (`mark_paid`).
pub(crate) async fn payment_failed(co: &Checkout, order_id: &str, reason: &str) -> Result<Order> {
    let (id, why, now) = (order_id.to_owned(), reason.to_owned(), now_ms());
    let (recorded, order) = co
        .db
        .write(async move |conn| {
            let recorded = store::record_payment_error(conn, &id, &why, now).await?;
            let order = store::order(conn, &id)
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            Ok::<_, CheckoutError>((recorded, order))
        })
        .await?;
    if recorded {
        tracing::info!(
            order_id,
            reason,
            "payment attempt failed; the order waits for another"
        );
    }
    Ok(order)
}

pub(crate) async fn reservation_expired(
    co: &Checkout,
    reservation_id: &str,
    reference: &str,
) -> Result<()> {
    let order_id = co
        .db
        .read(async |conn| store::order_id_for_reservation(conn, reservation_id).await)
        .await?;
    // The reference is the order id; the reservation id is the precise link (an order
    // that reserved again holds a newer reservation).
    let Some(order_id) = order_id else {
        tracing::debug!(%reservation_id, reference, "expired reservation belongs to no order");
        return Ok(());
    };
    let order = co.load(&order_id).await?;
    if order.status != OrderStatus::PendingPayment {
        return Ok(());
    }
    let how = Cancellation {
        reason: "reservation_expired".to_owned(),
        detail: None,
        by: None,
    };
    let (changed, _) = cancel_with_event(co, &order_id, OrderStatus::PendingPayment, how).await?;
    if changed {
        // Best effort: a payment that still succeeds is handled by mark_paid.
        if let Err(e) = co.payments.cancel(&order.id).await {
            tracing::warn!(%order_id, error = %e, "cancelling the payment of an expired order failed");
        }
    }
    Ok(())
}

fn validate_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CheckoutError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(CheckoutError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

pub(crate) async fn cancel(
    co: &Checkout,
    order_id: &str,
    reason: &str,
    actor: &str,
) -> Result<Order> {
    let reason = validate_text("reason", reason, 500)?;
    let order = co.load(order_id).await?;
    match order.status {
        OrderStatus::PendingPayment => {
            // Payment first, so that no payment can succeed for a cancelled order.
            co.payments
                .cancel(&order.id)
                .await
                .map_err(CheckoutError::Payment)?;
            if let Some(reservation_id) = &order.reservation_id {
                co.stock
                    .release(reservation_id)
                    .await
                    .map_err(CheckoutError::Stock)?;
            }
            let how = Cancellation {
                reason,
                detail: None,
                by: Some(actor.to_owned()),
            };
            let (changed, current) =
                cancel_with_event(co, order.id.as_str(), OrderStatus::PendingPayment, how).await?;
            if !changed {
                return Err(CheckoutError::InvalidTransition {
                    from: current.status,
                    action: "cancel",
                });
            }
            tracing::info!(order_id, actor, "unpaid order cancelled by merchant");
            Ok(current)
        }
        OrderStatus::Paid | OrderStatus::PartiallyRefunded => {
            cancel_paid(co, order, &reason, actor).await
        }
        from => Err(CheckoutError::InvalidTransition {
            from,
            action: "cancel",
        }),
    }
}

/// A paid order: the remaining balance is refunded and the stock put back, then the
/// order is cancelled with `order.refunded` and `order.cancelled`.
async fn cancel_paid(co: &Checkout, order: Order, reason: &str, actor: &str) -> Result<Order> {
    let remaining = order.refundable();
    let refund = if remaining > 0 {
        Some(
            co.payments
                .refund(
                    &order.id,
                    remaining,
                    Some(reason),
                    &format!("cancel:{}", order.id),
                )
                .await
                .map_err(CheckoutError::Payment)?,
        )
    } else {
        None
    };
    let lines: Vec<(VariantId, i64)> = order
        .lines
        .iter()
        .map(|l| (l.variant_id.clone(), l.quantity))
        .collect();
    co.stock
        .restock(&order.id, &lines, reason)
        .await
        .map_err(CheckoutError::Stock)?;

    let now = now_ms();
    let how = Cancellation {
        reason: reason.to_owned(),
        detail: None,
        by: Some(actor.to_owned()),
    };
    let order_id = order.id.clone();
    let current = co
        .db
        .write(async move |conn| {
            let mut refunded_event = None;
            if let Some(refund) = &refund {
                if store::insert_refund(
                    conn,
                    &refund.refund_id,
                    order_id.as_str(),
                    refund.amount,
                    refund.amount_refunded_total,
                    Some(how.reason.as_str()),
                    now,
                )
                .await?
                {
                    store::apply_refunded_total(
                        conn,
                        order_id.as_str(),
                        refund.amount_refunded_total,
                        now,
                    )
                    .await?;
                    refunded_event = Some(refund.amount);
                }
            }
            // apply_refunded_total may have moved the order to `refunded`: cancel from
            // whatever it is now, which this write holds.
            let status_now = store::order(conn, order_id.as_str())
                .await?
                .ok_or(CheckoutError::OrderNotFound)?
                .status;
            let changed = status_now != OrderStatus::Cancelled
                && store::cancel(conn, order_id.as_str(), status_now, &how, now).await?;
            let current = store::order(conn, order_id.as_str())
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            if let Some(amount) = refunded_event {
                let extra = Extra {
                    refund: Some(RefundDoc {
                        amount,
                        total_refunded: current.refunded_total,
                    }),
                    ..Extra::default()
                };
                events::emit(conn, ORDER_REFUNDED, &current, extra, None).await?;
            }
            if changed {
                let extra = Extra {
                    reason: Some(&how.reason),
                    ..Extra::default()
                };
                events::emit(conn, ORDER_CANCELLED, &current, extra, None).await?;
            }
            Ok::<_, CheckoutError>(current)
        })
        .await?;
    co.bus.wake();
    tracing::info!(order_id = %order.id, actor, refunded = remaining, "paid order cancelled, refunded and restocked");
    Ok(current)
}

pub(crate) async fn fulfil(co: &Checkout, order_id: &str, input: Fulfilment) -> Result<Order> {
    let carrier = validate_text("carrier", &input.carrier, 100)?;
    let tracking_number = validate_text("tracking_number", &input.tracking_number, 200)?;
    let tracking_url = match input.tracking_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            if url.len() > 2000 {
                return Err(CheckoutError::invalid(
                    "tracking_url",
                    "must be at most 2000 characters",
                ));
            }
            Some(url.to_owned())
        }
        Some(_) => {
            return Err(CheckoutError::invalid(
                "tracking_url",
                "must be an http:// or https:// address",
            ))
        }
    };
    let input = Fulfilment {
        carrier,
        tracking_number,
        tracking_url,
    };
    let (id, now) = (order_id.to_owned(), now_ms());
    let (current, fulfillment) = co
        .db
        .write(async move |conn| {
            let changed =
                store::move_status(conn, &id, OrderStatus::Paid, OrderStatus::Fulfilled, now)
                    .await?;
            if !changed {
                let current = store::order(conn, &id)
                    .await?
                    .ok_or(CheckoutError::OrderNotFound)?;
                return Err(CheckoutError::InvalidTransition {
                    from: current.status,
                    action: "fulfil",
                });
            }
            let fulfillment = store::insert_fulfillment(conn, &id, &input, now).await?;
            let current = store::order(conn, &id)
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            let extra = Extra {
                fulfillment: Some(&fulfillment),
                ..Extra::default()
            };
            events::emit(conn, ORDER_FULFILLED, &current, extra, None).await?;
            Ok((current, fulfillment))
        })
        .await?;
    co.bus.wake();
    tracing::info!(order_id, carrier = %fulfillment.carrier, "order fulfilled");
    Ok(current)
}

pub(crate) async fn deliver(co: &Checkout, order_id: &str) -> Result<Order> {
    let (id, now) = (order_id.to_owned(), now_ms());
    let current = co
        .db
        .write(async move |conn| {
            let changed = store::move_status(
                conn,
                &id,
                OrderStatus::Fulfilled,
                OrderStatus::Delivered,
                now,
            )
            .await?;
            let current = store::order(conn, &id)
                .await?
                .ok_or(CheckoutError::OrderNotFound)?;
            if !changed {
                return Err(CheckoutError::InvalidTransition {
                    from: current.status,
                    action: "mark delivered",
                });
            }
            events::emit(conn, ORDER_DELIVERED, &current, Extra::default(), None).await?;
            Ok(current)
        })
        .await?;
    co.bus.wake();
    tracing::info!(order_id, "order delivered");
    Ok(current)
}
