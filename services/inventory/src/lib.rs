//! Inventory service: stock per variant and location, reservations with a TTL, and a
//! movement log. No HTTP here: the API crate and the checkout saga call [`Inventory`].
//!
//! The rule it exists for: never oversell. `available = on_hand - reserved`; an order
//! takes stock with one conditional UPDATE per line (`… WHERE on_hand - reserved >= q`)
//! in one transaction, and CHECK constraints (`on_hand >= 0`, `reserved >= 0`,
//! `reserved <= on_hand`) back that up in the schema.
//!
//! Layout:
//! - [`model`]: stock levels, reservations, movements and the event payloads.
//! - [`error`]: [`InventoryError`], each variant carrying what a problem document needs.
//! - `stock` (private): level reads, merchant adjustments (`adjust_stock`, `set_stock`)
//!   and the movement log.
//! - `reservation` (private): reserve, commit (including a late commit after expiry),
//!   release.
//! - `expiry` (private): the job that expires active reservations past their TTL.
//! - [`seed`]: deterministic demo stock for the demo catalog.
//! - `store` (private): all SQL of this service, portable between SQLite and PostgreSQL.
//!
//! Every write that emits an event appends it to the kernel's outbox in the same
//! transaction and wakes the [`EventBus`] after the commit. Topics and payloads follow
//! docs/COMMERCE.md ([`topics`]). Reserving emits no event: the caller (checkout) already
//! knows, and nobody else acts on it.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 2000–2999;
//! they create the default location `sloc_default` ([`DEFAULT_LOCATION`]), which every
//! call uses for now.

pub mod error;
mod expiry;
pub mod model;
mod reservation;
pub mod seed;
mod stock;
mod store;

use std::{collections::HashMap, future::Future, sync::Arc, time::Duration};

pub use error::{InventoryError, Result};
pub use model::*;

use emporium_kernel::{
    cache::{Forget, Memo},
    db::Database,
    events::EventBus,
    id::{OrderId, ReservationId, VariantId},
};

/// Levels remembered for [`Inventory::recent_level`] (about 100 bytes each).
const RECENT_CAPACITY: usize = 50_000;
/// How long a remembered level may miss another process's stock change.
const RECENT_TTL: Duration = Duration::from_secs(10);

/// The inventory service. Cheap to clone: a database handle, a wake-up handle and the
/// memo of [`Inventory::recent_level`], which clones share. Build one per database and
/// process (clone it to share), so that its own writes keep that memo exact.
#[derive(Clone, Debug)]
pub struct Inventory {
    db: Database,
    bus: EventBus,
    recent: Arc<Memo<VariantId, StockLevel>>,
}

impl Inventory {
    pub fn new(db: Database, bus: EventBus) -> Self {
        Inventory {
            db,
            bus,
            recent: Arc::new(Memo::new(RECENT_CAPACITY, RECENT_TTL)),
        }
    }

    /// Forgets the remembered levels of `variant_ids` (every level: `None`) when dropped.
    /// Every stock write takes one before its commit.
    pub(crate) fn forget_levels(
        &self,
        variant_ids: Option<Vec<VariantId>>,
    ) -> Forget<'_, VariantId, StockLevel> {
        self.recent.forget_on_drop(variant_ids)
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades the inventory's tables. The kernel's outbox tables are the
    /// composition root's job (`emporium_kernel::events::migrate`).
    pub async fn migrate(&self) -> Result<()> {
        store::migrate(&self.db).await
    }

    // ----- stock levels -----

    /// Stock of one variant at the default location; a variant never stocked has
    /// nothing on hand.
    pub async fn level(&self, variant_id: &VariantId) -> Result<StockLevel> {
        stock::level(self, variant_id).await
    }

    /// [`Inventory::level`] from memory when this process read it since its last change
    /// to the variant's stock (and within the last 10 s): what the add-to-cart check asks
    /// on every add. Another process's change may be missed for those 10 s; reserving,
    /// one conditional update, is exact whatever this said.
    pub async fn recent_level(&self, variant_id: &VariantId) -> Result<StockLevel> {
        if let Some(level) = self.recent.get(variant_id) {
            return Ok(level);
        }
        let stamp = self.recent.stamp();
        let level = stock::level(self, variant_id).await?;
        self.recent.put(stamp, variant_id.clone(), level.clone());
        Ok(level)
    }

    /// Stock of many variants (for product pages and cart views) in one query per 249
    /// ids; every requested id is in the map, unstocked ones with zeros.
    pub async fn levels(
        &self,
        variant_ids: &[VariantId],
    ) -> Result<HashMap<VariantId, StockLevel>> {
        stock::levels(self, variant_ids).await
    }

    /// Units sold per variant (committed reservations), for ranking by popularity;
    /// variants that never sold are absent.
    pub async fn units_sold(&self, variant_ids: &[VariantId]) -> Result<HashMap<VariantId, i64>> {
        let rows = self
            .db
            .read(async |conn| store::movement::units_sold(conn, variant_ids).await)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, units)| VariantId::parse(&id).ok().map(|id| (id, units)))
            .collect())
    }

    /// Adds (`delta > 0`) or removes (`delta < 0`) units on hand, creating the level if
    /// missing; logs a movement and emits `inventory.adjusted`.
    ///
    /// Errors: `ReasonRequired` for a blank reason; `InvalidQuantity { field: "delta" }`
    /// for zero or more than 10^9 units; `WouldGoNegative` when on_hand would drop below
    /// zero or below what is reserved.
    pub async fn adjust_stock(
        &self,
        variant_id: &VariantId,
        delta: i64,
        reason: &str,
        actor: Option<&str>,
    ) -> Result<StockLevel> {
        stock::adjust(self, variant_id, delta, reason, actor).await
    }

    /// Sets on_hand to a counted number (a stocktake), logging the difference as a
    /// movement and emitting `inventory.adjusted` (a count that confirms the stored
    /// number is logged too, with delta 0: the audit trail shows the count happened).
    ///
    /// Errors: `ReasonRequired`; `InvalidQuantity { field: "on_hand" }` outside
    /// 0..=10^9; `WouldGoNegative` when fewer than the reserved units would remain.
    pub async fn set_stock(
        &self,
        variant_id: &VariantId,
        on_hand: i64,
        reason: &str,
        actor: Option<&str>,
    ) -> Result<StockLevel> {
        stock::set(self, variant_id, on_hand, reason, actor).await
    }

    /// The newest `limit` (1..=500) movements of a variant, newest first.
    pub async fn movements(&self, variant_id: &VariantId, limit: i64) -> Result<Vec<Movement>> {
        stock::movements(self, variant_id, limit).await
    }

    // ----- reservations -----

    /// Holds stock for `reference` (an order) for `ttl`: all lines or none. Lines for
    /// one variant are merged. Idempotent per reference: while an active or committed
    /// reservation exists for it, that one is returned and nothing more is reserved.
    ///
    /// Errors: `OutOfStock` naming the first variant short of stock (nothing stays
    /// reserved); `InvalidQuantity` for no lines (`lines`) or a quantity below 1
    /// (`lines[i].quantity`).
    pub async fn reserve(
        &self,
        reference: &OrderId,
        lines: &[ReserveLine],
        ttl: Duration,
    ) -> Result<Reservation> {
        reservation::reserve(self, reference, lines, ttl).await
    }

    /// Sells the reserved goods (payment succeeded): on_hand and reserved go down, `sale`
    /// movements are logged, `inventory.reservation_committed` is emitted. Committing a
    /// committed reservation changes nothing. A released or expired one is committed
    /// only if its stock can be taken again, all lines at once.
    ///
    /// Errors: `ReservationNotFound`; `ReservationLapsed` when a lapsed reservation's
    /// stock is gone (or a newer reservation holds stock for the same reference).
    pub async fn commit(&self, reservation_id: &ReservationId) -> Result<Reservation> {
        reservation::commit(self, reservation_id).await
    }

    /// Gives reserved stock back (payment failed, order cancelled) and emits
    /// `inventory.reservation_released`. Releasing a released or expired reservation
    /// changes nothing.
    ///
    /// Errors: `ReservationNotFound`; `AlreadyCommitted` (sold goods are returned by a
    /// refund and a stock adjustment, not by a release).
    pub async fn release(&self, reservation_id: &ReservationId) -> Result<Reservation> {
        reservation::release(self, reservation_id).await
    }

    /// Errors: `ReservationNotFound`.
    pub async fn reservation(&self, reservation_id: &ReservationId) -> Result<Reservation> {
        reservation::get(self, reservation_id).await
    }

    /// The reservation for `reference`: the active or committed one if any, else the
    /// newest released or expired one.
    pub async fn reservation_for(&self, reference: &OrderId) -> Result<Option<Reservation>> {
        reservation::for_reference(self, reference).await
    }

    // ----- jobs -----

    /// Expires every active reservation whose `expires_at <= now_ms`: its stock becomes
    /// available again and `inventory.reservation_expired` is emitted, once per
    /// reservation even with several runners. Returns how many this call expired.
    pub async fn release_expired(&self, now_ms: i64) -> Result<usize> {
        expiry::release_expired(self, now_ms).await
    }

    /// Runs [`release_expired`](Self::release_expired) every `every` until `shutdown`
    /// resolves. Failures are logged and retried at the next tick.
    pub async fn run_expiry_job(self, every: Duration, shutdown: impl Future<Output = ()>) {
        expiry::run(self, every, shutdown).await
    }

    /// Stocks the given variants with [`seed::demo_on_hand`] units each (movement reason
    /// `initial stock`), skipping variants that already have a level.
    pub async fn seed_demo(&self, variant_ids: &[VariantId]) -> Result<()> {
        seed::seed_demo(self, variant_ids).await
    }
}
