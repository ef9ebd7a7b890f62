//! The file transport, the mailer loop, and configuration errors.

mod support;

use std::time::{Duration, Instant};

use emporium_kernel::{clock::now_ms, db::testing};
use emporium_notifications::{EmailStatus, Notifications, NotificationsConfig, TransportConfig};

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_transport_writes_one_eml_file_per_email() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let out = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let dir = out.path().join("outbox");
        let service = notifications(db, label, TransportConfig::File { dir: dir.clone() }).await;
        let order_id = place_order(db, &service, "ada@example.com").await;

        let report = service
            .deliver_due(now_ms())
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver: {e}"));
        assert_eq!(report.sent, 1, "[{label}]");
        service
            .deliver_due(now_ms() + 60 * 60 * 1000)
            .await
            .unwrap_or_else(|e| panic!("[{label}] deliver again: {e}"));
        let files = received_in(&dir, "eml");
        assert_eq!(files.len(), 1, "[{label}] one .eml file");
        let eml = &files[0];
        assert!(
            eml.contains("Subject: Order #1001 confirmed"),
            "[{label}] {eml}"
        );
        assert!(eml.contains("To: ada@example.com"), "[{label}]");
        assert!(eml.contains("multipart/alternative"), "[{label}]");
        assert!(
            eml.contains("text/plain") && eml.contains("text/html"),
            "[{label}]"
        );
        assert_eq!(
            emails(&service, &order_id).await[0].status,
            EmailStatus::Sent
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailer_loop_sends_queued_emails_until_shut_down() {
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let out = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let dir = out.path().to_path_buf();
        let service = notifications(db, label, TransportConfig::File { dir: dir.clone() }).await;
        let order_id = place_order(db, &service, "ada@example.com").await;

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mailer = tokio::spawn(
            service
                .clone()
                .run_mailer(Duration::from_millis(20), async {
                    let _ = stopped.await;
                }),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while emails(&service, &order_id).await[0].status != EmailStatus::Sent {
            assert!(Instant::now() < deadline, "[{label}] mailer did not send");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(5), mailer)
            .await
            .unwrap_or_else(|_| panic!("[{label}] mailer did not stop"))
            .unwrap_or_else(|e| panic!("[{label}] mailer task: {e}"));
        assert_eq!(received_in(&dir, "eml").len(), 1, "[{label}]");
    }
}

#[tokio::test]
async fn configuration_errors_name_the_setting_to_fix() {
    let t = testing::sqlite().await;
    let config = |from: &str, url: &str, transport: TransportConfig| NotificationsConfig {
        shop_name: "Shop".into(),
        from: from.into(),
        storefront_url: url.into(),
        transport,
        merchant_email: None,
    };
    let field = |config| match Notifications::new(t.db.clone(), config) {
        Err(emporium_notifications::NotificationsError::Config { field, .. }) => field,
        other => panic!("expected a config error, got {other:?}"),
    };
    assert_eq!(
        field(config("nobody", "https://s.example", TransportConfig::Log)),
        "from"
    );
    assert_eq!(
        field(config(
            "Shop <s@example.com>",
            "s.example",
            TransportConfig::Log
        )),
        "storefront_url"
    );
    assert_eq!(
        field(config(
            "Shop <s@example.com>",
            "https://s.example",
            TransportConfig::Smtp {
                url: "ftp://host".into()
            }
        )),
        "transport.url"
    );
    let debug = format!(
        "{:?}",
        TransportConfig::Smtp {
            url: "smtps://user:hunter2@smtp.example".into()
        }
    );
    assert!(!debug.contains("hunter2"), "{debug}");
}
