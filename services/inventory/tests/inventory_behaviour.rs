//! Behaviour of the inventory service against real databases: every scenario runs on a
//! fresh SQLite file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh
//! PostgreSQL database too. Assertion messages name the database.

use std::{collections::HashMap, time::Duration};

use emporium_inventory::{
    seed::demo_on_hand, Inventory, InventoryError, Reservation, ReservationEvent,
    ReservationStatus, ReserveLine, StockAdjustedEvent, StockLevel, DEFAULT_LOCATION,
};
use emporium_kernel::{
    clock::now_ms,
    db::testing::{self, TestDatabase},
    events::{self, EventBus},
};

const TTL: Duration = Duration::from_secs(15 * 60);

/// A migrated inventory (and outbox) on one test database.
struct Env {
    label: &'static str,
    inv: Inventory,
    db: TestDatabase,
}

async fn envs() -> Vec<Env> {
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

fn line(variant_id: &str, quantity: i64) -> ReserveLine {
    ReserveLine {
        variant_id: variant_id.to_owned(),
        quantity,
    }
}

/// Unwraps `result` or fails the test naming the database and the step.
fn ok<T>(label: &str, what: &str, result: emporium_inventory::Result<T>) -> T {
    result.unwrap_or_else(|e| panic!("[{label}] {what}: {e:?}"))
}

impl Env {
    async fn stock(&self, variant_id: &str, on_hand: i64) {
        ok(
            self.label,
            "set_stock",
            self.inv
                .set_stock(variant_id, on_hand, "test setup", None)
                .await,
        );
    }

    async fn level(&self, variant_id: &str) -> StockLevel {
        ok(self.label, "level", self.inv.level(variant_id).await)
    }

    async fn reserve(&self, reference: &str, lines: &[ReserveLine]) -> Reservation {
        ok(
            self.label,
            "reserve",
            self.inv.reserve(reference, lines, TTL).await,
        )
    }

    async fn topics(&self, aggregate_id: &str) -> Vec<String> {
        events::events_for(&self.db.db, aggregate_id)
            .await
            .unwrap_or_else(|e| panic!("[{}] events_for: {e}", self.label))
            .into_iter()
            .map(|e| e.topic)
            .collect()
    }

    async fn reservation_events(&self, aggregate_id: &str) -> Vec<(String, ReservationEvent)> {
        events::events_for(&self.db.db, aggregate_id)
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

// ----- stock levels -----

#[tokio::test]
async fn a_variant_never_stocked_has_nothing_on_hand() {
    for env in envs().await {
        let level = env.level("var_unknown").await;
        assert_eq!(
            level,
            StockLevel {
                variant_id: "var_unknown".into(),
                location_id: DEFAULT_LOCATION.into(),
                on_hand: 0,
                reserved: 0,
                available: 0,
            },
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn levels_returns_every_requested_variant_with_available_stock() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 7).await;
        env.stock("var_b", 3).await;
        env.reserve("ord_1", &[line("var_a", 2)]).await;
        let ids = vec!["var_a".to_owned(), "var_b".to_owned(), "var_c".to_owned()];
        let levels = ok(l, "levels", env.inv.levels(&ids).await);
        assert_eq!(levels.len(), 3, "[{l}]");
        assert_eq!(
            (
                levels["var_a"].on_hand,
                levels["var_a"].reserved,
                levels["var_a"].available
            ),
            (7, 2, 5),
            "[{l}]"
        );
        assert_eq!(levels["var_b"].available, 3, "[{l}]");
        assert_eq!(levels["var_c"].on_hand, 0, "[{l}] unstocked variant");
        assert!(
            ok(l, "levels of nothing", env.inv.levels(&[]).await).is_empty(),
            "[{l}]"
        );
    }
}

// ----- reserve -----

#[tokio::test]
async fn recent_levels_follow_every_stock_write_of_this_process() {
    for env in envs().await {
        let l = env.label;
        let recent = |env: &Env| {
            let inv = env.inv.clone();
            async move { ok(l, "recent_level", inv.recent_level("var_r").await).available }
        };
        assert_eq!(recent(&env).await, 0, "[{l}] never stocked");
        env.stock("var_r", 10).await;
        assert_eq!(recent(&env).await, 10, "[{l}] after set_stock");
        ok(
            l,
            "adjust",
            env.inv.adjust_stock("var_r", -2, "damaged", None).await,
        );
        assert_eq!(recent(&env).await, 8, "[{l}] after adjust_stock");
        let held = env.reserve("ord_r1", &[line("var_r", 3)]).await;
        assert_eq!(recent(&env).await, 5, "[{l}] after reserve");
        ok(l, "release", env.inv.release(&held.id).await);
        assert_eq!(recent(&env).await, 8, "[{l}] after release");
        let sold = env.reserve("ord_r2", &[line("var_r", 1)]).await;
        ok(l, "commit", env.inv.commit(&sold.id).await);
        assert_eq!(recent(&env).await, 7, "[{l}] after reserve and commit");
        let lapsing = ok(
            l,
            "reserve",
            env.inv
                .reserve("ord_r3", &[line("var_r", 4)], Duration::from_millis(1))
                .await,
        );
        assert_eq!(recent(&env).await, 3, "[{l}] after a short reserve");
        ok(
            l,
            "expire",
            env.inv.release_expired(now_ms() + 60_000).await,
        );
        assert_eq!(
            ok(l, "lapsed", env.inv.reservation(&lapsing.id).await).status,
            ReservationStatus::Expired,
            "[{l}]"
        );
        assert_eq!(recent(&env).await, 7, "[{l}] after expiry");

        // Another process's change (an inventory with its own memo over the database):
        // `recent_level` may miss it for up to its ttl, `level` never does.
        let elsewhere = Inventory::new(env.db.db.clone(), EventBus::new());
        ok(
            l,
            "elsewhere",
            elsewhere.set_stock("var_r", 1, "count", None).await,
        );
        assert_eq!(recent(&env).await, 7, "[{l}] from memory");
        assert_eq!(env.level("var_r").await.available, 1, "[{l}] level reads");
    }
}

#[tokio::test]
async fn reserving_more_than_available_fails_with_out_of_stock_naming_the_numbers() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 5).await;
        env.reserve("ord_1", &[line("var_a", 2)]).await;
        match env.inv.reserve("ord_2", &[line("var_a", 4)], TTL).await {
            Err(InventoryError::OutOfStock {
                variant_id,
                requested,
                available,
            }) => {
                assert_eq!(
                    (variant_id.as_str(), requested, available),
                    ("var_a", 4, 3),
                    "[{l}]"
                );
            }
            other => panic!("[{l}] expected OutOfStock, got {other:?}"),
        }
        let level = env.level("var_a").await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (5, 2),
            "[{l}] nothing changed"
        );
        assert!(
            ok(l, "reservation_for", env.inv.reservation_for("ord_2").await).is_none(),
            "[{l}] no reservation row for the refused reference"
        );
    }
}

#[tokio::test]
async fn when_a_later_line_is_out_of_stock_the_earlier_lines_stay_unreserved() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        env.stock("var_b", 1).await;
        match env
            .inv
            .reserve("ord_1", &[line("var_a", 3), line("var_b", 2)], TTL)
            .await
        {
            Err(InventoryError::OutOfStock {
                variant_id,
                requested,
                available,
            }) => assert_eq!(
                (variant_id.as_str(), requested, available),
                ("var_b", 2, 1),
                "[{l}]"
            ),
            other => panic!("[{l}] expected OutOfStock, got {other:?}"),
        }
        assert_eq!(
            env.level("var_a").await.reserved,
            0,
            "[{l}] first line rolled back"
        );
        assert_eq!(env.level("var_b").await.reserved, 0, "[{l}]");
        // The rollback leaves the reference free: a smaller order goes through.
        let r = env
            .reserve("ord_1", &[line("var_a", 3), line("var_b", 1)])
            .await;
        assert_eq!(r.status, ReservationStatus::Active, "[{l}]");
    }
}

#[tokio::test]
async fn reserving_an_unstocked_variant_is_out_of_stock_with_nothing_available() {
    for env in envs().await {
        match env.inv.reserve("ord_1", &[line("var_none", 1)], TTL).await {
            Err(InventoryError::OutOfStock { available, .. }) => {
                assert_eq!(available, 0, "[{}]", env.label)
            }
            other => panic!("[{}] expected OutOfStock, got {other:?}", env.label),
        }
    }
}

#[tokio::test]
async fn lines_for_the_same_variant_are_merged_before_reserving() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 5).await;
        match env
            .inv
            .reserve("ord_1", &[line("var_a", 3), line("var_a", 3)], TTL)
            .await
        {
            Err(InventoryError::OutOfStock {
                requested,
                available,
                ..
            }) => {
                assert_eq!(
                    (requested, available),
                    (6, 5),
                    "[{l}] merged quantity checked as one"
                )
            }
            other => panic!("[{l}] expected OutOfStock, got {other:?}"),
        }
        let r = env
            .reserve("ord_1", &[line("var_a", 2), line("var_a", 3)])
            .await;
        assert_eq!(r.lines, vec![line("var_a", 5)], "[{l}] one merged line");
        assert_eq!(env.level("var_a").await.available, 0, "[{l}]");
    }
}

#[tokio::test]
async fn reserve_rejects_bad_quantities_empty_lines_and_an_empty_reference() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 5).await;
        let cases: Vec<(&str, Vec<ReserveLine>, &str)> = vec![
            (
                "ord_1",
                vec![line("var_a", 1), line("var_a", 0)],
                "lines[1].quantity",
            ),
            ("ord_1", vec![line("var_a", -2)], "lines[0].quantity"),
            ("ord_1", vec![line(" ", 1)], "lines[0].variant_id"),
            ("ord_1", vec![], "lines"),
            ("", vec![line("var_a", 1)], "reference"),
        ];
        for (reference, lines, expected) in cases {
            match env.inv.reserve(reference, &lines, TTL).await {
                Err(e @ InventoryError::InvalidQuantity { .. }) => {
                    assert_eq!(e.field(), Some(expected), "[{l}] {e}")
                }
                other => panic!("[{l}] expected InvalidQuantity for {expected}, got {other:?}"),
            }
        }
        assert_eq!(env.level("var_a").await.reserved, 0, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_reservations_of_ten_units_never_oversell() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_hot", 10).await;
        let mut tasks = Vec::new();
        for i in 0..200 {
            let inv = env.inv.clone();
            tasks.push(tokio::spawn(async move {
                inv.reserve(&format!("ord_{i}"), &[line("var_hot", 1)], TTL)
                    .await
            }));
        }
        let (mut reserved, mut out_of_stock) = (0, 0);
        for task in tasks {
            match task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}")) {
                Ok(_) => reserved += 1,
                Err(InventoryError::OutOfStock { variant_id, .. }) => {
                    assert_eq!(variant_id, "var_hot", "[{l}]");
                    out_of_stock += 1;
                }
                Err(e) => panic!("[{l}] unexpected error: {e:?}"),
            }
        }
        assert_eq!((reserved, out_of_stock), (10, 190), "[{l}]");
        let level = env.level("var_hot").await;
        assert_eq!(
            (level.on_hand, level.reserved, level.available),
            (10, 10, 0),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn reserve_is_idempotent_per_reference() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        let first = env.reserve("ord_1", &[line("var_a", 4)]).await;
        let again = env.reserve("ord_1", &[line("var_a", 4)]).await;
        assert_eq!(again, first, "[{l}] the same reservation comes back");
        assert_eq!(env.level("var_a").await.reserved, 4, "[{l}] reserved once");
        // Still the same after it is committed.
        ok(l, "commit", env.inv.commit(&first.id).await);
        let after_commit = env.reserve("ord_1", &[line("var_a", 4)]).await;
        assert_eq!(after_commit.id, first.id, "[{l}]");
        assert_eq!(after_commit.status, ReservationStatus::Committed, "[{l}]");
        assert_eq!(env.level("var_a").await.on_hand, 6, "[{l}] sold once");
        let found = ok(l, "reservation_for", env.inv.reservation_for("ord_1").await);
        assert_eq!(found.map(|r| r.id), Some(first.id), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reserves_for_one_reference_reserve_once() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 100).await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let inv = env.inv.clone();
            tasks.push(tokio::spawn(async move {
                inv.reserve("ord_same", &[line("var_a", 3)], TTL).await
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            let r = task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}"));
            ids.push(ok(l, "reserve", r).id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "[{l}] every call got the same reservation");
        assert_eq!(env.level("var_a").await.reserved, 3, "[{l}]");
    }
}

#[tokio::test]
async fn a_released_reference_can_be_reserved_again() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 5).await;
        let first = env.reserve("ord_1", &[line("var_a", 2)]).await;
        ok(l, "release", env.inv.release(&first.id).await);
        let second = env.reserve("ord_1", &[line("var_a", 3)]).await;
        assert_ne!(second.id, first.id, "[{l}] a new reservation");
        assert_eq!(env.level("var_a").await.reserved, 3, "[{l}]");
        let found = ok(l, "reservation_for", env.inv.reservation_for("ord_1").await);
        assert_eq!(
            found.map(|r| r.id),
            Some(second.id),
            "[{l}] the live one speaks for the reference"
        );
    }
}

// ----- commit and release -----

#[tokio::test]
async fn commit_takes_the_reserved_units_out_of_on_hand_and_logs_a_sale() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        env.stock("var_b", 4).await;
        let r = env
            .reserve("ord_1", &[line("var_a", 3), line("var_b", 4)])
            .await;
        let committed = ok(l, "commit", env.inv.commit(&r.id).await);
        assert_eq!(committed.status, ReservationStatus::Committed, "[{l}]");
        let a = env.level("var_a").await;
        let b = env.level("var_b").await;
        assert_eq!((a.on_hand, a.reserved, a.available), (7, 0, 7), "[{l}]");
        assert_eq!((b.on_hand, b.reserved, b.available), (0, 0, 0), "[{l}]");
        let moves = ok(l, "movements", env.inv.movements("var_a", 10).await);
        assert_eq!(moves[0].reason, "sale", "[{l}]");
        assert_eq!((moves[0].delta, moves[0].on_hand), (-3, 7), "[{l}]");
        assert_eq!(moves[0].reference.as_deref(), Some("ord_1"), "[{l}]");
        let events = env.reservation_events(&r.id).await;
        assert_eq!(events.len(), 1, "[{l}]");
        assert_eq!(events[0].0, "inventory.reservation_committed", "[{l}]");
        assert_eq!(events[0].1.reference, "ord_1", "[{l}]");
        assert_eq!(
            events[0].1.lines,
            vec![line("var_a", 3), line("var_b", 4)],
            "[{l}]"
        );
        assert_eq!(
            ok(l, "reservation", env.inv.reservation(&r.id).await).status,
            ReservationStatus::Committed,
            "[{l}] stored"
        );
    }
}

#[tokio::test]
async fn committing_a_committed_reservation_changes_nothing() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        let r = env.reserve("ord_1", &[line("var_a", 3)]).await;
        ok(l, "commit", env.inv.commit(&r.id).await);
        let again = ok(l, "commit again", env.inv.commit(&r.id).await);
        assert_eq!(again.status, ReservationStatus::Committed, "[{l}]");
        assert_eq!(env.level("var_a").await.on_hand, 7, "[{l}] sold once");
        let sales = ok(l, "movements", env.inv.movements("var_a", 10).await)
            .into_iter()
            .filter(|m| m.reason == "sale")
            .count();
        assert_eq!(sales, 1, "[{l}]");
        assert_eq!(env.topics(&r.id).await.len(), 1, "[{l}] one commit event");
    }
}

#[tokio::test]
async fn release_gives_the_stock_back_once() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        let r = env.reserve("ord_1", &[line("var_a", 4)]).await;
        assert_eq!(env.level("var_a").await.available, 6, "[{l}]");
        let released = ok(l, "release", env.inv.release(&r.id).await);
        assert_eq!(released.status, ReservationStatus::Released, "[{l}]");
        let again = ok(l, "release again", env.inv.release(&r.id).await);
        assert_eq!(again.status, ReservationStatus::Released, "[{l}]");
        let level = env.level("var_a").await;
        assert_eq!(
            (level.on_hand, level.reserved, level.available),
            (10, 0, 10),
            "[{l}]"
        );
        assert_eq!(
            env.topics(&r.id).await,
            vec!["inventory.reservation_released".to_owned()],
            "[{l}] one release event"
        );
    }
}

#[tokio::test]
async fn releasing_a_committed_reservation_is_refused() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        let r = env.reserve("ord_1", &[line("var_a", 4)]).await;
        ok(l, "commit", env.inv.commit(&r.id).await);
        match env.inv.release(&r.id).await {
            Err(InventoryError::AlreadyCommitted { reservation_id }) => {
                assert_eq!(reservation_id, r.id, "[{l}]")
            }
            other => panic!("[{l}] expected AlreadyCommitted, got {other:?}"),
        }
        let level = env.level("var_a").await;
        assert_eq!((level.on_hand, level.reserved), (6, 0), "[{l}] unchanged");
    }
}

#[tokio::test]
async fn unknown_reservations_are_not_found() {
    for env in envs().await {
        let l = env.label;
        for result in [
            env.inv.commit("res_missing").await,
            env.inv.release("res_missing").await,
            env.inv.reservation("res_missing").await,
        ] {
            match result {
                Err(InventoryError::ReservationNotFound { reservation_id }) => {
                    assert_eq!(reservation_id, "res_missing", "[{l}]")
                }
                other => panic!("[{l}] expected ReservationNotFound, got {other:?}"),
            }
        }
        assert!(ok(
            l,
            "reservation_for",
            env.inv.reservation_for("ord_none").await
        )
        .is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_racing_a_release_sells_the_goods_exactly_once() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        for round in 0..10 {
            let r = env
                .reserve(&format!("ord_{round}"), &[line("var_a", 1)])
                .await;
            let (committer, releaser) = (env.inv.clone(), env.inv.clone());
            let (id_c, id_r) = (r.id.clone(), r.id.clone());
            let commit = tokio::spawn(async move { committer.commit(&id_c).await });
            let release = tokio::spawn(async move { releaser.release(&id_r).await });
            let committed = commit.await.unwrap_or_else(|e| panic!("[{l}] task: {e}"));
            assert_eq!(
                ok(l, "commit", committed).status,
                ReservationStatus::Committed,
                "[{l}] payment arrived: sold either way"
            );
            match release.await.unwrap_or_else(|e| panic!("[{l}] task: {e}")) {
                Ok(_) | Err(InventoryError::AlreadyCommitted { .. }) => {}
                Err(e) => panic!("[{l}] unexpected release error: {e:?}"),
            }
            let committed_events = env
                .topics(&r.id)
                .await
                .into_iter()
                .filter(|t| t == "inventory.reservation_committed")
                .count();
            assert_eq!(committed_events, 1, "[{l}] round {round}");
        }
        let level = env.level("var_a").await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (0, 0),
            "[{l}] ten sold, none held"
        );
    }
}

#[tokio::test]
async fn the_schema_itself_refuses_negative_stock_and_over_reservation() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 3).await;
        for statement in [
            "UPDATE inventory_levels SET on_hand = -1, reserved = 0 WHERE variant_id = 'var_a'",
            "UPDATE inventory_levels SET reserved = -1 WHERE variant_id = 'var_a'",
            "UPDATE inventory_levels SET reserved = 4 WHERE variant_id = 'var_a'",
        ] {
            let result = sqlx::query(statement).execute(env.db.db.pool()).await;
            assert!(result.is_err(), "[{l}] `{statement}` must violate a CHECK");
        }
        let level = env.level("var_a").await;
        assert_eq!((level.on_hand, level.reserved), (3, 0), "[{l}]");
    }
}

// ----- expiry -----

#[tokio::test]
async fn the_expiry_job_releases_only_reservations_past_their_ttl_once() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        let short = ok(
            l,
            "reserve short",
            env.inv
                .reserve("ord_short", &[line("var_a", 3)], Duration::from_secs(60))
                .await,
        );
        let long = ok(
            l,
            "reserve long",
            env.inv
                .reserve("ord_long", &[line("var_a", 2)], Duration::from_secs(3_600))
                .await,
        );
        let later = now_ms() + 10 * 60 * 1000;
        assert_eq!(
            ok(l, "expire", env.inv.release_expired(later).await),
            1,
            "[{l}]"
        );
        assert_eq!(
            ok(l, "short", env.inv.reservation(&short.id).await).status,
            ReservationStatus::Expired,
            "[{l}]"
        );
        assert_eq!(
            ok(l, "long", env.inv.reservation(&long.id).await).status,
            ReservationStatus::Active,
            "[{l}]"
        );
        let level = env.level("var_a").await;
        assert_eq!((level.reserved, level.available), (2, 8), "[{l}]");
        let events = env.reservation_events(&short.id).await;
        assert_eq!(events.len(), 1, "[{l}] one event");
        assert_eq!(events[0].0, "inventory.reservation_expired", "[{l}]");
        assert_eq!(
            events[0].1,
            ReservationEvent {
                reservation_id: short.id.clone(),
                reference: "ord_short".into(),
                lines: vec![line("var_a", 3)],
            },
            "[{l}]"
        );
        assert!(env.topics(&long.id).await.is_empty(), "[{l}]");

        assert_eq!(
            ok(l, "second run", env.inv.release_expired(later).await),
            0,
            "[{l}]"
        );
        assert_eq!(
            env.reservation_events(&short.id).await.len(),
            1,
            "[{l}] still one event"
        );
        assert_eq!(
            env.level("var_a").await.reserved,
            2,
            "[{l}] nothing released twice"
        );
        // Releasing an expired reservation is a no-op.
        let released = ok(l, "release expired", env.inv.release(&short.id).await);
        assert_eq!(released.status, ReservationStatus::Expired, "[{l}]");
        assert_eq!(env.level("var_a").await.reserved, 2, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_expiry_runners_expire_each_reservation_exactly_once() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 100).await;
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(
                env.reserve(&format!("ord_{i}"), &[line("var_a", 2)])
                    .await
                    .id,
            );
        }
        let later = now_ms() + TTL.as_millis() as i64 + 1;
        let runners: Vec<_> = (0..4)
            .map(|_| {
                let inv = env.inv.clone();
                tokio::spawn(async move { inv.release_expired(later).await })
            })
            .collect();
        let mut total = 0;
        for runner in runners {
            let n = runner.await.unwrap_or_else(|e| panic!("[{l}] task: {e}"));
            total += ok(l, "release_expired", n);
        }
        assert_eq!(total, 20, "[{l}] each expired by exactly one runner");
        assert_eq!(env.level("var_a").await.reserved, 0, "[{l}]");
        for id in &ids {
            assert_eq!(
                env.topics(id).await,
                vec!["inventory.reservation_expired".to_owned()],
                "[{l}] {id}"
            );
        }
    }
}

#[tokio::test]
async fn a_late_commit_after_expiry_takes_the_stock_again_when_it_is_there() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 5).await;
        let r = ok(
            l,
            "reserve",
            env.inv
                .reserve("ord_1", &[line("var_a", 2)], Duration::from_millis(1))
                .await,
        );
        assert_eq!(
            ok(l, "expire", env.inv.release_expired(now_ms() + 1_000).await),
            1,
            "[{l}]"
        );
        let committed = ok(l, "late commit", env.inv.commit(&r.id).await);
        assert_eq!(committed.status, ReservationStatus::Committed, "[{l}]");
        let level = env.level("var_a").await;
        assert_eq!((level.on_hand, level.reserved), (3, 0), "[{l}]");
        assert_eq!(
            env.topics(&r.id).await,
            vec![
                "inventory.reservation_expired".to_owned(),
                "inventory.reservation_committed".to_owned()
            ],
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn a_late_commit_fails_with_reservation_lapsed_when_the_stock_is_gone() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 2).await;
        env.stock("var_b", 5).await;
        let r = env
            .reserve("ord_1", &[line("var_a", 2), line("var_b", 1)])
            .await;
        ok(l, "release", env.inv.release(&r.id).await);
        let other = env.reserve("ord_2", &[line("var_a", 1)]).await;
        match env.inv.commit(&r.id).await {
            Err(InventoryError::ReservationLapsed { reservation_id }) => {
                assert_eq!(reservation_id, r.id, "[{l}]")
            }
            other => panic!("[{l}] expected ReservationLapsed, got {other:?}"),
        }
        assert_eq!(
            ok(l, "reservation", env.inv.reservation(&r.id).await).status,
            ReservationStatus::Released,
            "[{l}] stays released"
        );
        let (a, b) = (env.level("var_a").await, env.level("var_b").await);
        assert_eq!(
            (a.on_hand, a.reserved),
            (2, 1),
            "[{l}] only ord_2 holds var_a"
        );
        assert_eq!(
            (b.on_hand, b.reserved),
            (5, 0),
            "[{l}] var_b line rolled back"
        );
        assert_eq!(env.level("var_a").await.reserved, 1, "[{l}]");
        assert_eq!(
            ok(l, "other", env.inv.reservation(&other.id).await).status,
            ReservationStatus::Active
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expiry_job_loop_expires_due_reservations_and_stops_on_shutdown() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 5).await;
        let r = ok(
            l,
            "reserve",
            env.inv
                .reserve("ord_1", &[line("var_a", 2)], Duration::from_millis(1))
                .await,
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let job = tokio::spawn(env.inv.clone().run_expiry_job(
            Duration::from_millis(20),
            async move {
                let _ = stopped.await;
            },
        ));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while env.level("var_a").await.reserved != 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "[{l}] job never expired it"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(5), job)
            .await
            .unwrap_or_else(|_| panic!("[{l}] job did not stop"))
            .unwrap_or_else(|e| panic!("[{l}] job: {e}"));
        assert_eq!(
            ok(l, "reservation", env.inv.reservation(&r.id).await).status,
            ReservationStatus::Expired,
            "[{l}]"
        );
    }
}

// ----- adjustments -----

#[tokio::test]
async fn adjust_stock_creates_the_level_logs_movements_and_emits_adjusted() {
    for env in envs().await {
        let l = env.label;
        let level = ok(
            l,
            "adjust +12",
            env.inv
                .adjust_stock("var_a", 12, "delivery", Some("usr_1"))
                .await,
        );
        assert_eq!((level.on_hand, level.available), (12, 12), "[{l}]");
        ok(
            l,
            "adjust -2",
            env.inv.adjust_stock("var_a", -2, "damaged", None).await,
        );
        let moves = ok(l, "movements", env.inv.movements("var_a", 10).await);
        let summary: Vec<_> = moves
            .iter()
            .map(|m| (m.delta, m.on_hand, m.reason.as_str(), m.actor.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (-2, 10, "damaged", None),
                (12, 12, "delivery", Some("usr_1"))
            ],
            "[{l}] newest first"
        );
        assert_eq!(
            ok(l, "limit", env.inv.movements("var_a", 1).await).len(),
            1,
            "[{l}]"
        );
        let events = events::events_for(&env.db.db, "var_a")
            .await
            .unwrap_or_else(|e| panic!("[{l}] events: {e}"));
        assert_eq!(events.len(), 2, "[{l}]");
        assert!(
            events.iter().all(|e| e.topic == "inventory.adjusted"),
            "[{l}]"
        );
        let last: StockAdjustedEvent = events[1]
            .decode()
            .unwrap_or_else(|e| panic!("[{l}] decode: {e}"));
        assert_eq!(
            last,
            StockAdjustedEvent {
                variant_id: "var_a".into(),
                location_id: DEFAULT_LOCATION.into(),
                delta: -2,
                on_hand: 10,
                reason: "damaged".into(),
            },
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn adjust_stock_refuses_to_take_on_hand_below_zero() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 3).await;
        match env.inv.adjust_stock("var_a", -4, "damaged", None).await {
            Err(InventoryError::WouldGoNegative {
                variant_id,
                on_hand,
                reserved,
                delta,
            }) => assert_eq!(
                (variant_id.as_str(), on_hand, reserved, delta),
                ("var_a", 3, 0, -4),
                "[{l}]"
            ),
            other => panic!("[{l}] expected WouldGoNegative, got {other:?}"),
        }
        match env.inv.adjust_stock("var_new", -1, "damaged", None).await {
            Err(InventoryError::WouldGoNegative { on_hand, .. }) => assert_eq!(on_hand, 0, "[{l}]"),
            other => panic!("[{l}] expected WouldGoNegative, got {other:?}"),
        }
        assert_eq!(env.level("var_a").await.on_hand, 3, "[{l}]");
        assert_eq!(
            ok(l, "movements", env.inv.movements("var_a", 10).await).len(),
            1,
            "[{l}] only the setup movement"
        );
    }
}

#[tokio::test]
async fn stock_cannot_drop_below_what_is_reserved() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        env.reserve("ord_1", &[line("var_a", 6)]).await;
        match env.inv.adjust_stock("var_a", -5, "damaged", None).await {
            Err(InventoryError::WouldGoNegative {
                on_hand,
                reserved,
                delta,
                ..
            }) => {
                assert_eq!((on_hand, reserved, delta), (10, 6, -5), "[{l}]")
            }
            other => panic!("[{l}] expected WouldGoNegative, got {other:?}"),
        }
        match env.inv.set_stock("var_a", 5, "recount", None).await {
            Err(InventoryError::WouldGoNegative {
                on_hand,
                reserved,
                delta,
                ..
            }) => {
                assert_eq!((on_hand, reserved, delta), (10, 6, -5), "[{l}]")
            }
            other => panic!("[{l}] expected WouldGoNegative, got {other:?}"),
        }
        // Down to exactly the reserved quantity is fine.
        let level = ok(
            l,
            "adjust -4",
            env.inv.adjust_stock("var_a", -4, "damaged", None).await,
        );
        assert_eq!(
            (level.on_hand, level.reserved, level.available),
            (6, 6, 0),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn set_stock_logs_the_difference_to_the_counted_number() {
    for env in envs().await {
        let l = env.label;
        env.stock("var_a", 10).await;
        let level = ok(
            l,
            "set",
            env.inv
                .set_stock("var_a", 7, "recount", Some("usr_2"))
                .await,
        );
        assert_eq!(level.on_hand, 7, "[{l}]");
        let moves = ok(l, "movements", env.inv.movements("var_a", 10).await);
        assert_eq!(
            (moves[0].delta, moves[0].on_hand, moves[0].reason.as_str()),
            (-3, 7, "recount"),
            "[{l}]"
        );
        assert_eq!((moves[1].delta, moves[1].on_hand), (10, 10), "[{l}]");
        match env.inv.set_stock("var_a", -1, "recount", None).await {
            Err(e @ InventoryError::InvalidQuantity { .. }) => {
                assert_eq!(e.field(), Some("on_hand"), "[{l}]")
            }
            other => panic!("[{l}] expected InvalidQuantity, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn stock_changes_need_a_reason_and_a_non_zero_delta() {
    for env in envs().await {
        let l = env.label;
        for reason in ["", "   "] {
            assert!(
                matches!(
                    env.inv.adjust_stock("var_a", 5, reason, None).await,
                    Err(InventoryError::ReasonRequired)
                ),
                "[{l}] adjust with {reason:?}"
            );
            assert!(
                matches!(
                    env.inv.set_stock("var_a", 5, reason, None).await,
                    Err(InventoryError::ReasonRequired)
                ),
                "[{l}] set with {reason:?}"
            );
        }
        match env.inv.adjust_stock("var_a", 0, "recount", None).await {
            Err(e @ InventoryError::InvalidQuantity { .. }) => {
                assert_eq!(e.field(), Some("delta"), "[{l}]")
            }
            other => panic!("[{l}] expected InvalidQuantity, got {other:?}"),
        }
        assert_eq!(env.level("var_a").await.on_hand, 0, "[{l}]");
        assert!(
            ok(l, "movements", env.inv.movements("var_a", 10).await).is_empty(),
            "[{l}]"
        );
    }
}

// ----- demo seed -----

#[tokio::test]
async fn seed_demo_is_deterministic_quick_and_skips_stocked_variants() {
    let ids: Vec<String> = (0..4_000).map(|i| format!("var_demo_{i:05}")).collect();
    let mut seeded: Vec<HashMap<String, StockLevel>> = Vec::new();
    for env in envs().await {
        let l = env.label;
        env.stock("var_demo_00000", 999).await;
        let started = std::time::Instant::now();
        ok(l, "seed", env.inv.seed_demo(&ids).await);
        let took = started.elapsed();
        eprintln!("[{l}] seeded 4,000 variants in {took:?}");
        // About 0.4 s in a debug build; 8,000-parameter statements took 3 s on SQLite.
        assert!(took < Duration::from_secs(2), "[{l}] seeding took {took:?}");

        let levels = ok(l, "levels", env.inv.levels(&ids).await);
        assert_eq!(
            levels["var_demo_00000"].on_hand, 999,
            "[{l}] stocked variant skipped"
        );
        for id in &ids[1..] {
            assert_eq!(levels[id].on_hand, demo_on_hand(id), "[{l}] {id}");
        }
        let sold_out = levels.values().filter(|s| s.on_hand == 0).count();
        assert!(
            (130..=400).contains(&sold_out),
            "[{l}] about 1 in 15 sold out, got {sold_out}"
        );
        let moves = ok(
            l,
            "movements",
            env.inv.movements("var_demo_00001", 10).await,
        );
        if demo_on_hand("var_demo_00001") > 0 {
            assert_eq!(moves.len(), 1, "[{l}]");
            assert_eq!(moves[0].reason, "initial stock", "[{l}]");
        }

        // A second seed changes nothing.
        ok(l, "seed again", env.inv.seed_demo(&ids).await);
        let again = ok(l, "levels", env.inv.levels(&ids).await);
        assert_eq!(again, levels, "[{l}]");
        seeded.push(levels);
    }
    if let [first, rest @ ..] = seeded.as_slice() {
        for other in rest {
            assert_eq!(other, first, "every database holds the same demo stock");
        }
    }
}
