//! Totals: tax per shipping country (a region's default otherwise) and shipping that
//! becomes free.

mod support;

use support::*;

#[tokio::test]
async fn eu_totals_contain_the_shipping_countrys_tax_and_us_totals_add_8_25_percent() {
    for env in envs().await {
        let l = env.label;
        // EU: 2 × 45.00 = 90.00, WELCOME10 -10 %, Express 14.95 (never free).
        // Gross 9000 - 900 + 1495 = 9595 in every country (prices include the tax); the
        // tax it contains is the shipping country's: FR 20 %: 9595 × 2000 / 12000 =
        // 1599.17; DE 19 %: 9595 × 1900 / 11900 = 1531.93; NL 21 %: 9595 × 2100 / 12100
        // = 1665.25.
        let eu = env.eu_cart().await;
        env.add(&eu.id, SHIRT, 2).await;
        env.carts
            .apply_discount(&Shopper::Guest, &eu.id, "WELCOME10")
            .await
            .must(l, "code");
        for (country, rate_bp, tax) in [("FR", 2000, 1599), ("DE", 1900, 1532), ("NL", 2100, 1665)]
        {
            let cart = env
                .carts
                .set_checkout_details(&Shopper::Guest, &eu.id, details(country, "ship_eu_express"))
                .await
                .must(l, "details");
            let t = cart.totals;
            assert_eq!(
                (
                    t.subtotal,
                    t.discount_total,
                    t.shipping_total,
                    t.tax_total,
                    t.total
                ),
                (9000, 900, 1495, tax, 9595),
                "[{l}] EU, shipped to {country}"
            );
            assert_eq!(cart.region.tax_rate_bp, rate_bp, "[{l}] {country}");
            let snapshot = env
                .carts
                .checkout_snapshot(&Shopper::Guest, &eu.id)
                .await
                .must(l, "snapshot");
            assert_eq!(snapshot.totals.tax_total, tax, "[{l}] order of {country}");
        }

        // US: 1 × 50.00, Standard 5.99 (free only from 75.00).
        // Tax (5000 + 599) × 8.25 % = 461.9175 -> 462, added: 6061.
        let us = env.us_cart().await;
        env.add(&us.id, SHIRT, 1).await;
        let us = env
            .carts
            .set_checkout_details(&Shopper::Guest, &us.id, details("US", "ship_us_standard"))
            .await
            .must(l, "details");
        let t = us.totals;
        assert_eq!(
            (
                t.subtotal,
                t.discount_total,
                t.shipping_total,
                t.tax_total,
                t.total
            ),
            (5000, 0, 599, 462, 6061),
            "[{l}] US"
        );
        let shipping = us
            .shipping_option
            .as_ref()
            .map(|s| (s.name.as_str(), s.amount));
        assert_eq!(shipping, Some(("Standard", 599)), "[{l}]");
    }
}

#[tokio::test]
async fn standard_shipping_becomes_free_when_the_subtotal_reaches_the_threshold() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, SHIRT, 1).await; // 45.00 < 50.00
        let quotes = env
            .carts
            .shipping_options(&Shopper::Guest, &cart.id)
            .await
            .must(l, "quotes");
        let priced: Vec<(&str, i64, Option<i64>)> = quotes
            .iter()
            .map(|q| (q.name.as_str(), q.amount, q.free_above))
            .collect();
        assert_eq!(
            priced,
            [("Standard", 495, Some(5000)), ("Express", 1495, None)],
            "[{l}]"
        );
        let cart = env
            .carts
            .set_checkout_details(&Shopper::Guest, &cart.id, details("FR", "ship_eu_standard"))
            .await
            .must(l, "details");
        assert_eq!(cart.totals.shipping_total, 495, "[{l}]");
        assert_eq!(cart.totals.total, 4995, "[{l}] inclusive: tax not added");

        let cart = env.add(&cart.id, MUG, 1).await; // 57.00 >= 50.00
        assert_eq!(cart.totals.shipping_total, 0, "[{l}]");
        assert_eq!(cart.shipping_option.map(|s| s.amount), Some(0), "[{l}]");
        let quotes = env
            .carts
            .shipping_options(&Shopper::Guest, &cart.id)
            .await
            .must(l, "quotes");
        assert_eq!((quotes[0].amount, quotes[1].amount), (0, 1495), "[{l}]");
    }
}
