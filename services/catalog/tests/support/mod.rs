//! What the catalog's behaviour tests share: a migrated catalog on every test database
//! (a fresh SQLite file and, when `TEST_POSTGRES_URL` is set or `CI=true`, a fresh
//! PostgreSQL database), product inputs, and assertions that name the database.

// Each test file uses some of these.
#![allow(dead_code)]

use emporium_catalog::{
    Catalog, CatalogError, NewCategory, NewImage, NewOption, NewPrice, NewProduct, NewVariant,
    OptionValue, PriceRange, ProductFilter, ProductStatus, ProductSummary,
};
use emporium_kernel::{
    db::testing::{self, TestDatabase},
    id::CategoryId,
    money::Currency,
};

/// A migrated catalog on one test database.
pub struct Env {
    pub label: &'static str,
    pub catalog: Catalog,
    _db: TestDatabase,
}

pub async fn migrated(db: TestDatabase) -> Env {
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

pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in testing::databases().await {
        out.push(migrated(db).await);
    }
    out
}

pub fn prices(eur: Option<i64>, usd: Option<i64>) -> Vec<NewPrice> {
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
pub fn simple(title: &str, sku: &str, price: Vec<NewPrice>) -> NewProduct {
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

pub fn opt(option: &str, value: &str) -> OptionValue {
    OptionValue {
        option: option.into(),
        value: value.into(),
    }
}

/// A shirt with Size × Colour options and three variants.
pub fn shirt(title: &str, sku: &str) -> NewProduct {
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

pub fn filter() -> ProductFilter {
    ProductFilter {
        limit: 100,
        ..ProductFilter::default()
    }
}

pub fn range(summary: &ProductSummary, currency: Currency) -> Option<&PriceRange> {
    summary.prices.iter().find(|r| r.currency == currency)
}

pub fn assert_invalid<T: std::fmt::Debug>(
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

pub fn assert_conflict<T: std::fmt::Debug>(
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

pub fn assert_not_found<T: std::fmt::Debug>(
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
pub async fn walk(label: &str, catalog: &Catalog, base: &ProductFilter) -> Vec<ProductSummary> {
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

pub async fn category(l: &str, c: &Catalog, name: &str, parent: Option<&CategoryId>) -> CategoryId {
    c.create_category(NewCategory {
        name: name.into(),
        handle: None,
        description: String::new(),
        parent_id: parent.map(CategoryId::to_string),
        position: None,
    })
    .await
    .unwrap_or_else(|e| panic!("[{l}] category {name}: {e}"))
    .id
}
