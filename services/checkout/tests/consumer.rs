//! The `checkout.payments` consumer: orders move on payment and reservation events.

mod support;

use emporium_checkout::OrderStatus;
use serde_json::json;
use support::{envs, payment_id_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_moves_orders_on_payment_and_reservation_events() {
    for env in envs().await {
        let l = env.label;
        let a = env.placed("cart_a").await;
        let b = env.placed("cart_b").await;
        let c = env.placed("cart_c").await;
        let pay_a = payment_id_for(a.id.as_str());
        let succeeded = json!({"payment_id": pay_a, "order_id": a.id, "provider": "manual",
            "amount": 10495, "currency": "EUR", "provider_ref": null});
        env.publish("payment.succeeded", &pay_a, succeeded.clone())
            .await;
        env.publish("payment.succeeded", &pay_a, succeeded).await; // at least once
        env.publish(
            "payment.failed",
            &payment_id_for(b.id.as_str()),
            json!({"payment_id": payment_id_for(b.id.as_str()), "order_id": b.id, "provider": "manual",
                   "amount": 10495, "currency": "EUR", "reason": "card_declined"}),
        )
        .await;
        let reservation_c = c.reservation_id.clone().expect("reservation");
        env.stock.expire(&reservation_c);
        env.publish(
            "inventory.reservation_expired",
            &reservation_c,
            json!({"reservation_id": reservation_c, "reference": c.id,
                   "lines": [{"variant_id": "var_000000000000000000000shirt", "quantity": 2}]}),
        )
        .await;
        env.dispatch().await;

        assert_eq!(
            env.checkout.order(&a.id).await.expect("a").status,
            OrderStatus::Paid,
            "[{l}]"
        );
        assert_eq!(
            env.stock.state.lock().expect("lock").commit_calls,
            1,
            "[{l}]"
        );
        let b_now = env.checkout.order(&b.id).await.expect("b");
        assert_eq!(
            (b_now.status, b_now.payment_error.as_deref()),
            (OrderStatus::PendingPayment, Some("card_declined")),
            "[{l}] a declined card leaves the order waiting for another"
        );
        let c_now = env.checkout.order(&c.id).await.expect("c");
        assert_eq!(
            c_now.cancel_reason.as_deref(),
            Some("reservation_expired"),
            "[{l}]"
        );

        env.publish(
            "payment.refunded",
            &pay_a,
            json!({"payment_id": pay_a, "order_id": a.id, "provider": "manual", "amount": 10495,
                   "currency": "EUR", "refund_id": "re_dash", "refund_amount": 495,
                   "amount_refunded": 495}),
        )
        .await;
        env.dispatch().await;
        let a_now = env.checkout.order(&a.id).await.expect("a");
        assert_eq!(
            (a_now.status, a_now.refunded_total),
            (OrderStatus::PartiallyRefunded, 495),
            "[{l}]"
        );
        assert_eq!(
            env.topics(a.id.as_str()).await,
            [
                "order.placed",
                "order.confirmed",
                "order.paid",
                "order.refunded"
            ],
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_for_another_amount_flags_the_order_and_does_not_pay_it() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_m").await;
        let pay = payment_id_for(order.id.as_str());
        env.publish(
            "payment.mismatch",
            &pay,
            json!({"payment_id": pay, "order_id": order.id, "provider": "stripe",
                   "amount": 10495, "currency": "EUR", "provider_ref": "pi_1",
                   "amount_received": 100, "currency_received": "EUR"}),
        )
        .await;
        env.dispatch().await;
        let now = env.checkout.order(&order.id).await.expect("order");
        assert_eq!(now.status, OrderStatus::PendingPayment, "[{l}]");
        assert!(now.needs_attention, "[{l}]");
        let note = now.attention_note.unwrap_or_default();
        assert!(
            note.contains("100 EUR") && note.contains("pi_1"),
            "[{l}] {note}"
        );
        assert_eq!(
            env.stock.state.lock().expect("lock").commit_calls,
            0,
            "[{l}]"
        );
    }
}
