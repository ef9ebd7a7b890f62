//! Price lists: admin edits with field-named errors, resolution of the lowest applicable
//! list price (audience and window), cascades from variants and lists, the memo of list
//! prices, and the product view's reduced and compare-at prices.
//! Every scenario runs on each test database (see `support`).

mod support;

use std::collections::HashMap;

use emporium_catalog::{
    Catalog, NewListPrice, NewPriceList, PriceList, PriceListChanges, PriceListId, Product,
};
use emporium_kernel::{cache::Freshness, db::DbError, id::VariantId, money::Currency, sql};
use support::*;

/// A fixed "now" (2027-01-15): windows in these tests are relative to it.
const NOW: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;
const VIP: &str = "cgrp_01j9z3aaaaaaaaaaaaaaaaaaaa";
const TRADE: &str = "cgrp_01j9z3bbbbbbbbbbbbbbbbbbbb";

fn price(variant_id: &VariantId, currency: Currency, amount: i64) -> NewListPrice {
    NewListPrice {
        variant_id: variant_id.clone(),
        currency,
        amount,
    }
}

/// A list for `group` (everyone when `None`) within `window`.
fn list(
    name: &str,
    group: Option<&str>,
    window: (Option<i64>, Option<i64>),
    prices: Vec<NewListPrice>,
) -> NewPriceList {
    NewPriceList {
        name: name.into(),
        description: None,
        customer_group_id: group.map(str::to_owned),
        starts_at: window.0,
        ends_at: window.1,
        prices,
    }
}

const OPEN: (Option<i64>, Option<i64>) = (None, None);

async fn create(l: &str, c: &Catalog, input: NewPriceList) -> PriceList {
    let name = input.name.clone();
    c.create_price_list(input)
        .await
        .unwrap_or_else(|e| panic!("[{l}] create price list {name}: {e}"))
}

async fn product(l: &str, c: &Catalog, title: &str, sku: &str) -> Product {
    c.create_product(shirt(title, sku))
        .await
        .unwrap_or_else(|e| panic!("[{l}] create product {title}: {e}"))
}

async fn best(
    l: &str,
    c: &Catalog,
    ids: &[VariantId],
    groups: &[&str],
    now: i64,
    freshness: Freshness,
) -> HashMap<VariantId, i64> {
    let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
    c.best_prices(ids, Currency::EUR, &groups, now, freshness)
        .await
        .unwrap_or_else(|e| panic!("[{l}] best prices: {e}"))
}

async fn stored_list_prices(l: &str, c: &Catalog) -> i64 {
    c.database()
        .read(async |conn| {
            conn.fetch_scalar::<i64>(&sql!("SELECT COUNT(*) FROM price_list_prices"))
                .await
        })
        .await
        .unwrap_or_else(|e: DbError| panic!("[{l}] count: {e}"))
}

#[tokio::test]
async fn price_lists_are_created_listed_read_updated_and_deleted() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let p = product(l, c, "List Shirt", "LS").await;
        let (s, m) = (&p.variants[0].id, &p.variants[1].id);

        let first = create(
            l,
            c,
            NewPriceList {
                name: "  Summer sale ".into(),
                description: Some("Ten percent off.".into()),
                customer_group_id: None,
                starts_at: Some(NOW),
                ends_at: Some(NOW + HOUR),
                // Given out of order: stored sorted by variant, then currency.
                prices: vec![
                    price(m, Currency::EUR, 3150),
                    price(s, Currency::USD, 2999),
                    price(s, Currency::EUR, 2700),
                ],
            },
        )
        .await;
        assert!(
            first.id.as_str().starts_with("plist_"),
            "[{l}] {}",
            first.id
        );
        assert_eq!(first.name, "Summer sale", "[{l}] the name is trimmed");
        assert_eq!(
            first.description.as_deref(),
            Some("Ten percent off."),
            "[{l}]"
        );
        assert_eq!(first.customer_group_id, None, "[{l}]");
        assert_eq!(
            (first.starts_at, first.ends_at),
            (Some(NOW), Some(NOW + HOUR)),
            "[{l}]"
        );
        assert_eq!(
            first
                .prices
                .iter()
                .map(|p| (p.variant_id.clone(), p.currency, p.amount))
                .collect::<Vec<_>>(),
            [
                (s.clone(), Currency::EUR, 2700),
                (s.clone(), Currency::USD, 2999),
                (m.clone(), Currency::EUR, 3150),
            ],
            "[{l}]"
        );
        assert_eq!(first.created_at, first.updated_at, "[{l}]");

        let second = create(
            l,
            c,
            list("VIP", Some(VIP), OPEN, vec![price(s, Currency::EUR, 2500)]),
        )
        .await;
        assert_eq!(second.customer_group_id.as_deref(), Some(VIP), "[{l}]");

        let all = c
            .price_lists()
            .await
            .unwrap_or_else(|e| panic!("[{l}] list: {e}"));
        assert_eq!(
            all.iter().map(|p| &p.id).collect::<Vec<_>>(),
            [&second.id, &first.id],
            "[{l}] newest first"
        );
        assert_eq!(all[1], first, "[{l}] listed with its prices");
        let read = c
            .price_list(&first.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] get: {e}"));
        assert_eq!(read, first, "[{l}]");

        let changed = c
            .update_price_list(
                &first.id,
                PriceListChanges {
                    name: Some("Winter sale".into()),
                    description: Some(None),
                    customer_group_id: Some(Some(TRADE.into())),
                    starts_at: Some(None),
                    prices: Some(vec![price(m, Currency::EUR, 3000)]),
                    ..PriceListChanges::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] update: {e}"));
        assert_eq!(changed.name, "Winter sale", "[{l}]");
        assert_eq!(changed.description, None, "[{l}] cleared");
        assert_eq!(changed.customer_group_id.as_deref(), Some(TRADE), "[{l}]");
        assert_eq!(
            (changed.starts_at, changed.ends_at),
            (None, Some(NOW + HOUR)),
            "[{l}] start opened, end kept"
        );
        assert_eq!(
            changed
                .prices
                .iter()
                .map(|p| (p.variant_id.clone(), p.amount))
                .collect::<Vec<_>>(),
            [(m.clone(), 3000)],
            "[{l}] prices replaced"
        );
        assert!(changed.updated_at >= first.updated_at, "[{l}]");
        assert_eq!(changed.created_at, first.created_at, "[{l}]");
        assert_eq!(
            c.price_list(&first.id).await.ok(),
            Some(changed.clone()),
            "[{l}] the change is stored"
        );

        let everyone_again = c
            .update_price_list(
                &first.id,
                PriceListChanges {
                    customer_group_id: Some(None),
                    ..PriceListChanges::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] update: {e}"));
        assert_eq!(everyone_again.customer_group_id, None, "[{l}]");
        assert_eq!(everyone_again.prices, changed.prices, "[{l}] prices kept");

        c.delete_price_list(&first.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] delete: {e}"));
        assert_not_found(l, c.price_list(&first.id).await, "price list");
        assert_not_found(l, c.delete_price_list(&first.id).await, "price list");
        assert_not_found(
            l,
            c.update_price_list(&first.id, PriceListChanges::default())
                .await,
            "price list",
        );
        let left = c
            .price_lists()
            .await
            .unwrap_or_else(|e| panic!("[{l}] list: {e}"));
        assert_eq!(left, [second], "[{l}]");
    }
}

#[tokio::test]
async fn invalid_price_lists_are_refused_naming_the_field() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let p = product(l, c, "Strict Shirt", "ST").await;
        let (s, m, lg) = (&p.variants[0].id, &p.variants[1].id, &p.variants[2].id);
        let good = || list("Good", None, OPEN, vec![price(s, Currency::EUR, 100)]);

        for (name, expected) in [("", "name"), ("   ", "name"), (&*"x".repeat(201), "name")] {
            let input = NewPriceList {
                name: name.into(),
                ..good()
            };
            assert_invalid(l, c.create_price_list(input).await, expected);
        }
        let input = NewPriceList {
            name: "y".repeat(200),
            ..good()
        };
        assert!(
            c.create_price_list(input).await.is_ok(),
            "[{l}] 200 characters are fine"
        );

        for group in ["", "vip", "cus_01j9z3aaaaaaaaaaaaaaaaaaaa"] {
            let input = NewPriceList {
                customer_group_id: Some(group.into()),
                ..good()
            };
            assert_invalid(l, c.create_price_list(input).await, "customer_group_id");
        }
        for window in [(Some(NOW), Some(NOW)), (Some(NOW), Some(NOW - 1))] {
            let input = NewPriceList {
                starts_at: window.0,
                ends_at: window.1,
                ..good()
            };
            assert_invalid(l, c.create_price_list(input).await, "ends_at");
        }
        let input = NewPriceList {
            starts_at: Some(-1),
            ..good()
        };
        assert_invalid(l, c.create_price_list(input).await, "starts_at");

        let negative = list(
            "Negative",
            None,
            OPEN,
            vec![
                price(s, Currency::EUR, 100),
                price(m, Currency::EUR, 0),
                price(lg, Currency::EUR, -1),
            ],
        );
        assert_invalid(l, c.create_price_list(negative).await, "prices[2].amount");

        let unknown = VariantId::new();
        let dangling = list(
            "Dangling",
            None,
            OPEN,
            vec![
                price(s, Currency::EUR, 100),
                price(&unknown, Currency::EUR, 100),
            ],
        );
        assert_invalid(
            l,
            c.create_price_list(dangling).await,
            "prices[1].variant_id",
        );

        let twice = list(
            "Twice",
            None,
            OPEN,
            vec![
                price(s, Currency::EUR, 100),
                price(s, Currency::USD, 100),
                price(m, Currency::EUR, 100),
                price(s, Currency::EUR, 90),
            ],
        );
        assert_invalid(l, c.create_price_list(twice).await, "prices[3]");

        let before = c
            .price_lists()
            .await
            .unwrap_or_else(|e| panic!("[{l}] list: {e}"));
        assert_eq!(before.len(), 1, "[{l}] only the valid list was stored");
        assert_eq!(stored_list_prices(l, c).await, 1, "[{l}] no stray prices");

        // Updates: the same rules, and a failed update changes nothing.
        let windowed = create(
            l,
            c,
            list(
                "Windowed",
                None,
                (Some(NOW), Some(NOW + HOUR)),
                vec![price(s, Currency::EUR, 100)],
            ),
        )
        .await;
        let update = |changes: PriceListChanges| c.update_price_list(&windowed.id, changes);
        assert_invalid(
            l,
            update(PriceListChanges {
                starts_at: Some(Some(NOW + HOUR)),
                ..PriceListChanges::default()
            })
            .await,
            "starts_at",
        );
        assert_invalid(
            l,
            update(PriceListChanges {
                ends_at: Some(Some(NOW - HOUR)),
                ..PriceListChanges::default()
            })
            .await,
            "ends_at",
        );
        assert_invalid(
            l,
            update(PriceListChanges {
                name: Some(" ".into()),
                ..PriceListChanges::default()
            })
            .await,
            "name",
        );
        assert_invalid(
            l,
            update(PriceListChanges {
                name: Some("Renamed".into()),
                prices: Some(vec![
                    price(m, Currency::EUR, 5),
                    price(&unknown, Currency::EUR, 5),
                ]),
                ..PriceListChanges::default()
            })
            .await,
            "prices[1].variant_id",
        );
        assert_eq!(
            c.price_list(&windowed.id).await.ok(),
            Some(windowed.clone()),
            "[{l}] a refused update leaves the list as it was"
        );
    }
}

#[tokio::test]
async fn the_best_price_is_the_lowest_list_price_that_applies_to_the_shopper() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let p = product(l, c, "Resolved Shirt", "RS").await;
        let (a, b, z) = (
            p.variants[0].id.clone(),
            p.variants[1].id.clone(),
            p.variants[2].id.clone(),
        );
        let ids = [a.clone(), b.clone(), z.clone()];

        create(
            l,
            c,
            list("Everyone", None, OPEN, vec![price(&a, Currency::EUR, 2900)]),
        )
        .await;
        create(
            l,
            c,
            list("VIP", Some(VIP), OPEN, vec![price(&a, Currency::EUR, 2700)]),
        )
        .await;
        create(
            l,
            c,
            list(
                "Trade",
                Some(TRADE),
                OPEN,
                vec![price(&a, Currency::EUR, 2000)],
            ),
        )
        .await;
        // Lower still, but not now: one starts later, one has ended.
        create(
            l,
            c,
            list(
                "Next week",
                None,
                (Some(NOW + HOUR), None),
                vec![price(&a, Currency::EUR, 100), price(&b, Currency::EUR, 100)],
            ),
        )
        .await;
        create(
            l,
            c,
            list(
                "Last week",
                None,
                (Some(NOW - 2 * HOUR), Some(NOW - HOUR)),
                vec![price(&a, Currency::EUR, 200), price(&b, Currency::EUR, 200)],
            ),
        )
        .await;
        // Open at one end each, both applying now.
        create(
            l,
            c,
            list(
                "Until tonight",
                None,
                (None, Some(NOW + HOUR)),
                vec![price(&b, Currency::EUR, 3300)],
            ),
        )
        .await;
        create(
            l,
            c,
            list(
                "Since this morning",
                Some(VIP),
                (Some(NOW - HOUR), None),
                vec![price(&b, Currency::EUR, 3200), price(&z, Currency::USD, 1)],
            ),
        )
        .await;

        for freshness in [Freshness::Current, Freshness::Recent] {
            let guest = best(l, c, &ids, &[], NOW, freshness).await;
            assert_eq!(
                guest,
                HashMap::from([(a.clone(), 2900), (b.clone(), 3300)]),
                "[{l}] {freshness:?}: everyone-lists only; z has no EUR list price"
            );
            let vip = best(l, c, &ids, &[VIP], NOW, freshness).await;
            assert_eq!(
                vip,
                HashMap::from([(a.clone(), 2700), (b.clone(), 3200)]),
                "[{l}] {freshness:?}: the VIP list undercuts the everyone-list"
            );
            let both = best(
                l,
                c,
                &ids,
                &["cgrp_01j9z3cccccccccccccccccccc", TRADE, VIP],
                NOW,
                freshness,
            )
            .await;
            assert_eq!(
                both.get(&a),
                Some(&2000),
                "[{l}] {freshness:?}: the lowest of the shopper's groups"
            );
        }

        // The window's edges: the start belongs to it, the end does not.
        let at_start = best(
            l,
            c,
            std::slice::from_ref(&b),
            &[],
            NOW + HOUR,
            Freshness::Recent,
        )
        .await;
        assert_eq!(
            at_start.get(&b),
            Some(&100),
            "[{l}] 'Next week' starts at NOW + 1h; 'Until tonight' ended then"
        );
        let just_before = best(
            l,
            c,
            std::slice::from_ref(&b),
            &[],
            NOW + HOUR - 1,
            Freshness::Recent,
        )
        .await;
        assert_eq!(just_before.get(&b), Some(&3300), "[{l}]");
        let at_end = best(
            l,
            c,
            std::slice::from_ref(&a),
            &[],
            NOW - HOUR,
            Freshness::Recent,
        )
        .await;
        assert_eq!(
            at_end.get(&a),
            Some(&2900),
            "[{l}] 'Last week' ended at NOW - 1h"
        );
        let inside = best(
            l,
            c,
            std::slice::from_ref(&a),
            &[],
            NOW - HOUR - 1,
            Freshness::Recent,
        )
        .await;
        assert_eq!(
            inside.get(&a),
            Some(&200),
            "[{l}] 'Last week' applied just before"
        );

        let usd = c
            .best_prices(
                &ids,
                Currency::USD,
                &[VIP.to_owned()],
                NOW,
                Freshness::Current,
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(usd, HashMap::from([(z.clone(), 1)]), "[{l}] per currency");
        let nothing = best(l, c, &[], &[VIP], NOW, Freshness::Current).await;
        assert!(nothing.is_empty(), "[{l}]");
        let repeated = best(l, c, &[a.clone(), a.clone()], &[], NOW, Freshness::Current).await;
        assert_eq!(repeated, HashMap::from([(a.clone(), 2900)]), "[{l}]");
    }
}

#[tokio::test]
async fn deleting_a_variant_or_a_list_removes_its_prices() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let p = product(l, c, "Cascade Shirt", "CS").await;
        let (a, b) = (p.variants[0].id.clone(), p.variants[1].id.clone());
        let other = product(l, c, "Other Shirt", "OS").await;
        let o = other.variants[0].id.clone();
        let sale = create(
            l,
            c,
            list(
                "Sale",
                None,
                OPEN,
                vec![
                    price(&a, Currency::EUR, 10),
                    price(&b, Currency::EUR, 20),
                    price(&o, Currency::EUR, 30),
                ],
            ),
        )
        .await;
        let ids = [a.clone(), b.clone(), o.clone()];
        // Remember the prices, so that a memo that outlived the deletes would show.
        assert_eq!(
            best(l, c, &ids, &[], NOW, Freshness::Recent).await.len(),
            3,
            "[{l}]"
        );

        c.delete_variant(&p.id, &a)
            .await
            .unwrap_or_else(|e| panic!("[{l}] delete variant: {e}"));
        let after = c
            .price_list(&sale.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            after
                .prices
                .iter()
                .map(|p| &p.variant_id)
                .collect::<Vec<_>>(),
            {
                let mut rest = vec![&b, &o];
                rest.sort();
                rest
            },
            "[{l}] the deleted variant's price is gone"
        );
        assert_eq!(
            best(l, c, &ids, &[], NOW, Freshness::Recent).await,
            HashMap::from([(b.clone(), 20), (o.clone(), 30)]),
            "[{l}] a recent lookup no longer finds it"
        );

        c.delete_product(&other.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] delete product: {e}"));
        assert_eq!(
            best(l, c, &ids, &[], NOW, Freshness::Recent).await,
            HashMap::from([(b.clone(), 20)]),
            "[{l}] a deleted product's variants lose their list prices"
        );
        assert_eq!(stored_list_prices(l, c).await, 1, "[{l}]");

        c.delete_price_list(&sale.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] delete list: {e}"));
        assert_eq!(
            stored_list_prices(l, c).await,
            0,
            "[{l}] a list's prices go with it"
        );
        assert!(
            best(l, c, &ids, &[], NOW, Freshness::Recent)
                .await
                .is_empty(),
            "[{l}]"
        );
        assert!(
            c.get_product(p.id.as_str(), true).await.is_ok(),
            "[{l}] deleting a list leaves the products"
        );
    }
}

#[tokio::test]
async fn recent_best_prices_follow_this_catalogs_price_list_writes_at_once() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let p = product(l, c, "Memo Shirt", "MS").await;
        let a = p.variants[0].id.clone();
        let ids = [a.clone()];
        let recent = |c: Catalog| {
            let ids = ids.clone();
            async move { best(l, &c, &ids, &[VIP], NOW, Freshness::Recent).await }
        };

        assert!(
            recent(c.clone()).await.is_empty(),
            "[{l}] no list yet: remembered as none"
        );
        let sale = create(
            l,
            c,
            list("Sale", None, OPEN, vec![price(&a, Currency::EUR, 2500)]),
        )
        .await;
        assert_eq!(
            recent(c.clone()).await.get(&a),
            Some(&2500),
            "[{l}] after create"
        );

        c.update_price_list(
            &sale.id,
            PriceListChanges {
                prices: Some(vec![price(&a, Currency::EUR, 2400)]),
                ..PriceListChanges::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            recent(c.clone()).await.get(&a),
            Some(&2400),
            "[{l}] after a price change"
        );

        c.update_price_list(
            &sale.id,
            PriceListChanges {
                ends_at: Some(Some(NOW)),
                ..PriceListChanges::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(
            recent(c.clone()).await.is_empty(),
            "[{l}] after the window closed"
        );

        let vip = create(
            l,
            c,
            list("VIP", Some(VIP), OPEN, vec![price(&a, Currency::EUR, 2300)]),
        )
        .await;
        assert_eq!(
            recent(c.clone()).await.get(&a),
            Some(&2300),
            "[{l}] a clone shares the memo"
        );
        c.delete_price_list(&vip.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(recent(c.clone()).await.is_empty(), "[{l}] after delete");

        // Another process's write (its own memo, the same database): a recent answer may
        // miss it for up to the memo's ttl; a current one never does.
        let elsewhere = Catalog::new(c.database().clone());
        create(
            l,
            &elsewhere,
            list("Flash", None, OPEN, vec![price(&a, Currency::EUR, 1000)]),
        )
        .await;
        assert!(
            recent(c.clone()).await.is_empty(),
            "[{l}] the recent answer comes from memory"
        );
        assert_eq!(
            best(l, c, &ids, &[], NOW, Freshness::Current).await.get(&a),
            Some(&1000),
            "[{l}] a current answer reads the database"
        );
        assert_eq!(
            recent(c.clone()).await.get(&a),
            Some(&1000),
            "[{l}] and what it read is remembered"
        );
    }
}

#[tokio::test]
async fn a_product_view_shows_list_prices_with_the_regular_price_to_compare_at() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        // S: EUR 3000 / USD 3299; M: EUR 3500 / USD 3799; L: EUR 4000 only.
        let p = product(l, c, "Viewed Shirt", "VS").await;
        let (s, m, lg) = (&p.variants[0].id, &p.variants[1].id, &p.variants[2].id);
        create(
            l,
            c,
            list(
                "Everyone",
                None,
                OPEN,
                vec![
                    price(s, Currency::EUR, 2500),
                    // Above the regular price: no reduction.
                    price(m, Currency::EUR, 3600),
                ],
            ),
        )
        .await;
        create(
            l,
            c,
            list(
                "VIP",
                Some(VIP),
                OPEN,
                vec![
                    price(lg, Currency::EUR, 3000),
                    // L has no USD price: not sold in USD, so none is added.
                    price(lg, Currency::USD, 100),
                ],
            ),
        )
        .await;
        let amounts = |product: &Product, i: usize| {
            let v = &product.variants[i];
            v.prices
                .iter()
                .map(|p| (p.currency, p.amount, v.compare_at_amount(p.currency)))
                .collect::<Vec<_>>()
        };

        let mut view = c
            .get_product("viewed-shirt", false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(
            view.variants.iter().all(|v| v.compare_at_prices.is_empty()),
            "[{l}] a plain read has no compare-at prices"
        );
        c.apply_price_lists(&mut view, &[], NOW, Freshness::Recent)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            amounts(&view, 0),
            [
                (Currency::EUR, 2500, Some(3000)),
                (Currency::USD, 3299, None)
            ],
            "[{l}] guest: S reduced in EUR"
        );
        assert_eq!(
            amounts(&view, 1),
            [(Currency::EUR, 3500, None), (Currency::USD, 3799, None)],
            "[{l}] a list price above the regular one is ignored"
        );
        assert_eq!(
            amounts(&view, 2),
            [(Currency::EUR, 4000, None)],
            "[{l}] the VIP list is not for guests"
        );

        // The same view again, for a VIP: starts from the regular prices.
        c.apply_price_lists(&mut view, &[VIP.to_owned()], NOW, Freshness::Current)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            amounts(&view, 0),
            [
                (Currency::EUR, 2500, Some(3000)),
                (Currency::USD, 3299, None)
            ],
            "[{l}] everyone-lists apply to VIPs too, compared with the regular price"
        );
        assert_eq!(
            amounts(&view, 2),
            [(Currency::EUR, 3000, Some(4000))],
            "[{l}] VIP: L reduced, no USD price added"
        );
        assert_eq!(
            view.variants[2].compare_at_prices.len(),
            1,
            "[{l}] one compare-at price per reduced currency"
        );

        // And once more for a guest: the VIP reduction is undone.
        c.apply_price_lists(&mut view, &[], NOW, Freshness::Recent)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(amounts(&view, 2), [(Currency::EUR, 4000, None)], "[{l}]");

        // Outside every window nothing changes.
        let mut later = c
            .get_product(p.id.as_str(), false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let sale = c
            .price_lists()
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"))
            .into_iter()
            .find(|p| p.name == "Everyone")
            .unwrap_or_else(|| panic!("[{l}] the everyone-list"));
        c.update_price_list(
            &sale.id,
            PriceListChanges {
                starts_at: Some(Some(NOW + HOUR)),
                ..PriceListChanges::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let regular = later.clone();
        c.apply_price_lists(&mut later, &[], NOW, Freshness::Recent)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            later, regular,
            "[{l}] a list not yet started changes nothing"
        );
    }
}

#[tokio::test]
async fn a_price_list_serialises_in_its_wire_shape() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let p = product(l, c, "Wire Shirt", "WS").await;
        let s = &p.variants[0].id;
        let created = create(
            l,
            c,
            list(
                "Wire",
                Some(VIP),
                (Some(1_700_000_000_123), None),
                vec![price(s, Currency::EUR, 2500)],
            ),
        )
        .await;
        let json = serde_json::to_value(&created).unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(json["id"], created.id.as_str(), "[{l}]");
        assert_eq!(json["name"], "Wire", "[{l}]");
        assert_eq!(json["description"], serde_json::Value::Null, "[{l}]");
        assert_eq!(json["customer_group_id"], VIP, "[{l}]");
        assert_eq!(json["starts_at"], "2023-11-14T22:13:20.123Z", "[{l}]");
        assert_eq!(json["ends_at"], serde_json::Value::Null, "[{l}]");
        assert_eq!(
            json["prices"],
            serde_json::json!([{ "variant_id": s.as_str(), "currency": "EUR", "amount": 2500 }]),
            "[{l}]"
        );
        let created_at = json["created_at"].as_str().unwrap_or_default();
        assert!(
            created_at.ends_with('Z') && created_at.contains('T'),
            "[{l}] RFC 3339: {created_at}"
        );
        assert!(
            PriceListId::parse(json["id"].as_str().unwrap_or_default()).is_ok(),
            "[{l}]"
        );
    }
}
