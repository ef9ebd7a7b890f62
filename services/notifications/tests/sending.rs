//! Sending over SMTP: one multipart email per order event, never a second one for a
//! re-delivered event, and two mailers draining together send each email once.

mod support;

use emporium_kernel::{clock::now_ms, db::testing, events, id::new_id};
use emporium_notifications::{EmailStatus, TransportConfig, CONSUMER_NAME};
use serde_json::json;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_confirmed_event_sends_exactly_one_multipart_email_even_when_delivered_again() {
    if !aiosmtpd_available() {
        return;
    }
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let smtp = SmtpServer::start(free_port());
        let service = notifications(db, label, TransportConfig::Smtp { url: smtp.url() }).await;
        let order_id = new_id("ord");
        let payload = order_payload(&order_id, "ada@example.com", "1001");
        let event_id = append_event(db, "order.confirmed", &order_id, &payload).await;

        assert_eq!(
            dispatch(db, service.consumer()).await,
            1,
            "[{label}] handled"
        );
        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(report.sent, 1, "[{label}] {report:?}");

        let received = smtp.received();
        assert_eq!(received.len(), 1, "[{label}] {received:?}");
        let msg = &received[0];
        assert_eq!(msg["subject"], "Order #1001 confirmed", "[{label}]");
        assert_eq!(msg["rcpt"], json!(["ada@example.com"]), "[{label}]");
        assert_eq!(msg["from"], "Emporium <shop@example.com>", "[{label}]");
        assert_eq!(msg["content_type"], "multipart/alternative", "[{label}]");
        assert_eq!(
            msg["parts"],
            json!(["text/plain", "text/html"]),
            "[{label}]"
        );
        let text = msg["text"].as_str().unwrap_or_default();
        let html = msg["html"].as_str().unwrap_or_default();
        for body in [text, html] {
            assert!(body.contains("1001"), "[{label}] order number: {body}");
            assert!(body.contains("Linen Shirt"), "[{label}] line: {body}");
            assert!(body.contains("€85.95"), "[{label}] total: {body}");
            assert!(body.contains("Emporium Test Shop"), "[{label}] shop name");
        }
        assert!(
            text.contains(&format!(
                "https://shop.example/orders/{order_id}?token=tok_secret"
            )),
            "[{label}] order link: {text}"
        );

        // The same event again: a second dispatcher finds it done, and a re-delivery
        // after a crash (the consumer handling it once more) queues nothing new.
        assert_eq!(
            dispatch(db, service.consumer()).await,
            0,
            "[{label}] second dispatcher"
        );
        let stored = events::events_for(db, &order_id)
            .await
            .unwrap_or_else(|e| panic!("[{label}] events_for: {e}"));
        assert_eq!(stored[0].id, event_id);
        service
            .consumer()
            .handle(&stored[0])
            .await
            .unwrap_or_else(|e| panic!("[{label}] re-handle: {e}"));
        let report = service
            .deliver_due(now_ms() + 60 * 60 * 1000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver again: {e}"));
        assert_eq!(report.sent, 0, "[{label}] nothing left to send");
        assert_eq!(
            smtp.received().len(),
            1,
            "[{label}] still exactly one email"
        );

        let records = emails(&service, &order_id).await;
        assert_eq!(records.len(), 1, "[{label}] {records:?}");
        assert_eq!(records[0].status, EmailStatus::Sent, "[{label}]");
        assert_eq!(records[0].template, "order_confirmation");
        assert_eq!(records[0].to, "ada@example.com");
        assert_eq!(records[0].attempts, 1);
        assert!(records[0].sent_at.is_some(), "[{label}] sent_at");
        assert!(
            records[0].id.starts_with("eml_"),
            "[{label}] id {}",
            records[0].id
        );
        assert_eq!(
            msg["message_id"],
            format!("<{}@example.com>", records[0].id),
            "[{label}] Message-ID derives from the row id"
        );
        assert_eq!(
            events::delivery_status(db, CONSUMER_NAME, &event_id)
                .await
                .unwrap_or_else(|e| panic!("[{label}] status: {e}")),
            Some(("done".to_owned(), 1)),
            "[{label}] the consumer is registered under its contract name"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_mailers_draining_together_send_each_email_exactly_once() {
    if !aiosmtpd_available() {
        return;
    }
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let smtp = SmtpServer::start(free_port());
        let a = notifications(db, label, TransportConfig::Smtp { url: smtp.url() }).await;
        let b = notifications(db, label, TransportConfig::Smtp { url: smtp.url() }).await;
        let mut orders = Vec::new();
        for i in 0..6 {
            let order_id = new_id("ord");
            let payload = order_payload(
                &order_id,
                &format!("c{i}@example.com"),
                &format!("{}", 2000 + i),
            );
            append_event(db, "order.confirmed", &order_id, &payload).await;
            orders.push(order_id);
        }
        dispatch(db, a.consumer()).await;

        let now = now_ms();
        let (ra, rb) = tokio::join!(a.deliver_due(now), b.deliver_due(now));
        let (ra, rb) = (
            ra.unwrap_or_else(|e| panic!("[{label}] a: {e}")),
            rb.unwrap_or_else(|e| panic!("[{label}] b: {e}")),
        );
        assert_eq!(ra.sent + rb.sent, 6, "[{label}] {ra:?} {rb:?}");
        let received = smtp.received();
        assert_eq!(received.len(), 6, "[{label}]");
        let mut rcpts: Vec<String> = received.iter().map(|m| m["rcpt"][0].to_string()).collect();
        rcpts.sort();
        rcpts.dedup();
        assert_eq!(
            rcpts.len(),
            6,
            "[{label}] each customer got one email: {rcpts:?}"
        );
        for order_id in &orders {
            assert_eq!(
                emails(&a, order_id).await[0].status,
                EmailStatus::Sent,
                "[{label}]"
            );
        }
    }
}
