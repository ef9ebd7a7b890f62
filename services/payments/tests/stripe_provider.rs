//! The Stripe provider and the fake Stripe server it is tested against: error codes, the
//! wire format (keys, parameters, idempotency), and real Stripe when a key is set.

mod support;

use emporium_kernel::{id::PaymentId, money::Currency};
use emporium_payments::{
    PaymentError, PaymentProvider, SessionRequest, StripeConfig, StripeProvider,
};
use emporium_test_support::fake_stripe::FakeStripe;

use support::*;

#[tokio::test]
async fn the_provider_reports_stripe_error_codes() {
    let stripe = FakeStripe::start(SECRET_KEY, WEBHOOK_SECRET).await;
    let provider = stripe_provider(&stripe, SECRET_KEY);
    let r = provider
        .create_session(&SessionRequest {
            payment_id: PaymentId::new(),
            order_id: ord("x"),
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
            payment_id: PaymentId::new(),
            order_id: ord("real"),
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
