//! Reservations past their TTL: the expiry job and its loop, and a payment that arrives
//! after the reservation lapsed (a late commit).
//! Every test runs on each test database (see `support`); assertion messages name it.

mod support;

use std::time::Duration;

use emporium_inventory::{InventoryError, ReservationEvent, ReservationStatus};
use emporium_kernel::clock::now_ms;

use support::{envs, line, ok, ord, var};

#[tokio::test]
async fn the_expiry_job_releases_only_reservations_past_their_ttl_once() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 10).await;
        let short = ok(
            l,
            "reserve short",
            env.inv
                .reserve(
                    &ord("short"),
                    &[line(&var("a"), 3)],
                    Duration::from_secs(60),
                )
                .await,
        );
        let long = ok(
            l,
            "reserve long",
            env.inv
                .reserve(
                    &ord("long"),
                    &[line(&var("a"), 2)],
                    Duration::from_secs(3_600),
                )
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
        let level = env.level(&var("a")).await;
        assert_eq!((level.reserved, level.available), (2, 8), "[{l}]");
        let events = env.reservation_events(&short.id).await;
        assert_eq!(events.len(), 1, "[{l}] one event");
        assert_eq!(events[0].0, "inventory.reservation_expired", "[{l}]");
        assert_eq!(
            events[0].1,
            ReservationEvent {
                reservation_id: short.id.clone(),
                reference: ord("short"),
                lines: vec![line(&var("a"), 3)],
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
            env.level(&var("a")).await.reserved,
            2,
            "[{l}] nothing released twice"
        );
        // Releasing an expired reservation is a no-op.
        let released = ok(l, "release expired", env.inv.release(&short.id).await);
        assert_eq!(released.status, ReservationStatus::Expired, "[{l}]");
        assert_eq!(env.level(&var("a")).await.reserved, 2, "[{l}]");
    }
}

#[tokio::test]
async fn a_late_commit_after_expiry_takes_the_stock_again_when_it_is_there() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 5).await;
        let r = ok(
            l,
            "reserve",
            env.inv
                .reserve(&ord("1"), &[line(&var("a"), 2)], Duration::from_millis(1))
                .await,
        );
        assert_eq!(
            ok(l, "expire", env.inv.release_expired(now_ms() + 1_000).await),
            1,
            "[{l}]"
        );
        let committed = ok(l, "late commit", env.inv.commit(&r.id).await);
        assert_eq!(committed.status, ReservationStatus::Committed, "[{l}]");
        let level = env.level(&var("a")).await;
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
        env.stock(&var("a"), 2).await;
        env.stock(&var("b"), 5).await;
        let r = env
            .reserve(&ord("1"), &[line(&var("a"), 2), line(&var("b"), 1)])
            .await;
        ok(l, "release", env.inv.release(&r.id).await);
        let other = env.reserve(&ord("2"), &[line(&var("a"), 1)]).await;
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
        let (a, b) = (env.level(&var("a")).await, env.level(&var("b")).await);
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
        assert_eq!(env.level(&var("a")).await.reserved, 1, "[{l}]");
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
        env.stock(&var("a"), 5).await;
        let r = ok(
            l,
            "reserve",
            env.inv
                .reserve(&ord("1"), &[line(&var("a"), 2)], Duration::from_millis(1))
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
        while env.level(&var("a")).await.reserved != 0 {
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
