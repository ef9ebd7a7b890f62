//! Refunds: admin refunds against the balance, and refunds applied once per refund id.

mod support;

use emporium_checkout::{CheckoutError, Fulfilment, OrderStatus};
use serde_json::json;
use support::envs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_then_full_refunds_track_the_balance_and_overdrafts_are_refused() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_p").await;
        let err = env
            .checkout
            .refund_order(&pending.id, Some(100), None, "r-0")
            .await
            .expect_err("unpaid");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    action: "refund",
                    ..
                }
            ),
            "[{l}] {err:?}"
        );

        let order = env.paid("cart_a").await;
        let partial = env
            .checkout
            .refund_order(&order.id, Some(1000), Some("damaged"), "r-1")
            .await
            .expect("partial");
        assert_eq!(partial.status, OrderStatus::PartiallyRefunded, "[{l}]");
        assert_eq!(partial.refunded_total, 1000, "[{l}]");
        let p = env.payload(order.id.as_str(), "order.refunded").await;
        assert_eq!(
            p["refund"],
            json!({"amount": 1000, "total_refunded": 1000}),
            "[{l}]"
        );

        let err = env
            .checkout
            .refund_order(&order.id, Some(9496), None, "r-2")
            .await
            .expect_err("too much");
        assert!(
            matches!(err, CheckoutError::RefundExceedsBalance { available: 9495 }),
            "[{l}] {err:?}"
        );
        let err = env
            .checkout
            .refund_order(&order.id, Some(0), None, "r-2")
            .await
            .expect_err("zero");
        assert!(
            matches!(err, CheckoutError::InvalidField { ref field, .. } if field == "amount"),
            "[{l}] {err:?}"
        );

        let full = env
            .checkout
            .refund_order(&order.id, None, None, "r-3")
            .await
            .expect("rest");
        assert_eq!(full.status, OrderStatus::Refunded, "[{l}]");
        assert_eq!(full.refunded_total, 10495, "[{l}]");
        assert_eq!(
            env.payments.state.lock().expect("lock").refunds.len(),
            2,
            "[{l}]"
        );
        let err = env
            .checkout
            .refund_order(&order.id, None, None, "r-4")
            .await
            .expect_err("nothing left");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Refunded,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_a_refund_twice_counts_it_once() {
    for env in envs().await {
        let l = env.label;
        let order = env.paid("cart_a").await;
        let fulfilled = env
            .checkout
            .fulfil_order(
                &order.id,
                Fulfilment {
                    carrier: "UPS".into(),
                    tracking_number: "1Z".into(),
                    tracking_url: None,
                },
            )
            .await
            .expect("fulfil");
        assert_eq!(fulfilled.status, OrderStatus::Fulfilled, "[{l}]");
        let once = env
            .checkout
            .apply_refund(&order.id, "re_dash", 500, 500)
            .await
            .expect("apply");
        let twice = env
            .checkout
            .apply_refund(&order.id, "re_dash", 500, 500)
            .await
            .expect("again");
        assert_eq!(once.refunded_total, 500, "[{l}]");
        assert_eq!(twice.refunded_total, 500, "[{l}]");
        assert_eq!(twice.status, OrderStatus::PartiallyRefunded, "[{l}]");
        assert_eq!(twice.fulfillments.len(), 1, "[{l}] fulfilment kept");
        let refunded = env
            .topics(order.id.as_str())
            .await
            .iter()
            .filter(|t| *t == "order.refunded")
            .count();
        assert_eq!(refunded, 1, "[{l}]");
        // A report that arrives out of order never lowers the total.
        let later = env
            .checkout
            .apply_refund(&order.id, "re_old", 200, 200)
            .await
            .expect("old");
        assert_eq!(later.refunded_total, 500, "[{l}]");
    }
}
