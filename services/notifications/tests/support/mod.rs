//! What the email delivery suites share: a real SMTP server (Python's aiosmtpd, started
//! per scenario) and the service on real databases. Every scenario runs on a fresh
//! SQLite file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL
//! database too.
//!
//! Without aiosmtpd (`pip install aiosmtpd`) the SMTP scenarios are skipped with a
//! message, except under `CI=true`, where they fail.

// Each suite uses part of this.
#![allow(dead_code)]

use std::{net::TcpListener, sync::Arc};

use emporium_kernel::{
    db::{Database, DbError},
    events::{self, Consumer, Dispatcher, EventBus},
    id::new_id,
};
use emporium_notifications::{EmailRecord, Notifications, NotificationsConfig, TransportConfig};
use serde_json::{json, Value};

#[allow(unused_imports)]
pub use emporium_test_support::smtp::{aiosmtpd_available, received_in, SmtpServer};

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port()
}

// ----- the service under test -----

pub async fn notifications(
    db: &Database,
    label: &str,
    transport: TransportConfig,
) -> Notifications {
    notifications_for(db, label, transport, None).await
}

/// [`notifications`] that also tells `merchant` about new orders.
pub async fn notifications_for(
    db: &Database,
    label: &str,
    transport: TransportConfig,
    merchant: Option<&str>,
) -> Notifications {
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
            merchant_email: merchant.map(str::to_owned),
        },
    )
    .unwrap_or_else(|e| panic!("[{label}] new: {e}"));
    service
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("[{label}] migrate: {e}"));
    service
}

pub fn order_payload(order_id: &str, email: &str, number: &str) -> Value {
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
pub async fn append_event(db: &Database, topic: &str, order_id: &str, payload: &Value) -> String {
    let (owned_topic, order_id, payload) = (topic.to_owned(), order_id.to_owned(), payload.clone());
    db.write(async move |conn| events::append(conn, &owned_topic, &order_id, &payload, None).await)
        .await
        .unwrap_or_else(|e: DbError| panic!("append {topic}: {e}"))
}

pub async fn dispatch(db: &Database, consumer: Arc<dyn Consumer>) -> usize {
    Dispatcher::new(db.clone(), EventBus::new())
        .register(consumer)
        .run_until_idle()
        .await
        .unwrap_or_else(|e| panic!("dispatch: {e}"))
        .handled
}

pub async fn emails(service: &Notifications, order_id: &str) -> Vec<EmailRecord> {
    service
        .emails_for(order_id)
        .await
        .unwrap_or_else(|e| panic!("emails_for: {e}"))
}

/// Queues the confirmation email of a new order through the outbox and the consumer.
pub async fn place_order(db: &Database, service: &Notifications, email: &str) -> String {
    let order_id = new_id("ord");
    append_event(
        db,
        "order.confirmed",
        &order_id,
        &order_payload(&order_id, email, "1001"),
    )
    .await;
    dispatch(db, service.consumer()).await;
    order_id
}
