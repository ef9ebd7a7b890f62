//! Refunds: the balance, idempotency per key, manual refunds and refunds made in the
//! Stripe dashboard.

mod support;

use emporium_kernel::events::events_for;
use emporium_payments::{PaymentError, PaymentStatus, WebhookOutcome};
use serde_json::Value;

use support::*;

#[tokio::test]
async fn refunds_respect_the_balance_and_are_idempotent_per_key() {
    for env in envs().await {
        let (p, _) = env.paid_stripe_payment("f", 1000).await;
        let r = env.payments.refund(&ord("f"), 0, None, "k0").await;
        assert!(
            matches!(r, Err(PaymentError::InvalidAmount { .. })),
            "[{}] {r:?}",
            env.label
        );
        let r = env.payments.refund(&ord("f"), 1001, None, "k0").await;
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
            .refund(&ord("f"), 300, Some("requested_by_customer".into()), "k1")
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
            .refund(&ord("f"), 300, Some("requested_by_customer".into()), "k1")
            .await
            .expect("repeat");
        assert_eq!(repeat, first, "[{}]", env.label);
        assert_eq!(
            env.stripe.requests("POST /v1/refunds"),
            1,
            "[{}]",
            env.label
        );
        let r = env.payments.refund(&ord("f"), 200, None, "k1").await;
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
        let r = env.payments.refund(&ord("f"), 701, None, "k2").await;
        assert!(
            matches!(
                r,
                Err(PaymentError::RefundExceedsBalance { available: 700 })
            ),
            "[{}] {r:?}",
            env.label
        );
        env.payments
            .refund(&ord("f"), 700, None, "k3")
            .await
            .expect("rest");
        let full = env.payment(&p.id).await;
        assert_eq!(
            (full.status, full.amount_refunded),
            (PaymentStatus::Refunded, 1000),
            "[{}]",
            env.label
        );
        let r = env.payments.refund(&ord("f"), 1, None, "k4").await;
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
        let last: Value = events_for(&env.db.db, p.id.as_str()).await.expect("events")[2]
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
        let r = env.payments.refund(&ord("u"), 100, None, "k").await;
        assert!(
            matches!(&r, Err(PaymentError::InvalidTransition { from, action: "refund" }) if from == "pending"),
            "[{}] {r:?}",
            env.label
        );
        env.payments
            .mark_paid_manually(&ord("u"), "staff")
            .await
            .expect("paid");
        let refund = env
            .payments
            .refund(&ord("u"), 900, Some("damaged".into()), "k")
            .await
            .expect("refund");
        assert_eq!(refund.amount, 900, "[{}]", env.label);
        let p = env
            .payments
            .payment_for_order(&ord("u"))
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
        let r = env.payments.refund(&ord("d"), 601, None, "k").await;
        assert!(
            matches!(
                r,
                Err(PaymentError::RefundExceedsBalance { available: 600 })
            ),
            "[{}] {r:?}",
            env.label
        );
        env.payments
            .refund(&ord("d"), 600, None, "k")
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
