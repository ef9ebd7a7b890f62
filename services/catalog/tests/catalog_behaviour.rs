//! Behaviour of the catalog service against real databases: every scenario runs on a
//! fresh SQLite file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh
//! PostgreSQL database too. Assertion messages name the database.

use std::collections::HashSet;

use emporium_catalog::{
    seed::{demo_image_svg, seed_demo, DemoOptions},
    Catalog, CatalogError, CategoryChanges, NewCategory, NewCollection, NewImage, NewOption,
    NewPrice, NewProduct, NewVariant, OptionValue, PriceRange, ProductChanges, ProductFilter,
    ProductSort, ProductStatus, ProductSummary, VariantChanges,
};
use emporium_kernel::{
    cache::Freshness,
    db::testing::{self, TestDatabase},
    money::Currency,
};

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

fn prices(eur: Option<i64>, usd: Option<i64>) -> Vec<NewPrice> {
    let mut out = Vec::new();
    if let Some(amount) = eur {
        out.push(NewPrice {
            currency: "EUR".into(),
            amount,
        });
    }
    if let Some(amount) = usd {
        out.push(NewPrice {
            currency: "usd".into(),
            amount,
        });
    }
    out
}

/// A published product without options: one variant.
fn simple(title: &str, sku: &str, price: Vec<NewPrice>) -> NewProduct {
    NewProduct {
        title: title.into(),
        handle: None,
        description: format!("{title}, described."),
        status: ProductStatus::Published,
        seo_title: None,
        seo_description: None,
        category_ids: vec![],
        collection_ids: vec![],
        options: vec![],
        variants: vec![NewVariant {
            sku: sku.into(),
            title: None,
            options: vec![],
            weight_grams: Some(250),
            prices: price,
        }],
        images: vec![],
    }
}

fn opt(option: &str, value: &str) -> OptionValue {
    OptionValue {
        option: option.into(),
        value: value.into(),
    }
}

/// A shirt with Size × Colour options and three variants.
fn shirt(title: &str, sku: &str) -> NewProduct {
    NewProduct {
        title: title.into(),
        handle: None,
        description: "A shirt.".into(),
        status: ProductStatus::Published,
        seo_title: Some("Shirt".into()),
        seo_description: None,
        category_ids: vec![],
        collection_ids: vec![],
        options: vec![
            NewOption {
                name: "Size".into(),
                values: vec!["S".into(), "M".into(), "L".into()],
            },
            NewOption {
                name: "Colour".into(),
                values: vec!["Blue".into(), "White".into()],
            },
        ],
        variants: vec![
            NewVariant {
                sku: format!("{sku}-S-BLUE"),
                title: None,
                // Given out of option order on purpose: stored in option order.
                options: vec![opt("Colour", "Blue"), opt("Size", "S")],
                weight_grams: Some(200),
                prices: prices(Some(3000), Some(3299)),
            },
            NewVariant {
                sku: format!("{sku}-M-BLUE"),
                title: Some("Medium blue".into()),
                options: vec![opt("Size", "M"), opt("Colour", "Blue")],
                weight_grams: None,
                prices: prices(Some(3500), Some(3799)),
            },
            NewVariant {
                sku: format!("{sku}-L-WHITE"),
                title: None,
                options: vec![opt("Size", "L"), opt("Colour", "White")],
                weight_grams: Some(240),
                prices: prices(Some(4000), None),
            },
        ],
        images: vec![
            NewImage {
                url: "https://cdn.example.com/shirt-front.jpg".into(),
                alt: "Front".into(),
            },
            NewImage {
                url: "/media/shirt-back.jpg".into(),
                alt: "Back".into(),
            },
        ],
    }
}

fn filter() -> ProductFilter {
    ProductFilter {
        limit: 100,
        ..ProductFilter::default()
    }
}

fn range(summary: &ProductSummary, currency: Currency) -> Option<&PriceRange> {
    summary.prices.iter().find(|r| r.currency == currency)
}

fn assert_invalid<T: std::fmt::Debug>(
    label: &str,
    result: Result<T, CatalogError>,
    expected_field: &str,
) {
    match result {
        Err(CatalogError::Invalid { field, message }) => {
            assert_eq!(field, expected_field, "[{label}] wrong field ({message})");
            assert!(
                !message.is_empty(),
                "[{label}] an error message says what to fix"
            );
        }
        other => panic!("[{label}] expected Invalid {{ field: {expected_field} }}, got {other:?}"),
    }
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

fn assert_not_found<T: std::fmt::Debug>(
    label: &str,
    result: Result<T, CatalogError>,
    expected_entity: &str,
) {
    match result {
        Err(CatalogError::NotFound { entity, .. }) => {
            assert_eq!(entity, expected_entity, "[{label}] wrong entity")
        }
        other => {
            panic!("[{label}] expected NotFound {{ entity: {expected_entity} }}, got {other:?}")
        }
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
        assert!(
            page.items.len() <= filter.limit as usize,
            "[{label}] page larger than the limit"
        );
        all.extend(page.items);
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return all,
        }
    }
    panic!("[{label}] pagination did not end");
}

#[tokio::test]
async fn a_product_is_created_and_read_back_by_id_and_by_handle() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let created = c
            .create_product(shirt("Linen Shirt", "LS"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(created.id.starts_with("prod_"), "[{l}] id {}", created.id);
        assert_eq!(
            created.handle, "linen-shirt",
            "[{l}] handle derived from the title"
        );
        assert_eq!(created.seo_title.as_deref(), Some("Shirt"), "[{l}]");
        assert_eq!(created.options.len(), 2, "[{l}]");
        assert_eq!(
            created.options[0].values,
            ["S", "M", "L"],
            "[{l}] option values keep their order"
        );

        let by_id = c
            .get_product(&created.id, false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] by id: {e}"));
        let by_handle = c
            .get_product("linen-shirt", false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] by handle: {e}"));
        assert_eq!(by_id, created, "[{l}] what was created is what is read");
        assert_eq!(by_handle, created, "[{l}] by handle too");

        let v = &by_id.variants;
        assert_eq!(v.len(), 3, "[{l}]");
        assert_eq!(v[0].title, "S / Blue", "[{l}] derived variant title");
        assert_eq!(v[1].title, "Medium blue", "[{l}] given variant title");
        let first_options: Vec<(&str, &str)> = v[0]
            .options
            .iter()
            .map(|o| (o.option.as_str(), o.value.as_str()))
            .collect();
        assert_eq!(
            first_options,
            [("Size", "S"), ("Colour", "Blue")],
            "[{l}] option values in option order"
        );
        let currencies: Vec<&str> = v[0].prices.iter().map(|p| p.currency.as_str()).collect();
        assert_eq!(
            currencies,
            ["EUR", "USD"],
            "[{l}] prices sorted by currency, codes upper-cased"
        );
        assert_eq!(
            v.iter().map(|v| v.position).collect::<Vec<_>>(),
            [0, 1, 2],
            "[{l}]"
        );
        assert_eq!(
            by_id
                .images
                .iter()
                .map(|i| i.alt.as_str())
                .collect::<Vec<_>>(),
            ["Front", "Back"],
            "[{l}]"
        );

        // A second product with the same title gets the next free handle.
        let twin = c
            .create_product(shirt("Linen Shirt", "LS2"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            twin.handle, "linen-shirt-2",
            "[{l}] derived handles are made unique"
        );

        assert_not_found(l, c.get_product("no-such-product", true).await, "product");
        c.delete_product(&twin.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] delete: {e}"));
        assert_not_found(l, c.get_product(&twin.id, true).await, "product");
        assert_not_found(l, c.delete_product(&twin.id).await, "product");
    }
}

#[tokio::test]
async fn drafts_are_invisible_to_store_reads_until_published() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let mut input = simple("Secret Lamp", "LAMP-1", prices(Some(5000), None));
        input.status = ProductStatus::Draft;
        let draft = c
            .create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        c.create_product(simple("Public Lamp", "LAMP-2", prices(Some(6000), None)))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));

        assert_not_found(l, c.get_product(&draft.id, false).await, "product");
        assert_not_found(l, c.get_product("secret-lamp", false).await, "product");
        assert!(
            c.get_product(&draft.id, true).await.is_ok(),
            "[{l}] admin reads see drafts"
        );
        let store_list = c
            .list_products(&filter())
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            store_list.items.len(),
            1,
            "[{l}] store lists show published products only"
        );
        let admin_list = c
            .list_products(&ProductFilter {
                include_drafts: true,
                ..filter()
            })
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(admin_list.items.len(), 2, "[{l}] admin lists show drafts");

        let published = c
            .set_product_status(&draft.id, ProductStatus::Published)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(published.status, ProductStatus::Published, "[{l}]");
        assert!(
            c.get_product("secret-lamp", false).await.is_ok(),
            "[{l}] visible once published"
        );
        assert_eq!(
            c.list_products(&filter()).await.map(|p| p.items.len()).ok(),
            Some(2),
            "[{l}]"
        );
        assert_not_found(
            l,
            c.set_product_status("prod_00000000000000000000000000", ProductStatus::Draft)
                .await,
            "product",
        );
    }
}

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
                distinct.iter().all(|id| ids.contains(*id)),
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

async fn category(l: &str, c: &Catalog, name: &str, parent: Option<&str>) -> String {
    c.create_category(NewCategory {
        name: name.into(),
        handle: None,
        description: String::new(),
        parent_id: parent.map(Into::into),
        position: None,
    })
    .await
    .unwrap_or_else(|e| panic!("[{l}] category {name}: {e}"))
    .id
}

#[tokio::test]
async fn a_category_filter_includes_products_of_its_descendants() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let apparel = category(l, c, "Apparel", None).await;
        let men = category(l, c, "Men", Some(&apparel)).await;
        let shirts = category(l, c, "Shirts", Some(&men)).await;
        let home = category(l, c, "Home", None).await;

        let mut input = simple("Oxford Shirt", "OX-1", prices(Some(4000), None));
        input.category_ids = vec![shirts.clone()];
        let shirt = c
            .create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let mut input = simple("Belt", "BELT-1", prices(Some(2000), None));
        input.category_ids = vec![apparel.clone()];
        let belt = c
            .create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let mut input = simple("Vase", "VASE-1", prices(Some(3000), None));
        input.category_ids = vec![home.clone()];
        c.create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));

        let in_category = |handle: &str| ProductFilter {
            category: Some(handle.into()),
            sort: ProductSort::Title,
            ..filter()
        };
        let titles =
            |items: Vec<ProductSummary>| items.into_iter().map(|s| s.title).collect::<Vec<_>>();
        let apparel_list = c
            .list_products(&in_category("apparel"))
            .await
            .map(|p| titles(p.items));
        assert_eq!(
            apparel_list.ok(),
            Some(vec!["Belt".to_owned(), "Oxford Shirt".to_owned()]),
            "[{l}] grandchildren included"
        );
        let men_list = c
            .list_products(&in_category("men"))
            .await
            .map(|p| titles(p.items));
        assert_eq!(
            men_list.ok(),
            Some(vec!["Oxford Shirt".to_owned()]),
            "[{l}]"
        );
        assert_not_found(
            l,
            c.list_products(&in_category("no-such-category")).await,
            "category",
        );

        let tree = c
            .category_tree()
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(tree.len(), 2, "[{l}] two roots");
        assert_eq!(
            tree[0].children[0].children[0].handle, "shirts",
            "[{l}] depth three"
        );

        let product = c
            .get_product(&shirt.id, false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            product
                .categories
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>(),
            ["Shirts"],
            "[{l}]"
        );

        // Re-filing a product replaces its links.
        let moved = c
            .update_product(
                &belt.id,
                ProductChanges {
                    category_ids: Some(vec![home.clone()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            moved
                .categories
                .iter()
                .map(|x| x.id.as_str())
                .collect::<Vec<_>>(),
            [home.as_str()],
            "[{l}]"
        );
        assert_eq!(
            c.list_products(&in_category("apparel"))
                .await
                .map(|p| p.items.len())
                .ok(),
            Some(1),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn deleting_a_category_moves_its_children_up_and_keeps_products() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let home = category(l, c, "Home", None).await;
        let kitchen = category(l, c, "Kitchen", Some(&home)).await;
        let cookware = category(l, c, "Cookware", Some(&kitchen)).await;
        let tableware = category(l, c, "Tableware", Some(&kitchen)).await;
        let mut input = simple("Pan", "PAN-1", prices(Some(5000), None));
        input.category_ids = vec![kitchen.clone(), cookware.clone()];
        let pan = c
            .create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));

        c.delete_category(&kitchen)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let tree = c
            .category_tree()
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(tree.len(), 1, "[{l}]");
        let children: Vec<&str> = tree[0].children.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(
            children,
            [cookware.as_str(), tableware.as_str()],
            "[{l}] children moved up to the grandparent"
        );
        assert!(
            tree[0]
                .children
                .iter()
                .all(|x| x.parent_id.as_deref() == Some(home.as_str())),
            "[{l}]"
        );

        let pan = c
            .get_product(&pan.id, true)
            .await
            .unwrap_or_else(|e| panic!("[{l}] product stays: {e}"));
        assert_eq!(
            pan.categories
                .iter()
                .map(|x| x.id.as_str())
                .collect::<Vec<_>>(),
            [cookware.as_str()],
            "[{l}]"
        );
        assert_not_found(l, c.delete_category(&kitchen).await, "category");
    }
}

#[tokio::test]
async fn a_category_cannot_become_its_own_ancestor() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let a = category(l, c, "Outdoors", None).await;
        let b = category(l, c, "Camping", Some(&a)).await;
        let d = category(l, c, "Tents", Some(&b)).await;
        let to = |parent: &str| CategoryChanges {
            parent_id: Some(Some(parent.to_owned())),
            ..Default::default()
        };
        assert_conflict(l, c.update_category(&a, to(&d)).await, "parent_id");
        assert_conflict(l, c.update_category(&a, to(&a)).await, "parent_id");
        assert_invalid(
            l,
            c.update_category(&a, to("pcat_00000000000000000000000000"))
                .await,
            "parent_id",
        );

        // Legal moves: to the root, and under a sibling tree.
        let moved = c
            .update_category(
                &d,
                CategoryChanges {
                    parent_id: Some(None),
                    name: Some("Tents & shelters".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(moved.parent_id, None, "[{l}]");
        assert_eq!(moved.handle, "tents", "[{l}] renaming keeps the handle");
        let moved = c
            .update_category(&a, to(&d))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(moved.children.len(), 1, "[{l}] the subtree moves with it");
        let duplicate = NewCategory {
            name: "Other".into(),
            handle: Some("tents".into()),
            description: String::new(),
            parent_id: None,
            position: None,
        };
        assert_conflict(l, c.create_category(duplicate).await, "handle");
    }
}

#[tokio::test]
async fn a_collection_filter_lists_its_products_and_counts_published_ones() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let a = c
            .create_product(simple("Alpha", "A-1", prices(Some(100), None)))
            .await;
        let b = c
            .create_product(simple("Beta", "B-1", prices(Some(200), None)))
            .await;
        let mut draft = simple("Gamma", "G-1", prices(Some(300), None));
        draft.status = ProductStatus::Draft;
        let g = c.create_product(draft).await;
        let (a, b, g) = match (a, b, g) {
            (Ok(a), Ok(b), Ok(g)) => (a, b, g),
            other => panic!("[{l}] {other:?}"),
        };
        let picks = c
            .create_collection(NewCollection {
                title: "Staff picks".into(),
                handle: None,
                description: "Our favourites.".into(),
                product_ids: vec![a.id.clone(), g.id.clone()],
            })
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(picks.handle, "staff-picks", "[{l}]");
        assert_eq!(picks.product_count, 2, "[{l}] admin count includes drafts");

        let in_picks = ProductFilter {
            collection: Some("staff-picks".into()),
            ..filter()
        };
        let listed = c
            .list_products(&in_picks)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            listed
                .items
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            [a.id.as_str()],
            "[{l}]"
        );
        let store_view = c
            .get_collection("staff-picks", false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            store_view.product_count, 1,
            "[{l}] store count: published only"
        );
        assert_eq!(
            c.get_collection(&picks.id, true)
                .await
                .map(|x| x.product_count)
                .ok(),
            Some(2),
            "[{l}] by id"
        );
        assert_not_found(
            l,
            c.list_products(&ProductFilter {
                collection: Some("nope".into()),
                ..filter()
            })
            .await,
            "collection",
        );
        assert_not_found(l, c.get_collection("nope", false).await, "collection");

        // A product joins through its own links too, and the list reflects both.
        c.update_product(
            &b.id,
            ProductChanges {
                collection_ids: Some(vec![picks.id.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let listed = c.list_products(&in_picks).await.map(|p| p.items.len());
        assert_eq!(listed.ok(), Some(2), "[{l}]");
        let all = c
            .list_collections(false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(all.len(), 1, "[{l}]");
        assert_eq!(all[0].product_count, 2, "[{l}]");
        let product = c
            .get_product(&b.id, false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            product
                .collections
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>(),
            ["Staff picks"],
            "[{l}]"
        );

        let renamed = c
            .update_collection(
                &picks.id,
                emporium_catalog::CollectionChanges {
                    title: Some("Team picks".into()),
                    product_ids: Some(vec![b.id.clone()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            (renamed.title.as_str(), renamed.product_count),
            ("Team picks", 1),
            "[{l}]"
        );
        assert_invalid(
            l,
            c.create_collection(NewCollection {
                title: "Broken".into(),
                handle: None,
                description: String::new(),
                product_ids: vec!["prod_00000000000000000000000000".into()],
            })
            .await,
            "product_ids[0]",
        );
        c.delete_collection(&picks.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_not_found(l, c.delete_collection(&picks.id).await, "collection");
    }
}

#[tokio::test]
async fn invalid_product_input_is_rejected_naming_the_field_and_writes_nothing() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        c.create_product(shirt("Existing Shirt", "EX"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));

        let with = |change: fn(&mut NewProduct)| {
            let mut input = shirt("New Shirt", "NEW");
            change(&mut input);
            input
        };
        let cases: Vec<(NewProduct, &str, bool)> = vec![
            (with(|p| p.title = "   ".into()), "title", false),
            (with(|p| p.title = "x".repeat(201)), "title", false),
            (
                with(|p| p.handle = Some("Not A Handle".into())),
                "handle",
                false,
            ),
            (
                with(|p| p.variants[0].prices[0].currency = "EURO".into()),
                "variants[0].prices[0].currency",
                false,
            ),
            (
                with(|p| p.variants[0].prices[0].amount = -1),
                "variants[0].prices[0].amount",
                false,
            ),
            (
                with(|p| p.variants[0].prices[1].currency = "eur".into()),
                "variants[0].prices[1].currency",
                false,
            ),
            (
                with(|p| p.variants[0].options[0].value = "Purple".into()),
                "variants[0].options[0].value",
                false,
            ),
            (
                with(|p| p.variants[0].options[0].option = "Fabric".into()),
                "variants[0].options[0].option",
                false,
            ),
            (
                with(|p| p.variants[0].options.truncate(1)),
                "variants[0].options",
                false,
            ),
            (
                with(|p| p.variants[0].sku = " ".into()),
                "variants[0].sku",
                false,
            ),
            (
                with(|p| p.variants[0].weight_grams = Some(-5)),
                "variants[0].weight_grams",
                false,
            ),
            (
                with(|p| p.options[1].name = "Size".into()),
                "options[1].name",
                false,
            ),
            (
                with(|p| p.options[0].values.push("S".into())),
                "options[0].values[3]",
                false,
            ),
            (
                with(|p| p.images[0].url = "ftp://example.com/a.jpg".into()),
                "images[0].url",
                false,
            ),
            (
                with(|p| p.category_ids = vec!["pcat_00000000000000000000000000".into()]),
                "category_ids[0]",
                false,
            ),
            (
                with(|p| p.collection_ids = vec!["nope".into()]),
                "collection_ids[0]",
                false,
            ),
            // Conflicts: taken values and indistinguishable variants.
            (
                with(|p| p.variants[0].sku = "EX-S-BLUE".into()),
                "variants[0].sku",
                true,
            ),
            (
                with(|p| p.variants[1].sku = "NEW-S-BLUE".into()),
                "variants[1].sku",
                true,
            ),
            (
                with(|p| p.handle = Some("existing-shirt".into())),
                "handle",
                true,
            ),
            (
                with(|p| p.variants[1].options = vec![opt("Size", "S"), opt("Colour", "Blue")]),
                "variants[1].options",
                true,
            ),
        ];
        for (input, field, conflict) in cases {
            let result = c.create_product(input).await;
            if conflict {
                assert_conflict(l, result, field);
            } else {
                assert_invalid(l, result, field);
            }
        }
        let mut no_options = simple("Plain", "PLAIN-1", prices(Some(100), None));
        no_options.variants.push(NewVariant {
            sku: "PLAIN-2".into(),
            ..no_options.variants[0].clone()
        });
        assert_conflict(l, c.create_product(no_options).await, "variants[1].options");

        let admin = ProductFilter {
            include_drafts: true,
            ..filter()
        };
        assert_eq!(
            c.list_products(&admin).await.map(|p| p.items.len()).ok(),
            Some(1),
            "[{l}] failed creates wrote nothing"
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

#[tokio::test]
async fn variant_and_product_changes_keep_price_ranges_right() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let product = c
            .create_product(shirt("Chambray Shirt", "CH"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let summary = |c: &Catalog, l: &'static str| {
            let c = c.clone();
            async move {
                let page = c
                    .list_products(&filter())
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] {e}"));
                page.items
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| panic!("[{l}] product listed"))
            }
        };
        let s = summary(c, l).await;
        assert_eq!(
            range(&s, Currency::EUR).map(|r| (r.min_amount, r.max_amount)),
            Some((3000, 4000)),
            "[{l}]"
        );
        assert_eq!(
            range(&s, Currency::USD).map(|r| (r.min_amount, r.max_amount)),
            Some((3299, 3799)),
            "[{l}]"
        );
        assert_eq!(
            (
                s.variant_count,
                s.thumbnail.as_ref().map(|t| t.alt.as_str())
            ),
            (3, Some("Front")),
            "[{l}]"
        );

        // Reprice the cheapest variant; drop USD from another.
        let cheapest = &product.variants[0];
        let changed = c
            .update_variant(
                &product.id,
                &cheapest.id,
                VariantChanges {
                    prices: Some(prices(Some(5000), Some(5499))),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(changed.prices.len(), 2, "[{l}]");
        c.update_variant(
            &product.id,
            &product.variants[1].id,
            VariantChanges {
                prices: Some(prices(Some(3500), None)),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let s = summary(c, l).await;
        assert_eq!(
            range(&s, Currency::EUR).map(|r| (r.min_amount, r.max_amount)),
            Some((3500, 5000)),
            "[{l}]"
        );
        assert_eq!(
            range(&s, Currency::USD).map(|r| (r.min_amount, r.max_amount)),
            Some((5499, 5499)),
            "[{l}]"
        );

        // Options, SKU and title of a variant.
        let moved = c
            .update_variant(
                &product.id,
                &cheapest.id,
                VariantChanges {
                    options: Some(vec![opt("Size", "L"), opt("Colour", "Blue")]),
                    sku: Some("CH-L-BLUE".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            (moved.sku.as_str(), moved.title.as_str()),
            ("CH-L-BLUE", "L / Blue"),
            "[{l}] derived title follows"
        );
        assert_conflict(
            l,
            c.update_variant(
                &product.id,
                &cheapest.id,
                VariantChanges {
                    options: Some(vec![opt("Size", "M"), opt("Colour", "Blue")]),
                    ..Default::default()
                },
            )
            .await,
            "options",
        );
        assert_conflict(
            l,
            c.update_variant(
                &product.id,
                &cheapest.id,
                VariantChanges {
                    sku: Some("CH-M-BLUE".into()),
                    ..Default::default()
                },
            )
            .await,
            "sku",
        );
        assert_invalid(
            l,
            c.update_variant(
                &product.id,
                &cheapest.id,
                VariantChanges {
                    prices: Some(prices(Some(-1), None)),
                    ..Default::default()
                },
            )
            .await,
            "prices[0].amount",
        );
        assert_not_found(
            l,
            c.update_variant(
                &product.id,
                "var_00000000000000000000000000",
                VariantChanges::default(),
            )
            .await,
            "variant",
        );

        // Adding and deleting variants.
        let added = c
            .add_variant(
                &product.id,
                NewVariant {
                    sku: "CH-S-WHITE".into(),
                    title: None,
                    options: vec![opt("Size", "S"), opt("Colour", "White")],
                    weight_grams: None,
                    prices: prices(Some(1000), Some(1100)),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            (added.position, added.title.as_str()),
            (3, "S / White"),
            "[{l}]"
        );
        let s = summary(c, l).await;
        assert_eq!(
            range(&s, Currency::EUR).map(|r| r.min_amount),
            Some(1000),
            "[{l}] new variant is the cheapest"
        );
        assert_eq!(s.variant_count, 4, "[{l}]");
        assert_conflict(
            l,
            c.add_variant(
                &product.id,
                NewVariant {
                    sku: "CH-S-WHITE".into(),
                    title: None,
                    options: vec![opt("Size", "M"), opt("Colour", "White")],
                    weight_grams: None,
                    prices: vec![],
                },
            )
            .await,
            "sku",
        );
        assert_invalid(
            l,
            c.add_variant(
                &product.id,
                NewVariant {
                    sku: "CH-XL".into(),
                    title: None,
                    options: vec![opt("Size", "XL"), opt("Colour", "White")],
                    weight_grams: None,
                    prices: vec![],
                },
            )
            .await,
            "options[0].value",
        );
        assert_invalid(
            l,
            c.add_variant(
                &product.id,
                NewVariant {
                    sku: "CH-X".into(),
                    title: None,
                    options: vec![opt("Size", "M"), opt("Colour", "White")],
                    weight_grams: None,
                    prices: prices(Some(1), Some(1))
                        .into_iter()
                        .chain(prices(None, Some(2)))
                        .collect(),
                },
            )
            .await,
            "prices[2].currency",
        );

        c.delete_variant(&product.id, &added.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let s = summary(c, l).await;
        assert_eq!(
            range(&s, Currency::EUR).map(|r| (r.min_amount, r.max_amount)),
            Some((3500, 5000)),
            "[{l}]"
        );
        assert_eq!(
            range(&s, Currency::USD).map(|r| r.min_amount),
            Some(5499),
            "[{l}]"
        );
        assert_not_found(l, c.delete_variant(&product.id, &added.id).await, "variant");

        // Dropping the only USD-priced variant removes the USD range: USD lists leave it out.
        c.delete_variant(&product.id, &cheapest.id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let s = summary(c, l).await;
        assert!(
            range(&s, Currency::USD).is_none(),
            "[{l}] no USD range left"
        );
        let usd = c
            .list_products(&ProductFilter {
                currency: Currency::USD,
                sort: ProductSort::PriceAsc,
                ..filter()
            })
            .await;
        assert_eq!(usd.map(|p| p.items.len()).ok(), Some(0), "[{l}]");

        // Product edits leave prices alone.
        let edited = c
            .update_product(
                &product.id,
                ProductChanges {
                    title: Some("Chambray Overshirt".into()),
                    handle: Some("chambray-overshirt".into()),
                    seo_title: Some(String::new()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            (
                edited.title.as_str(),
                edited.handle.as_str(),
                edited.seo_title.clone()
            ),
            ("Chambray Overshirt", "chambray-overshirt", None),
            "[{l}]"
        );
        let s = summary(c, l).await;
        assert_eq!(
            range(&s, Currency::EUR).map(|r| (r.min_amount, r.max_amount)),
            Some((3500, 4000)),
            "[{l}]"
        );

        // Images: the thumbnail is the lowest position.
        let third = c
            .add_image(
                &product.id,
                NewImage {
                    url: "/media/x.svg".into(),
                    alt: "Side".into(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(third.position, 2, "[{l}]");
        c.delete_image(&product.id, &edited.images[0].id)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let s = summary(c, l).await;
        assert_eq!(s.thumbnail.map(|t| t.alt), Some("Back".to_owned()), "[{l}]");
        assert_invalid(
            l,
            c.add_image(
                &product.id,
                NewImage {
                    url: "javascript:alert(1)".into(),
                    alt: String::new(),
                },
            )
            .await,
            "url",
        );
        assert_not_found(
            l,
            c.delete_image(&product.id, &edited.images[0].id).await,
            "image",
        );
        let other = c
            .create_product(simple("Other", "OTHER-1", vec![]))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_conflict(
            l,
            c.update_product(
                &other.id,
                ProductChanges {
                    handle: Some("chambray-overshirt".into()),
                    ..Default::default()
                },
            )
            .await,
            "handle",
        );
    }
}

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
            .get_product(&items[0].id, false)
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

#[tokio::test]
async fn an_empty_catalog_reports_empty() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        assert!(c.is_empty().await.unwrap_or(false), "[{l}]");
        assert!(
            c.category_tree()
                .await
                .map(|t| t.is_empty())
                .unwrap_or(false),
            "[{l}]"
        );
        let page = c
            .list_products(&filter())
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(page.items.is_empty() && page.next_cursor.is_none(), "[{l}]");
        // Migrating twice is harmless.
        c.migrate().await.unwrap_or_else(|e| panic!("[{l}] {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_queue_instead_of_failing() {
    for env in envs().await {
        let l = env.label;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let c = env.catalog.clone();
            tasks.push(tokio::spawn(async move {
                // Same title everywhere: derived handles race for the same names.
                let product = c
                    .create_product(simple(
                        "Busy Mug",
                        &format!("BUSY-{i}"),
                        prices(Some(100 + i), None),
                    ))
                    .await?;
                c.add_variant(
                    &product.id,
                    NewVariant {
                        sku: format!("BUSY-{i}-B"),
                        title: None,
                        options: vec![],
                        weight_grams: None,
                        prices: vec![],
                    },
                )
                .await
                .map(|_| ())
                .or_else(|e| match e {
                    // A product without options has one variant: the expected refusal.
                    CatalogError::Conflict { .. } => Ok(()),
                    other => Err(other),
                })
            }));
        }
        let mut conflicts = 0;
        for task in tasks {
            match task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}")) {
                Ok(()) => {}
                // Two racing derived handles may collide: reported as a conflict, never a 500.
                Err(CatalogError::Conflict { field, .. }) if field == "handle" => conflicts += 1,
                Err(other) => panic!("[{l}] concurrent write failed: {other:?}"),
            }
        }
        let listed = env
            .catalog
            .list_products(&filter())
            .await
            .map(|p| p.items.len())
            .unwrap_or(0);
        assert_eq!(
            listed + conflicts,
            12,
            "[{l}] every write either landed or was refused cleanly"
        );
        let handles: HashSet<String> = env
            .catalog
            .list_products(&filter())
            .await
            .map(|p| p.items.into_iter().map(|s| s.handle).collect())
            .unwrap_or_default();
        assert_eq!(handles.len(), listed, "[{l}] handles stay unique");
    }
}

#[tokio::test]
async fn a_cart_snapshot_of_a_variant_has_its_price_in_the_currency_and_the_first_image() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let product = c
            .create_product(shirt("Snapshot Shirt", "SNAP"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let medium = &product.variants[1];
        let large = &product.variants[2];

        let eur = c
            .variant_for_cart(
                &medium.id,
                Currency::parse("EUR").expect("EUR"),
                Freshness::Current,
            )
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"))
            .unwrap_or_else(|| panic!("[{l}] a published variant is found"));
        assert_eq!(eur.variant_id, medium.id, "[{l}]");
        assert_eq!(eur.product_id, product.id, "[{l}]");
        assert_eq!(eur.product_handle, "snapshot-shirt", "[{l}]");
        assert_eq!(eur.product_title, "Snapshot Shirt", "[{l}]");
        assert_eq!(eur.variant_title, "Medium blue", "[{l}]");
        assert_eq!(eur.sku, "SNAP-M-BLUE", "[{l}]");
        assert_eq!(eur.unit_price, Some(3500), "[{l}]");
        assert_eq!(
            eur.image_url.as_deref(),
            Some("https://cdn.example.com/shirt-front.jpg"),
            "[{l}] the product's first image"
        );

        let usd = Currency::parse("USD").expect("USD");
        let usd_price = |v: &str| {
            let v = v.to_owned();
            async move {
                // Recent: the memo, which this catalog's own writes below must clear.
                c.variant_for_cart(&v, usd, Freshness::Recent)
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] {e}"))
                    .map(|s| s.unit_price)
            }
        };
        assert_eq!(usd_price(&medium.id).await, Some(Some(3799)), "[{l}]");
        assert_eq!(
            usd_price(&large.id).await,
            Some(None),
            "[{l}] no USD price: found, without a price"
        );
        assert_eq!(
            usd_price("var_00000000000000000000000000").await,
            None,
            "[{l}] unknown variant"
        );

        c.set_product_status(&product.id, ProductStatus::Draft)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            usd_price(&medium.id).await,
            None,
            "[{l}] a draft's variants cannot go into carts"
        );
    }
}

#[tokio::test]
async fn recent_cart_snapshots_follow_this_catalogs_writes_and_current_ones_every_write() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let product = c
            .create_product(shirt("Memo Shirt", "MEMO"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let medium = product.variants[1].id.clone();
        let eur = Currency::parse("EUR").expect("EUR");
        let price = |catalog: Catalog, freshness: Freshness| {
            let medium = medium.clone();
            async move {
                catalog
                    .variant_for_cart(&medium, eur, freshness)
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] {e}"))
                    .and_then(|s| s.unit_price)
            }
        };
        let reprice = |catalog: Catalog, amount: i64| {
            let (product_id, medium) = (product.id.clone(), medium.clone());
            async move {
                let changes = VariantChanges {
                    prices: Some(vec![NewPrice {
                        currency: "EUR".to_owned(),
                        amount,
                    }]),
                    ..VariantChanges::default()
                };
                catalog
                    .update_variant(&product_id, &medium, changes)
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] reprice: {e}"));
            }
        };
        assert_eq!(
            price(c.clone(), Freshness::Recent).await,
            Some(3500),
            "[{l}]"
        );

        // This catalog's own write (a clone shares the memo): seen at once.
        reprice(c.clone(), 3600).await;
        assert_eq!(
            price(c.clone(), Freshness::Recent).await,
            Some(3600),
            "[{l}] a recent snapshot missed this process's price change"
        );

        // Another process's write (a catalog with its own memo over the same database):
        // a recent snapshot may miss it for up to its ttl; a current one never does.
        let elsewhere = Catalog::new(c.database().clone());
        reprice(elsewhere, 3700).await;
        assert_eq!(
            price(c.clone(), Freshness::Recent).await,
            Some(3600),
            "[{l}] the recent snapshot comes from memory"
        );
        assert_eq!(
            price(c.clone(), Freshness::Current).await,
            Some(3700),
            "[{l}] a current snapshot reads the database"
        );
    }
}
