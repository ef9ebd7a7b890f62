//! What every inventory behaviour test uses: a migrated inventory on each test database
//! (`emporium_kernel::db::testing::databases`: SQLite always, PostgreSQL when
//! `TEST_POSTGRES_URL` is set or `CI=true`), and steps that fail naming the database.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::time::Duration;

use emporium_inventory::{Inventory, Reservation, ReservationEvent, ReserveLine, StockLevel};
use emporium_kernel::{
    db::testing::{self, TestDatabase},
    events::{self, EventBus},
    id::{OrderId, ReservationId, VariantId},
};

pub const TTL: Duration = Duration::from_secs(15 * 60);

/// A migrated inventory (and outbox) on one test database.
pub struct Env {
    pub label: &'static str,
    pub inv: Inventory,
    pub db: TestDatabase,
}

pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in testing::databases().await {
        let label = db.label;
        events::migrate(&db.db)
            .await
            .unwrap_or_else(|e| panic!("[{label}] events migrate: {e}"));
        let inv = Inventory::new(db.db.clone(), EventBus::new());
        inv.migrate()
            .await
            .unwrap_or_else(|e| panic!("[{label}] migrate: {e}"));
        out.push(Env { label, inv, db });
    }
    out
}

/// The variant a test calls `name` (`a`, `hot`): a real id, `var_0…0a`, the same on
/// every call and every database, and ordered as the names are (for names of one
/// length), so lines merged "by variant id" come in the order the names read.
pub fn var(name: &str) -> VariantId {
    VariantId::parse(&format!("var_{name:0>26}")).unwrap_or_else(|e| panic!("{e}"))
}

/// The order a test calls `name` (`1`, `short`), made as [`var`] makes variants.
pub fn ord(name: &str) -> OrderId {
    OrderId::parse(&format!("ord_{name:0>26}")).unwrap_or_else(|e| panic!("{e}"))
}

/// A reservation id nothing holds: well formed, never stored.
pub fn no_reservation() -> ReservationId {
    ReservationId::new()
}

pub fn line(variant_id: &VariantId, quantity: i64) -> ReserveLine {
    ReserveLine {
        variant_id: variant_id.clone(),
        quantity,
    }
}

/// Unwraps `result` or fails the test naming the database and the step.
pub fn ok<T>(label: &str, what: &str, result: emporium_inventory::Result<T>) -> T {
    result.unwrap_or_else(|e| panic!("[{label}] {what}: {e:?}"))
}

impl Env {
    pub async fn stock(&self, variant_id: &VariantId, on_hand: i64) {
        ok(
            self.label,
            "set_stock",
            self.inv
                .set_stock(variant_id, on_hand, "test setup", None)
                .await,
        );
    }

    pub async fn level(&self, variant_id: &VariantId) -> StockLevel {
        ok(self.label, "level", self.inv.level(variant_id).await)
    }

    pub async fn reserve(&self, reference: &OrderId, lines: &[ReserveLine]) -> Reservation {
        ok(
            self.label,
            "reserve",
            self.inv.reserve(reference, lines, TTL).await,
        )
    }

    /// Topics of the events about `aggregate_id` (a reservation or a variant).
    pub async fn topics(&self, aggregate_id: &impl AsRef<str>) -> Vec<String> {
        events::events_for(&self.db.db, aggregate_id.as_ref())
            .await
            .unwrap_or_else(|e| panic!("[{}] events_for: {e}", self.label))
            .into_iter()
            .map(|e| e.topic)
            .collect()
    }

    pub async fn reservation_events(
        &self,
        reservation_id: &ReservationId,
    ) -> Vec<(String, ReservationEvent)> {
        events::events_for(&self.db.db, reservation_id.as_str())
            .await
            .unwrap_or_else(|e| panic!("[{}] events_for: {e}", self.label))
            .into_iter()
            .map(|e| {
                let payload = e
                    .decode::<ReservationEvent>()
                    .unwrap_or_else(|err| panic!("[{}] payload {}: {err}", self.label, e.payload));
                (e.topic, payload)
            })
            .collect()
    }
}
