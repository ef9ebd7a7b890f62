//! What a cart line snapshots of a variant, and the memo of recent snapshots that this
//! catalog's own writes keep exact.
//! Every scenario runs on each test database (see `support`).

mod support;

use emporium_catalog::{Catalog, NewPrice, ProductStatus, VariantChanges};
use emporium_kernel::{cache::Freshness, id::VariantId, money::Currency};
use support::*;

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
        let usd_price = |v: &VariantId| {
            let v = v.clone();
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
            usd_price(&VariantId::parse("var_00000000000000000000000000").expect("well formed"))
                .await,
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
