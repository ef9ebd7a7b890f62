//! The demo catalog: large, realistic and identical on every database. The scenario runs
//! on a fresh SQLite file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh
//! PostgreSQL database too.

use emporium_catalog::{Catalog, CatalogError, PriceRange, ProductFilter, ProductSummary};
use emporium_demo::{demo_image_svg, seed_demo, DemoOptions};
use emporium_kernel::{
    db::testing::{self, TestDatabase},
    money::Currency,
};

#[tokio::test]
async fn the_demo_catalog_is_large_realistic_and_identical_on_every_database() {
    let mut all = envs().await;
    if all.len() < 2 {
        // Two fresh databases even when only SQLite is available.
        all.push(migrated(testing::sqlite().await).await);
    }
    let mut fingerprints: Vec<(String, Vec<String>)> = Vec::new();
    for env in &all {
        let (l, c) = (env.label, &env.catalog);
        let calls = std::sync::Mutex::new(Vec::new());
        let started = std::time::Instant::now();
        let report = seed_demo(c, DemoOptions::default(), &|done, total| {
            if let Ok(mut calls) = calls.lock() {
                calls.push((done, total));
            }
        })
        .await
        .unwrap_or_else(|e| panic!("[{l}] seed: {e}"));
        eprintln!("[{l}] seeded {report:?} in {:?}", started.elapsed());
        let calls = calls.into_inner().unwrap_or_default();
        assert_eq!(
            calls.last().copied(),
            Some((1_200, 1_200)),
            "[{l}] progress reaches the total"
        );
        assert!(
            report.products >= 1_000 && report.categories >= 20 && report.collections >= 4,
            "[{l}] {report:?}"
        );

        // Every product, through the public list.
        let items = walk(
            l,
            c,
            &ProductFilter {
                limit: 100,
                ..ProductFilter::default()
            },
        )
        .await;
        assert_eq!(items.len(), report.products, "[{l}] all published");
        for s in &items {
            assert!(
                (2..=5).contains(&s.variant_count),
                "[{l}] {} has {} variants",
                s.title,
                s.variant_count
            );
            assert!(
                range(s, Currency::EUR).is_some() && range(s, Currency::USD).is_some(),
                "[{l}] {} priced in EUR and USD",
                s.title
            );
            assert!(s.thumbnail.is_some(), "[{l}] {} has an image", s.title);
        }
        let variants: i64 = items.iter().map(|s| s.variant_count).sum();
        assert_eq!(variants as usize, report.variants, "[{l}]");

        let tree = c
            .category_tree()
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        fn depth(nodes: &[emporium_catalog::Category]) -> usize {
            nodes
                .iter()
                .map(|n| 1 + depth(&n.children))
                .max()
                .unwrap_or(0)
        }
        fn count(nodes: &[emporium_catalog::Category]) -> usize {
            nodes.iter().map(|n| 1 + count(&n.children)).sum()
        }
        assert_eq!(depth(&tree), 3, "[{l}] three levels");
        assert_eq!(count(&tree), report.categories, "[{l}]");
        let apparel = c
            .list_products(&ProductFilter {
                category: Some("apparel".into()),
                limit: 100,
                ..ProductFilter::default()
            })
            .await;
        assert!(
            apparel.map(|p| p.items.len() == 100).unwrap_or(false),
            "[{l}] a department lists products of its sub-categories"
        );

        let collections = c
            .list_collections(false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(collections.len() >= 4, "[{l}]");
        for col in &collections {
            assert!(
                (12..=40).contains(&col.product_count),
                "[{l}] {} has {}",
                col.title,
                col.product_count
            );
        }

        let product = c
            .get_product(items[0].id.as_str(), false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(
            product.description.split(". ").count() >= 2,
            "[{l}] {}",
            product.description
        );
        assert!(!product.categories.is_empty(), "[{l}]");
        let image = &product.images[0].url;
        let svg = demo_image_svg(image).unwrap_or_else(|| panic!("[{l}] no SVG for {image}"));
        assert!(
            svg.starts_with("<svg") && svg.contains("linearGradient"),
            "[{l}]"
        );
        let file_name = image.rsplit('/').next().unwrap_or_default();
        assert!(
            demo_image_svg(file_name).is_some(),
            "[{l}] the bare file name works too"
        );

        assert_conflict(
            l,
            seed_demo(c, DemoOptions::default(), &|_, _| {}).await,
            "catalog",
        );
        assert!(!c.is_empty().await.unwrap_or(true), "[{l}]");

        let mut fingerprint: Vec<String> = items
            .iter()
            .map(|s| format!("{} {} {:?}", s.id, s.handle, s.prices))
            .collect();
        fingerprint.sort();
        fingerprint.extend(
            collections
                .iter()
                .map(|col| format!("{} {} {}", col.id, col.handle, col.product_count)),
        );
        fingerprint.push(format!("{tree:?}"));
        fingerprints.push((l.to_owned(), fingerprint));
    }
    for pair in fingerprints.windows(2) {
        assert!(
            pair[0].1 == pair[1].1,
            "the demo catalog differs between {} and {}",
            pair[0].0,
            pair[1].0
        );
    }
    assert_eq!(demo_image_svg("../../etc/passwd"), None);
    assert_eq!(demo_image_svg("/media/demo/Not Valid-1.svg"), None);
}

/// A migrated catalog on one test database.
struct Env {
    label: &'static str,
    catalog: Catalog,
    _db: TestDatabase,
}

async fn migrated(db: TestDatabase) -> Env {
    let catalog = Catalog::new(db.db.clone());
    catalog
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("[{}] migrate: {e}", db.label));
    Env {
        label: db.label,
        catalog,
        _db: db,
    }
}

async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in testing::databases().await {
        out.push(migrated(db).await);
    }
    out
}

fn range(summary: &ProductSummary, currency: Currency) -> Option<&PriceRange> {
    summary.prices.iter().find(|r| r.currency == currency)
}

fn assert_conflict<T: std::fmt::Debug>(
    label: &str,
    result: Result<T, CatalogError>,
    expected_field: &str,
) {
    match result {
        Err(CatalogError::Conflict { field, .. }) => {
            assert_eq!(field, expected_field, "[{label}] wrong field")
        }
        other => panic!("[{label}] expected Conflict {{ field: {expected_field} }}, got {other:?}"),
    }
}

/// Every page of a list, following `next_cursor`.
async fn walk(label: &str, catalog: &Catalog, base: &ProductFilter) -> Vec<ProductSummary> {
    let mut all = Vec::new();
    let mut filter = base.clone();
    for _ in 0..10_000 {
        let page = catalog
            .list_products(&filter)
            .await
            .unwrap_or_else(|e| panic!("[{label}] list: {e}"));
        all.extend(page.items);
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return all,
        }
    }
    panic!("[{label}] pagination did not end");
}
