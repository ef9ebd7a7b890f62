//! Manual payments marked paid by the merchant, and cancelling payments.

mod support;

use emporium_payments::{PaymentError, PaymentStatus};

use support::*;

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
            .mark_paid_manually(&ord("p"), "staff_1")
            .await
            .unwrap_or_else(|e| panic!("[{}] mark paid: {e}", env.label));
        assert_eq!(paid.status, PaymentStatus::Succeeded, "[{}]", env.label);
        let again = env
            .payments
            .mark_paid_manually(&ord("p"), "staff_1")
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
        let canceled = env
            .payments
            .cancel_payment(&ord("c"))
            .await
            .expect("cancel");
        assert_eq!(canceled.status, PaymentStatus::Canceled, "[{}]", env.label);
        let r = env.payments.mark_paid_manually(&ord("c"), "staff_1").await;
        assert!(
            matches!(&r, Err(PaymentError::InvalidTransition { from, .. }) if from == "canceled"),
            "[{}] {r:?}",
            env.label
        );

        env.stripe_payment("st", 100).await;
        let r = env.payments.mark_paid_manually(&ord("st"), "staff_1").await;
        assert!(
            matches!(r, Err(PaymentError::WrongProvider { .. })),
            "[{}] {r:?}",
            env.label
        );
        let r = env
            .payments
            .mark_paid_manually(&ord("none"), "staff_1")
            .await;
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
        let canceled = env
            .payments
            .cancel_payment(&ord("x"))
            .await
            .expect("cancel");
        assert_eq!(canceled.status, PaymentStatus::Canceled, "[{}]", env.label);
        assert_eq!(
            env.stripe.payment_intent(&pi).expect("intent")["status"],
            "canceled",
            "[{}]",
            env.label
        );
        assert_eq!(
            env.payments
                .cancel_payment(&ord("x"))
                .await
                .expect("again")
                .status,
            PaymentStatus::Canceled,
            "[{}]",
            env.label
        );

        env.paid_stripe_payment("y", 700).await;
        let r = env.payments.cancel_payment(&ord("y")).await;
        assert!(
            matches!(r, Err(PaymentError::InvalidTransition { .. })),
            "[{}] {r:?}",
            env.label
        );
    }
}
