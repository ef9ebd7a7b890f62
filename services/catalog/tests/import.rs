//! Bulk import: rows with the caller's ids, handles and timestamps, references across
//! batches, the field rules of the admin writes, and all-or-nothing batches.
//! Every scenario runs on each test database (see `support`).

mod support;

use emporium_catalog::{
    import::{
        ImportBatch, ImportCategory, ImportCollection, ImportImage, ImportOption, ImportProduct,
        ImportVariant,
    },
    OptionValue, Price, ProductFilter, ProductStatus,
};
use emporium_kernel::{
    cache::Freshness,
    id::{id_from_parts, VariantId},
    money::Currency,
};
use support::*;

const AT: i64 = 1_790_000_000_000;

fn id(prefix: &str, n: u128) -> String {
    id_from_parts(prefix, AT as u64, n)
}

/// The first variant of the first product, as the cart asks for it.
fn variant_11() -> VariantId {
    VariantId::parse(&id("var", 11)).expect("a well-formed variant id")
}

fn category(n: u128, parent: Option<u128>, handle: &str) -> ImportCategory {
    ImportCategory {
        id: id("pcat", n),
        parent_id: parent.map(|p| id("pcat", p)),
        handle: handle.into(),
        name: handle.to_uppercase(),
        description: String::new(),
        position: 0,
        created_at: AT,
        updated_at: AT,
    }
}

/// A mug in two sizes (EUR and USD prices), with one image, in category `category`.
fn mug(n: u128, handle: &str, category: u128) -> ImportProduct {
    let variant = |k: u128, size: &str, eur: i64, usd: i64| ImportVariant {
        id: id("var", n * 10 + k),
        sku: format!("{}-{size}", handle.to_uppercase()),
        title: None,
        options: vec![OptionValue {
            option: "Size".into(),
            value: size.into(),
        }],
        weight_grams: Some(300),
        // Given out of currency order on purpose.
        prices: vec![
            Price {
                currency: Currency::USD,
                amount: usd,
            },
            Price {
                currency: Currency::EUR,
                amount: eur,
            },
        ],
        created_at: AT + 1,
        updated_at: AT + 2,
    };
    ImportProduct {
        id: id("prod", n),
        handle: handle.into(),
        title: format!("Mug {n}"),
        description: "A mug.".into(),
        status: ProductStatus::Published,
        seo_title: None,
        seo_description: None,
        category_ids: vec![id("pcat", category)],
        options: vec![ImportOption {
            id: id("opt", n),
            name: "Size".into(),
            values: vec!["S".into(), "L".into()],
        }],
        variants: vec![variant(1, "S", 1200, 1300), variant(2, "L", 1500, 1600)],
        images: vec![ImportImage {
            id: id("img", n),
            url: format!("/media/{handle}.jpg"),
            alt: "A mug".into(),
        }],
        created_at: AT + n as i64,
        updated_at: AT + n as i64 + 5,
    }
}

#[tokio::test]
async fn an_import_keeps_the_callers_ids_handles_and_timestamps_across_batches() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        // Read before the import: the memo remembers "no such variant" until a write.
        let unknown = c
            .variant_for_cart(&variant_11(), Currency::EUR, Freshness::Recent)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(unknown, None, "[{l}]");

        c.import(ImportBatch {
            categories: vec![category(1, None, "kitchen"), category(2, Some(1), "mugs")],
            ..ImportBatch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("[{l}] categories: {e}"));
        c.import(ImportBatch {
            products: vec![mug(1, "blue-mug", 2), mug(2, "red-mug", 2)],
            ..ImportBatch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("[{l}] products: {e}"));
        c.import(ImportBatch {
            collections: vec![ImportCollection {
                id: id("pcol", 1),
                handle: "favourites".into(),
                title: "Favourites".into(),
                description: String::new(),
                product_ids: vec![id("prod", 2), id("prod", 1)],
                created_at: AT,
                updated_at: AT,
            }],
            ..ImportBatch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("[{l}] collections: {e}"));

        let product = c
            .get_product("blue-mug", false)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(product.id.as_str(), id("prod", 1), "[{l}]");
        assert_eq!(
            (product.created_at, product.updated_at),
            (AT + 1, AT + 6),
            "[{l}]"
        );
        assert_eq!(product.options[0].id.as_str(), id("opt", 1), "[{l}]");
        let ids: Vec<&str> = product.variants.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(
            ids,
            [id("var", 11), id("var", 12)],
            "[{l}] in the given order"
        );
        assert_eq!(
            product.variants[1].title, "L",
            "[{l}] derived from the options"
        );
        assert_eq!(
            product.variants[1].prices[0],
            Price {
                currency: Currency::EUR,
                amount: 1500
            },
            "[{l}] prices sorted by currency"
        );
        assert_eq!(product.images[0].id.as_str(), id("img", 1), "[{l}]");
        assert_eq!(product.categories[0].handle, "mugs", "[{l}]");
        assert_eq!(product.collections[0].handle, "favourites", "[{l}]");

        let found = c
            .variant_for_cart(&variant_11(), Currency::EUR, Freshness::Recent)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(
            found.and_then(|v| v.unit_price),
            Some(1200),
            "[{l}] the import cleared the remembered miss"
        );

        // The price index, the category tree and the collection order.
        let cheap = c
            .list_products(&ProductFilter {
                category: Some("kitchen".into()),
                price_max: Some(1200),
                ..filter()
            })
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(cheap.items.len(), 2, "[{l}] both start at 12.00");
        let range = range(&cheap.items[0], Currency::EUR).cloned();
        assert_eq!(
            range.map(|r| (r.min_amount, r.max_amount)),
            Some((1200, 1500)),
            "[{l}]"
        );
        let favourites = c
            .list_products(&ProductFilter {
                collection: Some("favourites".into()),
                ..filter()
            })
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(favourites.items.len(), 2, "[{l}]");
    }
}

#[tokio::test]
async fn a_batch_that_breaks_a_rule_is_refused_whole_with_the_field_named() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        c.import(ImportBatch {
            categories: vec![category(1, None, "kitchen")],
            products: vec![mug(1, "blue-mug", 1)],
            ..ImportBatch::default()
        })
        .await
        .unwrap_or_else(|e| panic!("[{l}] {e}"));

        let refused = |product: ImportProduct| {
            c.import(ImportBatch {
                categories: vec![category(5, None, "garden")],
                products: vec![mug(2, "green-mug", 1), product],
                ..ImportBatch::default()
            })
        };
        let mut bad_id = mug(3, "bad-id", 1);
        bad_id.id = "mug-3".into();
        assert_invalid(l, refused(bad_id).await, "products[1].id");
        let mut bad_value = mug(3, "bad-value", 1);
        bad_value.variants[1].options[0].value = "XL".into();
        assert_invalid(
            l,
            refused(bad_value).await,
            "products[1].variants[1].options[0].value",
        );
        let mut bad_price = mug(3, "bad-price", 1);
        bad_price.variants[0].prices[1].amount = -1;
        assert_invalid(
            l,
            refused(bad_price).await,
            "products[1].variants[0].prices[1].amount",
        );
        let mut bad_handle = mug(3, "bad-handle", 1);
        bad_handle.handle = "Bad Handle".into();
        assert_invalid(l, refused(bad_handle).await, "products[1].handle");
        let mut unknown_category = mug(3, "lost-mug", 1);
        unknown_category.category_ids = vec![id("pcat", 1), id("pcat", 99)];
        assert_invalid(
            l,
            refused(unknown_category).await,
            "products[1].category_ids[1]",
        );
        assert_conflict(l, refused(mug(3, "blue-mug", 1)).await, "handle");
        let mut taken_sku = mug(3, "sku-mug", 1);
        taken_sku.variants[0].sku = "BLUE-MUG-S".into();
        assert_conflict(l, refused(taken_sku).await, "sku");

        // A parent comes before its children.
        assert_invalid(
            l,
            c.import(ImportBatch {
                categories: vec![category(7, Some(8), "child"), category(8, None, "parent")],
                ..ImportBatch::default()
            })
            .await,
            "categories[0].parent_id",
        );
        assert_invalid(
            l,
            c.import(ImportBatch {
                collections: vec![ImportCollection {
                    id: id("pcol", 1),
                    handle: "lost".into(),
                    title: "Lost".into(),
                    description: String::new(),
                    product_ids: vec![id("prod", 1), id("prod", 42)],
                    created_at: AT,
                    updated_at: AT,
                }],
                ..ImportBatch::default()
            })
            .await,
            "collections[0].product_ids[1]",
        );

        // Nothing of the refused batches was written.
        let all = walk(
            l,
            c,
            &ProductFilter {
                include_drafts: true,
                ..filter()
            },
        )
        .await;
        assert_eq!(all.len(), 1, "[{l}]");
        let tree = c
            .category_tree()
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(tree.len(), 1, "[{l}] only `kitchen`");
        let collections = c
            .list_collections(true)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(collections.is_empty(), "[{l}]");
    }
}
