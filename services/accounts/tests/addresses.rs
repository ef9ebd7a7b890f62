//! The address book: add, list, update, delete, one default of each kind, and another
//! customer's address ids.

mod support;

use emporium_accounts::{AccountError, AddressId, AddressInput, CustomerId, SavedAddress};

use support::*;

fn input(city: &str, label: Option<&str>, shipping: bool, billing: bool) -> AddressInput {
    AddressInput {
        label: label.map(str::to_owned),
        address: address(city),
        default_shipping: shipping,
        default_billing: billing,
    }
}

/// `(city, default shipping, default billing)` of each address, in book order.
fn defaults(book: &[SavedAddress]) -> Vec<(&str, bool, bool)> {
    book.iter()
        .map(|a| {
            (
                a.address.city.as_str(),
                a.default_shipping,
                a.default_billing,
            )
        })
        .collect()
}

fn is_not_found(err: &AccountError) -> bool {
    matches!(err, AccountError::NotFound)
}

#[tokio::test]
async fn addresses_are_added_listed_updated_and_deleted() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        assert!(
            env.accounts
                .addresses(&ada.id)
                .await
                .must(l, "empty")
                .is_empty(),
            "[{l}]"
        );
        let mut raw = input("  Berlin ", Some(" Home "), false, false);
        raw.address.country = "de".into();
        raw.address.line2 = Some("   ".into());
        let home = env
            .accounts
            .add_address(&ada.id, raw)
            .await
            .must(l, "add home");
        assert_eq!(home.address.city, "Berlin", "[{l}] trimmed");
        assert_eq!(home.address.country, "DE", "[{l}] upper-cased");
        assert_eq!(home.address.line2, None, "[{l}] blank is none");
        assert_eq!(home.label.as_deref(), Some("Home"), "[{l}]");
        env.advance(MINUTE);
        let office = env
            .accounts
            .add_address(&ada.id, input("Hamburg", None, false, false))
            .await
            .must(l, "add office");
        let book = env.accounts.addresses(&ada.id).await.must(l, "list");
        assert_eq!(
            book,
            vec![home.clone(), office.clone()],
            "[{l}] in the order added"
        );
        assert_eq!(
            env.accounts.address(&ada.id, &home.id).await.must(l, "one"),
            home,
            "[{l}]"
        );

        env.advance(MINUTE);
        let moved = env
            .accounts
            .update_address(
                &ada.id,
                &office.id,
                input("Munich", Some("Office"), false, false),
            )
            .await
            .must(l, "update");
        assert_eq!(moved.id, office.id, "[{l}]");
        assert_eq!(moved.address.city, "Munich", "[{l}]");
        assert_eq!(moved.label.as_deref(), Some("Office"), "[{l}]");
        assert_eq!(moved.created_at, office.created_at, "[{l}]");
        assert_eq!(moved.updated_at, env.now(), "[{l}]");

        env.accounts
            .delete_address(&ada.id, &home.id)
            .await
            .must(l, "delete");
        assert_eq!(
            env.accounts.addresses(&ada.id).await.must(l, "list"),
            vec![moved],
            "[{l}]"
        );
        let err = failure(
            env.accounts.delete_address(&ada.id, &home.id).await,
            l,
            "again",
        );
        assert!(is_not_found(&err), "[{l}] {err:?}");
    }
}

#[tokio::test]
async fn a_new_default_takes_the_default_from_the_old_one_for_each_kind() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let a = env
            .accounts
            .add_address(&ada.id, input("Berlin", None, true, true))
            .await
            .must(l, "Berlin");
        let b = env
            .accounts
            .add_address(&ada.id, input("Hamburg", None, true, false))
            .await
            .must(l, "Hamburg");
        let book = env.accounts.addresses(&ada.id).await.must(l, "list");
        assert_eq!(
            defaults(&book),
            [("Berlin", false, true), ("Hamburg", true, false)],
            "[{l}] shipping moved, billing stayed"
        );
        // Making an address the billing default through an update.
        env.accounts
            .update_address(&ada.id, &b.id, input("Hamburg", None, true, true))
            .await
            .must(l, "Hamburg billing");
        let book = env.accounts.addresses(&ada.id).await.must(l, "list");
        assert_eq!(
            defaults(&book),
            [("Berlin", false, false), ("Hamburg", true, true)],
            "[{l}]"
        );
        // Saving without the flag takes the default away from this address.
        env.accounts
            .update_address(&ada.id, &b.id, input("Hamburg", None, false, true))
            .await
            .must(l, "no shipping default");
        let book = env.accounts.addresses(&ada.id).await.must(l, "list");
        assert_eq!(
            defaults(&book),
            [("Berlin", false, false), ("Hamburg", false, true)],
            "[{l}]"
        );
        // Deleting the default leaves none of its kind.
        env.accounts
            .delete_address(&ada.id, &b.id)
            .await
            .must(l, "delete");
        let book = env.accounts.addresses(&ada.id).await.must(l, "list");
        assert_eq!(defaults(&book), [("Berlin", false, false)], "[{l}]");
        assert_eq!(book[0].id, a.id, "[{l}]");
    }
}

#[tokio::test]
async fn concurrent_new_defaults_leave_exactly_one_default() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let tasks: Vec<_> = ["Berlin", "Hamburg", "Munich", "Cologne"]
            .into_iter()
            .map(|city| {
                let (accounts, id) = (env.accounts.clone(), ada.id.clone());
                tokio::spawn(async move {
                    accounts
                        .add_address(&id, input(city, None, true, true))
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").must(l, "add");
        }
        let book = env.accounts.addresses(&ada.id).await.must(l, "list");
        assert_eq!(book.len(), 4, "[{l}]");
        assert_eq!(
            book.iter().filter(|a| a.default_shipping).count(),
            1,
            "[{l}]"
        );
        assert_eq!(
            book.iter().filter(|a| a.default_billing).count(),
            1,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn another_customers_address_is_not_found_for_every_operation_and_stays_untouched() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let mallory = env.register("mallory@example.com").await;
        let adas = env
            .accounts
            .add_address(&ada.id, input("Berlin", Some("Home"), true, true))
            .await
            .must(l, "Ada's address");
        env.accounts
            .add_address(&mallory.id, input("Paris", None, true, true))
            .await
            .must(l, "Mallory's address");

        let err = failure(env.accounts.address(&mallory.id, &adas.id).await, l, "get");
        assert!(is_not_found(&err), "[{l}] {err:?}");
        let err = failure(
            env.accounts
                .update_address(&mallory.id, &adas.id, input("Nowhere", None, true, true))
                .await,
            l,
            "update",
        );
        assert!(is_not_found(&err), "[{l}] {err:?}");
        let err = failure(
            env.accounts.delete_address(&mallory.id, &adas.id).await,
            l,
            "delete",
        );
        assert!(is_not_found(&err), "[{l}] {err:?}");
        // The same answer as for an id that never existed.
        let never = AddressId::new();
        let err = failure(env.accounts.address(&mallory.id, &never).await, l, "never");
        assert!(is_not_found(&err), "[{l}] {err:?}");
        assert_eq!(err.to_string(), "not found", "[{l}]");

        assert_eq!(
            env.accounts.addresses(&ada.id).await.must(l, "Ada's book"),
            vec![adas],
            "[{l}] untouched"
        );
        // Mallory's failed update, which tried to set defaults, rolled back whole.
        let hers = env
            .accounts
            .addresses(&mallory.id)
            .await
            .must(l, "Mallory's book");
        assert_eq!(defaults(&hers), [("Paris", true, true)], "[{l}]");
    }
}

#[tokio::test]
async fn invalid_address_fields_are_refused_naming_the_field() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        let mut no_city = input("", None, false, false);
        no_city.address.city = "  ".into();
        let mut bad_country = input("Berlin", None, false, false);
        bad_country.address.country = "Germany".into();
        let long_label = input("Berlin", Some(&"x".repeat(51)), false, false);
        for (field, bad) in [
            ("address.city", no_city),
            ("address.country", bad_country),
            ("label", long_label),
        ] {
            let err = failure(env.accounts.add_address(&ada.id, bad).await, l, field);
            assert_eq!(field_of(&err), field, "[{l}]");
        }
        assert!(
            env.accounts
                .addresses(&ada.id)
                .await
                .must(l, "list")
                .is_empty(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn an_address_book_holds_at_most_50_addresses() {
    for env in envs().await {
        let l = env.label;
        let ada = env.register("ada@example.com").await;
        for i in 0..50 {
            env.accounts
                .add_address(&ada.id, input(&format!("City {i}"), None, false, false))
                .await
                .must(l, "add");
        }
        let err = failure(
            env.accounts
                .add_address(&ada.id, input("One too many", None, false, false))
                .await,
            l,
            "51st",
        );
        assert_eq!(field_of(&err), "address", "[{l}]");
    }
}

#[tokio::test]
async fn an_unknown_customer_has_no_address_book() {
    for env in envs().await {
        let l = env.label;
        let nobody = CustomerId::new();
        let err = failure(env.accounts.addresses(&nobody).await, l, "list");
        assert!(is_not_found(&err), "[{l}] {err:?}");
        let err = failure(
            env.accounts
                .add_address(&nobody, input("Berlin", None, false, false))
                .await,
            l,
            "add",
        );
        assert!(is_not_found(&err), "[{l}] {err:?}");
    }
}
