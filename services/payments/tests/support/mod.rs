//! What the payments behaviour suites share. Every scenario runs on a fresh SQLite file
//! and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL database
//! too, against the fake Stripe server. Assertion messages name the database.

// Each suite uses part of this.
#![allow(dead_code)]

use std::sync::Arc;

use emporium_kernel::{
    clock::now_ms,
    db::testing::{self, TestDatabase},
    events::{events_for, EventBus},
    id::{OrderId, PaymentId},
    money::Currency,
};
use emporium_payments::{
    NewPayment, Payment, PaymentError, Payments, StripeConfig, StripeProvider, WebhookOutcome,
};
use emporium_test_support::fake_stripe::FakeStripe;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const SECRET_KEY: &str = "sk_test_emporium_fake_key";
pub const WEBHOOK_SECRET: &str = "whsec_emporium_fake_secret";

pub struct Env {
    pub label: &'static str,
    pub payments: Payments,
    pub stripe: FakeStripe,
    pub db: TestDatabase,
}

pub fn stripe_provider(stripe: &FakeStripe, key: &str) -> StripeProvider {
    StripeProvider::new(StripeConfig {
        secret_key: key.to_owned(),
        base_url: Some(stripe.base_url()),
    })
    .unwrap_or_else(|e| panic!("stripe provider: {e}"))
}

pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in testing::databases().await {
        emporium_kernel::events::migrate(&db.db)
            .await
            .unwrap_or_else(|e| panic!("[{}] kernel migrate: {e}", db.label));
        let stripe = FakeStripe::start(SECRET_KEY, WEBHOOK_SECRET).await;
        let payments = Payments::new(db.db.clone(), EventBus::new())
            .with_provider(Arc::new(stripe_provider(&stripe, SECRET_KEY)))
            .with_stripe_webhook_secret(WEBHOOK_SECRET.to_owned());
        payments
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("[{}] migrate: {e}", db.label));
        out.push(Env {
            label: db.label,
            payments,
            stripe,
            db,
        });
    }
    out
}

/// The order a test calls `name` (`a`, `none`): a real id, `ord_0…0a`, the same on
/// every call and every database.
pub fn ord(name: &str) -> OrderId {
    OrderId::parse(&format!("ord_{name:0>26}")).unwrap_or_else(|e| panic!("{e}"))
}

pub fn new_payment(order: &str, provider: &str, amount: i64) -> NewPayment {
    NewPayment {
        order_id: ord(order),
        order_number: "1001".into(),
        provider: provider.into(),
        amount,
        currency: Currency::EUR,
        email: Some("ada@example.com".into()),
        idempotency_key: format!("checkout-{order}"),
    }
}

impl Env {
    pub async fn topics(&self, payment: &Payment) -> Vec<String> {
        events_for(&self.db.db, payment.id.as_str())
            .await
            .unwrap_or_else(|e| panic!("[{}] events: {e}", self.label))
            .into_iter()
            .map(|e| e.topic)
            .collect()
    }

    pub async fn stripe_payment(&self, order: &str, amount: i64) -> (Payment, String) {
        let p = self
            .payments
            .create_payment(new_payment(order, "stripe", amount))
            .await
            .unwrap_or_else(|e| panic!("[{}] create: {e}", self.label));
        let pi = p.provider_ref.clone().expect("a PaymentIntent id");
        (p, pi)
    }

    pub async fn deliver(&self, event: &(Vec<u8>, String)) -> Result<WebhookOutcome, PaymentError> {
        self.payments
            .handle_stripe_webhook(&event.0, Some(&event.1), now_ms() / 1000)
            .await
    }

    pub async fn paid_stripe_payment(&self, order: &str, amount: i64) -> (Payment, String) {
        let (p, pi) = self.stripe_payment(order, amount).await;
        let intent = self.stripe.succeed(&pi).expect("intent");
        let out = self
            .deliver(
                &self
                    .stripe
                    .signed_event("payment_intent.succeeded", &intent),
            )
            .await;
        assert!(
            matches!(out, Ok(WebhookOutcome::Processed { .. })),
            "[{}] {out:?}",
            self.label
        );
        (p, pi)
    }

    pub async fn payment(&self, id: &PaymentId) -> Payment {
        self.payments
            .payment(id)
            .await
            .unwrap_or_else(|e| panic!("[{}] payment: {e}", self.label))
    }
}

/// One HTTP/1.1 request to the fake over a raw socket: (status, JSON body).
pub async fn raw_post(
    stripe: &FakeStripe,
    path: &str,
    auth: Option<&str>,
    idempotency_key: Option<&str>,
    form: &str,
) -> (u16, Value) {
    let base = stripe.base_url();
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        form.len()
    );
    if let Some(auth) = auth {
        request.push_str(&format!("Authorization: Bearer {auth}\r\n"));
    }
    if let Some(key) = idempotency_key {
        request.push_str(&format!("Idempotency-Key: {key}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(form);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status: u16 = response[9..12].parse().expect("status");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}
