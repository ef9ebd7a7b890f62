//! Creating payments: one per order, a Stripe session with its client secret, manual
//! payments, input checks, and a retry after the provider refused.

mod support;

use std::sync::Arc;

use emporium_kernel::events::EventBus;
use emporium_payments::{PaymentError, PaymentStatus, Payments};

use support::*;

#[tokio::test]
async fn stripe_payment_gets_a_client_secret_and_is_created_once_per_order() {
    for env in envs().await {
        let first = env
            .payments
            .create_payment(new_payment("a", "stripe", 8595))
            .await
            .unwrap_or_else(|e| panic!("[{}] create: {e}", env.label));
        assert!(first.id.as_str().starts_with("pay_"), "[{}]", env.label);
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
        assert_eq!(
            intent["metadata"]["order_id"],
            ord("a").as_str(),
            "[{}]",
            env.label
        );
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
            env.payments
                .payment_for_order(&ord("a"))
                .await
                .ok()
                .flatten(),
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
            env.payments
                .payment_for_order(&ord("z"))
                .await
                .ok()
                .flatten(),
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
            .payment_for_order(&ord("k"))
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
