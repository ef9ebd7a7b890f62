//! Carts: where a new one goes, seeding, completion, expiry and purging, and the view's
//! wire shape.

mod support;

use emporium_cart::{CartError, Shopper};
use emporium_kernel::{clock::now_ms, db::DbError, id::CartId, money::Currency, sql};

use support::*;

#[tokio::test]
async fn carts_default_to_europe_or_follow_the_currency_and_refuse_unknown_ones() {
    for env in envs().await {
        let l = env.label;
        let eu = env.eu_cart().await;
        assert_eq!(
            (eu.region.id.as_str(), eu.currency),
            ("reg_eu", Currency::EUR),
            "[{l}]"
        );
        assert!(eu.region.tax_inclusive, "[{l}]");
        let us = env
            .carts
            .create_cart(&Shopper::Guest, None, Some(Currency::USD))
            .await
            .must(l, "USD cart");
        assert_eq!(
            (us.region.id.as_str(), us.region.tax_rate_bp),
            ("reg_us", 825),
            "[{l}]"
        );
        let gbp = Currency::parse("GBP").unwrap_or(Currency::EUR);
        let err = failure(
            env.carts
                .create_cart(&Shopper::Guest, None, Some(gbp))
                .await,
            l,
            "GBP cart",
        );
        assert!(
            matches!(&err, CartError::UnsupportedCurrency { currency } if currency == "GBP"),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts
                .create_cart(&Shopper::Guest, Some("reg_xx"), None)
                .await,
            l,
            "unknown region",
        );
        assert!(
            matches!(&err, CartError::RegionNotFound { region_id } if region_id == "reg_xx"),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts
                .create_cart(&Shopper::Guest, Some("reg_eu"), Some(Currency::USD))
                .await,
            l,
            "EU region in USD",
        );
        assert_eq!(field_of(&err), "currency", "[{l}]");
        let err = failure(
            env.carts.cart(&Shopper::Guest, &CartId::new()).await,
            l,
            "unknown cart",
        );
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_deleted_demo_code_stays_deleted_when_the_shop_starts_again() {
    for env in envs().await {
        let l = env.label;
        let discounts = env.carts.discounts().await.must(l, "discounts");
        let welcome = discounts
            .iter()
            .find(|d| d.code == "WELCOME10")
            .unwrap_or_else(|| panic!("[{l}] the demo seed wrote WELCOME10"));
        env.carts
            .delete_discount(&welcome.id)
            .await
            .must(l, "delete");
        // What every start runs.
        env.carts.seed_defaults().await.must(l, "start again");
        let left = env.carts.discounts().await.must(l, "discounts");
        assert!(left.is_empty(), "[{l}] {left:?}");
    }
}

#[tokio::test]
async fn seeding_twice_keeps_one_set_of_regions_shipping_options_and_codes() {
    for env in envs().await {
        let l = env.label;
        env.carts.seed_defaults().await.must(l, "seed again");
        let regions = env.carts.regions().await.must(l, "regions");
        let ids: Vec<&str> = regions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["reg_eu", "reg_us"],
            "[{l}] by name: Europe, United States"
        );
        assert_eq!(regions[0].countries.len(), 10, "[{l}]");
        assert_eq!(regions[1].countries, ["US"], "[{l}]");
        let codes: Vec<String> = env
            .carts
            .discounts()
            .await
            .must(l, "discounts")
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["WELCOME10"], "[{l}]");
        let cart = env.eu_cart().await;
        let options = env
            .carts
            .shipping_options(&Shopper::Guest, &cart.id)
            .await
            .must(l, "options");
        assert_eq!(options.len(), 2, "[{l}]");
    }
}

#[tokio::test]
async fn a_completed_cart_refuses_every_change() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let cart = env.add(&cart.id, MUG, 1).await;
        let line_id = cart.lines[0].id.clone();
        env.carts
            .mark_completed(&cart.id, &ord(3))
            .await
            .must(l, "complete");
        let completed = |err: CartError, what: &str| {
            assert!(
                matches!(&err, CartError::CartCompleted { order_id } if order_id.as_str() == ord(3).as_str()),
                "[{l}] {what}: {err:?}"
            );
        };
        completed(
            failure(
                env.carts
                    .add_line(&Shopper::Guest, &cart.id, &variant_id(MUG), 1)
                    .await,
                l,
                "add",
            ),
            "add",
        );
        completed(
            failure(
                env.carts
                    .update_line(&Shopper::Guest, &cart.id, &line_id, 2)
                    .await,
                l,
                "update",
            ),
            "update",
        );
        completed(
            failure(
                env.carts
                    .remove_line(&Shopper::Guest, &cart.id, &line_id)
                    .await,
                l,
                "remove",
            ),
            "remove",
        );
        completed(
            failure(
                env.carts
                    .apply_discount(&Shopper::Guest, &cart.id, "WELCOME10")
                    .await,
                l,
                "code",
            ),
            "code",
        );
        completed(
            failure(
                env.carts.remove_discount(&Shopper::Guest, &cart.id).await,
                l,
                "no code",
            ),
            "no code",
        );
        completed(
            failure(
                env.carts
                    .set_checkout_details(
                        &Shopper::Guest,
                        &cart.id,
                        details("DE", "ship_eu_standard"),
                    )
                    .await,
                l,
                "details",
            ),
            "details",
        );
        completed(
            failure(
                env.carts.checkout_snapshot(&Shopper::Guest, &cart.id).await,
                l,
                "snapshot",
            ),
            "snapshot",
        );
        let cart = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "still readable");
        assert_eq!(cart.order_id, Some(ord(3)), "[{l}]");
        assert!(cart.completed_at.is_some(), "[{l}]");
        assert_eq!(cart.lines.len(), 1, "[{l}]");
    }
}

#[tokio::test]
async fn a_change_moves_an_expiry_that_lags_more_than_a_day() {
    for env in envs().await {
        let l = env.label;
        let day = 24 * 60 * 60 * 1000;
        let cart = env.eu_cart().await;
        let set_expiry = |at: i64| {
            let db = env.carts.database().clone();
            let id = cart.id.clone();
            async move {
                db.write(async move |conn| {
                    conn.execute(&sql!(
                        "UPDATE carts SET expires_at = $1 WHERE id = $2",
                        at,
                        &id
                    ))
                    .await
                })
                .await
                .unwrap_or_else(|e: DbError| panic!("[{l}] set expiry: {e}"));
            }
        };
        // Within a day of the full 30: left alone (no index write on every change).
        let recent = now_ms() + 29 * day + day / 2;
        set_expiry(recent).await;
        let seen = env.add(&cart.id, MUG, 1).await;
        assert_eq!(seen.expires_at, recent, "[{l}] a small lag stays");

        // Lagging by more: moved back to 30 days from now.
        let stale = now_ms() + 10 * day;
        set_expiry(stale).await;
        let before = now_ms();
        let seen = env.add(&cart.id, MUG, 1).await;
        assert!(
            seen.expires_at >= before + 30 * day,
            "[{l}] expiry moved: {} < {}",
            seen.expires_at,
            before + 30 * day
        );
        assert_eq!(
            env.carts
                .purge_idle(now_ms() + 20 * day)
                .await
                .must(l, "purge"),
            0,
            "[{l}] the moved expiry is stored"
        );
    }
}

#[tokio::test]
async fn idle_open_carts_are_purged_after_thirty_days_and_completed_ones_are_kept() {
    for env in envs().await {
        let l = env.label;
        let idle = env.eu_cart().await;
        env.add(&idle.id, MUG, 1).await;
        let done = env.eu_cart().await;
        env.add(&done.id, MUG, 1).await;
        env.carts
            .mark_completed(&done.id, &ord(4))
            .await
            .must(l, "complete");

        let day = 24 * 60 * 60 * 1000;
        assert_eq!(
            env.carts
                .purge_idle(now_ms() + 29 * day)
                .await
                .must(l, "purge"),
            0,
            "[{l}] 29 days"
        );
        assert_eq!(
            env.carts
                .purge_idle(now_ms() + 31 * day)
                .await
                .must(l, "purge"),
            1,
            "[{l}] 31 days"
        );
        let err = failure(
            env.carts.cart(&Shopper::Guest, &idle.id).await,
            l,
            "purged cart",
        );
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
        env.carts
            .cart(&Shopper::Guest, &done.id)
            .await
            .must(l, "completed cart kept");
    }
}

#[tokio::test]
async fn the_cart_view_serialises_times_as_rfc3339_and_currencies_as_codes() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let cart = env.add(&cart.id, MUG, 1).await;
        let json = serde_json::to_value(&cart).unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(json["currency"], "EUR", "[{l}]");
        assert_eq!(json["region"]["currency"], "EUR", "[{l}]");
        assert!(
            json["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "[{l}] {json}"
        );
        assert_eq!(json["totals"]["subtotal"], 1200, "[{l}]");
        assert_eq!(json["discount"], serde_json::Value::Null, "[{l}]");
    }
}
