//! Carts of signed-in customers: reachable only by their owner (to anyone else exactly
//! like a cart that does not exist), and what signing in does with a guest cart.

mod support;

use emporium_cart::{CartError, Shopper, SignInCart};
use emporium_kernel::id::{CartId, CustomerId};

use support::*;

fn not_found<T: std::fmt::Debug>(result: Result<T, CartError>, label: &str, what: &str) {
    match result {
        Err(CartError::CartNotFound { .. }) => {}
        other => panic!("[{label}] {what}: expected CartNotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn a_customers_cart_answers_only_to_that_customer() {
    for env in envs().await {
        let l = env.label;
        let ada = Shopper::Customer(CustomerId::new());
        let cart = env
            .carts
            .create_cart(&ada, None, None)
            .await
            .must(l, "create");
        assert_eq!(cart.customer_id.as_ref(), ada.customer_id(), "[{l}]");
        let cart = env
            .carts
            .add_line(&ada, &cart.id, &variant_id(SHIRT), 1)
            .await
            .must(l, "owner adds");
        let line = cart.lines[0].id.clone();
        env.discount(percentage("SAVE5", 500)).await;

        for stranger in [Shopper::Guest, Shopper::Customer(CustomerId::new())] {
            let c = &env.carts;
            not_found(c.cart(&stranger, &cart.id).await, l, "read");
            not_found(
                c.add_line(&stranger, &cart.id, &variant_id(MUG), 1).await,
                l,
                "add",
            );
            not_found(
                c.update_line(&stranger, &cart.id, &line, 2).await,
                l,
                "update",
            );
            not_found(c.remove_line(&stranger, &cart.id, &line).await, l, "remove");
            not_found(
                c.apply_discount(&stranger, &cart.id, "SAVE5").await,
                l,
                "discount",
            );
            not_found(
                c.remove_discount(&stranger, &cart.id).await,
                l,
                "undiscount",
            );
            not_found(c.shipping_options(&stranger, &cart.id).await, l, "shipping");
            not_found(
                c.set_checkout_details(&stranger, &cart.id, details("DE", "ship_eu_standard"))
                    .await,
                l,
                "details",
            );
            not_found(
                c.checkout_snapshot(&stranger, &cart.id).await,
                l,
                "snapshot",
            );
        }
        // Nothing a stranger tried changed the cart.
        let seen = env.carts.cart(&ada, &cart.id).await.must(l, "owner reads");
        assert_eq!(quantities(&seen), vec![(SHIRT, 1)], "[{l}]");
        assert_eq!(seen.discount, None, "[{l}]");
        assert_eq!(seen.email, None, "[{l}]");

        // The owner does everything.
        env.carts
            .update_line(&ada, &cart.id, &line, 2)
            .await
            .must(l, "update");
        env.carts
            .apply_discount(&ada, &cart.id, "SAVE5")
            .await
            .must(l, "discount");
        env.carts
            .set_checkout_details(&ada, &cart.id, details("DE", "ship_eu_standard"))
            .await
            .must(l, "details");
        let snapshot = env
            .carts
            .checkout_snapshot(&ada, &cart.id)
            .await
            .must(l, "snapshot");
        assert_eq!(snapshot.customer_id.as_ref(), ada.customer_id(), "[{l}]");

        // A guest cart stays usable by whoever holds it, signed in or not.
        let guest = env.eu_cart().await;
        assert_eq!(guest.customer_id, None, "[{l}]");
        env.carts
            .add_line(&ada, &guest.id, &variant_id(MUG), 1)
            .await
            .must(l, "a customer adds to a guest cart");
        let snapshot = env
            .carts
            .cart(&Shopper::Guest, &guest.id)
            .await
            .must(l, "guest");
        assert_eq!(snapshot.customer_id, None, "[{l}] still a guest cart");
    }
}

#[tokio::test]
async fn signing_in_adopts_a_guest_cart_when_the_customer_has_none() {
    for env in envs().await {
        let l = env.label;
        let ada = CustomerId::new();
        assert_eq!(
            env.carts.sign_in(&ada, None).await.must(l, "nothing"),
            SignInCart::None,
            "[{l}]"
        );
        assert_eq!(
            env.carts
                .sign_in(&ada, Some(&CartId::new()))
                .await
                .must(l, "unknown guest cart"),
            SignInCart::None,
            "[{l}]"
        );
        let guest = env.eu_cart().await;
        env.add(&guest.id, MUG, 2).await;
        let outcome = env
            .carts
            .sign_in(&ada, Some(&guest.id))
            .await
            .must(l, "adopt");
        assert_eq!(outcome, SignInCart::Adopted(guest.id.clone()), "[{l}]");
        let shopper = Shopper::Customer(ada.clone());
        let adopted = env
            .carts
            .cart(&shopper, &guest.id)
            .await
            .must(l, "hers now");
        assert_eq!(quantities(&adopted), vec![(MUG, 2)], "[{l}]");
        not_found(
            env.carts.cart(&Shopper::Guest, &guest.id).await,
            l,
            "the id alone no longer reaches it",
        );
        // Signing in again (another device, no guest cart) finds it.
        assert_eq!(
            env.carts.sign_in(&ada, None).await.must(l, "again"),
            SignInCart::Kept(guest.id.clone()),
            "[{l}]"
        );
        // Another customer signing in with it gets nothing of it.
        let bob = CustomerId::new();
        assert_eq!(
            env.carts
                .sign_in(&bob, Some(&guest.id))
                .await
                .must(l, "bob"),
            SignInCart::None,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn signing_in_merges_a_guest_cart_into_the_customers_capped_by_stock() {
    for env in envs().await {
        let l = env.label;
        let ada = CustomerId::new();
        let shopper = Shopper::Customer(ada.clone());
        let own = env
            .carts
            .create_cart(&shopper, None, None)
            .await
            .must(l, "own cart");
        for (variant, quantity) in [(SHIRT, 6), (MUG, 98)] {
            env.carts
                .add_line(&shopper, &own.id, &variant_id(variant), quantity)
                .await
                .must(l, "own line");
        }
        env.discount(percentage("GUEST10", 1000)).await;
        let guest = env.eu_cart().await;
        // SHIRT: 6 + 7 > 10 in stock → 10; MUG: 98 + 5 > 99 per line → 99; EU_ONLY: new.
        for (variant, quantity) in [(SHIRT, 7), (MUG, 5), (EU_ONLY, 3)] {
            env.add(&guest.id, variant, quantity).await;
        }
        env.carts
            .apply_discount(&Shopper::Guest, &guest.id, "GUEST10")
            .await
            .must(l, "guest code");

        let outcome = env
            .carts
            .sign_in(&ada, Some(&guest.id))
            .await
            .must(l, "merge");
        let SignInCart::Merged { cart_id, skipped } = &outcome else {
            panic!("[{l}] expected a merge, got {outcome:?}");
        };
        assert_eq!(cart_id, &own.id, "[{l}]");
        let mut skipped = skipped.clone();
        skipped.sort();
        let mut capped = vec![variant_id(SHIRT), variant_id(MUG)];
        capped.sort();
        assert_eq!(skipped, capped, "[{l}] the capped lines are reported");
        let merged = env.carts.cart(&shopper, &own.id).await.must(l, "merged");
        assert_eq!(
            quantities(&merged),
            vec![(SHIRT, 10), (MUG, 99), (EU_ONLY, 3)],
            "[{l}]"
        );
        assert_eq!(
            merged.discount.as_ref().map(|d| d.code.as_str()),
            Some("GUEST10"),
            "[{l}] the guest's code came along"
        );
        not_found(
            env.carts.cart(&Shopper::Guest, &guest.id).await,
            l,
            "the guest cart is gone",
        );
        // The same guest cart again (a retried sign-in): nothing is added twice.
        assert_eq!(
            env.carts
                .sign_in(&ada, Some(&guest.id))
                .await
                .must(l, "again"),
            SignInCart::Kept(own.id.clone()),
            "[{l}]"
        );
        let after = env.carts.cart(&shopper, &own.id).await.must(l, "after");
        assert_eq!(quantities(&after), quantities(&merged), "[{l}]");
    }
}

#[tokio::test]
async fn a_customers_cart_is_priced_at_their_price_and_a_guests_at_everyones() {
    for env in envs().await {
        let l = env.label;
        let ada = CustomerId::new();
        env.catalog.set_customer_price(SHIRT, &ada, 3_900);
        let shopper = Shopper::Customer(ada.clone());
        let own = env
            .carts
            .create_cart(&shopper, None, None)
            .await
            .must(l, "own cart");
        let priced = env
            .carts
            .add_line(&shopper, &own.id, &variant_id(SHIRT), 1)
            .await
            .must(l, "add");
        assert_eq!(priced.lines[0].unit_price, 3_900, "[{l}] her price");
        env.carts
            .set_checkout_details(&shopper, &own.id, details("DE", "ship_eu_standard"))
            .await
            .must(l, "details");
        let snapshot = env
            .carts
            .checkout_snapshot(&shopper, &own.id)
            .await
            .must(l, "snapshot");
        assert_eq!(
            (
                snapshot.lines[0].unit_price,
                snapshot.lines[0].price_changed
            ),
            (3_900, false),
            "[{l}] the order keeps her price"
        );
        let guest = env.eu_cart().await;
        let regular = env.add(&guest.id, SHIRT, 1).await;
        assert_eq!(regular.lines[0].unit_price, 4_500, "[{l}] everyone's price");
    }
}
