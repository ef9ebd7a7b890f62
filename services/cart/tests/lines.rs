//! Lines: adding (merging, price snapshots, concurrent adds, several services on one
//! database), quantities, stock and the catalog's answers.

mod support;

use std::sync::Arc;

use emporium_cart::{CartError, Carts, Shopper};
use emporium_kernel::{
    events::EventBus,
    id::{CartId, LineId, VariantId},
    money::Currency,
};

use support::*;

#[tokio::test]
async fn adding_a_variant_again_merges_into_its_line_and_lines_keep_their_price_snapshot() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let cart1 = env.add(&cart.id, SHIRT, 1).await;
        assert_eq!(cart1.lines.len(), 1, "[{l}]");
        let line = &cart1.lines[0];
        assert_eq!(
            (
                line.unit_price,
                line.quantity,
                line.sku.as_str(),
                line.title.as_str()
            ),
            (
                4500,
                1,
                SHIRT.to_ascii_uppercase().as_str(),
                format!("Product {SHIRT}").as_str()
            ),
            "[{l}]"
        );

        // The catalog price changes: the cart keeps showing the price it was added at.
        env.catalog.set_price(SHIRT, Currency::EUR, 4800);
        let seen = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert_eq!(seen.lines[0].unit_price, 4500, "[{l}] snapshot");
        assert_eq!(seen.totals.subtotal, 4500, "[{l}]");

        // Adding again merges into the same line, at the price the shopper now sees.
        let merged = env.add(&cart.id, SHIRT, 2).await;
        assert_eq!(merged.lines.len(), 1, "[{l}] one line per variant");
        assert_eq!(merged.lines[0].id, line.id, "[{l}] same line");
        assert_eq!(
            (
                merged.lines[0].quantity,
                merged.lines[0].unit_price,
                merged.lines[0].line_total
            ),
            (3, 4800, 14_400),
            "[{l}]"
        );

        let both = env.add(&cart.id, MUG, 2).await;
        assert_eq!(both.lines.len(), 2, "[{l}]");
        assert_eq!(
            both.lines[1].variant_id.as_str(),
            MUG,
            "[{l}] lines in order of adding"
        );
        assert_eq!(both.item_count, 5, "[{l}]");
        assert_eq!(both.totals.subtotal, 14_400 + 2400, "[{l}]");

        let removed = env
            .carts
            .remove_line(&Shopper::Guest, &cart.id, &both.lines[0].id)
            .await
            .must(l, "remove");
        assert_eq!(removed.item_count, 2, "[{l}]");
        let err = failure(
            env.carts
                .remove_line(&Shopper::Guest, &cart.id, &both.lines[0].id)
                .await,
            l,
            "remove twice",
        );
        assert!(
            matches!(err, CartError::LineNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_to_one_cart_all_land_and_each_answer_shows_its_own() {
    for env in envs().await {
        let l = env.label;
        let env = Arc::new(env);
        let cart = env.eu_cart().await;
        let distinct: Vec<String> = (0..20).map(|i| var(&format!("c{i:02}"))).collect();
        for id in &distinct {
            env.catalog.put(id, Some(100), None);
            env.stock.set(id, 50);
        }
        // Twenty different variants and ten adds of the same one, all at once: most
        // read the cart before another's change lands, so their version check fails and
        // they read it again under the lock.
        let mut tasks = Vec::new();
        for variant in distinct
            .iter()
            .cloned()
            .chain((0..10).map(|_| MUG.to_owned()))
        {
            let (env, cart_id) = (env.clone(), cart.id.clone());
            tasks.push(tokio::spawn(async move {
                let seen = env.add(&cart_id, &variant, 1).await;
                (variant, seen)
            }));
        }
        for task in tasks {
            let (variant, seen) = task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}"));
            assert!(
                seen.lines
                    .iter()
                    .any(|line| line.variant_id.as_str() == variant),
                "[{l}] the answer to adding {variant} shows its line"
            );
            assert_eq!(
                seen.item_count,
                seen.lines.iter().map(|line| line.quantity).sum::<i64>(),
                "[{l}]"
            );
        }
        let done = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert_eq!(done.lines.len(), 21, "[{l}] one line per variant");
        assert_eq!(done.item_count, 30, "[{l}] no add was lost");
        let mug = done
            .lines
            .iter()
            .find(|line| line.variant_id.as_str() == MUG);
        assert_eq!(mug.map(|line| line.quantity), Some(10), "[{l}] merged adds");
        assert_eq!(done.totals.subtotal, 20 * 100 + 10 * 1200, "[{l}]");
    }
}

#[tokio::test]
async fn quantities_outside_1_to_99_per_line_are_rejected_naming_the_quantity_field() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        for q in [0, -1, 100] {
            let err = failure(
                env.carts
                    .add_line(&Shopper::Guest, &cart.id, &variant_id(MUG), q)
                    .await,
                l,
                &format!("add {q}"),
            );
            assert!(
                matches!(err, CartError::InvalidQuantity { .. }),
                "[{l}] {q}: {err:?}"
            );
            assert_eq!(field_of(&err), "quantity", "[{l}]");
        }
        let added = env.add(&cart.id, MUG, 60).await;
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &cart.id, &variant_id(MUG), 40)
                .await,
            l,
            "merge to 100",
        );
        assert!(
            matches!(err, CartError::InvalidQuantity { .. }),
            "[{l}] {err:?}"
        );
        let line_id = &added.lines[0].id;
        for q in [0, 100] {
            let err = failure(
                env.carts
                    .update_line(&Shopper::Guest, &cart.id, line_id, q)
                    .await,
                l,
                "update",
            );
            assert!(
                matches!(err, CartError::InvalidQuantity { .. }),
                "[{l}] {q}: {err:?}"
            );
        }
        let ok = env.add(&cart.id, MUG, 39).await;
        assert_eq!(ok.lines[0].quantity, 99, "[{l}] 99 is allowed");
    }
}

#[tokio::test]
async fn unknown_or_unpublished_variants_are_not_found() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let nope = VariantId::new();
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &cart.id, &nope, 1)
                .await,
            l,
            "unknown",
        );
        assert!(
            matches!(&err, CartError::VariantNotFound { variant_id } if *variant_id == nope.as_str()),
            "[{l}] {err:?}"
        );
        env.catalog.unpublish(MUG);
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &cart.id, &variant_id(MUG), 1)
                .await,
            l,
            "unpublished",
        );
        assert!(
            matches!(err, CartError::VariantNotFound { .. }),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &CartId::new(), &variant_id(SHIRT), 1)
                .await,
            l,
            "no cart",
        );
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_variant_without_a_price_in_the_carts_currency_is_refused() {
    for env in envs().await {
        let l = env.label;
        let cart = env.us_cart().await;
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &cart.id, &variant_id(EU_ONLY), 1)
                .await,
            l,
            "no USD price",
        );
        assert!(
            matches!(&err, CartError::PriceMissing { variant_id, currency } if variant_id == EU_ONLY && currency == "USD"),
            "[{l}] {err:?}"
        );
        let cart = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        assert!(cart.lines.is_empty(), "[{l}]");
        // The same variant is fine in a EUR cart.
        let eu = env.eu_cart().await;
        assert_eq!(
            env.add(&eu.id, EU_ONLY, 1).await.totals.subtotal,
            999,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn stock_is_checked_on_add_including_merged_quantity_and_on_update() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let added = env.add(&cart.id, SHIRT, 8).await;
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &cart.id, &variant_id(SHIRT), 3)
                .await,
            l,
            "8 + 3 of 10",
        );
        assert!(
            matches!(&err, CartError::InsufficientStock { variant_id, requested: 11, available: 10 } if variant_id == SHIRT),
            "[{l}] {err:?}"
        );
        let line_id = added.lines[0].id.clone();
        let err = failure(
            env.carts
                .update_line(&Shopper::Guest, &cart.id, &line_id, 11)
                .await,
            l,
            "update to 11",
        );
        assert!(
            matches!(
                err,
                CartError::InsufficientStock {
                    requested: 11,
                    available: 10,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );
        let updated = env
            .carts
            .update_line(&Shopper::Guest, &cart.id, &line_id, 10)
            .await
            .must(l, "update to 10");
        assert_eq!(updated.lines[0].quantity, 10, "[{l}]");
        env.stock.set(SHIRT, 0);
        let err = failure(
            env.carts
                .update_line(&Shopper::Guest, &cart.id, &line_id, 1)
                .await,
            l,
            "sold out",
        );
        assert!(
            matches!(err, CartError::InsufficientStock { available: 0, .. }),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts
                .update_line(&Shopper::Guest, &cart.id, &LineId::new(), 1)
                .await,
            l,
            "no line",
        );
        assert!(
            matches!(err, CartError::LineNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_cart_holds_at_most_fifty_different_items() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        for i in 0..51 {
            let id = var(&format!("item{i}"));
            env.catalog.put(&id, Some(100), None);
            env.stock.set(&id, 5);
        }
        for i in 0..50 {
            env.add(&cart.id, &var(&format!("item{i}")), 1).await;
        }
        let err = failure(
            env.carts
                .add_line(&Shopper::Guest, &cart.id, &variant_id(&var("item50")), 1)
                .await,
            l,
            "51st",
        );
        assert!(
            matches!(err, CartError::TooManyLines { max: 50 }),
            "[{l}] {err:?}"
        );
        // More of an item already in the cart is still fine.
        let cart = env.add(&cart.id, &var("item0"), 1).await;
        assert_eq!((cart.lines.len(), cart.item_count), (50, 51), "[{l}]");
    }
}

#[tokio::test]
async fn adds_through_two_cart_services_on_one_database_keep_every_line() {
    // A second `Carts` over the same database stands for another process: it never saw
    // the cart created through the first, so its first add reads the cart before its
    // write, and the later ones, like the first service's, do not.
    for env in envs().await {
        let l = env.label;
        let other = Carts::new(
            env.carts.database().clone(),
            EventBus::new(),
            env.catalog.clone(),
            env.stock.clone(),
        );
        let cart = env.eu_cart().await;
        let seen = other
            .add_line(&Shopper::Guest, &cart.id, &variant_id(SHIRT), 1)
            .await
            .must(l, "other add");
        assert_eq!(seen.lines.len(), 1, "[{l}]");
        env.add(&cart.id, MUG, 2).await;
        let seen = other
            .add_line(&Shopper::Guest, &cart.id, &variant_id(SHIRT), 2)
            .await
            .must(l, "other add again");
        let lines = quantities(&seen);
        assert_eq!(
            lines,
            [(SHIRT, 3), (MUG, 2)],
            "[{l}] each sees the other's lines"
        );
        assert_eq!(seen.totals.subtotal, 3 * 4500 + 2 * 1200, "[{l}]");

        let mut tasks = Vec::new();
        for i in 0..10 {
            let carts = if i % 2 == 0 {
                env.carts.clone()
            } else {
                other.clone()
            };
            let id = cart.id.clone();
            tasks.push(tokio::spawn(async move {
                carts
                    .add_line(&Shopper::Guest, &id, &variant_id(MUG), 1)
                    .await
            }));
        }
        for task in tasks {
            task.await
                .unwrap_or_else(|e| panic!("[{l}] task: {e}"))
                .must(l, "concurrent add");
        }
        let after = env
            .carts
            .cart(&Shopper::Guest, &cart.id)
            .await
            .must(l, "cart");
        let mug = after.lines.iter().find(|x| x.variant_id.as_str() == MUG);
        assert_eq!(mug.map(|x| x.quantity), Some(12), "[{l}] no add was lost");

        // Each service's next add builds on what it last wrote itself (a removal, a new
        // quantity) and on what the other wrote since.
        let shirt_line = after
            .lines
            .iter()
            .find(|x| x.variant_id.as_str() == SHIRT)
            .map(|x| x.id.clone())
            .unwrap_or_else(|| panic!("[{l}] the shirt line is gone"));
        let mug_line = mug
            .map(|x| x.id.clone())
            .unwrap_or_else(|| panic!("[{l}] the mug line is gone"));
        env.carts
            .remove_line(&Shopper::Guest, &cart.id, &shirt_line)
            .await
            .must(l, "remove");
        let seen = env.add(&cart.id, SHIRT, 1).await;
        let shirt = seen.lines.iter().find(|x| x.variant_id.as_str() == SHIRT);
        assert_eq!(shirt.map(|x| x.quantity), Some(1), "[{l}] a new shirt line");
        other
            .update_line(&Shopper::Guest, &cart.id, &mug_line, 5)
            .await
            .must(l, "other update");
        let seen = env.add(&cart.id, SHIRT, 1).await;
        let lines = quantities(&seen);
        assert_eq!(
            lines,
            [(MUG, 5), (SHIRT, 2)],
            "[{l}] after remove and update"
        );

        // A cart that does not exist is not found, even by a service with a warm memo.
        let err = failure(
            other
                .add_line(&Shopper::Guest, &CartId::new(), &variant_id(SHIRT), 1)
                .await,
            l,
            "no cart",
        );
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}
