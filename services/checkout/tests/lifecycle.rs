//! The order's life after placement: payments, failed payments, expired reservations,
//! late payments, fulfilment, delivery and cancellation.

mod support;

use emporium_checkout::{CheckoutError, Fulfilment, OrderQuery, OrderStatus};
use emporium_kernel::id::OrderId;
use serde_json::json;
use support::{cart_id, envs, payment_id_for, ResState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_an_order_paid_twice_commits_once_and_emits_one_paid_event() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let pay = payment_id_for(order.id.as_str());
        let first = env.checkout.mark_paid(&order.id, &pay).await.expect("paid");
        assert_eq!(first.status, OrderStatus::Paid, "[{l}]");
        assert!(first.paid_at.is_some(), "[{l}]");
        let second = env
            .checkout
            .mark_paid(&order.id, &pay)
            .await
            .expect("again");
        assert_eq!(second.status, OrderStatus::Paid, "[{l}]");
        assert_eq!(
            env.stock.state.lock().expect("lock").commit_calls,
            1,
            "[{l}]"
        );
        let reservation = first.reservation_id.expect("reservation");
        assert_eq!(
            env.stock.reservation_state(&reservation),
            Some(ResState::Committed),
            "[{l}]"
        );
        let topics = env.topics(order.id.as_str()).await;
        assert_eq!(
            topics,
            ["order.placed", "order.confirmed", "order.paid"],
            "[{l}]"
        );
        assert_eq!(
            env.payload(order.id.as_str(), "order.paid").await["order"]["status"],
            json!("paid"),
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_keeps_the_order_waiting_with_its_stock_until_another_card_pays() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_a").await;
        let declined = env
            .checkout
            .payment_failed(&pending.id, "card_declined")
            .await
            .expect("failed");
        assert_eq!(declined.status, OrderStatus::PendingPayment, "[{l}]");
        assert_eq!(
            declined.payment_error.as_deref(),
            Some("card_declined"),
            "[{l}]"
        );
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            8,
            "[{l}] still held for the next attempt"
        );
        assert_eq!(
            env.stock.state.lock().expect("lock").release_calls,
            0,
            "[{l}]"
        );
        assert!(
            env.payments.state.lock().expect("lock").cancels.is_empty(),
            "[{l}]"
        );

        // Another card succeeds.
        let paid = env
            .checkout
            .mark_paid(&pending.id, &payment_id_for(pending.id.as_str()))
            .await
            .expect("paid");
        assert_eq!(paid.status, OrderStatus::Paid, "[{l}]");
        assert_eq!(paid.payment_error, None, "[{l}]");
        assert_eq!(
            env.topics(pending.id.as_str()).await,
            ["order.placed", "order.confirmed", "order.paid"],
            "[{l}]"
        );

        let still = env
            .checkout
            .payment_failed(&paid.id, "late failure")
            .await
            .expect("ignored");
        assert_eq!(still.status, OrderStatus::Paid, "[{l}]");
        assert_eq!(still.payment_error, None, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_reservation_cancels_the_order_and_a_late_payment_commits_it_again() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let reservation = order.reservation_id.clone().expect("reservation");
        env.stock.expire(&reservation);
        env.checkout
            .reservation_expired(&reservation, order.id.as_str())
            .await
            .expect("expired");
        let cancelled = env.checkout.order(&order.id).await.expect("order");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            cancelled.cancel_reason.as_deref(),
            Some("reservation_expired"),
            "[{l}]"
        );
        assert_eq!(
            env.payments.state.lock().expect("lock").cancels,
            vec![order.id.to_string()],
            "[{l}]"
        );

        // The stock is still there: the late payment takes it again.
        let paid = env
            .checkout
            .mark_paid(&order.id, &payment_id_for(order.id.as_str()))
            .await
            .expect("late payment");
        assert_eq!(paid.status, OrderStatus::Paid, "[{l}]");
        assert!(!paid.needs_attention, "[{l}]");
        assert_eq!(paid.cancel_reason, None, "[{l}]");
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            8,
            "[{l}] re-reserved and sold"
        );
        assert_eq!(
            env.topics(order.id.as_str()).await,
            [
                "order.placed",
                "order.confirmed",
                "order.cancelled",
                "order.paid"
            ],
            "[{l}]"
        );

        // An expiry of a paid order's reservation changes nothing.
        env.checkout
            .reservation_expired(&reservation, order.id.as_str())
            .await
            .expect("no-op");
        assert_eq!(
            env.checkout.order(&order.id).await.expect("order").status,
            OrderStatus::Paid,
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_payment_for_stock_that_is_gone_flags_the_order_for_attention() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let reservation = order.reservation_id.clone().expect("reservation");
        env.stock.expire(&reservation);
        env.checkout
            .reservation_expired(&reservation, order.id.as_str())
            .await
            .expect("expired");
        env.stock.set("var_000000000000000000000shirt", 0); // somebody else bought the shirts
        let pay = payment_id_for(order.id.as_str());
        let flagged = env
            .checkout
            .mark_paid(&order.id, &pay)
            .await
            .expect("flagged");
        assert_eq!(flagged.status, OrderStatus::Cancelled, "[{l}]");
        assert!(flagged.needs_attention, "[{l}]");
        assert!(
            flagged
                .attention_note
                .as_deref()
                .is_some_and(|n| n.contains("refund")),
            "[{l}] {:?}",
            flagged.attention_note
        );
        assert_eq!(flagged.payment_id.as_deref(), Some(pay.as_str()), "[{l}]");
        // Still in the list, findable by the merchant.
        let page = env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list");
        assert!(
            page.items
                .iter()
                .any(|o| o.id == order.id && o.needs_attention),
            "[{l}]"
        );
        let again = env
            .checkout
            .mark_paid(&order.id, &pay)
            .await
            .expect("again");
        assert!(again.needs_attention, "[{l}]");
        assert!(
            !env.topics(order.id.as_str())
                .await
                .contains(&"order.paid".to_owned()),
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fulfilment_and_delivery_move_a_paid_order_and_refuse_other_statuses() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_p").await;
        let shipment = || Fulfilment {
            carrier: "DHL".into(),
            tracking_number: "JD0123".into(),
            tracking_url: Some("https://dhl.example/JD0123".into()),
        };
        let err = env
            .checkout
            .fulfil_order(&pending.id, shipment())
            .await
            .expect_err("unpaid");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::PendingPayment,
                    action: "fulfil"
                }
            ),
            "[{l}] {err:?}"
        );
        let err = env
            .checkout
            .mark_delivered(&pending.id)
            .await
            .expect_err("unshipped");
        assert!(
            matches!(err, CheckoutError::InvalidTransition { .. }),
            "[{l}] {err:?}"
        );

        let paid = env.paid("cart_a").await;
        for (bad, field) in [
            (
                Fulfilment {
                    carrier: " ".into(),
                    ..shipment()
                },
                "carrier",
            ),
            (
                Fulfilment {
                    tracking_number: "".into(),
                    ..shipment()
                },
                "tracking_number",
            ),
            (
                Fulfilment {
                    tracking_url: Some("ftp://x".into()),
                    ..shipment()
                },
                "tracking_url",
            ),
        ] {
            match env.checkout.fulfil_order(&paid.id, bad).await {
                Err(CheckoutError::InvalidField { field: f, .. }) => assert_eq!(f, field, "[{l}]"),
                other => panic!("[{l}] {field}: {other:?}"),
            }
        }
        let fulfilled = env
            .checkout
            .fulfil_order(&paid.id, shipment())
            .await
            .expect("fulfil");
        assert_eq!(fulfilled.status, OrderStatus::Fulfilled, "[{l}]");
        assert_eq!(fulfilled.fulfillments.len(), 1, "[{l}]");
        assert_eq!(fulfilled.fulfillments[0].carrier, "DHL", "[{l}]");
        let p = env.payload(paid.id.as_str(), "order.fulfilled").await;
        assert_eq!(
            p["fulfillment"],
            json!({"carrier": "DHL", "tracking_number": "JD0123", "tracking_url": "https://dhl.example/JD0123"}),
            "[{l}]"
        );
        let err = env
            .checkout
            .fulfil_order(&paid.id, shipment())
            .await
            .expect_err("twice");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Fulfilled,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );

        let delivered = env
            .checkout
            .mark_delivered(&paid.id)
            .await
            .expect("delivered");
        assert_eq!(delivered.status, OrderStatus::Delivered, "[{l}]");
        assert_eq!(delivered.fulfillments.len(), 1, "[{l}]");
        assert_eq!(
            env.topics(paid.id.as_str()).await,
            [
                "order.placed",
                "order.confirmed",
                "order.paid",
                "order.fulfilled",
                "order.delivered"
            ],
            "[{l}]"
        );
        let err = env
            .checkout
            .cancel_order(&paid.id, "changed mind", "staff_1")
            .await
            .expect_err("delivered");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Delivered,
                    action: "cancel"
                }
            ),
            "[{l}] {err:?}"
        );
        let err = env
            .checkout
            .order(&OrderId::new())
            .await
            .expect_err("missing");
        assert!(matches!(err, CheckoutError::OrderNotFound), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_releases_unpaid_stock_and_refunds_and_restocks_paid_orders() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_p").await;
        let err = env
            .checkout
            .cancel_order(&pending.id, " ", "staff_1")
            .await
            .expect_err("reason");
        assert!(
            matches!(err, CheckoutError::InvalidField { ref field, .. } if field == "reason"),
            "[{l}]"
        );
        let cancelled = env
            .checkout
            .cancel_order(&pending.id, "customer asked", "staff_1")
            .await
            .expect("cancel");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(cancelled.cancelled_by.as_deref(), Some("staff_1"), "[{l}]");
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            10,
            "[{l}] released"
        );
        assert_eq!(
            env.payments.state.lock().expect("lock").cancels,
            vec![pending.id.to_string()],
            "[{l}]"
        );
        assert!(
            env.payments.state.lock().expect("lock").refunds.is_empty(),
            "[{l}]"
        );

        let paid = env.paid("cart_a").await;
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            8,
            "[{l}]"
        );
        let cancelled = env
            .checkout
            .cancel_order(&paid.id, "fraud suspected", "staff_1")
            .await
            .expect("cancel paid");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(cancelled.refunded_total, 10495, "[{l}]");
        assert_eq!(
            env.stock.available("var_000000000000000000000shirt"),
            10,
            "[{l}] restocked"
        );
        let refunds = env.payments.state.lock().expect("lock").refunds.clone();
        assert_eq!(refunds.len(), 1, "[{l}]");
        assert_eq!(
            (refunds[0].0.as_str(), refunds[0].1),
            (paid.id.as_str(), 10495),
            "[{l}]"
        );
        assert_eq!(
            env.topics(paid.id.as_str()).await,
            [
                "order.placed",
                "order.confirmed",
                "order.paid",
                "order.refunded",
                "order.cancelled"
            ],
            "[{l}]"
        );
        let err = env
            .checkout
            .cancel_order(&paid.id, "again", "staff_1")
            .await
            .expect_err("twice");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Cancelled,
                    ..
                }
            ),
            "[{l}]"
        );
        // The payment service's own event for that refund changes nothing.
        let again = env
            .checkout
            .apply_refund(&paid.id, "re_1", 10495, 10495)
            .await
            .expect("dup");
        assert_eq!(again.status, OrderStatus::Cancelled, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_order_is_confirmed_when_paid_and_a_manual_one_when_placed() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_card", "ada@example.com");
        env.carts
            .carts
            .lock()
            .expect("lock")
            .get_mut(cart_id("cart_card").as_str())
            .expect("cart")
            .payment_method = "stripe".into();
        let card = env
            .checkout
            .place_order(env.request("cart_card", "key-card"))
            .await
            .expect("placed")
            .order;
        assert_eq!(
            card.confirmed_at, None,
            "[{l}] not the shopper's until paid"
        );
        assert_eq!(
            env.topics(card.id.as_str()).await,
            ["order.placed"],
            "[{l}]"
        );
        let paid = env
            .checkout
            .mark_paid(&card.id, &payment_id_for(card.id.as_str()))
            .await
            .expect("paid");
        assert!(paid.confirmed_at.is_some(), "[{l}]");
        assert_eq!(
            env.topics(card.id.as_str()).await,
            ["order.placed", "order.confirmed", "order.paid"],
            "[{l}]"
        );
        let confirmed = env.payload(card.id.as_str(), "order.confirmed").await;
        assert!(
            confirmed["order"]["confirmed_at"].is_string(),
            "[{l}] {confirmed}"
        );

        let manual = env.placed("cart_manual").await;
        assert!(
            manual.confirmed_at.is_some(),
            "[{l}] awaiting a bank transfer"
        );
        let paid = env
            .checkout
            .mark_paid(&manual.id, &payment_id_for(manual.id.as_str()))
            .await
            .expect("paid");
        assert_eq!(
            paid.confirmed_at, manual.confirmed_at,
            "[{l}] confirmed once"
        );
        assert_eq!(
            env.topics(manual.id.as_str()).await,
            ["order.placed", "order.confirmed", "order.paid"],
            "[{l}]"
        );
    }
}
