//! Collections: members, counts of published products, filters and edits.
//! Every scenario runs on each test database (see `support`).

mod support;

use emporium_catalog::{NewCollection, ProductChanges, ProductFilter, ProductStatus};
use support::*;

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
                product_ids: vec![a.id.to_string(), g.id.to_string()],
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
            c.get_collection(picks.id.as_str(), true)
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
                collection_ids: Some(vec![picks.id.to_string()]),
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
            .get_product(b.id.as_str(), false)
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
                    product_ids: Some(vec![b.id.to_string()]),
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
