//! Behaviour of the payments service against real databases (a fresh SQLite file and,
//! when `TEST_POSTGRES_URL` is set or `CI=true`, a fresh PostgreSQL database) and against
//! the fake Stripe server. Assertion messages name the database.

use std::sync::Arc;

use emporium_kernel::{
    clock::now_ms,
    db::testing::{self, TestDatabase},
    events::{events_for, EventBus},
    money::Currency,
};
use emporium_payments::{
    fake_stripe::FakeStripe, NewPayment, Payment, PaymentError, PaymentProvider, PaymentStatus,
    Payments, SessionRequest, StripeConfig, StripeProvider, WebhookOutcome,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET_KEY: &str = "sk_test_emporium_fake_key";
const WEBHOOK_SECRET: &str = "whsec_emporium_fake_secret";

struct Env {
    label: &'static str,
    payments: Payments,
    stripe: FakeStripe,
    db: TestDatabase,
}

fn stripe_provider(stripe: &FakeStripe, key: &str) -> StripeProvider {
    StripeProvider::new(StripeConfig {
        secret_key: key.to_owned(),
        base_url: Some(stripe.base_url()),
    })
    .unwrap_or_else(|e| panic!("stripe provider: {e}"))
}

async fn envs() -> Vec<Env> {
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

fn new_payment(order: &str, provider: &str, amount: i64) -> NewPayment {
    NewPayment {
        order_id: format!("ord_{order}"),
        order_number: "1001".into(),
        provider: provider.into(),
        amount,
        currency: Currency::EUR,
        email: Some("ada@example.com".into()),
        idempotency_key: format!("checkout-{order}"),
    }
}

impl Env {
    async fn topics(&self, payment: &Payment) -> Vec<String> {
        events_for(&self.db.db, &payment.id)
            .await
            .unwrap_or_else(|e| panic!("[{}] events: {e}", self.label))
            .into_iter()
            .map(|e| e.topic)
            .collect()
    }

    async fn stripe_payment(&self, order: &str, amount: i64) -> (Payment, String) {
        let p = self
            .payments
            .create_payment(new_payment(order, "stripe", amount))
            .await
            .unwrap_or_else(|e| panic!("[{}] create: {e}", self.label));
        let pi = p.provider_ref.clone().expect("a PaymentIntent id");
        (p, pi)
    }

    async fn deliver(&self, event: &(Vec<u8>, String)) -> Result<WebhookOutcome, PaymentError> {
        self.payments
            .handle_stripe_webhook(&event.0, Some(&event.1), now_ms() / 1000)
            .await
    }

    async fn paid_stripe_payment(&self, order: &str, amount: i64) -> (Payment, String) {
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

    async fn payment(&self, id: &str) -> Payment {
        self.payments
            .payment(id)
            .await
            .unwrap_or_else(|e| panic!("[{}] payment: {e}", self.label))
    }
}

/// One HTTP/1.1 request to the fake over a raw socket: (status, JSON body).
async fn raw_post(
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

// ----- creating payments -----

#[tokio::test]
async fn stripe_payment_gets_a_client_secret_and_is_created_once_per_order() {
    for env in envs().await {
        let first = env
            .payments
            .create_payment(new_payment("a", "stripe", 8595))
            .await
            .unwrap_or_else(|e| panic!("[{}] create: {e}", env.label));
        assert!(first.id.starts_with("pay_"), "[{}]", env.label);
        assert_eq!(first.status, PaymentStatus::Pending, "[{}]", env.label);
        let pi = first.provider_ref.clone().expect("pi id");
        assert!(pi.starts_with("pi_"), "[{}] {pi}", env.label);
        let secret = first.client_secret.clone().expect("client secret");
        assert!(
            secret.starts_with(&format!("{pi}_secret_")),
            "[{}]",
            env.label
        );
        assert!(
            !format!("{first:?}").contains(&secret),
            "[{}] Debug leaks the secret",
            env.label
        );

        let again = env
            .payments
            .create_payment(new_payment("a", "stripe", 8595))
            .await
            .unwrap_or_else(|e| panic!("[{}] create again: {e}", env.label));
        assert_eq!(again, first, "[{}]", env.label);
        assert_eq!(
            env.stripe.requests("POST /v1/payment_intents"),
            1,
            "[{}]",
            env.label
        );

        let intent = env.stripe.payment_intent(&pi).expect("intent at the fake");
        assert_eq!(intent["amount"], 8595, "[{}]", env.label);
        assert_eq!(intent["currency"], "eur", "[{}]", env.label);
        assert_eq!(
            intent["automatic_payment_methods"]["enabled"], true,
            "[{}]",
            env.label
        );
        assert_eq!(intent["metadata"]["order_id"], "ord_a", "[{}]", env.label);
        assert_eq!(
            intent["metadata"]["order_number"], "1001",
            "[{}]",
            env.label
        );
        assert_eq!(
            intent["metadata"]["payment_id"],
            first.id.as_str(),
            "[{}]",
            env.label
        );
        assert_eq!(
            intent["receipt_email"], "ada@example.com",
            "[{}]",
            env.label
        );
        assert_eq!(
            env.payments.payment_for_order("ord_a").await.ok().flatten(),
            Some(first),
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn manual_payments_need_no_network_and_reference_themselves() {
    for env in envs().await {
        let p = env
            .payments
            .create_payment(new_payment("m", "manual", 1200))
            .await
            .unwrap_or_else(|e| panic!("[{}] create: {e}", env.label));
        assert_eq!(
            p.provider_ref.as_deref(),
            Some(p.id.as_str()),
            "[{}]",
            env.label
        );
        assert_eq!(p.client_secret, None, "[{}]", env.label);
        assert_eq!(
            env.payments.providers(),
            vec!["manual", "stripe"],
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn amounts_must_be_positive_and_providers_known() {
    for env in envs().await {
        let r = env
            .payments
            .create_payment(new_payment("z", "manual", 0))
            .await;
        assert!(
            matches!(r, Err(PaymentError::InvalidAmount { .. })),
            "[{}] {r:?}",
            env.label
        );
        let r = env
            .payments
            .create_payment(new_payment("z", "paypal", 100))
            .await;
        assert!(
            matches!(&r, Err(PaymentError::UnknownProvider(p)) if p == "paypal"),
            "[{}] {r:?}",
            env.label
        );
        assert_eq!(
            env.payments.payment_for_order("ord_z").await.ok().flatten(),
            None,
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn a_refused_key_is_a_provider_error_and_a_retry_with_a_working_key_opens_the_session() {
    for env in envs().await {
        let bad = Payments::new(env.db.db.clone(), EventBus::new())
            .with_provider(Arc::new(stripe_provider(&env.stripe, "sk_test_wrong")));
        let r = bad.create_payment(new_payment("k", "stripe", 500)).await;
        match &r {
            Err(PaymentError::Provider {
                provider,
                status,
                message,
                ..
            }) => {
                assert_eq!(*provider, "stripe", "[{}]", env.label);
                assert_eq!(*status, Some(401), "[{}]", env.label);
                assert!(
                    message.contains("Invalid API Key"),
                    "[{}] {message}",
                    env.label
                );
                assert!(
                    !message.contains("sk_test_wrong"),
                    "[{}] leaks the key",
                    env.label
                );
            }
            other => panic!("[{}] expected a provider error, got {other:?}", env.label),
        }
        let pending = env
            .payments
            .payment_for_order("ord_k")
            .await
            .ok()
            .flatten()
            .expect("row");
        assert_eq!(pending.provider_ref, None, "[{}]", env.label);
        let p = env
            .payments
            .create_payment(new_payment("k", "stripe", 500))
            .await
            .unwrap_or_else(|e| panic!("[{}] retry: {e}", env.label));
        assert_eq!(p.id, pending.id, "[{}]", env.label);
        assert!(p.client_secret.is_some(), "[{}]", env.label);
    }
}

#[tokio::test]
async fn the_provider_reports_stripe_error_codes() {
    let stripe = FakeStripe::start(SECRET_KEY, WEBHOOK_SECRET).await;
    let provider = stripe_provider(&stripe, SECRET_KEY);
    let r = provider
        .create_session(&SessionRequest {
            payment_id: "pay_x".into(),
            order_id: "ord_x".into(),
            order_number: "1".into(),
            amount: 0,
            currency: Currency::EUR,
            email: None,
            idempotency_key: "k-zero".into(),
        })
        .await;
    match r {
        Err(PaymentError::Provider {
            status,
            code,
            message,
            ..
        }) => {
            assert_eq!(status, Some(400));
            assert_eq!(code.as_deref(), Some("amount_too_small"));
            assert!(message.contains("amount"), "{message}");
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_fake_speaks_stripes_wire_format_for_keys_params_and_idempotency() {
    let stripe = FakeStripe::start(SECRET_KEY, WEBHOOK_SECRET).await;
    let (status, body) = raw_post(
        &stripe,
        "/v1/payment_intents",
        None,
        None,
        "amount=100&currency=eur",
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, _) = raw_post(
        &stripe,
        "/v1/payment_intents",
        Some("sk_test_nope"),
        None,
        "amount=100&currency=eur",
    )
    .await;
    assert_eq!(status, 401);

    let (status, body) = raw_post(
        &stripe,
        "/v1/payment_intents",
        Some(SECRET_KEY),
        None,
        "currency=eur",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "parameter_missing");
    assert_eq!(body["error"]["param"], "amount");

    let (status, body) = raw_post(
        &stripe,
        "/v1/payment_intents",
        Some(SECRET_KEY),
        None,
        "amount=100&currency=EUR",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "currency");

    let form = "amount=100&currency=eur&metadata%5Border_id%5D=ord_1";
    let (status, first) = raw_post(
        &stripe,
        "/v1/payment_intents",
        Some(SECRET_KEY),
        Some("idem-1"),
        form,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(first["object"], "payment_intent");
    assert_eq!(first["status"], "requires_payment_method");
    assert_eq!(first["metadata"]["order_id"], "ord_1");
    let (status, replay) = raw_post(
        &stripe,
        "/v1/payment_intents",
        Some(SECRET_KEY),
        Some("idem-1"),
        form,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(replay, first, "same key, same params: the same object");
    let (status, body) = raw_post(
        &stripe,
        "/v1/payment_intents",
        Some(SECRET_KEY),
        Some("idem-1"),
        "amount=200&currency=eur",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "idempotency_error");
    assert_eq!(stripe.payment_intent_count(), 1);

    let pi = first["id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = raw_post(
        &stripe,
        "/v1/refunds",
        Some(SECRET_KEY),
        None,
        &format!("payment_intent={pi}&amount=50"),
    )
    .await;
    assert_eq!(
        status, 400,
        "an unpaid intent has nothing to refund: {body}"
    );
    stripe.succeed(&pi);
    let (status, body) = raw_post(
        &stripe,
        "/v1/refunds",
        Some(SECRET_KEY),
        None,
        &format!("payment_intent={pi}&amount=101"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "amount_too_large");
    let (status, body) = raw_post(
        &stripe,
        "/v1/refunds",
        Some(SECRET_KEY),
        None,
        &format!("payment_intent={pi}&amount=100"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "refund");
    assert_eq!(body["status"], "succeeded");
}

// ----- webhooks -----

#[tokio::test]
async fn a_success_delivered_three_times_changes_state_once_with_one_event() {
    for env in envs().await {
        let (p, pi) = env.stripe_payment("w", 8595).await;
        let intent = env.stripe.succeed(&pi).expect("intent");
        let event = env.stripe.signed_event("payment_intent.succeeded", &intent);
        let outcomes = [
            env.deliver(&event).await,
            env.deliver(&event).await,
            env.deliver(&event).await,
        ];
        assert!(
            matches!(&outcomes[0], Ok(WebhookOutcome::Processed { event_type }) if event_type == "payment_intent.succeeded"),
            "[{}] {outcomes:?}",
            env.label
        );
        assert!(
            matches!(outcomes[1], Ok(WebhookOutcome::Duplicate)),
            "[{}] {outcomes:?}",
            env.label
        );
        assert!(
            matches!(outcomes[2], Ok(WebhookOutcome::Duplicate)),
            "[{}] {outcomes:?}",
            env.label
        );
        assert_eq!(
            env.payment(&p.id).await.status,
            PaymentStatus::Succeeded,
            "[{}]",
            env.label
        );
        assert_eq!(
            env.topics(&p).await,
            vec!["payment.succeeded"],
            "[{}]",
            env.label
        );

        let event = events_for(&env.db.db, &p.id)
            .await
            .expect("events")
            .remove(0);
        let payload: Value = event.decode().expect("json");
        assert_eq!(
            payload,
            json!({"payment_id": p.id, "order_id": "ord_w", "provider": "stripe",
                   "amount": 8595, "currency": "EUR", "provider_ref": pi}),
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn a_failure_delivered_after_the_success_changes_nothing() {
    for env in envs().await {
        let (p, pi) = env.stripe_payment("o", 1000).await;
        let failed = env.stripe.fail(&pi, "card_declined").expect("intent");
        let failed_event = env
            .stripe
            .signed_event("payment_intent.payment_failed", &failed);
        let succeeded = env.stripe.succeed(&pi).expect("intent");
        let succeeded_event = env
            .stripe
            .signed_event("payment_intent.succeeded", &succeeded);
        env.deliver(&succeeded_event).await.expect("succeeded");
        let out = env.deliver(&failed_event).await.expect("failed");
        assert!(
            matches!(out, WebhookOutcome::Processed { .. }),
            "[{}] {out:?}",
            env.label
        );
        assert_eq!(
            env.payment(&p.id).await.status,
            PaymentStatus::Succeeded,
            "[{}]",
            env.label
        );
        assert_eq!(
            env.topics(&p).await,
            vec!["payment.succeeded"],
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn a_success_after_a_failed_attempt_moves_the_payment_forward() {
    for env in envs().await {
        let (p, pi) = env.stripe_payment("r", 1000).await;
        let failed = env.stripe.fail(&pi, "card_declined").expect("intent");
        env.deliver(
            &env.stripe
                .signed_event("payment_intent.payment_failed", &failed),
        )
        .await
        .expect("failed");
        let after_failure = env.payment(&p.id).await;
        assert_eq!(
            after_failure.status,
            PaymentStatus::Failed,
            "[{}]",
            env.label
        );
        assert_eq!(
            after_failure.failure_reason.as_deref(),
            Some("card_declined"),
            "[{}]",
            env.label
        );

        let succeeded = env.stripe.succeed(&pi).expect("intent");
        env.deliver(
            &env.stripe
                .signed_event("payment_intent.succeeded", &succeeded),
        )
        .await
        .expect("succeeded");
        assert_eq!(
            env.payment(&p.id).await.status,
            PaymentStatus::Succeeded,
            "[{}]",
            env.label
        );
        assert_eq!(
            env.topics(&p).await,
            vec!["payment.failed", "payment.succeeded"],
            "[{}]",
            env.label
        );
        let failed_payload: Value = events_for(&env.db.db, &p.id).await.expect("events")[0]
            .decode()
            .expect("json");
        assert_eq!(failed_payload["reason"], "card_declined", "[{}]", env.label);
    }
}

#[tokio::test]
async fn badly_signed_or_stale_deliveries_are_refused_and_record_nothing() {
    for env in envs().await {
        let (p, pi) = env.stripe_payment("s", 1000).await;
        let intent = env.stripe.succeed(&pi).expect("intent");
        let (payload, header) = env.stripe.signed_event("payment_intent.succeeded", &intent);
        let now = now_ms() / 1000;

        let tampered = String::from_utf8(payload.clone())
            .expect("utf8")
            .replace("1000", "1");
        let cases: Vec<(&[u8], Option<String>)> = vec![
            (tampered.as_bytes(), Some(header.clone())),
            (&payload, None),
            (&payload, Some(format!("t={now},v1={}", "0".repeat(64)))),
        ];
        for (body, h) in cases {
            let r = env
                .payments
                .handle_stripe_webhook(body, h.as_deref(), now)
                .await;
            assert!(
                matches!(r, Err(PaymentError::SignatureInvalid(_))),
                "[{}] {r:?}",
                env.label
            );
        }
        let stale = env
            .stripe
            .signed_event_at("payment_intent.succeeded", &intent, now - 301);
        let r = env
            .payments
            .handle_stripe_webhook(&stale.0, Some(&stale.1), now)
            .await;
        assert!(
            matches!(&r, Err(PaymentError::SignatureInvalid(m)) if m == "timestamp outside the tolerance"),
            "[{}] {r:?}",
            env.label
        );
        assert_eq!(
            env.payment(&p.id).await.status,
            PaymentStatus::Pending,
            "[{}]",
            env.label
        );
        assert!(env.topics(&p).await.is_empty(), "[{}]", env.label);
        // Nothing was recorded as seen: the genuine delivery is still processed.
        let out = env
            .payments
            .handle_stripe_webhook(&payload, Some(&header), now)
            .await;
        assert!(
            matches!(out, Ok(WebhookOutcome::Processed { .. })),
            "[{}] {out:?}",
            env.label
        );

        let unconfigured = Payments::new(env.db.db.clone(), EventBus::new());
        let r = unconfigured
            .handle_stripe_webhook(&payload, Some(&header), now)
            .await;
        assert!(
            matches!(r, Err(PaymentError::SignatureInvalid(_))),
            "[{}] {r:?}",
            env.label
        );
    }
}

#[tokio::test]
async fn other_event_types_and_unknown_payments_are_ignored_but_remembered() {
    for env in envs().await {
        let customer = env.stripe.signed_event(
            "customer.created",
            &json!({"id": "cus_1", "object": "customer"}),
        );
        let out = env.deliver(&customer).await;
        assert_eq!(
            out.ok(),
            Some(WebhookOutcome::Ignored {
                event_type: "customer.created".into()
            }),
            "[{}]",
            env.label
        );
        assert_eq!(
            env.deliver(&customer).await.ok(),
            Some(WebhookOutcome::Duplicate),
            "[{}]",
            env.label
        );

        let stranger = env.stripe.signed_event(
            "payment_intent.succeeded",
            &json!({"id": "pi_not_ours", "object": "payment_intent", "metadata": {}}),
        );
        let out = env.deliver(&stranger).await;
        assert!(
            matches!(out, Ok(WebhookOutcome::Ignored { .. })),
            "[{}] {out:?}",
            env.label
        );

        let garbage = b"{\"not\":\"an event\"}";
        let header = env.stripe.sign(garbage, now_ms() / 1000);
        let r = env
            .payments
            .handle_stripe_webhook(garbage, Some(&header), now_ms() / 1000)
            .await;
        assert!(
            matches!(r, Err(PaymentError::MalformedEvent(_))),
            "[{}] {r:?}",
            env.label
        );
    }
}

// ----- manual payments and cancellation -----

#[tokio::test]
async fn marking_a_manual_payment_paid_is_idempotent_and_emits_one_event() {
    for env in envs().await {
        let p = env
            .payments
            .create_payment(new_payment("p", "manual", 4500))
            .await
            .expect("create");
        let paid = env
            .payments
            .mark_paid_manually("ord_p", "staff_1")
            .await
            .unwrap_or_else(|e| panic!("[{}] mark paid: {e}", env.label));
        assert_eq!(paid.status, PaymentStatus::Succeeded, "[{}]", env.label);
        let again = env
            .payments
            .mark_paid_manually("ord_p", "staff_1")
            .await
            .expect("again");
        assert_eq!(again.status, PaymentStatus::Succeeded, "[{}]", env.label);
        assert_eq!(
            env.topics(&p).await,
            vec!["payment.succeeded"],
            "[{}]",
            env.label
        );

        env.payments
            .create_payment(new_payment("c", "manual", 4500))
            .await
            .expect("create");
        let canceled = env.payments.cancel_payment("ord_c").await.expect("cancel");
        assert_eq!(canceled.status, PaymentStatus::Canceled, "[{}]", env.label);
        let r = env.payments.mark_paid_manually("ord_c", "staff_1").await;
        assert!(
            matches!(&r, Err(PaymentError::InvalidTransition { from, .. }) if from == "canceled"),
            "[{}] {r:?}",
            env.label
        );

        env.stripe_payment("st", 100).await;
        let r = env.payments.mark_paid_manually("ord_st", "staff_1").await;
        assert!(
            matches!(r, Err(PaymentError::WrongProvider { .. })),
            "[{}] {r:?}",
            env.label
        );
        let r = env.payments.mark_paid_manually("ord_none", "staff_1").await;
        assert!(
            matches!(r, Err(PaymentError::NotFound { .. })),
            "[{}] {r:?}",
            env.label
        );
    }
}

#[tokio::test]
async fn cancelling_a_stripe_payment_cancels_the_intent_and_cannot_cancel_a_paid_one() {
    for env in envs().await {
        let (_, pi) = env.stripe_payment("x", 700).await;
        let canceled = env.payments.cancel_payment("ord_x").await.expect("cancel");
        assert_eq!(canceled.status, PaymentStatus::Canceled, "[{}]", env.label);
        assert_eq!(
            env.stripe.payment_intent(&pi).expect("intent")["status"],
            "canceled",
            "[{}]",
            env.label
        );
        assert_eq!(
            env.payments
                .cancel_payment("ord_x")
                .await
                .expect("again")
                .status,
            PaymentStatus::Canceled,
            "[{}]",
            env.label
        );

        env.paid_stripe_payment("y", 700).await;
        let r = env.payments.cancel_payment("ord_y").await;
        assert!(
            matches!(r, Err(PaymentError::InvalidTransition { .. })),
            "[{}] {r:?}",
            env.label
        );
    }
}

// ----- refunds -----

#[tokio::test]
async fn refunds_respect_the_balance_and_are_idempotent_per_key() {
    for env in envs().await {
        let (p, _) = env.paid_stripe_payment("f", 1000).await;
        let r = env.payments.refund("ord_f", 0, None, "k0").await;
        assert!(
            matches!(r, Err(PaymentError::InvalidAmount { .. })),
            "[{}] {r:?}",
            env.label
        );
        let r = env.payments.refund("ord_f", 1001, None, "k0").await;
        assert!(
            matches!(
                r,
                Err(PaymentError::RefundExceedsBalance { available: 1000 })
            ),
            "[{}] {r:?}",
            env.label
        );

        let first = env
            .payments
            .refund("ord_f", 300, Some("requested_by_customer".into()), "k1")
            .await
            .unwrap_or_else(|e| panic!("[{}] refund: {e}", env.label));
        assert!(
            first
                .provider_ref
                .as_deref()
                .is_some_and(|r| r.starts_with("re_")),
            "[{}]",
            env.label
        );
        let repeat = env
            .payments
            .refund("ord_f", 300, Some("requested_by_customer".into()), "k1")
            .await
            .expect("repeat");
        assert_eq!(repeat, first, "[{}]", env.label);
        assert_eq!(
            env.stripe.requests("POST /v1/refunds"),
            1,
            "[{}]",
            env.label
        );
        let r = env.payments.refund("ord_f", 200, None, "k1").await;
        assert!(
            matches!(r, Err(PaymentError::InvalidAmount { .. })),
            "[{}] {r:?}",
            env.label
        );

        let partial = env.payment(&p.id).await;
        assert_eq!(
            (partial.status, partial.amount_refunded),
            (PaymentStatus::PartiallyRefunded, 300),
            "[{}]",
            env.label
        );
        let r = env.payments.refund("ord_f", 701, None, "k2").await;
        assert!(
            matches!(
                r,
                Err(PaymentError::RefundExceedsBalance { available: 700 })
            ),
            "[{}] {r:?}",
            env.label
        );
        env.payments
            .refund("ord_f", 700, None, "k3")
            .await
            .expect("rest");
        let full = env.payment(&p.id).await;
        assert_eq!(
            (full.status, full.amount_refunded),
            (PaymentStatus::Refunded, 1000),
            "[{}]",
            env.label
        );
        let r = env.payments.refund("ord_f", 1, None, "k4").await;
        assert!(
            matches!(r, Err(PaymentError::InvalidTransition { .. })),
            "[{}] {r:?}",
            env.label
        );

        assert_eq!(
            env.topics(&p).await,
            vec!["payment.succeeded", "payment.refunded", "payment.refunded"],
            "[{}]",
            env.label
        );
        let last: Value = events_for(&env.db.db, &p.id).await.expect("events")[2]
            .decode()
            .expect("json");
        assert_eq!(
            (
                last["refund_amount"].as_i64(),
                last["amount_refunded"].as_i64()
            ),
            (Some(700), Some(1000)),
            "[{}]",
            env.label
        );
        assert_eq!(
            env.payments.refunds(&p.id).await.expect("refunds").len(),
            2,
            "[{}]",
            env.label
        );
    }
}

#[tokio::test]
async fn unpaid_payments_cannot_be_refunded_and_manual_refunds_are_recorded() {
    for env in envs().await {
        env.payments
            .create_payment(new_payment("u", "manual", 900))
            .await
            .expect("create");
        let r = env.payments.refund("ord_u", 100, None, "k").await;
        assert!(
            matches!(&r, Err(PaymentError::InvalidTransition { from, action: "refund" }) if from == "pending"),
            "[{}] {r:?}",
            env.label
        );
        env.payments
            .mark_paid_manually("ord_u", "staff")
            .await
            .expect("paid");
        let refund = env
            .payments
            .refund("ord_u", 900, Some("damaged".into()), "k")
            .await
            .expect("refund");
        assert_eq!(refund.amount, 900, "[{}]", env.label);
        let p = env
            .payments
            .payment_for_order("ord_u")
            .await
            .ok()
            .flatten()
            .expect("payment");
        assert_eq!(p.status, PaymentStatus::Refunded, "[{}]", env.label);
    }
}

#[tokio::test]
async fn a_refund_made_in_the_stripe_dashboard_is_counted_once() {
    for env in envs().await {
        let (p, pi) = env.paid_stripe_payment("d", 1000).await;
        let charge = env.stripe.refund_in_dashboard(&pi, 400).expect("charge");
        let event = env.stripe.signed_event("charge.refunded", &charge);
        let out = env.deliver(&event).await;
        assert!(
            matches!(out, Ok(WebhookOutcome::Processed { .. })),
            "[{}] {out:?}",
            env.label
        );
        assert_eq!(
            env.deliver(&event).await.ok(),
            Some(WebhookOutcome::Duplicate),
            "[{}]",
            env.label
        );
        // Stripe may send another event about the same state (a new id, same total).
        let echo = env.stripe.signed_event("charge.refunded", &charge);
        env.deliver(&echo).await.expect("echo");

        let after = env.payment(&p.id).await;
        assert_eq!(
            (after.status, after.amount_refunded),
            (PaymentStatus::PartiallyRefunded, 400),
            "[{}]",
            env.label
        );
        let refunds = env.payments.refunds(&p.id).await.expect("refunds");
        assert_eq!(refunds.len(), 1, "[{}]", env.label);
        assert_eq!(
            refunds[0].provider_ref,
            charge["refunds"]["data"][0]["id"]
                .as_str()
                .map(str::to_owned),
            "[{}]",
            env.label
        );
        assert_eq!(refunds[0].idempotency_key, None, "[{}]", env.label);
        assert_eq!(
            env.topics(&p).await,
            vec!["payment.succeeded", "payment.refunded"],
            "[{}]",
            env.label
        );

        // An API refund afterwards sees the reduced balance, and its own echo counts nothing.
        let r = env.payments.refund("ord_d", 601, None, "k").await;
        assert!(
            matches!(
                r,
                Err(PaymentError::RefundExceedsBalance { available: 600 })
            ),
            "[{}] {r:?}",
            env.label
        );
        env.payments
            .refund("ord_d", 600, None, "k")
            .await
            .expect("refund rest");
        let echo = env
            .stripe
            .signed_event("charge.refunded", &env.stripe.charge(&pi).expect("charge"));
        env.deliver(&echo).await.expect("echo of the API refund");
        let after = env.payment(&p.id).await;
        assert_eq!(
            (after.status, after.amount_refunded),
            (PaymentStatus::Refunded, 1000),
            "[{}]",
            env.label
        );
        assert_eq!(
            env.payments.refunds(&p.id).await.expect("refunds").len(),
            2,
            "[{}]",
            env.label
        );
    }
}

/// Runs only with a real Stripe test key: creates and cancels a PaymentIntent at Stripe.
#[tokio::test]
async fn real_stripe_creates_and_cancels_a_payment_intent_when_a_key_is_set() {
    let Ok(key) = std::env::var("STRIPE_SECRET_KEY") else {
        eprintln!("skipped: STRIPE_SECRET_KEY is not set, so Stripe itself is not called");
        return;
    };
    let provider = StripeProvider::new(StripeConfig {
        secret_key: key,
        base_url: None,
    })
    .expect("provider");
    let session = provider
        .create_session(&SessionRequest {
            payment_id: emporium_kernel::id::new_id("pay"),
            order_id: "ord_real".into(),
            order_number: "1".into(),
            amount: 100,
            currency: Currency::EUR,
            email: None,
            idempotency_key: emporium_kernel::id::new_id("test"),
        })
        .await
        .expect("create at Stripe");
    assert!(session.provider_ref.starts_with("pi_"));
    assert!(session.client_secret.is_some());
    provider
        .cancel(&session.provider_ref)
        .await
        .expect("cancel at Stripe");
}
