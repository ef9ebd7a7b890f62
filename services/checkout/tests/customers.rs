//! Orders of signed-in customers: placed only by the cart's owner, theirs to list and
//! read, hidden from everyone else, and guest orders attached by verified email.

mod support;

use emporium_checkout::{CheckoutError, Email, OrderQuery};
use emporium_kernel::id::{CustomerId, OrderId};
use support::envs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_cart_is_placed_only_by_that_customer_and_the_order_is_theirs() {
    for env in envs().await {
        let l = env.label;
        let (ada, bob) = (CustomerId::new(), CustomerId::new());
        env.cart("cart_a", "ada@example.com");
        env.own_cart("cart_a", &ada);

        for placer in [None, Some(bob.clone())] {
            let mut request = env.request("cart_a", "key-1");
            request.customer_id = placer.clone();
            let err = env
                .checkout
                .place_order(request)
                .await
                .expect_err("not theirs");
            assert!(
                matches!(err, CheckoutError::Cart(_)),
                "[{l}] {placer:?}: {err:?}"
            );
        }

        let mut request = env.request("cart_a", "key-1");
        request.customer_id = Some(ada.clone());
        let placed = env
            .checkout
            .place_order(request.clone())
            .await
            .expect("placed");
        assert_eq!(placed.order.customer_id.as_ref(), Some(&ada), "[{l}]");
        let stored = env.checkout.order(&placed.order.id).await.expect("stored");
        assert_eq!(stored.customer_id.as_ref(), Some(&ada), "[{l}] stored");

        // A replay of the same key by someone else, or a new key, finds no cart: neither
        // the order nor its id is revealed.
        for (placer, key) in [
            (Some(bob.clone()), "key-1"),
            (None, "key-1"),
            (Some(bob.clone()), "key-2"),
        ] {
            let mut replay = env.request("cart_a", key);
            replay.customer_id = placer;
            let err = env.checkout.place_order(replay).await.expect_err("hidden");
            assert!(
                matches!(err, CheckoutError::CartNotFound { .. }),
                "[{l}] {key}: {err:?}"
            );
        }
        let again = env.checkout.place_order(request).await.expect("replayed");
        assert!(again.replayed, "[{l}]");
        assert_eq!(again.order.id, placed.order.id, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_lists_and_reads_only_their_own_orders() {
    for env in envs().await {
        let l = env.label;
        let (ada, bob) = (CustomerId::new(), CustomerId::new());
        let mut adas = Vec::new();
        for name in ["cart_a1", "cart_a2", "cart_b1", "cart_g1"] {
            env.cart(name, "someone@example.com");
            let owner = match name {
                "cart_a1" | "cart_a2" => Some(ada.clone()),
                "cart_b1" => Some(bob.clone()),
                _ => None,
            };
            if let Some(owner) = &owner {
                env.own_cart(name, owner);
            }
            let mut request = env.request(name, &format!("key-{name}"));
            request.customer_id = owner.clone();
            let order = env
                .checkout
                .place_order(request)
                .await
                .expect("placed")
                .order;
            if owner.as_ref() == Some(&ada) {
                adas.push(order);
            }
        }
        let page = env
            .checkout
            .list_orders(OrderQuery {
                customer_id: Some(ada.clone()),
                limit: 1,
                ..OrderQuery::default()
            })
            .await
            .expect("page 1");
        assert_eq!(page.items.len(), 1, "[{l}]");
        let rest = env
            .checkout
            .list_orders(OrderQuery {
                customer_id: Some(ada.clone()),
                cursor: page.next_cursor.clone(),
                ..OrderQuery::default()
            })
            .await
            .expect("page 2");
        let mut listed: Vec<OrderId> = page
            .items
            .iter()
            .chain(&rest.items)
            .map(|o| o.id.clone())
            .collect();
        listed.sort();
        let mut expected: Vec<OrderId> = adas.iter().map(|o| o.id.clone()).collect();
        expected.sort();
        assert_eq!(listed, expected, "[{l}] only Ada's two orders");
        assert_eq!(rest.next_cursor, None, "[{l}]");

        let first = &adas[0];
        let read = env
            .checkout
            .customer_order(&ada, &first.id)
            .await
            .expect("hers");
        assert_eq!(read.id, first.id, "[{l}]");
        for (who, id) in [(&bob, first.id.clone()), (&ada, OrderId::new())] {
            let err = env
                .checkout
                .customer_order(who, &id)
                .await
                .expect_err("hidden");
            assert!(matches!(err, CheckoutError::OrderNotFound), "[{l}] {err:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_orders_with_the_customers_email_are_attached_once() {
    for env in envs().await {
        let l = env.label;
        let ada = CustomerId::new();
        env.cart("cart_g1", "ada@example.com");
        env.cart("cart_g2", "other@example.com");
        let mine = env
            .checkout
            .place_order(env.request("cart_g1", "key-g1"))
            .await
            .expect("placed")
            .order;
        let theirs = env
            .checkout
            .place_order(env.request("cart_g2", "key-g2"))
            .await
            .expect("placed")
            .order;
        let email = Email::parse("email", "ada@example.com").expect("email");
        assert_eq!(
            env.checkout
                .attach_guest_orders(&ada, &email)
                .await
                .expect("attach"),
            1,
            "[{l}]"
        );
        assert_eq!(
            env.checkout
                .attach_guest_orders(&ada, &email)
                .await
                .expect("again"),
            0,
            "[{l}] once"
        );
        assert_eq!(
            env.checkout
                .customer_order(&ada, &mine.id)
                .await
                .expect("attached")
                .customer_id,
            Some(ada.clone()),
            "[{l}]"
        );
        assert!(
            env.checkout.customer_order(&ada, &theirs.id).await.is_err(),
            "[{l}] another email's order stays a guest's"
        );
        // An attached order is no longer anyone else's to claim.
        let eve = CustomerId::new();
        assert_eq!(
            env.checkout
                .attach_guest_orders(&eve, &email)
                .await
                .expect("eve"),
            0,
            "[{l}]"
        );
    }
}
