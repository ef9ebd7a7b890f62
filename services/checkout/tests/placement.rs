//! Placement: the saga from cart to pending order, its `order.placed` event, and what
//! happens when the stock, the payment provider or the process fails half-way.

mod support;

use std::time::Duration;

use emporium_checkout::{CheckoutError, OrderQuery, OrderStatus};
use emporium_kernel::{events, money::Currency};
use serde_json::json;
use support::{address, cart_id, envs, payment_id_for, ResState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placing_orders_creates_pending_payment_orders_numbered_from_1001() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let order = &placed.order;
        assert!(!placed.replayed, "[{l}]");
        assert_eq!(order.number, "1001", "[{l}]");
        assert_eq!(order.status, OrderStatus::PendingPayment, "[{l}]");
        assert_eq!(order.total, 10495, "[{l}]");
        assert_eq!(order.lines.len(), 2, "[{l}]");
        assert_eq!(order.lines[0].sku, "LS-M-BLU", "[{l}]");
        assert_eq!(order.shipping_address, address(), "[{l}]");
        assert!(order.reservation_id.is_some(), "[{l}] reservation recorded");
        assert_eq!(
            order.payment_id,
            Some(payment_id_for(order.id.as_str())),
            "[{l}]"
        );
        let payment = placed.payment.as_ref().expect("payment session");
        assert_eq!(
            payment.client_secret,
            Some(format!("secret_{}", order.id)),
            "[{l}]"
        );
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            8,
            "[{l}] 2 shirts reserved"
        );
        assert_eq!(
            env.carts
                .completed
                .lock()
                .expect("lock")
                .get(cart_id("cart_a").as_str()),
            Some(&order.id.to_string()),
            "[{l}] cart completed"
        );
        let request = env.payments.state.lock().expect("lock").creates[0].clone();
        assert_eq!(
            (request.amount, request.currency),
            (10495, Currency::EUR),
            "[{l}]"
        );
        assert_eq!(request.order_number, "1001", "[{l}]");
        // 32 random bytes, URL-safe base64 without padding.
        assert_eq!(order.access_token.len(), 43, "[{l}]");

        let second = env.placed("cart_b").await;
        assert_eq!(second.number, "1002", "[{l}]");
        assert_ne!(second.access_token, order.access_token, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_placed_event_carries_the_documented_payload() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        assert_eq!(
            env.topics(order.id.as_str()).await,
            ["order.placed", "order.confirmed"],
            "[{l}]"
        );
        let p = env.payload(order.id.as_str(), "order.placed").await;
        let o = &p["order"];
        assert_eq!(o["id"], json!(order.id), "[{l}]");
        assert_eq!(o["number"], json!("1001"), "[{l}]");
        assert_eq!(o["email"], json!("ada@example.com"), "[{l}]");
        assert_eq!(o["status"], json!("pending_payment"), "[{l}]");
        assert_eq!(o["currency"], json!("EUR"), "[{l}]");
        assert_eq!(o["locale"], json!("en"), "[{l}]");
        assert_eq!(
            o["lines"][0],
            json!({"title": "Linen Shirt", "variant_title": "M / Blue", "sku": "LS-M-BLU",
                   "quantity": 2, "unit_price": 4500, "line_total": 9000}),
            "[{l}]"
        );
        for (field, value) in [
            ("subtotal", 10000),
            ("discount_total", 0),
            ("shipping_total", 495),
            ("tax_total", 1676),
            ("total", 10495),
        ] {
            assert_eq!(o[field], json!(value), "[{l}] {field}");
        }
        assert_eq!(o["tax_inclusive"], json!(true), "[{l}]");
        assert_eq!(
            o["shipping_address"],
            json!({"name": "Ada Lovelace", "line1": "1 Main St", "line2": null, "city": "Berlin",
                   "postal_code": "10115", "country": "DE", "phone": null}),
            "[{l}]"
        );
        assert_eq!(o["shipping_method"], json!("Standard"), "[{l}]");
        assert_eq!(o["payment_provider"], json!("manual"), "[{l}]");
        assert_eq!(o["access_token"], json!(order.access_token), "[{l}]");
        assert!(
            o["created_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "[{l}]"
        );
        for absent in ["fulfillment", "refund", "reason"] {
            assert!(p.get(absent).is_none(), "[{l}] {absent} only on its topic");
        }
        let stored = events::events_for(&env.db, order.id.as_str())
            .await
            .expect("events");
        assert_eq!(stored[0].request_id.as_deref(), Some("req_test"), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_stock_cancels_the_order_and_leaves_stock_untouched() {
    for env in envs().await {
        let l = env.label;
        env.stock.set("var_000000000000000000000socks", 0);
        env.cart("cart_a", "ada@example.com");
        let err = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect_err("out of stock");
        match &err {
            CheckoutError::OutOfStock {
                variant_id,
                requested,
                available,
            } => assert_eq!(
                (variant_id.as_str(), *requested, *available),
                ("var_000000000000000000000socks", 1, 0),
                "[{l}]"
            ),
            other => panic!("[{l}] {other:?}"),
        }
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            10,
            "[{l}] nothing reserved"
        );
        assert_eq!(env.payments.creates(), 0, "[{l}] no payment opened");
        let page = env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list");
        let order = &page.items[0];
        assert_eq!(order.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            order.cancel_reason.as_deref(),
            Some("out_of_stock"),
            "[{l}]"
        );
        assert_eq!(
            env.topics(order.id.as_str()).await,
            ["order.placed", "order.cancelled"],
            "[{l}]"
        );
        assert_eq!(
            env.payload(order.id.as_str(), "order.cancelled").await["reason"],
            json!("out_of_stock"),
            "[{l}]"
        );
        assert!(
            env.carts.completed.lock().expect("lock").is_empty(),
            "[{l}] cart still open"
        );

        // The same request answers the same.
        let again = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect_err("same answer");
        assert!(
            matches!(again, CheckoutError::OutOfStock { .. }),
            "[{l}] {again:?}"
        );

        // After a restock the cart can be checked out with a new key.
        env.stock.set("var_000000000000000000000socks", 5);
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-b"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(placed.order.status, OrderStatus::PendingPayment, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_session_failure_releases_the_reservation_and_cancels_the_order() {
    for env in envs().await {
        let l = env.label;
        env.payments.fail(true);
        env.cart("cart_a", "ada@example.com");
        let err = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect_err("payment down");
        assert!(
            matches!(err, CheckoutError::PaymentUnavailable(_)),
            "[{l}] {err:?}"
        );
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            10,
            "[{l}] released"
        );
        assert_eq!(
            env.stock.reservation_state("res_1"),
            Some(ResState::Released),
            "[{l}]"
        );
        let failed = &env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list")
            .items[0];
        assert_eq!(failed.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            failed.cancel_reason.as_deref(),
            Some("payment_unavailable"),
            "[{l}]"
        );
        assert!(
            env.carts.completed.lock().expect("lock").is_empty(),
            "[{l}]"
        );

        // The client's retry with the same key starts over once the provider is back.
        env.payments.fail(false);
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] retry: {e}"));
        assert!(!placed.replayed, "[{l}]");
        assert_ne!(placed.order.id, failed.id, "[{l}]");
        assert_eq!(placed.order.status, OrderStatus::PendingPayment, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_interrupted_before_reserving_is_cancelled_and_its_key_places_again() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        env.stock.stall(true);
        let checkout = env.checkout.clone();
        let request = env.request("cart_a", "key-a");
        let placing = tokio::spawn(async move { checkout.place_order(request).await });
        // Once the order is written, stop the placement where a crash would.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let order = loop {
            let page = env
                .checkout
                .list_orders(OrderQuery::default())
                .await
                .unwrap_or_else(|e| panic!("[{l}] list: {e}"));
            if let Some(order) = page.items.into_iter().next() {
                break order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{l}] no order written"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        placing.abort();
        let _ = placing.await;
        env.stock.stall(false);
        assert_eq!(order.status, OrderStatus::PendingPayment, "[{l}]");
        tokio::time::sleep(Duration::from_millis(5)).await;

        let recover = |age: Duration| {
            let checkout = env.checkout.clone();
            async move {
                checkout
                    .recover_interrupted_placements(age)
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] recover: {e}"))
            }
        };
        assert_eq!(
            recover(Duration::from_secs(300)).await,
            0,
            "[{l}] a young order is left alone"
        );
        assert_eq!(recover(Duration::ZERO).await, 1, "[{l}]");
        let cancelled = env.checkout.order(&order.id).await.expect("order");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            cancelled.cancel_reason.as_deref(),
            Some("placement_interrupted"),
            "[{l}]"
        );
        assert!(
            env.topics(order.id.as_str())
                .await
                .contains(&"order.cancelled".to_owned()),
            "[{l}]"
        );
        assert_eq!(recover(Duration::ZERO).await, 0, "[{l}] once");

        // The shopper's retry with the same key places the cart again.
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] retry: {e}"));
        assert!(!placed.replayed, "[{l}]");
        assert_ne!(placed.order.id, order.id, "[{l}]");
        assert_eq!(placed.order.status, OrderStatus::PendingPayment, "[{l}]");
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            recover(Duration::ZERO).await,
            0,
            "[{l}] an order that reserved its stock is not an interrupted one"
        );
    }
}
