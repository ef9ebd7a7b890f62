//! Variants, prices and images: their changes keep right the price ranges that lists
//! filter and sort on.
//! Every scenario runs on each test database (see `support`).

mod support;

use emporium_catalog::{
    Catalog, NewImage, NewVariant, ProductChanges, ProductFilter, ProductSort, VariantChanges,
};
use emporium_kernel::{id::VariantId, money::Currency};
use support::*;

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
                &VariantId::parse("var_00000000000000000000000000").expect("well formed"),
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
