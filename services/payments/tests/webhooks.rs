//! Stripe webhooks: each event applied exactly once, forward-only states, signatures,
//! and events that are not ours.

mod support;

use emporium_kernel::{
    clock::now_ms,
    events::{events_for, EventBus},
};
use emporium_payments::{PaymentError, PaymentStatus, Payments, WebhookOutcome};
use serde_json::{json, Value};

use support::*;

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

        let event = events_for(&env.db.db, p.id.as_str())
            .await
            .expect("events")
            .remove(0);
        let payload: Value = event.decode().expect("json");
        assert_eq!(
            payload,
            json!({"payment_id": p.id, "order_id": ord("w"), "provider": "stripe",
                   "amount": 8595, "currency": "EUR", "provider_ref": pi}),
            "[{}]",
            env.label
        );
    }
}

/// Stripe retries a delivery it thinks timed out while the first is still running: the
/// event id recorded in the same write as the change lets exactly one of them apply it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_delivered_four_times_at_once_is_applied_by_exactly_one_delivery() {
    for env in envs().await {
        let (p, pi) = env.stripe_payment("cc", 2500).await;
        let intent = env.stripe.succeed(&pi).expect("intent");
        let event = env.stripe.signed_event("payment_intent.succeeded", &intent);
        let outcomes = tokio::join!(
            env.deliver(&event),
            env.deliver(&event),
            env.deliver(&event),
            env.deliver(&event)
        );
        let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3];
        let processed = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(WebhookOutcome::Processed { .. })))
            .count();
        let duplicates = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(WebhookOutcome::Duplicate)))
            .count();
        assert_eq!(
            (processed, duplicates),
            (1, 3),
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
        let failed_payload: Value = events_for(&env.db.db, p.id.as_str()).await.expect("events")[0]
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

#[tokio::test]
async fn a_success_for_another_amount_or_currency_is_reported_not_applied() {
    for env in envs().await {
        let l = env.label;
        for (name, amount_received, currency) in [("under", 100, "eur"), ("usd", 8595, "usd")] {
            let (p, pi) = env.stripe_payment(name, 8595).await;
            let mut intent = env.stripe.succeed(&pi).expect("intent");
            intent["amount_received"] = json!(amount_received);
            intent["currency"] = json!(currency);
            let event = env.stripe.signed_event("payment_intent.succeeded", &intent);
            let out = env.deliver(&event).await;
            assert!(
                matches!(out, Ok(WebhookOutcome::Processed { .. })),
                "[{l}] {out:?}"
            );
            assert_eq!(
                env.payment(&p.id).await.status,
                PaymentStatus::Pending,
                "[{l}] {name}: not paid"
            );
            assert_eq!(
                env.topics(&p).await,
                vec!["payment.mismatch"],
                "[{l}] {name}"
            );
            let payload: Value = events_for(&env.db.db, p.id.as_str())
                .await
                .expect("events")
                .remove(0)
                .decode()
                .expect("json");
            assert_eq!(payload["amount_received"], json!(amount_received), "[{l}]");
            assert_eq!(
                payload["currency_received"],
                json!(currency.to_uppercase()),
                "[{l}]"
            );
        }
    }
}

#[tokio::test]
async fn metadata_names_a_payment_only_while_it_waits_for_its_first_intent() {
    for env in envs().await {
        let l = env.label;
        // A payment that has its intent: another intent naming it is not its payment.
        let (p, _) = env.stripe_payment("meta", 8595).await;
        let stranger = env.stripe.signed_event(
            "payment_intent.succeeded",
            &json!({"id": "pi_elsewhere", "object": "payment_intent", "amount": 8595,
                    "amount_received": 8595, "currency": "eur", "status": "succeeded",
                    "metadata": {"payment_id": p.id}}),
        );
        let out = env.deliver(&stranger).await;
        assert!(
            matches!(out, Ok(WebhookOutcome::Ignored { .. })),
            "[{l}] {out:?}"
        );
        assert_eq!(
            env.payment(&p.id).await.status,
            PaymentStatus::Pending,
            "[{l}]"
        );
        assert!(env.topics(&p).await.is_empty(), "[{l}]");
    }
}
