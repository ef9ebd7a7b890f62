//! Carts and orders of signed-in customers over real HTTP, on SQLite and PostgreSQL:
//! the "done means" flow (register, verify, sign in with a guest cart, order,
//! see it in `/me/orders`), the IDOR suite (customer A's ids in B's hands, or in no
//! one's session, answer 404 on every route), guest orders attached by verified email,
//! and the rate limits on cart creation and order placement.

mod support;

use emporium_client::{
    accounts::SessionToken,
    commerce::{Cart, Order, PlacedOrder},
    types::{Page, Problem},
};
use emporium_kernel::db::testing::databases;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use support::{
    accounts::{as_customer, customer, mailed, post, token_in, PASSWORD},
    commerce::{add, checkout_body, complete, new_cart, problem_of, product_with_stock},
    new_shopper, TestApp, CLIENT_HEADER,
};

/// A request as `session`'s customer, or as a guest (no session).
fn request(
    app: &TestApp,
    method: Method,
    path: &str,
    session: Option<&str>,
) -> reqwest::RequestBuilder {
    match session {
        Some(token) => as_customer(app, method, path, token),
        None => app.http.request(method, app.url(path)),
    }
    .header(CLIENT_HEADER, new_shopper())
}

/// A cart created by `session`'s customer (or a guest's).
async fn cart_of(app: &TestApp, session: Option<&str>) -> Cart {
    let r = request(app, Method::POST, "/store/carts", session)
        .json(&json!({}))
        .send()
        .await
        .expect("create cart");
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "[{}] create cart",
        app.label
    );
    r.json().await.expect("cart json")
}

async fn add_as(
    app: &TestApp,
    session: Option<&str>,
    cart_id: &str,
    variant: &str,
    q: i64,
) -> reqwest::Response {
    request(
        app,
        Method::POST,
        &format!("/store/carts/{cart_id}/line-items"),
        session,
    )
    .json(&json!({"variant_id": variant, "quantity": q}))
    .send()
    .await
    .expect("add line")
}

/// Places the cart's order as `session`'s customer.
async fn place_as(app: &TestApp, session: Option<&str>, cart_id: &str) -> reqwest::Response {
    let body = checkout_body_as(app, session, cart_id).await;
    request(
        app,
        Method::POST,
        &format!("/store/carts/{cart_id}/complete"),
        session,
    )
    .header("idempotency-key", format!("key-{cart_id}"))
    .json(&body)
    .send()
    .await
    .expect("complete")
}

async fn checkout_body_as(app: &TestApp, session: Option<&str>, cart_id: &str) -> Value {
    let options: Page<Value> = request(
        app,
        Method::GET,
        &format!("/store/carts/{cart_id}/shipping-options"),
        session,
    )
    .send()
    .await
    .expect("shipping options")
    .json()
    .await
    .expect("options json");
    let mut body = support::commerce::details("manual");
    body["shipping_option_id"] = options.items[0]["id"].clone();
    body
}

async fn my_orders(app: &TestApp, token: &str) -> Page<Order> {
    let r = as_customer(app, Method::GET, "/store/customers/me/orders", token)
        .send()
        .await
        .expect("my orders");
    assert_eq!(r.status(), StatusCode::OK, "[{}] /me/orders", app.label);
    r.json().await.expect("orders json")
}

/// Registers `email`, opens the verification link from the email, and signs in.
async fn verified_customer(app: &TestApp, email: &str) -> SessionToken {
    let session = customer(app, email).await;
    let (_, content) = mailed(app, &session.customer.id, "verify_email").await;
    let token = token_in(&content.text, "/account/verify");
    let r = post(app, "/store/auth/verify-email", &json!({ "token": token })).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{}] verify", app.label);
    session
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_signs_in_with_a_guest_cart_orders_and_finds_the_order_in_their_history() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let jacket = product_with_stock(&app, "JACKET-1", 10).await;
        let ada = verified_customer(&app, "ada@example.com").await;

        // Shopping as a guest first, then signing in with that cart.
        let guest = new_cart(&app).await;
        assert_eq!(
            add(&app, &guest.id, &jacket, 2).await.status(),
            StatusCode::OK
        );
        let r = post(
            &app,
            "/store/auth/login",
            &json!({"email": "ada@example.com", "password": PASSWORD, "cart_id": guest.id}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "[{label}] login");
        let signed_in: SessionToken = r.json().await.expect("session");
        assert_eq!(
            signed_in.cart_id.as_deref(),
            Some(guest.id.as_str()),
            "[{label}] adopted"
        );
        let token = signed_in.token.as_str();

        // The cart is the customer's now: the id alone no longer reaches it.
        let r = request(
            &app,
            Method::GET,
            &format!("/store/carts/{}", guest.id),
            None,
        )
        .send()
        .await
        .expect("guest read");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "[{label}]");

        let r = place_as(&app, Some(token), &guest.id).await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "[{label}] {:?}",
            r.text().await
        );
        let placed: PlacedOrder = r.json().await.expect("placed");

        let history = my_orders(&app, token).await;
        assert_eq!(
            history
                .items
                .iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>(),
            vec![placed.order.id.as_str()],
            "[{label}]"
        );
        assert_eq!(history.items[0].lines[0].quantity, 2, "[{label}]");
        let r = as_customer(
            &app,
            Method::GET,
            &format!("/store/customers/me/orders/{}", placed.order.id),
            token,
        )
        .send()
        .await
        .expect("my order");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        let detail: Order = r.json().await.expect("order");
        assert_eq!(detail.id, placed.order.id, "[{label}]");

        // Another customer: the order is not theirs, and its id confirms nothing.
        let bob = customer(&app, "bob@example.com").await;
        let r = as_customer(
            &app,
            Method::GET,
            &format!("/store/customers/me/orders/{}", placed.order.id),
            &bob.token,
        )
        .send()
        .await
        .expect("bob reads ada's order");
        let p = problem_of(r, StatusCode::NOT_FOUND, label).await;
        assert_eq!(p.code, "not_found", "[{label}]");
        assert!(
            my_orders(&app, &bob.token).await.items.is_empty(),
            "[{label}]"
        );
        assert_eq!(ada.customer.id, signed_in.customer.id, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_merges_the_guest_cart_into_the_customers_open_cart() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let (shirt, mug) = (
            product_with_stock(&app, "SHIRT-1", 5).await,
            product_with_stock(&app, "MUG-1", 50).await,
        );
        let ada = customer(&app, "ada@example.com").await;
        let own = cart_of(&app, Some(&ada.token)).await;
        assert_eq!(
            add_as(&app, Some(&ada.token), &own.id, &shirt, 3)
                .await
                .status(),
            StatusCode::OK
        );

        let guest = new_cart(&app).await;
        assert_eq!(
            add(&app, &guest.id, &shirt, 4).await.status(),
            StatusCode::OK
        );
        assert_eq!(add(&app, &guest.id, &mug, 1).await.status(), StatusCode::OK);
        let r = post(
            &app,
            "/store/auth/login",
            &json!({"email": "ada@example.com", "password": PASSWORD, "cart_id": guest.id}),
        )
        .await;
        let signed_in: SessionToken = r.json().await.expect("session");
        assert_eq!(
            signed_in.cart_id.as_deref(),
            Some(own.id.as_str()),
            "[{label}] merged"
        );
        let merged: Cart = request(
            &app,
            Method::GET,
            &format!("/store/carts/{}", own.id),
            Some(&signed_in.token),
        )
        .send()
        .await
        .expect("read")
        .json()
        .await
        .expect("cart");
        let mut lines: Vec<(String, i64)> = merged
            .lines
            .iter()
            .map(|l| (l.variant_id.clone(), l.quantity))
            .collect();
        lines.sort();
        let mut expected = vec![(shirt.clone(), 5), (mug.clone(), 1)];
        expected.sort();
        assert_eq!(
            lines, expected,
            "[{label}] 3 + 4 shirts capped at the 5 in stock"
        );
        let r = request(
            &app,
            Method::GET,
            &format!("/store/carts/{}", guest.id),
            None,
        )
        .send()
        .await
        .expect("guest cart");
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "[{label}] the guest cart is gone"
        );

        // A malformed cart id is a 400 naming it, before any password is checked.
        let r = post(
            &app,
            "/store/auth/login",
            &json!({"email": "ada@example.com", "password": PASSWORD, "cart_id": "not a cart"}),
        )
        .await;
        let p = problem_of(r, StatusCode::BAD_REQUEST, label).await;
        assert_eq!(p.param.as_deref(), Some("cart_id"), "[{label}]");
    }
}

/// Every Store API route that takes a cart id, as (method, path suffix, body).
fn cart_routes(line_id: &str) -> Vec<(Method, String, Value)> {
    vec![
        (Method::GET, String::new(), Value::Null),
        (
            Method::POST,
            "/line-items".into(),
            json!({"variant_id": "var_01jzzzzzzzzzzzzzzzzzzzzzzz", "quantity": 1}),
        ),
        (
            Method::PATCH,
            format!("/line-items/{line_id}"),
            json!({"quantity": 2}),
        ),
        (
            Method::DELETE,
            format!("/line-items/{line_id}"),
            Value::Null,
        ),
        (
            Method::POST,
            "/discounts".into(),
            json!({"code": "WELCOME10"}),
        ),
        (Method::DELETE, "/discounts".into(), Value::Null),
        (Method::GET, "/shipping-options".into(), Value::Null),
        (
            Method::POST,
            "/checkout".into(),
            support::commerce::details("manual"),
        ),
        (Method::POST, "/complete".into(), Value::Null),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customer_or_a_guest_holding_a_customers_ids_gets_404_on_every_route() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let variant = product_with_stock(&app, "IDOR-1", 10).await;
        let ada = customer(&app, "ada@example.com").await;
        let bob = customer(&app, "bob@example.com").await;
        let cart = cart_of(&app, Some(&ada.token)).await;
        let r = add_as(&app, Some(&ada.token), &cart.id, &variant, 1).await;
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        let with_line: Cart = r.json().await.expect("cart");
        let line_id = with_line.lines[0].id.clone();

        for session in [Some(bob.token.as_str()), None] {
            for (method, suffix, body) in cart_routes(&line_id) {
                let path = format!("/store/carts/{}{suffix}", cart.id);
                let mut r = request(&app, method.clone(), &path, session)
                    .header("idempotency-key", "idor-key");
                if !body.is_null() {
                    r = r.json(&body);
                }
                let r = r.send().await.expect("request");
                let who = if session.is_some() { "bob" } else { "a guest" };
                assert_eq!(
                    r.status(),
                    StatusCode::NOT_FOUND,
                    "[{label}] {who}: {method} {path}"
                );
                let p: Problem = r.json().await.expect("problem");
                assert_eq!(p.code, "not_found", "[{label}] {who}: {method} {path}");
            }
        }
        // Nothing they tried changed Ada's cart.
        let seen: Cart = request(
            &app,
            Method::GET,
            &format!("/store/carts/{}", cart.id),
            Some(&ada.token),
        )
        .send()
        .await
        .expect("ada reads")
        .json()
        .await
        .expect("cart");
        assert_eq!(seen.lines.len(), 1, "[{label}]");
        assert_eq!(seen.lines[0].quantity, 1, "[{label}]");
        assert!(seen.discount.is_none() && seen.email.is_none(), "[{label}]");

        // Ada's order: Bob's /me/orders never shows it, and by id it is a 404; a guest
        // without a session is a 401 on /me.
        let r = place_as(&app, Some(&ada.token), &cart.id).await;
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}]");
        let placed: PlacedOrder = r.json().await.expect("placed");
        let path = format!("/store/customers/me/orders/{}", placed.order.id);
        let r = as_customer(&app, Method::GET, &path, &bob.token)
            .send()
            .await
            .expect("bob");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "[{label}]");
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "[{label}]");
        assert!(
            r.headers().contains_key(header::WWW_AUTHENTICATE),
            "[{label}]"
        );
        // A replay of Ada's placement by Bob with Ada's key reveals nothing either.
        let r = request(
            &app,
            Method::POST,
            &format!("/store/carts/{}/complete", cart.id),
            Some(&bob.token),
        )
        .header("idempotency-key", format!("key-{}", cart.id))
        .send()
        .await
        .expect("bob replays");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "[{label}]");
        // A session that ended is a 401, not a silent guest.
        let r = request(
            &app,
            Method::GET,
            &format!("/store/carts/{}", cart.id),
            Some("not-a-session"),
        )
        .send()
        .await
        .expect("bad token");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_orders_become_the_customers_once_the_email_is_verified() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let variant = product_with_stock(&app, "GUEST-1", 10).await;
        // `details` checks out as ada@example.com.
        let guest = new_cart(&app).await;
        assert_eq!(
            add(&app, &guest.id, &variant, 1).await.status(),
            StatusCode::OK
        );
        let body = checkout_body(&app, &guest.id, "manual").await;
        let r = complete(&app, &guest.id, "guest-key", &body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}]");
        let placed: PlacedOrder = r.json().await.expect("placed");

        let unverified = customer(&app, "ada@example.com").await;
        assert!(
            my_orders(&app, &unverified.token).await.items.is_empty(),
            "[{label}] not before the address is verified"
        );
        let (_, content) = mailed(&app, &unverified.customer.id, "verify_email").await;
        let token = token_in(&content.text, "/account/verify");
        let r = post(&app, "/store/auth/verify-email", &json!({ "token": token })).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        let orders = my_orders(&app, &unverified.token).await;
        assert_eq!(
            orders
                .items
                .iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>(),
            vec![placed.order.id.as_str()],
            "[{label}] attached at verification"
        );
        // Its guest link still works for whoever holds the access token.
        let r = app
            .get(&format!(
                "/store/orders/{}?token={}",
                placed.order.id, placed.access_token
            ))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_creating_carts_or_placing_orders_without_end_meets_a_429() {
    let test_db = emporium_kernel::db::testing::sqlite().await;
    let app = TestApp::spawn(test_db, None).await;
    let label = app.label;
    let mut limited = None;
    for i in 0..40 {
        let r = app
            .http
            .post(app.url("/store/carts"))
            .header(CLIENT_HEADER, "192.0.2.7")
            .json(&json!({}))
            .send()
            .await
            .expect("create cart");
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}] cart {i}");
    }
    let (at, r) = limited.expect("a 429 within 40 carts");
    assert!(
        at >= 30,
        "[{label}] a burst of 30 is allowed, limited at {at}"
    );
    assert!(r.headers().contains_key(header::RETRY_AFTER), "[{label}]");
    let p: Problem = r.json().await.expect("problem");
    assert_eq!(p.code, "rate_limited", "[{label}]");
    // Another shopper is unaffected.
    let other = new_cart(&app).await;

    let mut limited = None;
    for i in 0..20 {
        let r = app
            .http
            .post(app.url(&format!("/store/carts/{}/complete", other.id)))
            .header(CLIENT_HEADER, "192.0.2.8")
            .header("idempotency-key", format!("k{i}"))
            .send()
            .await
            .expect("complete");
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
        assert_eq!(
            r.status(),
            StatusCode::BAD_REQUEST,
            "[{label}] empty cart {i}"
        );
    }
    let at = limited.expect("a 429 within 20 placements");
    assert!(
        at >= 10,
        "[{label}] a burst of 10 is allowed, limited at {at}"
    );
}
