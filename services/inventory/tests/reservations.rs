//! Reservations, one call at a time: reserve (out of stock, merged lines, bad input,
//! idempotency per reference), commit, release and lookups.
//! Every test runs on each test database (see `support`); assertion messages name it.

mod support;

use emporium_inventory::{InventoryError, ReservationStatus, ReserveLine};
use emporium_kernel::id::{OrderId, VariantId};

use support::{envs, line, no_reservation, ok, ord, var, TTL};

#[tokio::test]
async fn reserving_more_than_available_fails_with_out_of_stock_naming_the_numbers() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 5).await;
        env.reserve(&ord("1"), &[line(&var("a"), 2)]).await;
        match env.inv.reserve(&ord("2"), &[line(&var("a"), 4)], TTL).await {
            Err(InventoryError::OutOfStock {
                variant_id,
                requested,
                available,
            }) => {
                assert_eq!(
                    (variant_id, requested, available),
                    (var("a"), 4, 3),
                    "[{l}]"
                );
            }
            other => panic!("[{l}] expected OutOfStock, got {other:?}"),
        }
        let level = env.level(&var("a")).await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (5, 2),
            "[{l}] nothing changed"
        );
        assert!(
            ok(
                l,
                "reservation_for",
                env.inv.reservation_for(&ord("2")).await
            )
            .is_none(),
            "[{l}] no reservation row for the refused reference"
        );
    }
}

#[tokio::test]
async fn when_a_later_line_is_out_of_stock_the_earlier_lines_stay_unreserved() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 10).await;
        env.stock(&var("b"), 1).await;
        match env
            .inv
            .reserve(&ord("1"), &[line(&var("a"), 3), line(&var("b"), 2)], TTL)
            .await
        {
            Err(InventoryError::OutOfStock {
                variant_id,
                requested,
                available,
            }) => assert_eq!(
                (variant_id, requested, available),
                (var("b"), 2, 1),
                "[{l}]"
            ),
            other => panic!("[{l}] expected OutOfStock, got {other:?}"),
        }
        assert_eq!(
            env.level(&var("a")).await.reserved,
            0,
            "[{l}] first line rolled back"
        );
        assert_eq!(env.level(&var("b")).await.reserved, 0, "[{l}]");
        // The rollback leaves the reference free: a smaller order goes through.
        let r = env
            .reserve(&ord("1"), &[line(&var("a"), 3), line(&var("b"), 1)])
            .await;
        assert_eq!(r.status, ReservationStatus::Active, "[{l}]");
    }
}

#[tokio::test]
async fn reserving_an_unstocked_variant_is_out_of_stock_with_nothing_available() {
    for env in envs().await {
        match env
            .inv
            .reserve(&ord("1"), &[line(&var("none"), 1)], TTL)
            .await
        {
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
        env.stock(&var("a"), 5).await;
        match env
            .inv
            .reserve(&ord("1"), &[line(&var("a"), 3), line(&var("a"), 3)], TTL)
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
            .reserve(&ord("1"), &[line(&var("a"), 2), line(&var("a"), 3)])
            .await;
        assert_eq!(r.lines, vec![line(&var("a"), 5)], "[{l}] one merged line");
        assert_eq!(env.level(&var("a")).await.available, 0, "[{l}]");
    }
}

#[tokio::test]
async fn reserve_rejects_bad_quantities_empty_lines_and_an_empty_reference() {
    // A blank variant id or an empty reference never reaches `reserve`: it takes parsed
    // ids, and parsing refuses them.
    assert!(VariantId::parse(" ").is_err(), "a blank variant id");
    assert!(OrderId::parse("").is_err(), "an empty reference");
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 5).await;
        let cases: Vec<(Vec<ReserveLine>, &str)> = vec![
            (
                vec![line(&var("a"), 1), line(&var("a"), 0)],
                "lines[1].quantity",
            ),
            (vec![line(&var("a"), -2)], "lines[0].quantity"),
            (vec![], "lines"),
        ];
        for (lines, expected) in cases {
            match env.inv.reserve(&ord("1"), &lines, TTL).await {
                Err(e @ InventoryError::InvalidQuantity { .. }) => {
                    assert_eq!(e.field(), Some(expected), "[{l}] {e}")
                }
                other => panic!("[{l}] expected InvalidQuantity for {expected}, got {other:?}"),
            }
        }
        assert_eq!(env.level(&var("a")).await.reserved, 0, "[{l}]");
    }
}

#[tokio::test]
async fn reserve_is_idempotent_per_reference() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 10).await;
        let first = env.reserve(&ord("1"), &[line(&var("a"), 4)]).await;
        let again = env.reserve(&ord("1"), &[line(&var("a"), 4)]).await;
        assert_eq!(again, first, "[{l}] the same reservation comes back");
        assert_eq!(
            env.level(&var("a")).await.reserved,
            4,
            "[{l}] reserved once"
        );
        // Still the same after it is committed.
        ok(l, "commit", env.inv.commit(&first.id).await);
        let after_commit = env.reserve(&ord("1"), &[line(&var("a"), 4)]).await;
        assert_eq!(after_commit.id, first.id, "[{l}]");
        assert_eq!(after_commit.status, ReservationStatus::Committed, "[{l}]");
        assert_eq!(env.level(&var("a")).await.on_hand, 6, "[{l}] sold once");
        let found = ok(
            l,
            "reservation_for",
            env.inv.reservation_for(&ord("1")).await,
        );
        assert_eq!(found.map(|r| r.id), Some(first.id), "[{l}]");
    }
}

#[tokio::test]
async fn a_released_reference_can_be_reserved_again() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 5).await;
        let first = env.reserve(&ord("1"), &[line(&var("a"), 2)]).await;
        ok(l, "release", env.inv.release(&first.id).await);
        let second = env.reserve(&ord("1"), &[line(&var("a"), 3)]).await;
        assert_ne!(second.id, first.id, "[{l}] a new reservation");
        assert_eq!(env.level(&var("a")).await.reserved, 3, "[{l}]");
        let found = ok(
            l,
            "reservation_for",
            env.inv.reservation_for(&ord("1")).await,
        );
        assert_eq!(
            found.map(|r| r.id),
            Some(second.id),
            "[{l}] the live one speaks for the reference"
        );
    }
}

#[tokio::test]
async fn commit_takes_the_reserved_units_out_of_on_hand_and_logs_a_sale() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 10).await;
        env.stock(&var("b"), 4).await;
        let r = env
            .reserve(&ord("1"), &[line(&var("a"), 3), line(&var("b"), 4)])
            .await;
        let committed = ok(l, "commit", env.inv.commit(&r.id).await);
        assert_eq!(committed.status, ReservationStatus::Committed, "[{l}]");
        let a = env.level(&var("a")).await;
        let b = env.level(&var("b")).await;
        assert_eq!((a.on_hand, a.reserved, a.available), (7, 0, 7), "[{l}]");
        assert_eq!((b.on_hand, b.reserved, b.available), (0, 0, 0), "[{l}]");
        let moves = ok(l, "movements", env.inv.movements(&var("a"), 10).await);
        assert_eq!(moves[0].reason, "sale", "[{l}]");
        assert_eq!((moves[0].delta, moves[0].on_hand), (-3, 7), "[{l}]");
        assert_eq!(moves[0].reference, Some(ord("1")), "[{l}]");
        let events = env.reservation_events(&r.id).await;
        assert_eq!(events.len(), 1, "[{l}]");
        assert_eq!(events[0].0, "inventory.reservation_committed", "[{l}]");
        assert_eq!(events[0].1.reference, ord("1"), "[{l}]");
        assert_eq!(
            events[0].1.lines,
            vec![line(&var("a"), 3), line(&var("b"), 4)],
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
        env.stock(&var("a"), 10).await;
        let r = env.reserve(&ord("1"), &[line(&var("a"), 3)]).await;
        ok(l, "commit", env.inv.commit(&r.id).await);
        let again = ok(l, "commit again", env.inv.commit(&r.id).await);
        assert_eq!(again.status, ReservationStatus::Committed, "[{l}]");
        assert_eq!(env.level(&var("a")).await.on_hand, 7, "[{l}] sold once");
        let sales = ok(l, "movements", env.inv.movements(&var("a"), 10).await)
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
        env.stock(&var("a"), 10).await;
        let r = env.reserve(&ord("1"), &[line(&var("a"), 4)]).await;
        assert_eq!(env.level(&var("a")).await.available, 6, "[{l}]");
        let released = ok(l, "release", env.inv.release(&r.id).await);
        assert_eq!(released.status, ReservationStatus::Released, "[{l}]");
        let again = ok(l, "release again", env.inv.release(&r.id).await);
        assert_eq!(again.status, ReservationStatus::Released, "[{l}]");
        let level = env.level(&var("a")).await;
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
        env.stock(&var("a"), 10).await;
        let r = env.reserve(&ord("1"), &[line(&var("a"), 4)]).await;
        ok(l, "commit", env.inv.commit(&r.id).await);
        match env.inv.release(&r.id).await {
            Err(InventoryError::AlreadyCommitted { reservation_id }) => {
                assert_eq!(reservation_id, r.id, "[{l}]")
            }
            other => panic!("[{l}] expected AlreadyCommitted, got {other:?}"),
        }
        let level = env.level(&var("a")).await;
        assert_eq!((level.on_hand, level.reserved), (6, 0), "[{l}] unchanged");
    }
}

#[tokio::test]
async fn unknown_reservations_are_not_found() {
    for env in envs().await {
        let l = env.label;
        let missing = no_reservation();
        for result in [
            env.inv.commit(&missing).await,
            env.inv.release(&missing).await,
            env.inv.reservation(&missing).await,
        ] {
            match result {
                Err(InventoryError::ReservationNotFound { reservation_id }) => {
                    assert_eq!(reservation_id, missing, "[{l}]")
                }
                other => panic!("[{l}] expected ReservationNotFound, got {other:?}"),
            }
        }
        assert!(ok(
            l,
            "reservation_for",
            env.inv.reservation_for(&ord("none")).await
        )
        .is_none());
    }
}
