//! Product lists: keyset pages, sorts, price filters in the filter currency, parameter validation.
//! Every scenario runs on each test database (see `support`).

mod support;

use std::collections::HashSet;

use emporium_catalog::{ProductFilter, ProductSort, ProductSummary};
use emporium_kernel::money::Currency;
use support::*;

#[tokio::test]
async fn pagination_walks_every_product_exactly_once_in_every_sort() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let mut ids = HashSet::new();
        let mut usd_only = 0;
        for i in 0..25 {
            // Repeated titles and prices so that ties must be broken by id.
            let title = ["Mug", "Bowl", "Plate", "Jug", "Cup"][i % 5];
            let eur = if i % 9 == 4 {
                None
            } else {
                Some(1000 + (i as i64 % 4) * 250)
            };
            usd_only += usize::from(eur.is_none());
            let p = c
                .create_product(simple(
                    title,
                    &format!("SKU-{i}"),
                    prices(eur, Some(1500 + i as i64)),
                ))
                .await
                .unwrap_or_else(|e| panic!("[{l}] {e}"));
            ids.insert(p.id);
        }
        for sort in [
            ProductSort::Newest,
            ProductSort::Title,
            ProductSort::PriceAsc,
            ProductSort::PriceDesc,
        ] {
            let base = ProductFilter {
                sort,
                limit: 7,
                ..ProductFilter::default()
            };
            let items = walk(l, c, &base).await;
            let seen: Vec<&str> = items.iter().map(|s| s.id.as_str()).collect();
            let distinct: HashSet<&str> = seen.iter().copied().collect();
            assert_eq!(
                distinct.len(),
                seen.len(),
                "[{l}] {sort:?}: a product appeared twice"
            );
            let price_sort = matches!(sort, ProductSort::PriceAsc | ProductSort::PriceDesc);
            let expected = if price_sort { 25 - usd_only } else { 25 };
            assert_eq!(seen.len(), expected, "[{l}] {sort:?}: every product once");
            assert!(
                distinct
                    .iter()
                    .all(|id| ids.iter().any(|known| known.as_str() == *id)),
                "[{l}] {sort:?}: unknown id"
            );

            let mut sorted = items.clone();
            let eur = |s: &ProductSummary| range(s, Currency::EUR).map(|r| r.min_amount);
            match sort {
                ProductSort::Newest => {
                    sorted.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)))
                }
                ProductSort::Title => {
                    sorted.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)))
                }
                ProductSort::PriceAsc => {
                    sorted.sort_by(|a, b| eur(a).cmp(&eur(b)).then(a.id.cmp(&b.id)))
                }
                ProductSort::PriceDesc => {
                    sorted.sort_by(|a, b| eur(b).cmp(&eur(a)).then(b.id.cmp(&a.id)))
                }
            }
            let order: Vec<&str> = sorted.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(seen, order, "[{l}] {sort:?}: pages are in sort order");
        }
        // Summaries carry what lists show.
        let page = c
            .list_products(&filter())
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(
            page.items
                .iter()
                .all(|s| s.variant_count == 1 && s.thumbnail.is_none()),
            "[{l}]"
        );
        assert!(
            page.next_cursor.is_none(),
            "[{l}] no cursor after the last page"
        );
    }
}

#[tokio::test]
async fn price_filters_and_price_sorts_use_the_filter_currency() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let both = c
            .create_product(simple("Both", "B-1", prices(Some(1000), Some(3000))))
            .await;
        let eur_only = c
            .create_product(simple("Euro only", "E-1", prices(Some(2000), None)))
            .await;
        let usd_only = c
            .create_product(simple("Dollar only", "U-1", prices(None, Some(1500))))
            .await;
        let (both, eur_only, usd_only) = match (both, eur_only, usd_only) {
            (Ok(a), Ok(b), Ok(c)) => (a.id, b.id, c.id),
            other => panic!("[{l}] {other:?}"),
        };
        let ids = |items: Vec<ProductSummary>| items.into_iter().map(|s| s.id).collect::<Vec<_>>();

        let eur_asc = c
            .list_products(&ProductFilter {
                sort: ProductSort::PriceAsc,
                ..filter()
            })
            .await;
        assert_eq!(
            eur_asc.map(|p| ids(p.items)).ok(),
            Some(vec![both.clone(), eur_only.clone()]),
            "[{l}] EUR ascending"
        );
        let usd_asc = c
            .list_products(&ProductFilter {
                sort: ProductSort::PriceAsc,
                currency: Currency::USD,
                ..filter()
            })
            .await;
        assert_eq!(
            usd_asc.map(|p| ids(p.items)).ok(),
            Some(vec![usd_only.clone(), both.clone()]),
            "[{l}] USD ascending"
        );
        let usd_desc = c
            .list_products(&ProductFilter {
                sort: ProductSort::PriceDesc,
                currency: Currency::USD,
                ..filter()
            })
            .await;
        assert_eq!(
            usd_desc.map(|p| ids(p.items)).ok(),
            Some(vec![both.clone(), usd_only.clone()]),
            "[{l}] USD descending"
        );

        let eur_band = c
            .list_products(&ProductFilter {
                price_min: Some(1500),
                price_max: Some(2500),
                ..filter()
            })
            .await;
        assert_eq!(
            eur_band.map(|p| ids(p.items)).ok(),
            Some(vec![eur_only.clone()]),
            "[{l}] EUR 15–25"
        );
        let usd_band = c
            .list_products(&ProductFilter {
                currency: Currency::USD,
                price_min: Some(1500),
                price_max: Some(3000),
                sort: ProductSort::PriceAsc,
                ..filter()
            })
            .await;
        assert_eq!(
            usd_band.map(|p| ids(p.items)).ok(),
            Some(vec![usd_only, both.clone()]),
            "[{l}] USD 15–30, bounds included"
        );
        let cheap = c
            .list_products(&ProductFilter {
                price_max: Some(999),
                ..filter()
            })
            .await;
        assert_eq!(
            cheap.map(|p| p.items.len()).ok(),
            Some(0),
            "[{l}] nothing under 9.99 EUR"
        );

        // Newest lists keep products without a EUR price and show every range.
        let all = c
            .list_products(&filter())
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(all.items.len(), 3, "[{l}]");
        let both_summary = all
            .items
            .iter()
            .find(|s| s.id == both)
            .unwrap_or_else(|| panic!("[{l}] missing"));
        let currencies: Vec<&str> = both_summary
            .prices
            .iter()
            .map(|r| r.currency.as_str())
            .collect();
        assert_eq!(
            currencies,
            ["EUR", "USD"],
            "[{l}] ranges sorted by currency"
        );
    }
}

#[tokio::test]
async fn list_parameters_are_validated() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        for i in 0..3 {
            c.create_product(simple(
                "Cup",
                &format!("CUP-{i}"),
                prices(Some(100 * i), None),
            ))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        }
        assert_invalid(
            l,
            c.list_products(&ProductFilter {
                limit: 0,
                ..filter()
            })
            .await,
            "limit",
        );
        assert_invalid(
            l,
            c.list_products(&ProductFilter {
                limit: 101,
                ..filter()
            })
            .await,
            "limit",
        );
        assert!(
            c.list_products(&ProductFilter {
                limit: 100,
                ..filter()
            })
            .await
            .is_ok(),
            "[{l}] 100 is allowed"
        );
        assert_invalid(
            l,
            c.list_products(&ProductFilter {
                cursor: Some("garbage!".into()),
                ..filter()
            })
            .await,
            "cursor",
        );
        assert_invalid(
            l,
            c.list_products(&ProductFilter {
                price_min: Some(-1),
                ..filter()
            })
            .await,
            "price_min",
        );
        assert_invalid(
            l,
            c.list_products(&ProductFilter {
                price_min: Some(500),
                price_max: Some(100),
                ..filter()
            })
            .await,
            "price_min",
        );

        let first = c
            .list_products(&ProductFilter {
                limit: 1,
                sort: ProductSort::PriceAsc,
                ..ProductFilter::default()
            })
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let cursor = first
            .next_cursor
            .unwrap_or_else(|| panic!("[{l}] a second page exists"));
        let other_sort = ProductFilter {
            limit: 1,
            sort: ProductSort::Title,
            cursor: Some(cursor.clone()),
            ..ProductFilter::default()
        };
        assert_invalid(l, c.list_products(&other_sort).await, "cursor");
        let other_currency = ProductFilter {
            limit: 1,
            sort: ProductSort::PriceAsc,
            currency: Currency::USD,
            cursor: Some(cursor.clone()),
            ..ProductFilter::default()
        };
        assert_invalid(l, c.list_products(&other_currency).await, "cursor");
        let same = ProductFilter {
            limit: 1,
            sort: ProductSort::PriceAsc,
            cursor: Some(cursor),
            ..ProductFilter::default()
        };
        assert!(
            c.list_products(&same).await.is_ok(),
            "[{l}] the cursor continues its own list"
        );
    }
}
