//! Products: creating, reading by id and handle, drafts, input validation, deletes
//! and concurrent writes.
//! Every scenario runs on each test database (see `support`).

mod support;

use std::collections::HashSet;

use emporium_catalog::{CatalogError, NewProduct, NewVariant, ProductFilter, ProductStatus};
use emporium_kernel::id::ProductId;
use support::*;

#[tokio::test]
async fn a_product_is_created_and_read_back_by_id_and_by_handle() {
    for env in envs().await {
        let (l, c) = (env.label, &env.catalog);
        let created = c
            .create_product(shirt("Linen Shirt", "LS"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert!(
            created.id.as_str().starts_with("prod_"),
            "[{l}] id {}",
            created.id
        );
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
            .get_product(created.id.as_str(), false)
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
        assert_not_found(l, c.get_product(twin.id.as_str(), true).await, "product");
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

        assert_not_found(l, c.get_product(draft.id.as_str(), false).await, "product");
        assert_not_found(l, c.get_product("secret-lamp", false).await, "product");
        assert!(
            c.get_product(draft.id.as_str(), true).await.is_ok(),
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
            c.set_product_status(
                &ProductId::parse("prod_00000000000000000000000000").expect("well formed"),
                ProductStatus::Draft,
            )
            .await,
            "product",
        );
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
