//! Stock levels: reads, the recent-level memo, merchant adjustments (`adjust_stock`,
//! `set_stock`) with their movements and events, the demo seed, and the schema's own
//! guards against negative stock.
//! Every test runs on each test database (see `support`); assertion messages name it.

mod support;

use std::{collections::HashMap, time::Duration};

use emporium_inventory::{
    seed::demo_on_hand, Inventory, InventoryError, ReservationStatus, StockAdjustedEvent,
    StockLevel, DEFAULT_LOCATION,
};
use emporium_kernel::{
    clock::now_ms,
    db::{DbError, Sql},
    events::{self, EventBus},
    id::VariantId,
};

use support::{envs, line, ok, ord, var, Env};

#[tokio::test]
async fn a_variant_never_stocked_has_nothing_on_hand() {
    for env in envs().await {
        let level = env.level(&var("unknown")).await;
        assert_eq!(
            level,
            StockLevel {
                variant_id: var("unknown"),
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
        env.stock(&var("a"), 7).await;
        env.stock(&var("b"), 3).await;
        env.reserve(&ord("1"), &[line(&var("a"), 2)]).await;
        let ids = vec![var("a"), var("b"), var("c")];
        let levels = ok(l, "levels", env.inv.levels(&ids).await);
        assert_eq!(levels.len(), 3, "[{l}]");
        assert_eq!(
            (
                levels[&var("a")].on_hand,
                levels[&var("a")].reserved,
                levels[&var("a")].available
            ),
            (7, 2, 5),
            "[{l}]"
        );
        assert_eq!(levels[&var("b")].available, 3, "[{l}]");
        assert_eq!(levels[&var("c")].on_hand, 0, "[{l}] unstocked variant");
        assert!(
            ok(l, "levels of nothing", env.inv.levels(&[]).await).is_empty(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn recent_levels_follow_every_stock_write_of_this_process() {
    for env in envs().await {
        let l = env.label;
        let recent = |env: &Env| {
            let inv = env.inv.clone();
            async move { ok(l, "recent_level", inv.recent_level(&var("r")).await).available }
        };
        assert_eq!(recent(&env).await, 0, "[{l}] never stocked");
        env.stock(&var("r"), 10).await;
        assert_eq!(recent(&env).await, 10, "[{l}] after set_stock");
        ok(
            l,
            "adjust",
            env.inv.adjust_stock(&var("r"), -2, "damaged", None).await,
        );
        assert_eq!(recent(&env).await, 8, "[{l}] after adjust_stock");
        let held = env.reserve(&ord("r1"), &[line(&var("r"), 3)]).await;
        assert_eq!(recent(&env).await, 5, "[{l}] after reserve");
        ok(l, "release", env.inv.release(&held.id).await);
        assert_eq!(recent(&env).await, 8, "[{l}] after release");
        let sold = env.reserve(&ord("r2"), &[line(&var("r"), 1)]).await;
        ok(l, "commit", env.inv.commit(&sold.id).await);
        assert_eq!(recent(&env).await, 7, "[{l}] after reserve and commit");
        let lapsing = ok(
            l,
            "reserve",
            env.inv
                .reserve(&ord("r3"), &[line(&var("r"), 4)], Duration::from_millis(1))
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
            elsewhere.set_stock(&var("r"), 1, "count", None).await,
        );
        assert_eq!(recent(&env).await, 7, "[{l}] from memory");
        assert_eq!(env.level(&var("r")).await.available, 1, "[{l}] level reads");
    }
}

#[tokio::test]
async fn the_schema_itself_refuses_negative_stock_and_over_reservation() {
    for env in envs().await {
        let l = env.label;
        let a = var("a");
        env.stock(&a, 3).await;
        for change in [
            "on_hand = -1, reserved = 0",
            "reserved = -1",
            "reserved = 4",
        ] {
            let statement =
                format!("UPDATE inventory_levels SET {change} WHERE variant_id = '{a}'");
            let sql = statement.clone();
            let result: Result<u64, DbError> = env
                .db
                .db
                .write(async move |conn| conn.execute(&Sql::new(sql.clone())).await)
                .await;
            assert!(result.is_err(), "[{l}] `{statement}` must violate a CHECK");
        }
        let level = env.level(&var("a")).await;
        assert_eq!((level.on_hand, level.reserved), (3, 0), "[{l}]");
    }
}

#[tokio::test]
async fn adjust_stock_creates_the_level_logs_movements_and_emits_adjusted() {
    for env in envs().await {
        let l = env.label;
        let level = ok(
            l,
            "adjust +12",
            env.inv
                .adjust_stock(&var("a"), 12, "delivery", Some("usr_1"))
                .await,
        );
        assert_eq!((level.on_hand, level.available), (12, 12), "[{l}]");
        ok(
            l,
            "adjust -2",
            env.inv.adjust_stock(&var("a"), -2, "damaged", None).await,
        );
        let moves = ok(l, "movements", env.inv.movements(&var("a"), 10).await);
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
            ok(l, "limit", env.inv.movements(&var("a"), 1).await).len(),
            1,
            "[{l}]"
        );
        let events = events::events_for(&env.db.db, var("a").as_str())
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
                variant_id: var("a"),
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
        env.stock(&var("a"), 3).await;
        match env.inv.adjust_stock(&var("a"), -4, "damaged", None).await {
            Err(InventoryError::WouldGoNegative {
                variant_id,
                on_hand,
                reserved,
                delta,
            }) => assert_eq!(
                (variant_id, on_hand, reserved, delta),
                (var("a"), 3, 0, -4),
                "[{l}]"
            ),
            other => panic!("[{l}] expected WouldGoNegative, got {other:?}"),
        }
        match env.inv.adjust_stock(&var("new"), -1, "damaged", None).await {
            Err(InventoryError::WouldGoNegative { on_hand, .. }) => assert_eq!(on_hand, 0, "[{l}]"),
            other => panic!("[{l}] expected WouldGoNegative, got {other:?}"),
        }
        assert_eq!(env.level(&var("a")).await.on_hand, 3, "[{l}]");
        assert_eq!(
            ok(l, "movements", env.inv.movements(&var("a"), 10).await).len(),
            1,
            "[{l}] only the setup movement"
        );
    }
}

#[tokio::test]
async fn stock_cannot_drop_below_what_is_reserved() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 10).await;
        env.reserve(&ord("1"), &[line(&var("a"), 6)]).await;
        match env.inv.adjust_stock(&var("a"), -5, "damaged", None).await {
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
        match env.inv.set_stock(&var("a"), 5, "recount", None).await {
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
            env.inv.adjust_stock(&var("a"), -4, "damaged", None).await,
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
        env.stock(&var("a"), 10).await;
        let level = ok(
            l,
            "set",
            env.inv
                .set_stock(&var("a"), 7, "recount", Some("usr_2"))
                .await,
        );
        assert_eq!(level.on_hand, 7, "[{l}]");
        let moves = ok(l, "movements", env.inv.movements(&var("a"), 10).await);
        assert_eq!(
            (moves[0].delta, moves[0].on_hand, moves[0].reason.as_str()),
            (-3, 7, "recount"),
            "[{l}]"
        );
        assert_eq!((moves[1].delta, moves[1].on_hand), (10, 10), "[{l}]");
        match env.inv.set_stock(&var("a"), -1, "recount", None).await {
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
                    env.inv.adjust_stock(&var("a"), 5, reason, None).await,
                    Err(InventoryError::ReasonRequired)
                ),
                "[{l}] adjust with {reason:?}"
            );
            assert!(
                matches!(
                    env.inv.set_stock(&var("a"), 5, reason, None).await,
                    Err(InventoryError::ReasonRequired)
                ),
                "[{l}] set with {reason:?}"
            );
        }
        match env.inv.adjust_stock(&var("a"), 0, "recount", None).await {
            Err(e @ InventoryError::InvalidQuantity { .. }) => {
                assert_eq!(e.field(), Some("delta"), "[{l}]")
            }
            other => panic!("[{l}] expected InvalidQuantity, got {other:?}"),
        }
        assert_eq!(env.level(&var("a")).await.on_hand, 0, "[{l}]");
        assert!(
            ok(l, "movements", env.inv.movements(&var("a"), 10).await).is_empty(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn seed_demo_is_deterministic_and_skips_stocked_variants() {
    let ids: Vec<VariantId> = (0..4_000).map(|i| var(&format!("demo{i:05}"))).collect();
    let mut seeded: Vec<HashMap<VariantId, StockLevel>> = Vec::new();
    for env in envs().await {
        let l = env.label;
        env.stock(&ids[0], 999).await;
        // Speed is the seed benchmark's business (`cargo xtask bench`), not a test's.
        ok(l, "seed", env.inv.seed_demo(&ids).await);

        let levels = ok(l, "levels", env.inv.levels(&ids).await);
        assert_eq!(
            levels[&ids[0]].on_hand, 999,
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
        let moves = ok(l, "movements", env.inv.movements(&ids[1], 10).await);
        if demo_on_hand(&ids[1]) > 0 {
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
