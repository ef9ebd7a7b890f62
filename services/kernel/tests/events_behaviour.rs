//! The outbox and dispatcher on SQLite and PostgreSQL.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use emporium_kernel::{
    db::{testing::databases, DbError},
    events::{self, Consumer, Dispatcher, Event, EventBus, HandleError, RetryPolicy},
};

/// Records what it saw; fails the first `fail_first` calls.
struct Recorder {
    seen: Mutex<Vec<String>>,
    fail_first: AtomicUsize,
}

impl Recorder {
    fn new(fail_first: usize) -> Arc<Self> {
        Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            fail_first: AtomicUsize::new(fail_first),
        })
    }
    fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Consumer for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn wants(&self, topic: &str) -> bool {
        topic.starts_with("order.")
    }
    async fn handle(&self, event: &Event) -> Result<(), HandleError> {
        if self
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(HandleError::new("smtp is down"));
        }
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(format!("{}:{}", event.topic, event.aggregate_id));
        }
        Ok(())
    }
}

async fn append_committed(
    db: &emporium_kernel::db::Database,
    topic: &str,
    aggregate: &str,
) -> String {
    let (topic, aggregate) = (topic.to_owned(), aggregate.to_owned());
    db.write(async move |conn| {
        events::append(
            conn,
            &topic,
            &aggregate,
            &serde_json::json!({"n": 1}),
            Some("req-1"),
        )
        .await
    })
    .await
    .expect("append")
}

#[tokio::test]
async fn events_reach_each_consumer_once_in_order_and_rolled_back_events_never_exist() {
    for t in databases().await {
        let db = t.db.clone();
        events::migrate(&db).await.expect("migrate");
        append_committed(&db, "order.placed", "ord_1").await;
        append_committed(&db, "cart.updated", "cart_1").await;
        append_committed(&db, "order.paid", "ord_1").await;
        // An event written in a transaction that rolls back must never be delivered.
        let rolled_back = db
            .write(async |conn| {
                events::append(conn, "order.paid", "ord_ghost", &1, None).await?;
                Err::<(), _>(DbError::NotCommitted(
                    "the change failed after it".to_owned(),
                ))
            })
            .await;
        assert!(rolled_back.is_err());
        let recorder = Recorder::new(0);
        let dispatcher = Dispatcher::new(db.clone(), EventBus::new()).register(recorder.clone());
        let report = dispatcher.run_until_idle().await.expect("dispatch");
        assert_eq!(report.handled, 2, "{}", t.label);
        assert_eq!(
            recorder.seen(),
            vec!["order.placed:ord_1", "order.paid:ord_1"],
            "{}",
            t.label
        );
        // A second dispatcher (another process, or this one after a restart) finds nothing.
        let again = Dispatcher::new(db.clone(), EventBus::new()).register(recorder.clone());
        assert_eq!(again.run_until_idle().await.expect("dispatch").handled, 0);
        assert_eq!(recorder.seen().len(), 2, "{}", t.label);
        let stored = events::events_for(&db, "ord_1").await.expect("events");
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].request_id.as_deref(), Some("req-1"));
    }
}

#[tokio::test]
async fn failed_deliveries_are_retried_after_a_backoff_and_succeed_once() {
    for t in databases().await {
        let db = t.db.clone();
        events::migrate(&db).await.expect("migrate");
        let id = append_committed(&db, "order.paid", "ord_2").await;
        let recorder = Recorder::new(2);
        let dispatcher = Dispatcher::new(db.clone(), EventBus::new())
            .with_policy(RetryPolicy {
                first_delay_ms: 50,
                max_delay_ms: 100,
                max_attempts: 10,
                lease_ms: 1_000,
            })
            .register(recorder.clone());
        let first = dispatcher.run_until_idle().await.expect("dispatch");
        assert_eq!(first.failed, 1, "{}", t.label);
        assert_eq!(
            events::delivery_status(&db, "recorder", &id)
                .await
                .expect("status"),
            Some(("retry".to_owned(), 1))
        );
        // Not due yet: nothing happens.
        assert_eq!(dispatcher.run_once().await.expect("pass").failed, 0);
        for _ in 0..2 {
            tokio::time::sleep(std::time::Duration::from_millis(120)).await;
            dispatcher.run_until_idle().await.expect("dispatch");
        }
        assert_eq!(recorder.seen(), vec!["order.paid:ord_2"], "{}", t.label);
        assert_eq!(
            events::delivery_status(&db, "recorder", &id)
                .await
                .expect("status"),
            Some(("done".to_owned(), 3))
        );
    }
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_parked_as_dead() {
    for t in databases().await {
        let db = t.db.clone();
        events::migrate(&db).await.expect("migrate");
        let id = append_committed(&db, "order.paid", "ord_3").await;
        let recorder = Recorder::new(100);
        let dispatcher = Dispatcher::new(db.clone(), EventBus::new())
            .with_policy(RetryPolicy {
                first_delay_ms: 0,
                max_delay_ms: 0,
                max_attempts: 3,
                lease_ms: 1_000,
            })
            .register(recorder.clone());
        dispatcher.run_until_idle().await.expect("dispatch");
        assert_eq!(
            events::delivery_status(&db, "recorder", &id)
                .await
                .expect("status"),
            Some(("dead".to_owned(), 3)),
            "{}",
            t.label
        );
        assert!(recorder.seen().is_empty());
    }
}

/// Writes an event row as `append` does, but as if its transaction had started
/// `age_ms` ago (what a slow transaction's event looks like once it commits).
async fn insert_aged(
    conn: &mut emporium_kernel::db::Conn<'_>,
    id: &str,
    aggregate: &str,
    age_ms: i64,
) -> Result<u64, DbError> {
    conn.execute(&emporium_kernel::sql!(
        "INSERT INTO outbox_events (id, topic, aggregate_id, payload, request_id, created_at) \
         VALUES ($1, 'order.paid', $2, '{}', NULL, $3)",
        id,
        aggregate,
        emporium_kernel::clock::now_ms() - age_ms
    ))
    .await
}

/// On PostgreSQL a transaction can commit minutes after it wrote its event, after
/// events with higher sequence numbers were delivered. Its event must still be
/// delivered. (SQLite commits writes one at a time in sequence order, so there the
/// case cannot arise.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_transaction_commits_late_is_still_delivered() {
    for t in databases().await {
        if t.label != "postgres" {
            continue;
        }
        let db = t.db.clone();
        events::migrate(&db).await.expect("migrate");
        let (commit_now, wait) = tokio::sync::oneshot::channel::<()>();
        let (written, is_written) = tokio::sync::oneshot::channel::<()>();
        let slow_db = db.clone();
        let slow = tokio::spawn(async move {
            slow_db
                .write(async move |conn| {
                    insert_aged(conn, "evt_slow", "ord_slow", 120_000).await?;
                    let _ = written.send(());
                    let _ = wait.await;
                    Ok::<_, DbError>(())
                })
                .await
        });
        is_written
            .await
            .expect("the slow transaction wrote its event");
        // A later event, also minutes old, commits first and is delivered.
        db.write(async |conn| insert_aged(conn, "evt_fast", "ord_fast", 90_000).await)
            .await
            .expect("fast event");
        let recorder = Recorder::new(0);
        let dispatcher = Dispatcher::new(db.clone(), EventBus::new()).register(recorder.clone());
        dispatcher.run_until_idle().await.expect("dispatch");
        dispatcher.run_until_idle().await.expect("watermark pass");
        assert_eq!(recorder.seen(), vec!["order.paid:ord_fast"]);

        let _ = commit_now.send(());
        slow.await.expect("task").expect("slow commit");
        dispatcher.run_until_idle().await.expect("dispatch");
        assert_eq!(
            recorder.seen(),
            vec!["order.paid:ord_fast", "order.paid:ord_slow"],
            "the late event is delivered after the one that committed first"
        );
    }
}

#[tokio::test]
async fn settled_events_past_their_retention_are_purged_and_open_ones_kept() {
    for t in databases().await {
        let db = t.db.clone();
        events::migrate(&db).await.expect("migrate");
        db.write(async |conn| insert_aged(conn, "evt_old", "ord_old", 40 * 86_400_000).await)
            .await
            .expect("old event");
        append_committed(&db, "order.paid", "ord_new").await;
        // No consumer has run: nothing is known to be settled.
        let cutoff = emporium_kernel::clock::now_ms() - 30 * 86_400_000;
        assert_eq!(events::purge_settled(&db, cutoff).await.expect("purge"), 0);
        let recorder = Recorder::new(0);
        let dispatcher = Dispatcher::new(db.clone(), EventBus::new()).register(recorder.clone());
        dispatcher.run_until_idle().await.expect("dispatch");
        dispatcher.run_until_idle().await.expect("watermark pass");
        assert_eq!(
            events::purge_settled(&db, cutoff).await.expect("purge"),
            1,
            "{}",
            t.label
        );
        assert!(events::events_for(&db, "ord_old")
            .await
            .expect("events")
            .is_empty());
        assert_eq!(
            events::events_for(&db, "ord_new")
                .await
                .expect("events")
                .len(),
            1
        );
        // Nothing is handed over again after the purge.
        assert_eq!(dispatcher.run_until_idle().await.expect("again").handled, 0);
    }
}
