//! The merchant's customers and customer groups over the Admin API, on SQLite and
//! PostgreSQL: the list with search and paging, the detail with addresses, groups and
//! orders, groups with members, and 4xx for what does not exist.

mod support;

use emporium_client::{
    accounts::{
        admin::{CustomerDetail, CustomerGroup},
        Customer,
    },
    types::Page,
};
use emporium_kernel::db::testing::databases;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{
    accounts::{as_customer, customer, customer_cart},
    commerce::{details, problem_of, product_with_stock},
    TestApp,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchant_lists_finds_and_groups_customers() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let ada = customer(&app, "ada@example.com").await;
        let bob = customer(&app, "bob@example.com").await;

        let page: Page<Customer> = app
            .admin(Method::GET, "/admin/customers?limit=1")
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("page");
        assert_eq!(page.items.len(), 1, "[{label}]");
        assert_eq!(page.items[0].id, bob.customer.id, "[{label}] newest first");
        let cursor = page.next_cursor.expect("a second page");
        let rest: Page<Customer> = app
            .admin(
                Method::GET,
                &format!("/admin/customers?limit=1&cursor={cursor}"),
            )
            .send()
            .await
            .expect("page 2")
            .json()
            .await
            .expect("page");
        assert_eq!(rest.items[0].id, ada.customer.id, "[{label}]");
        let found: Page<Customer> = app
            .admin(Method::GET, "/admin/customers?q=ADA@")
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("page");
        assert_eq!(found.items.len(), 1, "[{label}]");

        // Groups.
        let r = app
            .admin(Method::POST, "/admin/customer-groups")
            .json(&json!({"name": "Trade"}))
            .send()
            .await
            .expect("create group");
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}]");
        let trade: CustomerGroup = r.json().await.expect("group");
        let r = app
            .admin(Method::POST, "/admin/customer-groups")
            .json(&json!({"name": "trade"}))
            .send()
            .await
            .expect("duplicate");
        let p = problem_of(r, StatusCode::BAD_REQUEST, label).await;
        assert_eq!(p.param.as_deref(), Some("name"), "[{label}]");
        let r = app
            .admin(
                Method::POST,
                &format!("/admin/customer-groups/{}/customers", trade.id),
            )
            .json(&json!({"customer_id": ada.customer.id}))
            .send()
            .await
            .expect("add member");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        let members: Page<Customer> = app
            .admin(
                Method::GET,
                &format!("/admin/customers?group_id={}", trade.id),
            )
            .send()
            .await
            .expect("members")
            .json()
            .await
            .expect("page");
        assert_eq!(
            members
                .items
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>(),
            vec![ada.customer.id.as_str()],
            "[{label}]"
        );

        // Ada's detail: her address, her group and her order.
        let r = as_customer(
            &app,
            Method::POST,
            "/store/customers/me/addresses",
            &ada.token,
        )
        .json(
            &json!({"address": {"name": "Ada Lovelace", "line1": "1 Main St",
                          "city": "Berlin", "postal_code": "10115", "country": "DE"}}),
        )
        .send()
        .await
        .expect("address");
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}]");
        let variant = product_with_stock(&app, "ADMIN-CUS-1", 5).await;
        let cart_id = customer_cart(&app, &ada.token, &variant, 1).await;
        // The cart is Ada's: only her session reads its shipping options.
        let body = details("manual");
        let r = as_customer(
            &app,
            Method::POST,
            &format!("/store/carts/{cart_id}/complete"),
            &ada.token,
        )
        .header("idempotency-key", "admin-detail")
        .json(&body)
        .send()
        .await
        .expect("complete");
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "[{label}] {:?}",
            r.text().await
        );
        let detail: CustomerDetail = app
            .admin(
                Method::GET,
                &format!("/admin/customers/{}", ada.customer.id),
            )
            .send()
            .await
            .expect("detail")
            .json()
            .await
            .expect("detail json");
        assert_eq!(detail.customer.email, "ada@example.com", "[{label}]");
        assert_eq!(detail.addresses.len(), 1, "[{label}]");
        assert_eq!(
            detail
                .groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>(),
            vec!["Trade"],
            "[{label}]"
        );
        assert_eq!(detail.recent_orders.len(), 1, "[{label}]");

        // Removing, renaming, deleting; and what does not exist.
        let r = app
            .admin(
                Method::DELETE,
                &format!(
                    "/admin/customer-groups/{}/customers/{}",
                    trade.id, ada.customer.id
                ),
            )
            .send()
            .await
            .expect("remove");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        let r = app
            .admin(
                Method::PATCH,
                &format!("/admin/customer-groups/{}", trade.id),
            )
            .json(&json!({"name": "Wholesale"}))
            .send()
            .await
            .expect("rename");
        let renamed: CustomerGroup = r.json().await.expect("renamed");
        assert_eq!(
            (renamed.name.as_str(), renamed.member_count),
            ("Wholesale", 0),
            "[{label}]"
        );
        let r = app
            .admin(
                Method::DELETE,
                &format!("/admin/customer-groups/{}", trade.id),
            )
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        for (method, path) in [
            (Method::GET, format!("/admin/customer-groups/{}", trade.id)),
            (
                Method::GET,
                "/admin/customers/cus_01jzzzzzzzzzzzzzzzzzzzzzzz".to_owned(),
            ),
            (Method::GET, "/admin/customers/not-an-id".to_owned()),
            (
                Method::DELETE,
                format!("/admin/customer-groups/{}", trade.id),
            ),
        ] {
            let r = app
                .admin(method.clone(), &path)
                .send()
                .await
                .expect("missing");
            assert_eq!(
                r.status(),
                StatusCode::NOT_FOUND,
                "[{label}] {method} {path}"
            );
        }
        let r = app
            .http
            .get(app.url("/admin/customers"))
            .send()
            .await
            .expect("no token");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_client_speaks_every_customer_group_and_price_list_route() {
    use emporium_client::{
        accounts::admin::{CustomerGroupInput, CustomerListQuery},
        types::admin::{ListPrice, PriceListInput},
        Client, HttpTransport,
    };

    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let admin = Client::new(HttpTransport::new(app.base.clone())).signed_in(support::TOKEN);
        let ada = customer(&app, "ada@example.com").await;
        let variant = product_with_stock(&app, "TYPED-1", 3).await;

        let page = admin
            .admin_customers(&CustomerListQuery {
                q: Some("ada".into()),
                ..CustomerListQuery::default()
            })
            .await
            .expect("customers");
        assert_eq!(page.items.len(), 1, "[{label}]");
        let group = admin
            .create_customer_group(&CustomerGroupInput { name: "VIP".into() })
            .await
            .expect("group");
        admin
            .add_to_customer_group(&group.id, &ada.customer.id)
            .await
            .expect("member");
        let detail = admin
            .admin_customer(&ada.customer.id)
            .await
            .expect("detail");
        assert_eq!(detail.groups.len(), 1, "[{label}]");
        let renamed = admin
            .rename_customer_group(
                &group.id,
                &CustomerGroupInput {
                    name: "Gold".into(),
                },
            )
            .await
            .expect("rename");
        assert_eq!(renamed.member_count, 1, "[{label}]");
        assert_eq!(
            admin.customer_groups().await.expect("groups").items.len(),
            1
        );

        let input = PriceListInput {
            name: "Gold prices".into(),
            customer_group_id: Some(group.id.clone()),
            prices: vec![ListPrice {
                variant_id: variant.clone(),
                currency: "EUR".into(),
                amount: 1_000,
            }],
            ..PriceListInput::default()
        };
        let list = admin.create_price_list(&input).await.expect("price list");
        assert_eq!(
            admin.price_list(&list.id).await.expect("read"),
            list,
            "[{label}]"
        );
        let replaced = admin
            .replace_price_list(
                &list.id,
                &PriceListInput {
                    name: "Gold".into(),
                    ..input.clone()
                },
            )
            .await
            .expect("replace");
        assert_eq!(replaced.name, "Gold", "[{label}]");
        assert_eq!(admin.price_lists().await.expect("lists").items.len(), 1);
        admin
            .delete_price_list(&list.id)
            .await
            .expect("delete list");
        admin
            .remove_from_customer_group(&group.id, &ada.customer.id)
            .await
            .expect("remove");
        admin
            .delete_customer_group(&group.id)
            .await
            .expect("delete group");
        assert_eq!(
            admin.price_list(&list.id).await.expect_err("gone").status(),
            Some(404),
            "[{label}]"
        );
        // Without the token, the same client is refused.
        let anonymous = Client::new(HttpTransport::new(app.base.clone()));
        assert_eq!(
            anonymous
                .customer_groups()
                .await
                .expect_err("no token")
                .status(),
            Some(401),
            "[{label}]"
        );
    }
}
