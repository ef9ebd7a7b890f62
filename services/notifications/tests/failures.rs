//! Failed deliveries: backoff while the SMTP server is down, parking as dead after too
//! many attempts, and failures no retry can fix (bad or rejected recipients).

mod support;

use emporium_kernel::{clock::now_ms, db::testing};
use emporium_notifications::{EmailStatus, TransportConfig};

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_smtp_is_down_the_email_waits_with_backoff_and_is_delivered_once_it_is_back() {
    if !aiosmtpd_available() {
        return;
    }
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let port = free_port(); // nothing listens here yet
        let url = format!("smtp://127.0.0.1:{port}");
        let service = notifications(db, label, TransportConfig::Smtp { url }).await;
        let order_id = place_order(db, &service, "ada@example.com").await;

        let t0 = now_ms();
        let report = service
            .deliver_due(t0)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(
            (report.sent, report.failed, report.dead),
            (0, 1, 0),
            "[{label}]"
        );
        let record = &emails(&service, &order_id).await[0];
        assert_eq!(record.status, EmailStatus::Pending, "[{label}]");
        assert_eq!(record.attempts, 1, "[{label}]");
        assert_eq!(
            record.next_attempt_at,
            t0 + 2_000,
            "[{label}] first backoff is 2 s"
        );
        assert!(
            record
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("SMTP")),
            "[{label}] {:?}",
            record.last_error
        );

        // Not due yet: nothing is attempted before the backoff has passed.
        let report = service
            .deliver_due(t0 + 1_000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver early: {e}"));
        assert_eq!(
            (report.sent, report.failed, report.dead),
            (0, 0, 0),
            "[{label}]"
        );
        assert_eq!(
            emails(&service, &order_id).await[0].attempts,
            1,
            "[{label}]"
        );

        let smtp = SmtpServer::start(port);
        let report = service
            .deliver_due(t0 + 2_000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver after backoff: {e}"));
        assert_eq!(report.sent, 1, "[{label}] {report:?}");
        assert_eq!(smtp.received().len(), 1, "[{label}] exactly one received");
        let record = &emails(&service, &order_id).await[0];
        assert_eq!(record.status, EmailStatus::Sent, "[{label}]");
        assert_eq!(record.attempts, 2, "[{label}]");
        assert_eq!(record.sent_at, Some(t0 + 2_000), "[{label}]");
        assert_eq!(record.last_error, None, "[{label}]");

        let report = service
            .deliver_due(t0 + 60 * 60 * 1000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver later: {e}"));
        assert_eq!(report.sent, 0, "[{label}]");
        assert_eq!(smtp.received().len(), 1, "[{label}] never sent twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_that_keeps_failing_is_parked_as_dead_after_twelve_attempts() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let url = format!("smtp://127.0.0.1:{}", free_port()); // never comes up
        let service = notifications(db, label, TransportConfig::Smtp { url }).await;
        let order_id = place_order(db, &service, "ada@example.com").await;

        let mut now = now_ms();
        for attempt in 1..=11 {
            let report = service
                .deliver_due(now)
                .await
                .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
            assert_eq!(report.failed, 1, "[{label}] attempt {attempt}");
            let record = &emails(&service, &order_id).await[0];
            assert_eq!(record.attempts, attempt, "[{label}]");
            let delay = record.next_attempt_at - now;
            assert_eq!(
                delay,
                (2_000 << (attempt - 1)).min(30 * 60 * 1000),
                "[{label}] attempt {attempt}"
            );
            now = record.next_attempt_at;
        }
        let report = service
            .deliver_due(now)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!((report.failed, report.dead), (0, 1), "[{label}]");
        let record = &emails(&service, &order_id).await[0];
        assert_eq!(record.status, EmailStatus::Dead, "[{label}]");
        assert_eq!(record.attempts, 12, "[{label}]");
        assert!(record.last_error.is_some(), "[{label}]");
        let report = service
            .deliver_due(now + 24 * 60 * 60 * 1000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(
            report,
            Default::default(),
            "[{label}] dead emails are not retried"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_recipient_address_goes_dead_with_the_reason_and_is_never_retried() {
    if !aiosmtpd_available() {
        return;
    }
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let smtp = SmtpServer::start(free_port());
        let service = notifications(db, label, TransportConfig::Smtp { url: smtp.url() }).await;
        let order_id = place_order(db, &service, "not an address").await;

        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(
            (report.sent, report.failed, report.dead),
            (0, 0, 1),
            "[{label}]"
        );
        let record = &emails(&service, &order_id).await[0];
        assert_eq!(record.status, EmailStatus::Dead, "[{label}]");
        assert_eq!(record.attempts, 1, "[{label}]");
        let reason = record.last_error.clone().unwrap_or_default();
        assert!(
            reason.contains("recipient address `not an address` is invalid"),
            "[{label}] {reason}"
        );

        let report = service
            .deliver_due(now_ms() + 24 * 60 * 60 * 1000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(report, Default::default(), "[{label}]");
        assert!(
            smtp.received().is_empty(),
            "[{label}] nothing reached the server"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_the_smtp_server_rejects_permanently_goes_dead_at_once() {
    if !aiosmtpd_available() {
        return;
    }
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let smtp = SmtpServer::start(free_port());
        let service = notifications(db, label, TransportConfig::Smtp { url: smtp.url() }).await;
        let order_id = place_order(db, &service, "rejected@example.com").await;

        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(
            (report.sent, report.failed, report.dead),
            (0, 0, 1),
            "[{label}]"
        );
        let record = &emails(&service, &order_id).await[0];
        assert_eq!(record.status, EmailStatus::Dead, "[{label}]");
        let reason = record.last_error.clone().unwrap_or_default();
        assert!(reason.contains("550"), "[{label}] {reason}");
        assert!(smtp.received().is_empty(), "[{label}]");
    }
}
