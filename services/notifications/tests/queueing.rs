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

/// A `customer.*` payload as the accounts service appends it.
fn customer_event(customer_id: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut payload = json!({
        "customer_id": customer_id, "email": "ada@example.com", "first_name": "Ada",
        "some_future_field": true
    });
    if let (Some(base), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            base.insert(key.clone(), value.clone());
        }
    }
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_customer_event_queues_its_account_email_once_under_the_customer() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let service =
            notifications_for(db, label, TransportConfig::Log, Some("owner@shop.example")).await;
        let customer = new_id("cus");
        let token = "VGhpcy1pcy1hLXRlc3QtdG9rZW4tb2YtNDMtY2hhcnM";
        let events = [
            (
                "customer.registered",
                json!({"registered_at": "2026-11-22T06:00:00Z"}),
            ),
            (
                "customer.verification_requested",
                json!({"token": token, "expires_at": "2026-11-24T06:00:00Z", "reason": "registration"}),
            ),
            (
                "customer.registration_attempted_existing",
                json!({"attempted_at": "2026-11-22T06:01:00Z"}),
            ),
            (
                "customer.password_reset_requested",
                json!({"token": token, "expires_at": "2026-11-22T07:00:00Z"}),
            ),
            (
                "customer.password_changed",
                json!({"changed_at": "2026-11-22T06:10:00Z", "via": "reset"}),
            ),
            (
                "customer.email_changed",
                json!({"old_email": "ada@example.com", "new_email": "lovelace@example.com",
                       "changed_at": "2026-11-22T06:20:00Z"}),
            ),
        ];
        for (topic, extra) in events {
            append_event(db, topic, &customer, &customer_event(&customer, extra)).await;
        }
        dispatch(db, service.consumer()).await;

        let records = emails(&service, &customer).await;
        let sent: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.template.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            sent,
            [
                ("verify_email", "ada@example.com"),
                ("registration_attempted", "ada@example.com"),
                ("password_reset", "ada@example.com"),
                ("password_changed", "ada@example.com"),
                ("email_changed", "ada@example.com"),
            ],
            "[{label}] no email for customer.registered, none to the merchant"
        );
        assert!(
            records.iter().all(|r| r.subject_id == customer),
            "[{label}] filed under the customer"
        );
        let content = |id: String| {
            let service = service.clone();
            async move {
                service
                    .email_content(&id)
                    .await
                    .unwrap_or_else(|e| panic!("[{label}] content: {e}"))
                    .unwrap_or_else(|| panic!("[{label}] no content for {id}"))
            }
        };
        let verify = content(records[0].id.clone()).await;
        assert!(
            verify.text.contains(&format!(
                "https://shop.example/account/verify?token={token}"
            )),
            "[{label}] {}",
            verify.text
        );
        assert!(verify.html.contains("Emporium Test Shop"), "[{label}]");
        let reset = content(records[2].id.clone()).await;
        assert!(
            reset
                .text
                .contains(&format!("https://shop.example/account/reset?token={token}")),
            "[{label}] {}",
            reset.text
        );

        // A re-delivery (the consumer handling every event once more) queues nothing new.
        let stored = events::events_for(db, &customer)
            .await
            .unwrap_or_else(|e| panic!("[{label}] events_for: {e}"));
        for event in &stored {
            service
                .consumer()
                .handle(event)
                .await
                .unwrap_or_else(|e| panic!("[{label}] re-handle: {e}"));
        }
        assert_eq!(emails(&service, &customer).await.len(), 5, "[{label}]");
        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(report.sent, 5, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_event_without_its_token_is_retried_not_sent_without_a_link() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let service = notifications(db, label, TransportConfig::Log).await;
        let customer = new_id("cus");
        let payload = customer_event(&customer, json!({"expires_at": "2026-11-22T07:00:00Z"}));
        let event_id =
            append_event(db, "customer.password_reset_requested", &customer, &payload).await;
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
        assert!(emails(&service, &customer).await.is_empty(), "[{label}]");
    }
}
