//! Idempotent placement: replays, reused keys, concurrent requests with one key, and a
//! cart already ordered under another key.

mod support;

use emporium_checkout::{CheckoutError, OrderQuery, OrderStatus};
use support::{envs, payment_id_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_key_with_the_same_body_returns_the_same_order_and_opens_one_payment() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        let first = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect("first");
        let again = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] replay: {e}"));
        assert!(again.replayed, "[{l}]");
        assert_eq!(again.order.id, first.order.id, "[{l}]");
        assert_eq!(
            again.payment, first.payment,
            "[{l}] the same payment session"
        );
        assert_eq!(env.payments.creates(), 1, "[{l}] payments.create once");
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            8,
            "[{l}] reserved once"
        );
        assert_eq!(
            env.topics(first.order.id.as_str()).await,
            ["order.placed", "order.confirmed"],
            "[{l}] placed and confirmed once"
        );

        // The replay shows the current state.
        env.checkout
            .mark_paid(&first.order.id, &payment_id_for(first.order.id.as_str()))
            .await
            .expect("paid");
        let later = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect("replay");
        assert_eq!(later.order.status, OrderStatus::Paid, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_key_with_another_body_is_refused() {
    for env in envs().await {
        let l = env.label;
        env.placed("cart_a").await;
        let mut other = env.request("cart_a", "key-cart_a");
        other.request_hash = "another body".into();
        let err = env.checkout.place_order(other).await.expect_err("refused");
        assert!(
            matches!(err, CheckoutError::IdempotencyKeyReused),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_must_be_visible_ascii_of_at_most_255_characters() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        for key in ["", "has space", "ünïcode", &"k".repeat(256)] {
            let err = env
                .checkout
                .place_order(env.request("cart_a", key))
                .await
                .expect_err("refused");
            assert!(
                matches!(err, CheckoutError::InvalidIdempotencyKey),
                "[{l}] {key:?}: {err:?}"
            );
        }
        let ok = env
            .checkout
            .place_order(env.request("cart_a", &"k".repeat(255)))
            .await;
        assert!(ok.is_ok(), "[{l}] a 255-character key is fine: {ok:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_placements_with_one_key_make_one_order() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        let (a, b) = tokio::join!(
            env.checkout.place_order(env.request("cart_a", "key-a")),
            env.checkout.place_order(env.request("cart_a", "key-a")),
        );
        let a = a.unwrap_or_else(|e| panic!("[{l}] a: {e}"));
        let b = b.unwrap_or_else(|e| panic!("[{l}] b: {e}"));
        assert_eq!(a.order.id, b.order.id, "[{l}] one order");
        assert!(a.replayed != b.replayed, "[{l}] exactly one replay");
        assert_eq!(a.payment, b.payment, "[{l}]");
        assert_eq!(env.payments.creates(), 1, "[{l}]");
        let page = env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list");
        assert_eq!(page.items.len(), 1, "[{l}]");
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            8,
            "[{l}]"
        );
        // The loser's rolled-back number is given back.
        assert_eq!(env.placed("cart_b").await.number, "1002", "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_ordered_under_another_key_is_already_completed() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        // Even if the cart service had not recorded it yet, the orders table knows.
        env.carts.completed.lock().expect("lock").clear();
        let err = env
            .checkout
            .place_order(env.request("cart_a", "another-key"))
            .await
            .expect_err("completed");
        match err {
            CheckoutError::CartAlreadyCompleted { order_id } => {
                assert_eq!(order_id, order.id.as_str(), "[{l}]")
            }
            other => panic!("[{l}] {other:?}"),
        }
    }
}
