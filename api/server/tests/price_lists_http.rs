//! Price lists over HTTP, on SQLite and PostgreSQL: the Admin API, and the best price a
//! guest and a customer group member see on the product and pay in the cart.

mod support;

use emporium_client::{
    accounts::admin::CustomerGroup,
    commerce::Cart,
    types::{admin::PriceList, Page, Product},
};
use emporium_kernel::db::testing::databases;
use reqwest::{header, Method, StatusCode};
use serde_json::json;
use support::{
    accounts::{as_customer, customer},
    commerce::{add, new_cart, problem_of, product_with_stock},
    new_shopper, TestApp, CLIENT_HEADER,
};

fn eur(product: &Product) -> i64 {
    product.variants[0].price_in("EUR").map_or(-1, |p| p.amount)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoppers_pay_the_best_price_list_that_applies_to_them() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        // EUR 15.00 regularly.
        let variant = product_with_stock(&app, "PRICED-1", 20).await;
        let product: Product = app
            .get(&format!(
                "/store/products/{}",
                product_handle(&app, "PRICED-1").await
            ))
            .await
            .json()
            .await
            .expect("product");
        assert_eq!(eur(&product), 1_500, "[{label}]");

        let group: CustomerGroup = app
            .admin(Method::POST, "/admin/customer-groups")
            .json(&json!({"name": "Trade"}))
            .send()
            .await
            .expect("group")
            .json()
            .await
            .expect("group json");
        let ada = customer(&app, "ada@example.com").await;
        let bob = customer(&app, "bob@example.com").await;
        let r = app
            .admin(
                Method::POST,
                &format!("/admin/customer-groups/{}/customers", group.id),
            )
            .json(&json!({"customer_id": ada.customer.id}))
            .send()
            .await
            .expect("member");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");

        // A sale for everyone (EUR 14.00) and a trade price (EUR 11.00).
        for (name, group_id, amount) in [
            ("Sale", None, 1_400),
            ("Trade", Some(group.id.clone()), 1_100),
        ] {
            let r = app
                .admin(Method::POST, "/admin/price-lists")
                .json(&json!({"name": name, "customer_group_id": group_id,
                              "starts_at": "2020-01-01T00:00:00Z",
                              "prices": [{"variant_id": variant, "currency": "EUR", "amount": amount}]}))
                .send()
                .await
                .expect("price list");
            assert_eq!(
                r.status(),
                StatusCode::CREATED,
                "[{label}] {:?}",
                r.text().await
            );
        }
        // One that has not started yet changes nothing.
        let r = app
            .admin(Method::POST, "/admin/price-lists")
            .json(
                &json!({"name": "Next year", "starts_at": "2999-01-01T00:00:00Z",
                          "prices": [{"variant_id": variant, "currency": "EUR", "amount": 100}]}),
            )
            .send()
            .await
            .expect("future list");
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}]");

        let handle = product_handle(&app, "PRICED-1").await;
        let path = format!("/store/products/{handle}");
        let seen_by_guest: Product = app.get(&path).await.json().await.expect("guest view");
        assert_eq!(eur(&seen_by_guest), 1_400, "[{label}] everyone's sale");
        for (who, token, want) in [("ada", &ada.token, 1_100), ("bob", &bob.token, 1_400)] {
            let r = as_customer(&app, Method::GET, &path, token)
                .send()
                .await
                .expect("view");
            let private = r
                .headers()
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("private"));
            let product: Product = r.json().await.expect("product");
            assert_eq!(eur(&product), want, "[{label}] {who}");
            assert_eq!(
                private,
                who == "ada",
                "[{label}] {who}: a group price is private"
            );
        }

        // The cart charges the same prices.
        let guest = new_cart(&app).await;
        let r = add(&app, &guest.id, &variant, 1).await;
        let guest_cart: Cart = r.json().await.expect("guest cart");
        assert_eq!(guest_cart.lines[0].unit_price, 1_400, "[{label}]");
        let cart: Cart = as_customer(&app, Method::POST, "/store/carts", &ada.token)
            .header(CLIENT_HEADER, new_shopper())
            .json(&json!({}))
            .send()
            .await
            .expect("ada's cart")
            .json()
            .await
            .expect("cart");
        let r = as_customer(
            &app,
            Method::POST,
            &format!("/store/carts/{}/line-items", cart.id),
            &ada.token,
        )
        .json(&json!({"variant_id": variant, "quantity": 2}))
        .send()
        .await
        .expect("add");
        let ada_cart: Cart = r.json().await.expect("cart");
        assert_eq!(
            (ada_cart.lines[0].unit_price, ada_cart.totals.subtotal),
            (1_100, 2_200),
            "[{label}] the trade price"
        );

        // The Admin API: list, read, replace, delete; bad input names the field.
        let lists: Page<PriceList> = app
            .admin(Method::GET, "/admin/price-lists")
            .send()
            .await
            .expect("lists")
            .json()
            .await
            .expect("lists json");
        assert_eq!(lists.items.len(), 3, "[{label}]");
        let sale = lists
            .items
            .iter()
            .find(|l| l.name == "Sale")
            .expect("the sale")
            .clone();
        let r = app
            .admin(Method::PUT, &format!("/admin/price-lists/{}", sale.id))
            .json(&json!({"name": "Sale", "prices": [{"variant_id": variant, "currency": "EUR", "amount": 1_300}]}))
            .send()
            .await
            .expect("replace");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        let again: Product = app.get(&path).await.json().await.expect("after replace");
        assert_eq!(eur(&again), 1_300, "[{label}] the read cache was dropped");
        let r = app
            .admin(Method::DELETE, &format!("/admin/price-lists/{}", sale.id))
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        let after: Product = app.get(&path).await.json().await.expect("after delete");
        assert_eq!(eur(&after), 1_500, "[{label}] regular again");
        let r = app
            .admin(Method::GET, &format!("/admin/price-lists/{}", sale.id))
            .send()
            .await
            .expect("gone");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "[{label}]");
        for (body, param) in [
            (json!({"name": ""}), "name"),
            (json!({"name": "x", "starts_at": "yesterday"}), "starts_at"),
            (
                json!({"name": "x", "prices": [{"variant_id": variant, "currency": "EUR", "amount": -1}]}),
                "prices[0].amount",
            ),
            (
                json!({"name": "x", "prices": [{"variant_id": "nope", "currency": "EUR", "amount": 1}]}),
                "prices[0].variant_id",
            ),
            (
                json!({"name": "x", "prices": [{"variant_id": variant, "currency": "EURO", "amount": 1}]}),
                "prices[0].currency",
            ),
        ] {
            let r = app
                .admin(Method::POST, "/admin/price-lists")
                .json(&body)
                .send()
                .await
                .expect("bad list");
            let p = problem_of(r, StatusCode::BAD_REQUEST, label).await;
            assert_eq!(p.param.as_deref(), Some(param), "[{label}] {body}");
        }
    }
}

/// The handle of the product `product_with_stock` made for `sku` (titled `Mug <sku>`).
async fn product_handle(app: &TestApp, sku: &str) -> String {
    let products: serde_json::Value = app
        .admin(Method::GET, "/admin/products?limit=100")
        .send()
        .await
        .expect("products")
        .json()
        .await
        .expect("products json");
    products["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["title"] == format!("Mug {sku}").as_str())
        .and_then(|p| p["handle"].as_str())
        .expect("the product")
        .to_owned()
}
