//! Checkout and orders: the order saga of docs/COMMERCE.md (cart -> order -> stock
//! reservation -> payment session), the order lifecycle (paid, fulfilled, delivered,
//! cancelled, refunded), idempotent placement, human-friendly order numbers, the admin
//! operations and the event consumer that moves orders when payments and reservations
//! change. No HTTP here: the API crate calls [`Checkout`].
//!
//! Checkout never imports the cart, inventory or payments crates. It defines the narrow
//! traits it needs ([`CartSource`], [`StockReservations`], [`PaymentSessions`]) and the
//! composition root implements them with adapters; their errors travel boxed as
//! [`SourceError`] so the HTTP layer can downcast them. Those traits are never called
//! inside a [`Database::write`] closure, which may only run statements: the other
//! services make writes of their own, and on SQLite a write waiting for them would hold
//! up the one writer thread theirs need.
//!
//! Layout:
//! - [`model`]: orders, statuses and the inputs of every operation.
//! - [`partners`]: the traits of the other services and the types they exchange.
//! - [`error`]: [`CheckoutError`], one variant per precise HTTP answer.
//! - `placement` (private): `place_order`, the saga with its idempotency keys and replays.
//! - `lifecycle` (private): payment, expiry, cancellation, fulfilment and delivery.
//! - `refund` (private): admin refunds and refunds reported by the payment service.
//! - `listing` (private): the admin order list with opaque keyset cursors.
//! - `events` (private): the `order.*` event payloads.
//! - [`consumer`]: [`PaymentEventsConsumer`] (`checkout.payments`).
//! - `store` (private): all SQL of this service, portable between SQLite and PostgreSQL.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 5000–5999.

pub mod consumer;
pub mod error;
mod events;
mod lifecycle;
mod listing;
pub mod model;
pub mod partners;
mod placement;
mod refund;
mod store;

use std::{fmt, future::Future, sync::Arc, time::Duration};

use emporium_kernel::{
    clock::now_ms,
    db::Database,
    events::EventBus,
    id::{CustomerId, OrderId},
};
use subtle::ConstantTimeEq;

pub use consumer::PaymentEventsConsumer;
pub use error::{CheckoutError, Result, SourceError};
pub use model::*;
pub use partners::*;

/// How old an order without a reservation must be before it counts as an interrupted
/// placement (see [`Checkout::run_recovery_job`]).
pub const INTERRUPTED_AFTER: Duration = Duration::from_secs(5 * 60);

/// Tunables of checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutConfig {
    /// How long stock stays reserved for an unpaid order.
    pub reservation_ttl: Duration,
    /// The payment methods shoppers may place orders with; a cart whose method is not
    /// among them (chosen before the shop changed its methods) is refused with a 400.
    pub payment_methods: Vec<String>,
}

impl Default for CheckoutConfig {
    fn default() -> Self {
        CheckoutConfig {
            reservation_ttl: Duration::from_secs(15 * 60),
            payment_methods: vec!["manual".to_owned()],
        }
    }
}

/// The checkout service. Cheap to clone: a database handle and shared handles.
#[derive(Clone)]
pub struct Checkout {
    db: Database,
    bus: EventBus,
    carts: Arc<dyn CartSource>,
    stock: Arc<dyn StockReservations>,
    payments: Arc<dyn PaymentSessions>,
    config: Arc<CheckoutConfig>,
}

impl fmt::Debug for Checkout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkout")
            .field("backend", &self.db.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Checkout {
    pub fn new(
        db: Database,
        bus: EventBus,
        carts: Arc<dyn CartSource>,
        stock: Arc<dyn StockReservations>,
        payments: Arc<dyn PaymentSessions>,
        config: CheckoutConfig,
    ) -> Self {
        Checkout {
            db,
            bus,
            carts,
            stock,
            payments,
            config: Arc::new(config),
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades checkout's tables, and the kernel's outbox tables its events
    /// go to (running the kernel migrations again is a no-op).
    pub async fn migrate(&self) -> Result<()> {
        emporium_kernel::events::migrate(&self.db).await?;
        store::migrate(&self.db).await
    }

    // ----- the saga -----

    /// Turns a cart into an order, exactly the saga of docs/COMMERCE.md: idempotency
    /// check, cart snapshot, order `pending_payment` (+ lines, key, `order.placed`, one
    /// transaction), stock reservation, payment session, cart completion.
    ///
    /// Errors: `InvalidIdempotencyKey`; `IdempotencyKeyReused` (the key came with another
    /// body); `CartAlreadyCompleted` (the cart is another key's order); `Cart(_)` (the
    /// snapshot failed: downcast for the cart's reason); `InvalidField` (an empty or
    /// inconsistent snapshot); `OutOfStock` (the order is cancelled `out_of_stock`; a
    /// replay answers the same); `PaymentUnavailable` (order cancelled, stock released,
    /// key forgotten so a retry with it starts over); `Stock(_)` likewise when the
    /// inventory failed; `PlacementInProgress` when a replay outwaited the first request.
    pub async fn place_order(&self, input: PlaceOrder) -> Result<PlacedOrder> {
        placement::place(self, input).await
    }

    /// Cancels placements interrupted before they reserved stock (see
    /// `placement::recover_interrupted`) whose order is older than `older_than`; returns
    /// how many. Run by [`Checkout::run_recovery_job`].
    pub async fn recover_interrupted_placements(&self, older_than: Duration) -> Result<usize> {
        let age = i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
        placement::recover_interrupted(self, now_ms().saturating_sub(age)).await
    }

    /// Every `every`, until `shutdown` resolves: [`Checkout::recover_interrupted_placements`]
    /// for orders older than [`INTERRUPTED_AFTER`] (a placement reserves within
    /// milliseconds, so an order this old without a reservation has no saga left).
    /// Deletes idempotency keys made before `before_ms`: a retry that old is not a
    /// lost answer any more (Stripe keeps its keys for a day). A key's cart stays held
    /// by its order, so a very late replay is answered "already checked out". Returns
    /// how many went.
    pub async fn purge_idempotency_keys(&self, before_ms: i64) -> Result<u64> {
        self.db
            .write(async move |conn| store::purge_idempotency_keys(conn, before_ms).await)
            .await
    }

    pub async fn run_recovery_job(self, every: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.recover_interrupted_placements(INTERRUPTED_AFTER).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(cancelled = n, "interrupted placements recovered"),
                Err(e) => tracing::warn!(error = %e, "recovering interrupted placements failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    // ----- reads -----

    /// One order by id. Errors: `OrderNotFound`.
    pub async fn order(&self, id: &OrderId) -> Result<Order> {
        self.load(id.as_str()).await
    }

    /// An order by the id the saga itself holds (read from a row, never from input).
    async fn load(&self, id: &str) -> Result<Order> {
        self.db
            .read(async |conn| store::order(conn, id).await)
            .await?
            .ok_or(CheckoutError::OrderNotFound)
    }

    /// One order for a guest holding its access token. A wrong token is `OrderNotFound`,
    /// exactly like an unknown id, and tokens are compared in constant time.
    pub async fn order_for_guest(&self, id: &OrderId, access_token: &str) -> Result<Order> {
        let order = match self.order(id).await {
            Ok(order) => order,
            Err(CheckoutError::OrderNotFound) => return Err(CheckoutError::OrderNotFound),
            Err(e) => return Err(e),
        };
        let matches: bool = order
            .access_token
            .as_bytes()
            .ct_eq(access_token.as_bytes())
            .into();
        if matches {
            Ok(order)
        } else {
            Err(CheckoutError::OrderNotFound)
        }
    }

    /// One of `customer`'s orders; another's, or a guest order, is `OrderNotFound` (ids
    /// are not confirmed).
    pub async fn customer_order(&self, customer: &CustomerId, id: &OrderId) -> Result<Order> {
        let order = self.order(id).await?;
        if order.customer_id.as_ref() == Some(customer) {
            Ok(order)
        } else {
            Err(CheckoutError::OrderNotFound)
        }
    }

    /// Gives the guest orders placed with `email` to `customer`, whose account has
    /// verified that address (the caller checks that). Returns how many were attached.
    pub async fn attach_guest_orders(&self, customer: &CustomerId, email: &Email) -> Result<u64> {
        let (owner, email) = (customer.to_string(), email.to_string());
        let attached = self
            .db
            .write(async move |conn| store::attach_guest_orders(conn, &owner, &email).await)
            .await?;
        if attached > 0 {
            tracing::info!(%customer, attached, "guest orders attached to the customer");
        }
        Ok(attached)
    }

    /// Orders newest first, filtered by status and by `q` (an order number exactly, or
    /// part of the email in any case). Errors: `InvalidField { field: "limit" }` outside
    /// 1..=100, `InvalidCursor`.
    pub async fn list_orders(&self, query: OrderQuery) -> Result<OrderPage> {
        listing::list(self, query).await
    }

    // ----- payments and reservations (the consumer calls these) -----

    /// A payment succeeded: `pending_payment` -> `paid`, stock committed, `order.paid`.
    /// Idempotent (paid twice is a no-op). For an order the system cancelled meanwhile
    /// (reservation expired, payment failed first) the stock is committed again: the
    /// order becomes paid when it is there and is flagged `needs_attention` otherwise;
    /// an order cancelled for another reason is flagged too. Never silently dropped.
    pub async fn mark_paid(&self, order_id: &OrderId, payment_id: &str) -> Result<Order> {
        lifecycle::mark_paid(self, order_id.as_str(), payment_id).await
    }

    /// Flags the order for the merchant about `payment_id` (a payment Stripe reported
    /// for another amount or currency) without changing its status.
    pub async fn flag_payment(
        &self,
        order_id: &OrderId,
        payment_id: &str,
        note: &str,
    ) -> Result<Order> {
        let order = self.load(order_id.as_str()).await?;
        lifecycle::flag(self, order, payment_id, note).await
    }

    /// A payment attempt failed: the order stays `pending_payment` with its stock held
    /// and `payment_error` set, so the shopper can try another card until the
    /// reservation expires. Ignored for an order that is no longer pending.
    pub async fn payment_failed(&self, order_id: &OrderId, reason: &str) -> Result<Order> {
        lifecycle::payment_failed(self, order_id.as_str(), reason).await
    }

    /// A reservation expired: its order, if still `pending_payment`, is cancelled
    /// (`reservation_expired`) and its payment cancelled (best effort).
    pub async fn reservation_expired(&self, reservation_id: &str, reference: &str) -> Result<()> {
        lifecycle::reservation_expired(self, reservation_id, reference).await
    }

    // ----- admin -----

    /// Cancels an order. Unpaid: the payment is cancelled and the stock released. Paid:
    /// the remaining balance is refunded and the stock put back. Errors:
    /// `InvalidTransition` when fulfilled, delivered, cancelled or refunded;
    /// `InvalidField { field: "reason" }` for an empty reason.
    pub async fn cancel_order(
        &self,
        order_id: &OrderId,
        reason: &str,
        actor: &str,
    ) -> Result<Order> {
        lifecycle::cancel(self, order_id.as_str(), reason, actor).await
    }

    /// `paid` -> `fulfilled` with a shipment, `order.fulfilled`. Errors: `InvalidField`
    /// for an empty `carrier` / `tracking_number` or a `tracking_url` that is not http(s).
    pub async fn fulfil_order(&self, order_id: &OrderId, fulfilment: Fulfilment) -> Result<Order> {
        lifecycle::fulfil(self, order_id.as_str(), fulfilment).await
    }

    /// `fulfilled` -> `delivered`, `order.delivered`.
    pub async fn mark_delivered(&self, order_id: &OrderId) -> Result<Order> {
        lifecycle::deliver(self, order_id.as_str()).await
    }

    /// Refunds `amount` (`None`: the remaining balance) through the payment service and
    /// applies it. Errors: `InvalidTransition` unless paid, fulfilled, delivered or
    /// partially refunded; `InvalidField { field: "amount" }` for 0 or less;
    /// `RefundExceedsBalance`; `InvalidIdempotencyKey`; `Payment(_)`.
    pub async fn refund_order(
        &self,
        order_id: &OrderId,
        amount: Option<i64>,
        reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<Order> {
        refund::refund_order(self, order_id.as_str(), amount, reason, idempotency_key).await
    }

    /// Applies a refund the payment service made, once per refund id: `refunded_total`
    /// rises to `amount_refunded_total`, the status becomes `refunded` or
    /// `partially_refunded`, `order.refunded`.
    pub async fn apply_refund(
        &self,
        order_id: &OrderId,
        refund_id: &str,
        amount: i64,
        amount_refunded_total: i64,
    ) -> Result<Order> {
        refund::apply_refund(
            self,
            order_id.as_str(),
            refund_id,
            amount,
            amount_refunded_total,
            None,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>(_: &T) {}

    /// The HTTP layer and the dispatcher run these on a multi-threaded runtime: their
    /// futures, with the writes they hold, must be `Send`.
    #[allow(dead_code)]
    fn operations_are_send(co: &Checkout, input: PlaceOrder, query: OrderQuery) {
        let ord = OrderId::new();
        send(&co.place_order(input));
        send(&co.recover_interrupted_placements(INTERRUPTED_AFTER));
        send(&co.order(&ord));
        send(&co.order_for_guest(&ord, "token"));
        send(&co.list_orders(query));
        send(&co.mark_paid(&ord, "pay"));
        send(&co.payment_failed(&ord, "declined"));
        send(&co.reservation_expired("res", "ord"));
        send(&co.cancel_order(&ord, "reason", "admin"));
        send(&co.fulfil_order(
            &ord,
            Fulfilment {
                carrier: "DHL".into(),
                tracking_number: "1".into(),
                tracking_url: None,
            },
        ));
        send(&co.mark_delivered(&ord));
        send(&co.refund_order(&ord, None, None, "key"));
        send(&co.apply_refund(&ord, "re", 1, 1));
    }
}
