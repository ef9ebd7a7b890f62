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
