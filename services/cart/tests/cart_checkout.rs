//! The cart's side of checkout: the shopper's details, the re-priced snapshot and
//! completion.

mod support;

use emporium_cart::{
    redeem_discount_in, release_order_in, Address, CartError, CheckoutDetails, Email, Shopper,
};
use emporium_kernel::money::Currency;

use support::*;

#[tokio::test]
async fn checkout_details_errors_name_the_offending_field() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let set = |d: CheckoutDetails| env.carts.set_checkout_details(&Shopper::Guest, &cart.id, d);
        let base = || details("DE", "ship_eu_standard");

        // The email is an `Email` already: its syntax is the kernel's, and a refusal
        // becomes the cart's field error.
        for bad in [
            "ada",
            "ada@example",
            &format!("{}@example.com", "a".repeat(250)),
        ] {
            let err = CartError::from(
                Email::parse("email", bad).expect_err("an email the kernel refuses"),
            );
            assert_eq!(field_of(&err), "email", "[{l}] {bad}");
        }

        let mut d = base();
        d.shipping_address.postal_code = "  ".into();
        let err = failure(set(d).await, l, "blank postal code");
        assert_eq!(field_of(&err), "shipping_address.postal_code", "[{l}]");
        let mut d = base();
        d.shipping_address.name = "x".repeat(201);
        let err = failure(set(d).await, l, "long name");
        assert_eq!(field_of(&err), "shipping_address.name", "[{l}]");
        let err = failure(
            set(details("US", "ship_eu_standard")).await,
            l,
            "US from EU",
        );
        assert_eq!(field_of(&err), "shipping_address.country", "[{l}]");
        let err = failure(
            set(details("DEU", "ship_eu_standard")).await,
            l,
            "3 letters",
        );
        assert_eq!(field_of(&err), "shipping_address.country", "[{l}]");
        let err = failure(set(details("DE", "ship_us_standard")).await, l, "US option");
        assert_eq!(field_of(&err), "shipping_option_id", "[{l}]");
        let mut d = base();
        d.billing_address = Some(Address {
            city: String::new(),
            ..address("GB")
        });
        let err = failure(set(d).await, l, "billing city");
        assert_eq!(field_of(&err), "billing_address.city", "[{l}]");
        for bad in ["", "Stripe", "pay-later", &"x".repeat(33)] {
            let err = failure(
                set(CheckoutDetails {
                    payment_method: bad.into(),
                    ..base()
                })
                .await,
                l,
                "payment method",
            );
            assert_eq!(field_of(&err), "payment_method", "[{l}] {bad}");
        }

        // Valid details are stored; lower-case countries are normalised; billing outside
        // the region is fine.
        let mut d = details("de", "ship_eu_standard");
        d.billing_address = Some(address("GB"));
        let cart = set(d).await.must(l, "valid details");
        assert_eq!(
            cart.email.as_ref().map(|e| e.as_str()),
            Some("ada@example.com"),
            "[{l}]"
        );
        assert_eq!(
            cart.shipping_address.map(|a| a.country),
            Some("DE".into()),
            "[{l}]"
        );
        assert_eq!(
            cart.billing_address.map(|a| a.country),
            Some("GB".into()),
            "[{l}]"
        );
        assert_eq!(cart.payment_method.as_deref(), Some("manual"), "[{l}]");
        assert_eq!(
            cart.shipping_option.map(|s| s.id),
            Some("ship_eu_standard".into()),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn the_checkout_snapshot_needs_lines_and_every_detail() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let err = failure(
            env.carts.checkout_snapshot(&Shopper::Guest, &cart.id).await,
            l,
            "empty",
        );
        assert!(matches!(err, CartError::CartEmpty), "[{l}] {err:?}");
        env.add(&cart.id, MUG, 1).await;
        let err = failure(
            env.carts.checkout_snapshot(&Shopper::Guest, &cart.id).await,
            l,
            "no details",
        );
        match err {
            CartError::CheckoutIncomplete { missing } => assert_eq!(
                missing,
                [
                    "email",
                    "shipping_address",
                    "shipping_option_id",
                    "payment_method"
                ],
                "[{l}]"
            ),
            other => panic!("[{l}] expected CheckoutIncomplete, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_checkout_snapshot_reprices_every_line_and_flags_changed_prices() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, SHIRT, 2).await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .apply_discount(&Shopper::Guest, &cart.id, "WELCOME10")
            .await
            .must(l, "code");
        env.carts
            .set_checkout_details(&Shopper::Guest, &cart.id, details("NL", "ship_eu_standard"))
            .await
            .must(l, "details");
        // Even a change this process has not heard of: the order is priced from a
        // current lookup, not from the add-to-cart memo.
        env.catalog.set_price_elsewhere(SHIRT, Currency::EUR, 4000);

        let snap = env
            .carts
            .checkout_snapshot(&Shopper::Guest, &cart.id)
            .await
            .must(l, "snapshot");
        let lines: Vec<(&str, i64, i64, i64, bool)> = snap
            .lines
            .iter()
            .map(|x| {
                (
                    x.variant_id.as_str(),
                    x.quantity,
                    x.unit_price,
                    x.line_total,
                    x.price_changed,
                )
            })
            .collect();
        assert_eq!(
            lines,
            [(SHIRT, 2, 4000, 8000, true), (MUG, 1, 1200, 1200, false)],
            "[{l}]"
        );
        // 9200 - 920 (10 %) + 0 shipping (9200 >= 5000); contained Dutch tax (21 %)
        // 8280 × 2100 / 12100 = 1437.02.
        let t = snap.totals;
        assert_eq!(
            (
                t.subtotal,
                t.discount_total,
                t.shipping_total,
                t.tax_total,
                t.total
            ),
            (9200, 920, 0, 1437, 8280),
            "[{l}]"
        );
        assert_eq!(snap.discount_code.as_deref(), Some("WELCOME10"), "[{l}]");
        assert_eq!(
            (snap.currency, snap.region_id.as_str()),
            (Currency::EUR, "reg_eu"),
            "[{l}]"
        );
        assert_eq!(snap.email.as_str(), "ada@example.com", "[{l}]");
        assert_eq!(
            snap.billing_address, snap.shipping_address,
            "[{l}] billing defaults to shipping"
        );
        assert_eq!(
            (
                snap.shipping_option_name.as_str(),
                snap.payment_method.as_str()
            ),
            ("Standard", "manual"),
            "[{l}]"
        );

        // A product that left the catalog stops the checkout, naming the variant.
        env.catalog.unpublish(MUG);
        let err = failure(
            env.carts.checkout_snapshot(&Shopper::Guest, &cart.id).await,
            l,
            "unpublished",
        );
        assert!(
            matches!(&err, CartError::VariantNotFound { variant_id } if variant_id == MUG),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn completing_again_for_the_same_order_is_a_no_op_and_counts_no_use() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .apply_discount(&Shopper::Guest, &cart.id, "WELCOME10")
            .await
            .must(l, "code");
        env.carts
            .mark_completed(&cart.id, &ord(1))
            .await
            .must(l, "first");
        let first = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        env.carts
            .mark_completed(&cart.id, &ord(1))
            .await
            .must(l, "retry");
        let again = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert_eq!(again.completed_at, first.completed_at, "[{l}] unchanged");
        let used = env
            .carts
            .discounts()
            .await
            .must(l, "list")
            .into_iter()
            .find(|d| d.code == "WELCOME10")
            .map(|d| d.used_count);
        assert_eq!(
            used,
            Some(0),
            "[{l}] the use is counted in checkout's order write, not here"
        );
        let err = failure(
            env.carts.mark_completed(&cart.id, &ord(2)).await,
            l,
            "other order",
        );
        assert!(
            matches!(&err, CartError::CartCompleted { order_id } if order_id.as_str() == ord(1).as_str()),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_use_is_counted_in_the_callers_write_and_given_back_when_its_order_is_released() {
    for env in envs().await {
        let l = env.label;
        let mut once = percentage("ONCE", 1000);
        once.usage_limit = Some(1);
        env.carts.create_discount(once).await.must(l, "code");
        let used = || async {
            env.carts
                .discounts()
                .await
                .must(l, "list")
                .into_iter()
                .find(|d| d.code == "ONCE")
                .map(|d| d.used_count)
        };
        let db = env.carts.database().clone();
        db.write(async |conn| redeem_discount_in(conn, "ONCE").await)
            .await
            .must(l, "first use");
        assert_eq!(used().await, Some(1), "[{l}]");
        let err = failure(
            db.write(async |conn| redeem_discount_in(conn, "ONCE").await)
                .await,
            l,
            "second use",
        );
        assert!(
            matches!(&err, CartError::DiscountUsedUp { code } if code == "ONCE"),
            "[{l}] {err:?}"
        );
        assert_eq!(used().await, Some(1), "[{l}] the refused use rolled back");

        // The order that used it is cancelled unpaid: the use comes back and the cart
        // it completed opens again.
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .mark_completed(&cart.id, &ord(7))
            .await
            .must(l, "complete");
        let (cart_id, order_id) = (cart.id.clone(), ord(7));
        db.write(async move |conn| release_order_in(conn, &cart_id, &order_id, Some("ONCE")).await)
            .await
            .must(l, "release");
        assert_eq!(used().await, Some(0), "[{l}]");
        let reopened = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert_eq!(reopened.completed_at, None, "[{l}]");
        env.add(&cart.id, MUG, 1).await;
    }
}
