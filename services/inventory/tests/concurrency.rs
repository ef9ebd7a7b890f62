//! Concurrent callers: stock never oversells, one reference reserves once, a commit
//! racing a release sells once, and expiry runners expire each reservation once.
//! Every test runs on each test database (see `support`); assertion messages name it.

mod support;

use emporium_inventory::{InventoryError, ReservationStatus};
use emporium_kernel::clock::now_ms;

use support::{envs, line, ok, ord, var, TTL};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_reservations_of_ten_units_never_oversell() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("hot"), 10).await;
        let mut tasks = Vec::new();
        for i in 0..200 {
            let inv = env.inv.clone();
            tasks.push(tokio::spawn(async move {
                inv.reserve(&ord(&i.to_string()), &[line(&var("hot"), 1)], TTL)
                    .await
            }));
        }
        let (mut reserved, mut out_of_stock) = (0, 0);
        for task in tasks {
            match task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}")) {
                Ok(_) => reserved += 1,
                Err(InventoryError::OutOfStock { variant_id, .. }) => {
                    assert_eq!(variant_id, var("hot"), "[{l}]");
                    out_of_stock += 1;
                }
                Err(e) => panic!("[{l}] unexpected error: {e:?}"),
            }
        }
        assert_eq!((reserved, out_of_stock), (10, 190), "[{l}]");
        let level = env.level(&var("hot")).await;
        assert_eq!(
            (level.on_hand, level.reserved, level.available),
            (10, 10, 0),
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reserves_for_one_reference_reserve_once() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 100).await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let inv = env.inv.clone();
            tasks.push(tokio::spawn(async move {
                inv.reserve(&ord("same"), &[line(&var("a"), 3)], TTL).await
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            let r = task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}"));
            ids.push(ok(l, "reserve", r).id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "[{l}] every call got the same reservation");
        assert_eq!(env.level(&var("a")).await.reserved, 3, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_racing_a_release_sells_the_goods_exactly_once() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 10).await;
        for round in 0..10 {
            let r = env
                .reserve(&ord(&round.to_string()), &[line(&var("a"), 1)])
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
        let level = env.level(&var("a")).await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (0, 0),
            "[{l}] ten sold, none held"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_expiry_runners_expire_each_reservation_exactly_once() {
    for env in envs().await {
        let l = env.label;
        env.stock(&var("a"), 100).await;
        let mut ids = Vec::new();
        for i in 0..20 {
            ids.push(
                env.reserve(&ord(&i.to_string()), &[line(&var("a"), 2)])
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
        assert_eq!(env.level(&var("a")).await.reserved, 0, "[{l}]");
        for id in &ids {
            assert_eq!(
                env.topics(id).await,
                vec!["inventory.reservation_expired".to_owned()],
                "[{l}] {id}"
            );
        }
    }
}
