//! Discount codes: applying and removing them, their rules, and their uses, counted
//! in the write that places the order.

mod support;

use emporium_cart::{redeem_discount_in, CartError, DiscountKind, NewDiscount, Shopper};
use emporium_kernel::{clock::now_ms, money::Currency};

use support::*;

#[tokio::test]
async fn a_percentage_code_applies_in_any_case_and_can_be_removed() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await; // 1200: 10 % = 120
        let cart = env
            .carts
            .apply_discount(&Shopper::Guest, &cart.id, " welcome10 ")
            .await
            .must(l, "apply");
        let d = cart
            .discount
            .clone()
            .unwrap_or_else(|| panic!("[{l}] no discount"));
        assert_eq!(
            (d.code.as_str(), d.kind.as_str(), d.value, d.note),
            ("WELCOME10", "percentage", 1000, None),
            "[{l}]"
        );
        assert_eq!(
            (cart.totals.discount_total, cart.totals.subtotal),
            (120, 1200),
            "[{l}]"
        );
        let cart = env
            .carts
            .remove_discount(&Shopper::Guest, &cart.id)
            .await
            .must(l, "remove");
        assert!(cart.discount.is_none(), "[{l}]");
        assert_eq!(cart.totals.discount_total, 0, "[{l}]");
        let err = failure(
            env.carts
                .apply_discount(&Shopper::Guest, &cart.id, "NOPE")
                .await,
            l,
            "unknown code",
        );
        assert!(
            matches!(&err, CartError::DiscountNotFound { code } if code == "NOPE"),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_fixed_code_needs_its_minimum_and_its_currency_and_shows_a_note_when_it_stops_applying() {
    for env in envs().await {
        let l = env.label;
        env.discount(NewDiscount {
            code: "save5".into(),
            kind: DiscountKind::Fixed {
                amount: 500,
                currency: Currency::EUR,
            },
            min_subtotal: Some(5000),
            ..percentage("", 1)
        })
        .await;
        let cart = env.eu_cart().await;
        env.add(&cart.id, SHIRT, 1).await;
        let err = failure(
            env.carts
                .apply_discount(&Shopper::Guest, &cart.id, "SAVE5")
                .await,
            l,
            "below minimum",
        );
        assert!(
            matches!(
                err,
                CartError::DiscountMinimumNotMet {
                    minimum: 5000,
                    subtotal: 4500,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );
        let with_mug = env.add(&cart.id, MUG, 1).await;
        let cart = env
            .carts
            .apply_discount(&Shopper::Guest, &cart.id, "save5")
            .await
            .must(l, "apply");
        assert_eq!(cart.totals.discount_total, 500, "[{l}]");
        assert_eq!(cart.totals.total, 5700 - 500, "[{l}]");

        // Taking the mug out drops the subtotal below the minimum: shown, not applied.
        let mug_line = &with_mug.lines[1].id;
        let cart = env
            .carts
            .remove_line(&Shopper::Guest, &cart.id, mug_line)
            .await
            .must(l, "remove");
        assert_eq!(cart.totals.discount_total, 0, "[{l}]");
        let note = cart.discount.and_then(|d| d.note).unwrap_or_default();
        assert!(note.contains("5000"), "[{l}] note says why: {note}");

        let us = env.us_cart().await;
        env.add(&us.id, SHIRT, 2).await;
        let err = failure(
            env.carts
                .apply_discount(&Shopper::Guest, &us.id, "SAVE5")
                .await,
            l,
            "USD cart",
        );
        assert!(
            matches!(err, CartError::DiscountCurrencyMismatch { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn expired_and_not_yet_started_codes_are_refused_with_their_dates() {
    for env in envs().await {
        let l = env.label;
        let now = now_ms();
        let ended = now - 60_000;
        let starts = now + 3_600_000;
        env.discount(NewDiscount {
            starts_at: Some(now - 7_200_000),
            ends_at: Some(ended),
            ..percentage("OLD", 500)
        })
        .await;
        env.discount(NewDiscount {
            starts_at: Some(starts),
            ..percentage("SOON", 500)
        })
        .await;
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        let err = failure(
            env.carts
                .apply_discount(&Shopper::Guest, &cart.id, "old")
                .await,
            l,
            "expired",
        );
        assert!(
            matches!(&err, CartError::DiscountExpired { ended_at, .. } if *ended_at == ended),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts
                .apply_discount(&Shopper::Guest, &cart.id, "soon")
                .await,
            l,
            "not started",
        );
        assert!(
            matches!(&err, CartError::DiscountNotStarted { starts_at, .. } if *starts_at == starts),
            "[{l}] {err:?}"
        );
        let cart = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert!(
            cart.discount.is_none(),
            "[{l}] a refused code is not stored"
        );
    }
}

#[tokio::test]
async fn discount_codes_are_unique_regardless_of_case_and_deleting_one_leaves_a_note() {
    for env in envs().await {
        let l = env.label;
        env.discount(percentage("Summer", 1500)).await;
        let err = failure(
            env.carts.create_discount(percentage("SUMMER", 500)).await,
            l,
            "duplicate",
        );
        assert!(
            matches!(&err, CartError::DiscountCodeTaken { code } if code == "SUMMER"),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts.create_discount(percentage("HALF", 0)).await,
            l,
            "0 bp",
        );
        assert_eq!(field_of(&err), "kind.rate_bp", "[{l}]");

        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .apply_discount(&Shopper::Guest, &cart.id, "summer")
            .await
            .must(l, "apply");
        let summer = env
            .carts
            .discounts()
            .await
            .must(l, "list")
            .into_iter()
            .find(|d| d.code == "SUMMER")
            .unwrap_or_else(|| panic!("[{l}] SUMMER listed"));
        env.carts
            .delete_discount(&summer.id)
            .await
            .must(l, "delete");
        let cart = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert_eq!(cart.totals.discount_total, 0, "[{l}]");
        let note = cart.discount.and_then(|d| d.note).unwrap_or_default();
        assert!(note.contains("no longer exists"), "[{l}] {note}");
        let err = failure(
            env.carts.delete_discount(&summer.id).await,
            l,
            "delete twice",
        );
        assert!(
            matches!(err, CartError::DiscountNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_code_with_one_use_goes_to_the_first_order_and_the_second_cart_must_drop_it() {
    for env in envs().await {
        let l = env.label;
        env.discount(NewDiscount {
            usage_limit: Some(1),
            ..percentage("ONCE", 2000)
        })
        .await;
        let mut carts = Vec::new();
        for _ in 0..2 {
            let cart = env.eu_cart().await;
            env.add(&cart.id, MUG, 1).await;
            env.carts
                .apply_discount(&Shopper::Guest, &cart.id, "ONCE")
                .await
                .must(l, "apply");
            env.carts
                .set_checkout_details(&Shopper::Guest, &cart.id, details("DE", "ship_eu_standard"))
                .await
                .must(l, "details");
            carts.push(cart.id);
        }
        // The first order's write counts the use (as checkout does).
        env.carts
            .checkout_snapshot(&Shopper::Guest, &carts[0])
            .await
            .must(l, "first snapshot");
        env.carts
            .database()
            .write(async |conn| redeem_discount_in(conn, "ONCE").await)
            .await
            .must(l, "first use");

        // The second cart would now cost more than it showed: refused, naming the code.
        let err = failure(
            env.carts
                .checkout_snapshot(&Shopper::Guest, &carts[1])
                .await,
            l,
            "second snapshot",
        );
        assert!(
            matches!(&err, CartError::DiscountUsedUp { code } if code == "ONCE"),
            "[{l}] {err:?}"
        );
        let second = env
            .carts
            .cart(&Shopper::Guest, &carts[1])
            .await
            .must(l, "second cart");
        let note = second.discount.and_then(|d| d.note).unwrap_or_default();
        assert!(note.contains("used up"), "[{l}] {note}");

        // It drops the code and checks out without it.
        env.carts
            .remove_discount(&Shopper::Guest, &carts[1])
            .await
            .must(l, "drop code");
        let snapshot = env
            .carts
            .checkout_snapshot(&Shopper::Guest, &carts[1])
            .await
            .must(l, "second snapshot without the code");
        assert_eq!(snapshot.discount_code, None, "[{l}]");
        let third = env.eu_cart().await;
        env.add(&third.id, MUG, 1).await;
        let err = failure(
            env.carts
                .apply_discount(&Shopper::Guest, &third.id, "ONCE")
                .await,
            l,
            "third",
        );
        assert!(
            matches!(err, CartError::DiscountUsedUp { .. }),
            "[{l}] {err:?}"
        );
    }
}
