//! The category tree: filters over descendants, deletes that move children up, no cycles.
//! Every scenario runs on each test database (see `support`).

mod support;

use emporium_catalog::{
    CategoryChanges, NewCategory, ProductChanges, ProductFilter, ProductSort, ProductSummary,
};
use support::*;

#[tokio::test]
async fn a_category_filter_includes_products_of_its_descendants() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let apparel = category(l, c, "Apparel", None).await;
        let men = category(l, c, "Men", Some(&apparel)).await;
        let shirts = category(l, c, "Shirts", Some(&men)).await;
        let home = category(l, c, "Home", None).await;

        let mut input = simple("Oxford Shirt", "OX-1", prices(Some(4000), None));
        input.category_ids = vec![shirts.to_string()];
        let shirt = c
            .create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let mut input = simple("Belt", "BELT-1", prices(Some(2000), None));
        input.category_ids = vec![apparel.to_string()];
        let belt = c
            .create_product(input)
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let mut input = simple("Vase", "VASE-1", prices(Some(3000), None));
        input.category_ids = vec![home.to_string()];
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
            .get_product(shirt.id.as_str(), false)
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
                    category_ids: Some(vec![home.to_string()]),
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
        input.category_ids = vec![kitchen.to_string(), cookware.to_string()];
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
                .all(|x| x.parent_id.as_ref() == Some(&home)),
            "[{l}]"
        );

        let pan = c
            .get_product(pan.id.as_str(), true)
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
        assert_conflict(l, c.update_category(&a, to(d.as_str())).await, "parent_id");
        assert_conflict(l, c.update_category(&a, to(a.as_str())).await, "parent_id");
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
            .update_category(&a, to(d.as_str()))
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
