//! The event consumer: which order events queue which template, and an event whose
//! payload breaks the contract is retried, not dropped.

mod support;

use emporium_kernel::{
    clock::now_ms,
    db::testing,
    events::{self, Dispatcher, EventBus},
    id::new_id,
};
use emporium_notifications::{EmailStatus, TransportConfig, CONSUMER_NAME};
use serde_json::json;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_order_event_queues_its_own_template_and_other_events_queue_nothing() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let service = notifications(db, label, TransportConfig::Log).await;
        let order_id = new_id("ord");
        let base = order_payload(&order_id, "ada@example.com", "1001");
        let mut fulfilled = base.clone();
        fulfilled["fulfillment"] = json!({"carrier": "DHL", "tracking_number": "JD01", "tracking_url": "https://t.example/JD01"});
        let mut refunded = base.clone();
        refunded["refund"] = json!({"amount": 1000, "total_refunded": 1000});
        let mut cancelled = base.clone();
        cancelled["reason"] = json!("out_of_stock");
        append_event(db, "order.placed", &order_id, &base).await;
        append_event(db, "order.paid", &order_id, &base).await;
        append_event(db, "order.fulfilled", &order_id, &fulfilled).await;
        append_event(db, "order.refunded", &order_id, &refunded).await;
        append_event(db, "order.cancelled", &order_id, &cancelled).await;
        append_event(
            db,
            "payment.succeeded",
            &order_id,
            &json!({"order_id": order_id}),
        )
        .await;
        dispatch(db, service.consumer()).await;

        let records = emails(&service, &order_id).await;
        let templates: Vec<&str> = records.iter().map(|r| r.template.as_str()).collect();
        assert_eq!(
            templates,
            [
                "order_confirmation",
                "payment_received",
                "order_shipped",
                "refund_issued"
            ],
            "[{label}]"
        );
        assert_eq!(records[2].subject, "Order #1001 has shipped", "[{label}]");
        assert!(
            records.iter().all(|r| r.status == EmailStatus::Pending),
            "[{label}]"
        );

        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(report.sent, 4, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_missing_what_its_template_needs_is_retried_not_dropped() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let service = notifications(db, label, TransportConfig::Log).await;
        let order_id = new_id("ord");
        // order.fulfilled without its fulfillment block breaks the contract.
        let payload = order_payload(&order_id, "ada@example.com", "1001");
        let event_id = append_event(db, "order.fulfilled", &order_id, &payload).await;
        let report = Dispatcher::new(db.clone(), EventBus::new())
            .register(service.consumer())
            .run_once()
            .await
            .unwrap_or_else(|e| panic!("[{label}] dispatch: {e}"));
        assert_eq!(report.failed, 1, "[{label}]");
        assert_eq!(
            events::delivery_status(db, CONSUMER_NAME, &event_id)
                .await
                .unwrap_or_else(|e| panic!("[{label}] status: {e}")),
            Some(("retry".to_owned(), 1)),
            "[{label}]"
        );
        assert!(emails(&service, &order_id).await.is_empty(), "[{label}]");
    }
}
