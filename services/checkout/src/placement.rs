//! `place_order`: the checkout saga with idempotent replays.
//!
//! The idempotency row is written in the same transaction as the order, so a key names
//! exactly one order. Two requests racing with one key both pass the first check; the
//! unique keys (the key itself and the cart's one live order) make one insert win, and
//! the loser rolls back, reads the winner's row and replays it, waiting for the winner's
//! saga to finish. Failures that a retry may not meet again (payment provider or
//! inventory down) forget the key, so the client's retry with the same key starts over;
//! an out-of-stock cancellation keeps it and a replay answers `OutOfStock` again.

use std::{sync::Arc, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use emporium_kernel::{
    clock::now_ms,
    db::Conn,
    id::{CartId, OrderId, VariantId},
};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::{
    error::{CheckoutError, Result},
    events::{self, Extra, ORDER_CANCELLED, ORDER_PAID, ORDER_PLACED},
    model::{Order, OrderStatus, PlaceOrder, PlacedOrder},
    partners::{CartSnapshot, CartSource, PaymentInfo, PaymentRequest, ReserveError},
    store::{self, Cancellation, IdempotencyRecord, NewOrder},
    Checkout,
};

/// The provider whose payments arrive offline (bank transfer, on delivery), confirmed by
/// the merchant: its orders are confirmed when placed, not when paid.
const OFFLINE_PROVIDER: &str = "manual";

/// How long a replay waits for the first request with its key to finish the saga.
const REPLAY_WAIT: Duration = Duration::from_secs(10);
const REPLAY_POLL: Duration = Duration::from_millis(50);
/// A replay that finds its key forgotten (the first request failed) starts over; bounded
/// so that a key failing again and again cannot loop.
const MAX_ATTEMPTS: usize = 3;

/// What an out-of-stock cancellation remembers, to answer replays with the same error.
#[derive(Serialize, Deserialize)]
struct OutOfStockDetail {
    variant_id: String,
    requested: i64,
    available: i64,
}

pub(crate) fn validate_idempotency_key(key: &str) -> Result<()> {
    let visible = |b: &u8| (0x21..=0x7e).contains(b);
    if key.is_empty() || key.len() > 255 || !key.as_bytes().iter().all(visible) {
        return Err(CheckoutError::InvalidIdempotencyKey);
    }
    Ok(())
}

pub(crate) async fn place(co: &Checkout, input: PlaceOrder) -> Result<PlacedOrder> {
    validate_idempotency_key(&input.idempotency_key)?;
    for _ in 0..MAX_ATTEMPTS {
        let (record, live) = co
            .db
            .read(async |conn| {
                // The cart's live order first, its key second: the key row commits with
                // the order, so a key read after the order was seen is that order's key if
                // it is this request's. Read the other way round, a same-key request
                // committing between the two reads showed its order without its key, and
                // this request answered "already checked out" instead of replaying it.
                let live = store::live_order_for_cart(conn, input.cart_id.as_str()).await?;
                let record =
                    store::idempotency_key(conn, input.cart_id.as_str(), &input.idempotency_key)
                        .await?;
                Ok::<_, CheckoutError>((record, live))
            })
            .await?;
        if let Some((_, owner)) = &live {
            ensure_placer(&input, owner.as_deref())?;
        }
        if let Some(record) = record {
            if record.request_hash != input.request_hash {
                return Err(CheckoutError::IdempotencyKeyReused);
            }
            match replay(co, &input, record).await? {
                Some(placed) => return Ok(placed),
                None => continue,
            }
        }
        if let Some((order_id, _)) = live {
            return Err(CheckoutError::CartAlreadyCompleted { order_id });
        }
        let snapshot = co
            .carts
            .checkout_snapshot(&input.cart_id, input.customer_id.as_ref())
            .await
            .map_err(CheckoutError::Cart)?;
        validate_snapshot(&input.cart_id, &snapshot)?;
        if !co.config.payment_methods.contains(&snapshot.payment_method) {
            return Err(CheckoutError::invalid(
                "payment_method",
                format!(
                    "`{}` is not offered by this shop; choose one of: {}",
                    snapshot.payment_method,
                    co.config.payment_methods.join(", ")
                ),
            ));
        }
        match insert_order(co, &input, snapshot).await? {
            Some(order) => return run_saga(co, &input, order).await,
            // Another request won the unique key: the next round replays it or names the
            // cart's order.
            None => continue,
        }
    }
    Err(CheckoutError::PlacementInProgress)
}

/// A customer's cart (and so its order) is placed and replayed only by that customer;
/// to anyone else it does not exist.
fn ensure_placer(input: &PlaceOrder, owner: Option<&str>) -> Result<()> {
    match (owner, input.customer_id.as_ref()) {
        (None, _) => Ok(()),
        (Some(owner), Some(placer)) if owner == placer.as_str() => Ok(()),
        _ => Err(CheckoutError::CartNotFound {
            cart_id: input.cart_id.to_string(),
        }),
    }
}

/// The snapshot is validated by the cart service; these checks only keep a broken adapter
/// from writing an order that cannot be right.
fn validate_snapshot(cart_id: &CartId, s: &CartSnapshot) -> Result<()> {
    if s.cart_id != *cart_id {
        return Err(CheckoutError::invalid(
            "cart_id",
            format!("the cart source answered for cart {} instead", s.cart_id),
        ));
    }
    if s.lines.is_empty() {
        return Err(CheckoutError::invalid(
            "lines",
            "the cart is empty: add items before checking out",
        ));
    }
    for (i, line) in s.lines.iter().enumerate() {
        if line.quantity <= 0 {
            return Err(CheckoutError::invalid(
                format!("lines[{i}].quantity"),
                "must be at least 1",
            ));
        }
        if line.unit_price < 0 || line.line_total < 0 {
            return Err(CheckoutError::invalid(
                format!("lines[{i}].unit_price"),
                "prices cannot be negative",
            ));
        }
    }
    let t = &s.totals;
    for (field, amount) in [
        ("totals.subtotal", t.subtotal),
        ("totals.discount_total", t.discount_total),
        ("totals.shipping_total", t.shipping_total),
        ("totals.tax_total", t.tax_total),
        ("totals.total", t.total),
    ] {
        if amount < 0 {
            return Err(CheckoutError::invalid(field, "cannot be negative"));
        }
    }
    Ok(())
}

/// 32 random bytes from the thread's CSPRNG, URL-safe base64.
fn new_access_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Step 3: order, lines, idempotency key and `order.placed` in one change. `None` when a
/// concurrent request took the key or the cart first.
async fn insert_order(
    co: &Checkout,
    input: &PlaceOrder,
    snapshot: CartSnapshot,
) -> Result<Option<Order>> {
    let new = NewOrder {
        id: OrderId::new(),
        snapshot,
        access_token: new_access_token(),
        request_id: input.request_id.clone(),
        idempotency_key: input.idempotency_key.clone(),
        request_hash: input.request_hash.clone(),
        now: now_ms(),
    };
    let carts = Arc::clone(&co.carts);
    let order = match co
        .db
        .write(async move |conn| write_order(conn, &new, &*carts).await)
        .await
    {
        Ok(order) => order,
        Err(CheckoutError::Database(e)) if e.is_unique_violation() => {
            tracing::info!(cart_id = %input.cart_id, "concurrent placement of the cart won; replaying");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    co.bus.wake();
    tracing::info!(
        order_id = %order.id,
        number = %order.number,
        cart_id = %order.cart_id,
        total = order.total,
        currency = %order.currency,
        "order placed"
    );
    Ok(Some(order))
}

/// The order, its key, its event and its discount use, in one write: a code used up by
/// another order meanwhile rolls the order back before anything is reserved.
async fn write_order(conn: &mut Conn<'_>, new: &NewOrder, carts: &dyn CartSource) -> Result<Order> {
    let order = store::insert_order(conn, new).await?;
    if let Some(code) = &order.discount_code {
        carts
            .redeem_discount(conn, code)
            .await
            .map_err(CheckoutError::Cart)?;
    }
    events::emit(
        conn,
        ORDER_PLACED,
        &order,
        Extra::default(),
        new.request_id.as_deref(),
    )
    .await?;
    Ok(order)
}

/// Steps 4–6: reserve stock, open the payment, complete the cart.
async fn run_saga(co: &Checkout, input: &PlaceOrder, order: Order) -> Result<PlacedOrder> {
    let lines: Vec<(VariantId, i64)> = order
        .lines
        .iter()
        .map(|l| (l.variant_id.clone(), l.quantity))
        .collect();
    let reservation_id = match co
        .stock
        .reserve(&order.id, &lines, co.config.reservation_ttl)
        .await
    {
        Ok(id) => id,
        Err(ReserveError::OutOfStock {
            variant_id,
            requested,
            available,
        }) => {
            let detail = serde_json::to_string(&OutOfStockDetail {
                variant_id: variant_id.clone(),
                requested,
                available,
            })
            .ok();
            fail_placement(co, input, &order, "out_of_stock", detail.as_deref(), true).await?;
            tracing::info!(order_id = %order.id, %variant_id, requested, available, "order cancelled: out of stock");
            return Err(CheckoutError::OutOfStock {
                variant_id,
                requested,
                available,
            });
        }
        Err(ReserveError::Lapsed) => {
            fail_placement(co, input, &order, "stock_unavailable", None, false).await?;
            return Err(CheckoutError::Stock(
                "the inventory reported a fresh reservation as lapsed".into(),
            ));
        }
        Err(ReserveError::Other(e)) => {
            tracing::warn!(order_id = %order.id, error = %e, "stock reservation failed");
            fail_placement(co, input, &order, "stock_unavailable", None, false).await?;
            return Err(CheckoutError::Stock(e));
        }
    };
    // The reservation id is written with the payment id below, in one transaction: a
    // placement that stops before that holds no reservation on the order, which is what
    // the recovery job looks for (the reservation itself lapses by its TTL).
    if order.total == 0 {
        return place_free(co, input, order, reservation_id).await;
    }

    let request = PaymentRequest {
        order_id: order.id.clone(),
        order_number: order.number.clone(),
        provider: order.payment_provider.clone(),
        amount: order.total,
        currency: order.currency,
        email: order.email.clone(),
        // The payment service dedupes per order; one placement is one order.
        idempotency_key: format!("order:{}", order.id),
    };
    let payment = match co.payments.create(&request).await {
        Ok(payment) => payment,
        Err(e) => {
            tracing::warn!(order_id = %order.id, provider = %request.provider, error = %e, "payment session failed; compensating");
            if let Err(release) = co.stock.release(&reservation_id).await {
                // The reservation still expires by its TTL.
                tracing::warn!(order_id = %order.id, %reservation_id, error = %release, "releasing the reservation failed");
            }
            fail_placement(co, input, &order, "payment_unavailable", None, false).await?;
            return Err(CheckoutError::PaymentUnavailable(e));
        }
    };
    // An offline payment (bank transfer, on delivery) arrives later: the order is the
    // shopper's now, with its stock held. An online one confirms on payment.
    let settle = if order.payment_provider == OFFLINE_PROVIDER {
        Settle::Confirmed
    } else {
        Settle::AwaitingPayment
    };
    record_placement(co, input, &order, reservation_id, Some(&payment), settle).await?;
    complete_cart(co, input, &order.id).await?;
    let order = co.load(order.id.as_str()).await?;
    Ok(PlacedOrder {
        order,
        payment: Some(payment),
        replayed: false,
    })
}

/// Where step 5 leaves the order.
enum Settle {
    /// Pending until an online payment succeeds.
    AwaitingPayment,
    /// Pending an offline payment, and confirmed to the shopper now.
    Confirmed,
    /// Nothing to pay: paid and confirmed now.
    PaidFree,
}

/// Step 5's write: the reservation and the payment session on the order and its key,
/// and, as `settle` says, the confirmation (`order.confirmed`) and the payment
/// (`order.paid`) in the same write.
async fn record_placement(
    co: &Checkout,
    input: &PlaceOrder,
    order: &Order,
    reservation_id: String,
    payment: Option<&PaymentInfo>,
    settle: Settle,
) -> Result<()> {
    let (order_id, scope, key, request_id, payment, now) = (
        order.id.clone(),
        input.cart_id.clone(),
        input.idempotency_key.clone(),
        input.request_id.clone(),
        payment.cloned(),
        now_ms(),
    );
    co.db
        .write(async move |conn| {
            let (id, request_id) = (order_id.as_str(), request_id.as_deref());
            store::record_payment(
                conn,
                id,
                &reservation_id,
                scope.as_str(),
                &key,
                payment.as_ref(),
                now,
            )
            .await?;
            match settle {
                Settle::AwaitingPayment => {}
                Settle::Confirmed => {
                    events::confirm(conn, id, now, request_id).await?;
                }
                Settle::PaidFree => {
                    if store::mark_paid(conn, id, OrderStatus::PendingPayment, None, now).await? {
                        let paid = events::confirm(conn, id, now, request_id).await?;
                        events::emit(conn, ORDER_PAID, &paid, Extra::default(), request_id).await?;
                    }
                }
            }
            Ok::<_, CheckoutError>(())
        })
        .await?;
    co.bus.wake();
    Ok(())
}

/// Steps 5–6 for an order whose total is 0 (a 100 % discount and free shipping): there is
/// nothing to collect, and no provider opens a payment for 0 (Stripe refuses amounts
/// under its minimum), so the stock is sold at once and the order is paid in the same
/// write that records its reservation, as Shopify completes free checkouts without a
/// gateway.
async fn place_free(
    co: &Checkout,
    input: &PlaceOrder,
    order: Order,
    reservation_id: String,
) -> Result<PlacedOrder> {
    if let Err(e) = co.stock.commit(&reservation_id).await {
        tracing::warn!(order_id = %order.id, %reservation_id, error = %e, "committing the stock of a free order failed");
        fail_placement(co, input, &order, "stock_unavailable", None, false).await?;
        return Err(match e {
            ReserveError::Other(e) => CheckoutError::Stock(e),
            other => CheckoutError::Stock(other.to_string().into()),
        });
    }
    record_placement(co, input, &order, reservation_id, None, Settle::PaidFree).await?;
    tracing::info!(order_id = %order.id, "free order paid without a payment");
    complete_cart(co, input, &order.id).await?;
    let order = co.load(order.id.as_str()).await?;
    Ok(PlacedOrder {
        order,
        payment: None,
        replayed: false,
    })
}

/// Step 6, and the mark that the saga is over.
async fn complete_cart(co: &Checkout, input: &PlaceOrder, order_id: &OrderId) -> Result<()> {
    co.carts
        .mark_completed(&input.cart_id, order_id)
        .await
        .map_err(CheckoutError::Cart)?;
    let (scope, key, now) = (
        input.cart_id.clone(),
        input.idempotency_key.clone(),
        now_ms(),
    );
    co.db
        .write(async move |conn| {
            store::complete_idempotency_key(conn, scope.as_str(), &key, now).await
        })
        .await?;
    Ok(())
}

/// Cancels an order whose placement failed, with `order.cancelled`; the cart stays open.
/// `keep_key`: replays answer from this order; otherwise the key is forgotten.
async fn fail_placement(
    co: &Checkout,
    input: &PlaceOrder,
    order: &Order,
    reason: &str,
    detail: Option<&str>,
    keep_key: bool,
) -> Result<()> {
    let now = now_ms();
    let how = Cancellation {
        reason: reason.to_owned(),
        detail: detail.map(str::to_owned),
        by: None,
    };
    let (order_id, scope, key, request_id) = (
        order.id.clone(),
        input.cart_id.clone(),
        input.idempotency_key.clone(),
        input.request_id.clone(),
    );
    let carts = Arc::clone(&co.carts);
    let changed = co
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
            if changed {
                let cancelled = store::order(conn, order_id.as_str())
                    .await?
                    .ok_or(CheckoutError::OrderNotFound)?;
                release_cart(conn, &*carts, &cancelled).await?;
                let extra = Extra {
                    reason: Some(&how.reason),
                    ..Extra::default()
                };
                events::emit(
                    conn,
                    ORDER_CANCELLED,
                    &cancelled,
                    extra,
                    request_id.as_deref(),
                )
                .await?;
            }
            if keep_key {
                store::complete_idempotency_key(conn, scope.as_str(), &key, now).await?;
            } else {
                store::forget_idempotency_key(conn, scope.as_str(), &key).await?;
            }
            Ok::<_, CheckoutError>(changed)
        })
        .await?;
    if changed {
        co.bus.wake();
    }
    Ok(())
}

/// In the write that cancelled `order` before it was paid: the cart service gives back
/// the order's discount use and reopens the cart if this order completed it.
pub(crate) async fn release_cart(
    conn: &mut Conn<'_>,
    carts: &dyn CartSource,
    order: &Order,
) -> Result<()> {
    carts
        .release_order(
            conn,
            &order.cart_id,
            &order.id,
            order.discount_code.as_deref(),
        )
        .await
        .map_err(CheckoutError::Cart)
}

/// Answers a request whose key was seen with the same body. `None` when the key was
/// forgotten meanwhile (the first request failed in a way a retry may not).
async fn replay(
    co: &Checkout,
    input: &PlaceOrder,
    mut record: IdempotencyRecord,
) -> Result<Option<PlacedOrder>> {
    let deadline = tokio::time::Instant::now() + REPLAY_WAIT;
    loop {
        let order = co.load(&record.order_id).await?;
        ensure_placer(input, order.customer_id.as_ref().map(|c| c.as_str()))?;
        if order.cancel_reason.as_deref() == Some("out_of_stock") {
            let detail = co
                .db
                .read(async |conn| store::cancel_detail(conn, order.id.as_str()).await)
                .await?;
            if let Some(detail) = detail {
                if let Ok(d) = serde_json::from_str::<OutOfStockDetail>(&detail) {
                    return Err(CheckoutError::OutOfStock {
                        variant_id: d.variant_id,
                        requested: d.requested,
                        available: d.available,
                    });
                }
            }
        }
        let replayed = |order: Order, payment: Option<PaymentInfo>| {
            tracing::info!(order_id = %order.id, cart_id = %input.cart_id, "placement replayed");
            Some(PlacedOrder {
                order,
                payment,
                replayed: true,
            })
        };
        if record.completed {
            return Ok(replayed(order, record.payment));
        }
        if record.payment.is_some() {
            // Only the cart step is missing: the first request failed there (or is on it;
            // mark_completed is idempotent). Finish it so the cart closes.
            complete_cart(co, input, &order.id).await?;
            let order = co.load(order.id.as_str()).await?;
            return Ok(replayed(order, record.payment));
        }
        if order.status == OrderStatus::Cancelled {
            return Ok(replayed(order, None));
        }
        if order.status != OrderStatus::PendingPayment {
            // Paid without a payment session (a free order) before the cart step.
            complete_cart(co, input, &order.id).await?;
            let order = co.load(order.id.as_str()).await?;
            return Ok(replayed(order, None));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(CheckoutError::PlacementInProgress);
        }
        tokio::time::sleep(REPLAY_POLL).await;
        let next = co
            .db
            .read(async |conn| {
                store::idempotency_key(conn, input.cart_id.as_str(), &input.idempotency_key).await
            })
            .await?;
        match next {
            Some(next) => record = next,
            None => return Ok(None),
        }
    }
}

/// Cancels orders whose placement stopped between writing the order and recording its
/// reservation and payment (the process died there): `pending_payment`, no reservation,
/// placed before `cutoff_ms`. Each becomes `cancelled` (`placement_interrupted`, with
/// `order.cancelled`) and loses its idempotency key, so the shopper's retry with that
/// key places the cart again instead of waiting on an order that will never move; the
/// cart stays open. A payment opened for it is cancelled (best effort); stock reserved
/// for it comes back when the reservation's TTL runs out. Returns how many orders were
/// cancelled.
pub(crate) async fn recover_interrupted(co: &Checkout, cutoff_ms: i64) -> Result<usize> {
    let stuck = co
        .db
        .read(async |conn| store::interrupted_placements(conn, cutoff_ms, 100).await)
        .await?;
    let mut cancelled = 0;
    for order_id in stuck {
        let now = now_ms();
        let how = Cancellation {
            reason: "placement_interrupted".to_owned(),
            detail: None,
            by: None,
        };
        let id = order_id.clone();
        let carts = Arc::clone(&co.carts);
        let order = co
            .db
            .write(async move |conn| {
                // Conditional on the status, and the reservation is checked again: a
                // placement that was only slow and reserved meanwhile is left alone.
                if !store::cancel_unreserved(conn, &id, &how, now).await? {
                    return Ok(None);
                }
                let order = store::order(conn, &id)
                    .await?
                    .ok_or(CheckoutError::OrderNotFound)?;
                release_cart(conn, &*carts, &order).await?;
                let extra = Extra {
                    reason: Some(&how.reason),
                    ..Extra::default()
                };
                events::emit(conn, ORDER_CANCELLED, &order, extra, None).await?;
                store::forget_open_idempotency_keys(conn, &id).await?;
                Ok::<_, CheckoutError>(Some(order))
            })
            .await?;
        let Some(order) = order else {
            continue;
        };
        cancelled += 1;
        tracing::warn!(%order_id, cart_id = %order.cart_id, "interrupted placement cancelled; the cart is open again");
        if let Err(e) = co.payments.cancel(&order.id).await {
            tracing::warn!(%order_id, error = %e, "cancelling the payment of an interrupted placement failed");
        }
    }
    if cancelled > 0 {
        co.bus.wake();
    }
    Ok(cancelled)
}
