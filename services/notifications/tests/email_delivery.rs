//! Email delivery against a real SMTP server (Python's aiosmtpd, started per scenario)
//! and real databases: every scenario runs on a fresh SQLite file and, when
//! `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL database too.
//!
//! Without aiosmtpd (`pip install aiosmtpd`) the SMTP scenarios are skipped with a
//! message, except under `CI=true`, where they fail.

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use emporium_kernel::{
    clock::now_ms,
    db::{testing, Database},
    events::{self, Consumer, Dispatcher, EventBus},
    id::new_id,
};
use emporium_notifications::{
    EmailRecord, EmailStatus, Notifications, NotificationsConfig, TransportConfig, CONSUMER_NAME,
};
use serde_json::{json, Value};

// ----- the SMTP server -----

/// An aiosmtpd handler that stores each accepted message as `<uuid>.json` (recipients,
/// headers and decoded text/HTML parts) and rejects recipients starting with
/// `rejected` permanently (550), like a relay that knows the mailbox does not exist.
const HANDLER: &str = r#"
import json, os, uuid
from email import message_from_bytes, policy

class Capture:
    def __init__(self, outdir):
        self.outdir = outdir

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("rejected"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        record = {
            "rcpt": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "parts": [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else [],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        name = os.path.join(self.outdir, uuid.uuid4().hex)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        # Renamed before the 250 reply: once lettre returns, the file is there.
        os.rename(name + ".tmp", name + ".json")
        return "250 Message accepted for delivery"
"#;

struct SmtpServer {
    child: Child,
    port: u16,
    inbox: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd on `port` and waits until it accepts connections.
    fn start(port: u16) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap_or_else(|e| panic!("inbox dir: {e}"));
        std::fs::write(dir.path().join("capture_handler.py"), HANDLER)
            .unwrap_or_else(|e| panic!("write handler: {e}"));
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "capture_handler.Capture"])
            .arg(&inbox)
            .env("PYTHONPATH", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd: {e}"));
        let server = SmtpServer {
            child,
            port,
            inbox,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on port {port} within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    fn received(&self) -> Vec<Value> {
        received_in(&self.inbox, "json")
            .iter()
            .map(|text| {
                serde_json::from_str(text).unwrap_or_else(|e| panic!("bad capture file: {e}"))
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Contents of the files in `dir` with extension `ext`.
fn received_in(dir: &Path, ext: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}")) {
        let path = entry.unwrap_or_else(|e| panic!("dir entry: {e}")).path();
        if path.extension().is_some_and(|x| x == ext) {
            out.push(
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path:?}: {e}")),
            );
        }
    }
    out
}

/// Whether SMTP scenarios can run; panics under CI when they cannot.
fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("aiosmtpd is required under CI=true: pip install aiosmtpd");
        }
        eprintln!("SKIPPED: python3 -c 'import aiosmtpd' failed; install it with `pip install aiosmtpd` to run the SMTP scenarios");
    }
    ok
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port()
}

// ----- the service under test -----

async fn notifications(db: &Database, label: &str, transport: TransportConfig) -> Notifications {
    events::migrate(db)
        .await
        .unwrap_or_else(|e| panic!("[{label}] kernel migrate: {e}"));
    let service = Notifications::new(
        db.clone(),
        NotificationsConfig {
            shop_name: "Emporium Test Shop".into(),
            from: "Emporium <shop@example.com>".into(),
            storefront_url: "https://shop.example".into(),
            transport,
        },
    )
    .unwrap_or_else(|e| panic!("[{label}] new: {e}"));
    service
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("[{label}] migrate: {e}"));
    service
}

fn order_payload(order_id: &str, email: &str, number: &str) -> Value {
    json!({
        "order": {
            "id": order_id, "number": number, "email": email, "status": "pending_payment",
            "currency": "EUR", "locale": "en",
            "lines": [{"title": "Linen Shirt", "variant_title": "M / Blue", "sku": "LS-M-BLU",
                       "quantity": 2, "unit_price": 4500, "line_total": 9000}],
            "subtotal": 9000, "discount_total": 900, "shipping_total": 495, "tax_total": 1426,
            "total": 8595, "tax_inclusive": true,
            "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main St", "line2": null,
                                 "city": "Berlin", "postal_code": "10115", "country": "DE",
                                 "phone": null},
            "shipping_method": "Standard", "payment_provider": "manual",
            "access_token": "tok_secret", "created_at": "2026-11-22T06:00:00Z",
            "some_future_field": {"ignored": true}
        }
    })
}

/// Appends an event to the outbox as a service would (in its write transaction).
async fn append_event(db: &Database, topic: &str, order_id: &str, payload: &Value) -> String {
    let mut tx = db
        .begin_write()
        .await
        .unwrap_or_else(|e| panic!("begin: {e}"));
    let id = events::append(&mut tx, topic, order_id, payload, None)
        .await
        .unwrap_or_else(|e| panic!("append {topic}: {e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
    id
}

async fn dispatch(db: &Database, consumer: Arc<dyn Consumer>) -> usize {
    Dispatcher::new(db.clone(), EventBus::new())
        .register(consumer)
        .run_until_idle()
        .await
        .unwrap_or_else(|e| panic!("dispatch: {e}"))
        .handled
}

async fn emails(service: &Notifications, order_id: &str) -> Vec<EmailRecord> {
    service
        .emails_for_order(order_id)
        .await
        .unwrap_or_else(|e| panic!("emails_for_order: {e}"))
}

/// Queues the confirmation email of a new order through the outbox and the consumer.
async fn place_order(db: &Database, service: &Notifications, email: &str) -> String {
    let order_id = new_id("ord");
    append_event(
        db,
        "order.placed",
        &order_id,
        &order_payload(&order_id, email, "1001"),
    )
    .await;
    dispatch(db, service.consumer()).await;
    order_id
}

// ----- scenarios -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_event_sends_exactly_one_multipart_email_even_when_delivered_again() {
    if !aiosmtpd_available() {
        return;
    }
    for t in testing::databases().await {
        let (label, db) = (t.label, &t.db);
        let smtp = SmtpServer::start(free_port());
        let service = notifications(db, label, TransportConfig::Smtp { url: smtp.url() }).await;
        let order_id = new_id("ord");
        let payload = order_payload(&order_id, "ada@example.com", "1001");
        let event_id = append_event(db, "order.placed", &order_id, &payload).await;

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
            append_event(db, "order.placed", &order_id, &payload).await;
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
