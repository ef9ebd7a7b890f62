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
        let service =
            notifications_for(db, label, TransportConfig::Log, Some("owner@shop.example")).await;
        let order_id = new_id("ord");
        let base = order_payload(&order_id, "ada@example.com", "1001");
        let mut confirmed = base.clone();
        confirmed["order"]["confirmed_at"] = json!("2026-11-22T06:00:01Z");
        let mut fulfilled = confirmed.clone();
        fulfilled["fulfillment"] = json!({"carrier": "DHL", "tracking_number": "JD01", "tracking_url": "https://t.example/JD01"});
        let mut refunded = confirmed.clone();
        refunded["refund"] = json!({"amount": 1000, "total_refunded": 1000});
        let mut cancelled = confirmed.clone();
        cancelled["reason"] = json!("reservation_expired");
        // A placement that failed: never confirmed, so no email at all.
        let mut failed = base.clone();
        failed["reason"] = json!("out_of_stock");
        append_event(db, "order.placed", &order_id, &base).await;
        append_event(db, "order.cancelled", &order_id, &failed).await;
        append_event(db, "order.confirmed", &order_id, &confirmed).await;
        append_event(db, "order.paid", &order_id, &confirmed).await;
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
        let sent: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.template.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            sent,
            [
                ("order_confirmation", "ada@example.com"),
                ("merchant_new_order", "owner@shop.example"),
                ("payment_received", "ada@example.com"),
                ("order_shipped", "ada@example.com"),
                ("refund_issued", "ada@example.com"),
                ("order_cancelled", "ada@example.com"),
            ],
            "[{label}]"
        );
        assert_eq!(records[3].subject, "Order #1001 has shipped", "[{label}]");
        assert_eq!(records[5].subject, "Order #1001 cancelled", "[{label}]");
        assert!(
            records.iter().all(|r| r.status == EmailStatus::Pending),
            "[{label}]"
        );

        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(report.sent, 6, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_payment_sends_no_second_email_and_a_free_order_no_payment_receipt() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let service = notifications(db, label, TransportConfig::Log).await;
        let card = new_id("ord");
        let mut paid_by_card = order_payload(&card, "ada@example.com", "1002");
        paid_by_card["order"]["payment_provider"] = json!("stripe");
        append_event(db, "order.confirmed", &card, &paid_by_card).await;
        append_event(db, "order.paid", &card, &paid_by_card).await;
        let free = new_id("ord");
        let mut free_order = order_payload(&free, "ada@example.com", "1003");
        free_order["order"]["total"] = json!(0);
        append_event(db, "order.confirmed", &free, &free_order).await;
        append_event(db, "order.paid", &free, &free_order).await;
        dispatch(db, service.consumer()).await;
        for order_id in [&card, &free] {
            let templates: Vec<String> = emails(&service, order_id)
                .await
                .into_iter()
                .map(|r| r.template)
                .collect();
            assert_eq!(templates, ["order_confirmation"], "[{label}] {order_id}");
        }
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
