//! Reads: a guest's order by access token, and the admin order list.

mod support;

use std::time::Duration;

use emporium_checkout::{CheckoutError, OrderQuery, OrderStatus};
use emporium_kernel::id::OrderId;
use serde_json::json;
use support::envs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_reads_an_order_only_with_its_token() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let read = env
            .checkout
            .order_for_guest(&order.id, &order.access_token)
            .await
            .expect("guest");
        assert_eq!(read.id, order.id, "[{l}]");
        for (id, token) in [
            (order.id.clone(), "wrong"),
            (order.id.clone(), ""),
            (OrderId::new(), order.access_token.as_str()),
        ] {
            let err = env
                .checkout
                .order_for_guest(&id, token)
                .await
                .expect_err("hidden");
            assert!(matches!(err, CheckoutError::OrderNotFound), "[{l}] {err:?}");
        }
        let json = serde_json::to_value(&read).expect("serialise");
        assert!(
            json.get("access_token").is_none(),
            "[{l}] the token is never serialised"
        );
        assert_eq!(json["status"], json!("pending_payment"), "[{l}]");
        assert_eq!(json["currency"], json!("EUR"), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_list_newest_first_filtered_by_status_and_query_in_cursor_pages() {
    for env in envs().await {
        let l = env.label;
        let mut ids = Vec::new();
        for (i, email) in [
            "ada@example.com",
            "Bob@Example.org",
            "carol@example.com",
            "dan_x@example.com",
            "eve@example.com",
        ]
        .into_iter()
        .enumerate()
        {
            let cart = format!("cart_{i}");
            env.cart(&cart, email);
            let placed = env
                .checkout
                .place_order(env.request(&cart, "k"))
                .await
                .unwrap_or_else(|e| panic!("[{l}] {e}"));
            ids.push(placed.order.id);
            // Distinct creation times, so "newest first" has one right answer.
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        env.checkout
            .mark_paid(&ids[1], "pay_1")
            .await
            .expect("paid");
        env.checkout
            .mark_paid(&ids[3], "pay_3")
            .await
            .expect("paid");

        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = env
                .checkout
                .list_orders(OrderQuery {
                    limit: 2,
                    cursor: cursor.clone(),
                    ..OrderQuery::default()
                })
                .await
                .unwrap_or_else(|e| panic!("[{l}] {e}"));
            assert!(page.items.len() <= 2, "[{l}]");
            seen.extend(page.items.into_iter().map(|o| o.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let newest_first: Vec<OrderId> = ids.iter().rev().cloned().collect();
        assert_eq!(seen, newest_first, "[{l}] every order once, newest first");

        let paid = env
            .checkout
            .list_orders(OrderQuery {
                status: Some(OrderStatus::Paid),
                ..OrderQuery::default()
            })
            .await
            .expect("paid");
        assert_eq!(
            paid.items.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
            [ids[3].clone(), ids[1].clone()],
            "[{l}]"
        );

        let by_email = |q: &str| OrderQuery {
            q: Some(q.into()),
            ..OrderQuery::default()
        };
        let bob = env
            .checkout
            .list_orders(by_email("bob@EXAMPLE"))
            .await
            .expect("q");
        assert_eq!(bob.items.len(), 1, "[{l}] case-insensitive email substring");
        assert_eq!(bob.items[0].id, ids[1], "[{l}]");
        let number = env.checkout.list_orders(by_email("1003")).await.expect("q");
        assert_eq!(number.items.len(), 1, "[{l}]");
        assert_eq!(number.items[0].number, "1003", "[{l}]");
        let underscore = env.checkout.list_orders(by_email("n_x")).await.expect("q");
        assert_eq!(underscore.items.len(), 1, "[{l}] `_` matches itself only");
        let none = env.checkout.list_orders(by_email("100")).await.expect("q");
        assert!(none.items.is_empty(), "[{l}] numbers match exactly");

        let err = env
            .checkout
            .list_orders(OrderQuery {
                cursor: Some("garbage!".into()),
                ..OrderQuery::default()
            })
            .await
            .expect_err("bad cursor");
        assert!(matches!(err, CheckoutError::InvalidCursor), "[{l}] {err:?}");
        let err = env
            .checkout
            .list_orders(OrderQuery {
                limit: 101,
                ..OrderQuery::default()
            })
            .await
            .expect_err("limit");
        assert!(
            matches!(err, CheckoutError::InvalidField { ref field, .. } if field == "limit"),
            "[{l}]"
        );
    }
}
