//! Commerce helpers over HTTP shared by the checkout suites: products with stock, carts,
//! checkout bodies, placement, stock and order reads.

use emporium_client::{
    commerce::{admin::StockLevel, Cart, Order, PlacedOrder},
    types::{Page, Problem},
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use emporium_api::commerce::StripeSettings;
use emporium_test_support::fake_stripe::FakeStripe;

use super::{new_shopper, TestApp, CLIENT_HEADER};

pub const STRIPE_KEY: &str = "sk_test_emporium";
pub const WEBHOOK_SECRET: &str = "whsec_emporium_test";

/// A published product with one variant priced in EUR and USD; returns the variant id.
pub async fn product_with_stock(app: &TestApp, sku: &str, on_hand: i64) -> String {
    let r = app
        .admin(Method::POST, "/admin/products")
        .json(&json!({
            "title": format!("Mug {sku}"),
            "status": "published",
            "variants": [{"sku": sku, "prices": [
                {"currency": "EUR", "amount": 1500}, {"currency": "USD", "amount": 1700}]}]
        }))
        .send()
        .await
        .expect("create product");
    assert_eq!(r.status(), StatusCode::CREATED, "[{}] product", app.label);
    let product: Value = r.json().await.expect("product json");
    let variant_id = product["variants"][0]["id"]
        .as_str()
        .expect("variant id")
        .to_owned();
    let r = app
        .admin(
            Method::POST,
            &format!("/admin/inventory/{variant_id}/adjustments"),
        )
        .json(&json!({"set_on_hand": on_hand, "reason": "initial count"}))
        .send()
        .await
        .expect("adjust");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "[{}] stock: {:?}",
        app.label,
        r.text().await
    );
    variant_id
}

pub fn details(payment_method: &str) -> Value {
    json!({
        "email": "ada@example.com",
        "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Berlin",
                             "postal_code": "10115", "country": "DE"},
        "shipping_option_id": "ship_eu_standard",
        "payment_method": payment_method
    })
}

pub async fn new_cart(app: &TestApp) -> Cart {
    let r = app
        .http
        .post(app.url("/store/carts"))
        .header(CLIENT_HEADER, new_shopper())
        .json(&json!({}))
        .send()
        .await
        .expect("create cart");
    assert_eq!(r.status(), StatusCode::CREATED, "[{}] cart", app.label);
    r.json().await.expect("cart json")
}

pub async fn add(
    app: &TestApp,
    cart_id: &str,
    variant_id: &str,
    quantity: i64,
) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/store/carts/{cart_id}/line-items")))
        .json(&json!({"variant_id": variant_id, "quantity": quantity}))
        .send()
        .await
        .expect("add line")
}

pub async fn complete(app: &TestApp, cart_id: &str, key: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/store/carts/{cart_id}/complete")))
        .header(CLIENT_HEADER, new_shopper())
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("complete")
}

/// Shipping option ids differ per seed; pick the cart's region's first option.
pub async fn checkout_body(app: &TestApp, cart_id: &str, payment_method: &str) -> Value {
    let options: Page<Value> = app
        .get(&format!("/store/carts/{cart_id}/shipping-options"))
        .await
        .json()
        .await
        .expect("shipping options");
    let mut body = details(payment_method);
    body["shipping_option_id"] = options.items[0]["id"].clone();
    body
}

/// Cart with one line, checked out and placed; returns the placed order.
pub async fn place_order(app: &TestApp, variant_id: &str, payment_method: &str) -> PlacedOrder {
    let cart = new_cart(app).await;
    let r = add(app, &cart.id, variant_id, 1).await;
    assert_eq!(r.status(), StatusCode::OK, "[{}] add", app.label);
    let body = checkout_body(app, &cart.id, payment_method).await;
    let r = complete(app, &cart.id, &format!("key-{}", cart.id), &body).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "[{}] complete: {:?}",
        app.label,
        r.text().await
    );
    r.json().await.expect("placed order")
}

pub async fn stock(app: &TestApp, variant_id: &str) -> StockLevel {
    let view: Value = app
        .admin(Method::GET, &format!("/admin/inventory/{variant_id}"))
        .send()
        .await
        .expect("stock")
        .json()
        .await
        .expect("stock json");
    serde_json::from_value(view["level"].clone()).expect("level")
}

pub async fn admin_order(app: &TestApp, order_id: &str) -> Order {
    app.admin(Method::GET, &format!("/admin/orders/{order_id}"))
        .send()
        .await
        .expect("order")
        .json()
        .await
        .expect("order json")
}

pub async fn problem_of(r: reqwest::Response, status: StatusCode, label: &str) -> Problem {
    assert_eq!(r.status(), status, "[{label}] status");
    r.json().await.expect("problem json")
}

pub async fn drain_events(app: &TestApp) {
    app.commerce
        .dispatcher()
        .run_until_idle()
        .await
        .expect("dispatch");
}

pub fn stripe_settings(fake: &FakeStripe) -> StripeSettings {
    StripeSettings {
        secret_key: STRIPE_KEY.to_owned(),
        publishable_key: "pk_test_emporium".to_owned(),
        webhook_secret: WEBHOOK_SECRET.to_owned(),
        base_url: Some(fake.base_url()),
    }
}

pub async fn post_webhook(app: &TestApp, payload: Vec<u8>, signature: &str) -> reqwest::Response {
    app.http
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(payload)
        .send()
        .await
        .expect("webhook")
}

pub fn payment_intent(placed: &PlacedOrder, status: &str) -> Value {
    let client_secret = placed
        .payment
        .as_ref()
        .and_then(|p| p.client_secret.clone())
        .unwrap_or_default();
    let pi_id = client_secret
        .split("_secret_")
        .next()
        .unwrap_or_default()
        .to_owned();
    json!({
        "id": pi_id,
        "object": "payment_intent",
        "amount": placed.order.totals.total,
        "amount_received": if status == "succeeded" { placed.order.totals.total } else { 0 },
        "currency": placed.order.currency.to_lowercase(),
        "status": status,
        "metadata": {"order_id": placed.order.id},
        "last_payment_error": if status == "requires_payment_method" {
            json!({"code": "card_declined", "message": "Your card was declined."})
        } else { Value::Null }
    })
}
