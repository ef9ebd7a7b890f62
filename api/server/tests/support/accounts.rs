//! Customer accounts over HTTP, shared by the suites: registering, signing in, reading
//! the emails the accounts send and the tokens in their links.

use emporium_client::accounts::SessionToken;
use emporium_notifications::RenderedEmail;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{commerce::drain_events, TestApp};

/// A password every rule accepts.
pub const PASSWORD: &str = "tide pool lantern";
/// Another one.
pub const NEW_PASSWORD: &str = "copper kettle morning";

pub async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("POST")
}

pub async fn register(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(
        app,
        "/store/customers",
        &json!({"email": email, "password": password, "first_name": "Ada", "last_name": "Lovelace"}),
    )
    .await
}

pub async fn login_response(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    post(
        app,
        "/store/auth/login",
        &json!({"email": email, "password": password}),
    )
    .await
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> SessionToken {
    let r = login_response(app, email, password).await;
    assert_eq!(r.status(), StatusCode::OK, "[{}] login {email}", app.label);
    r.json().await.expect("session json")
}

/// A registered customer, signed in.
pub async fn customer(app: &TestApp, email: &str) -> SessionToken {
    let r = register(app, email, PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "[{}] register {email}: {:?}",
        app.label,
        r.text().await
    );
    login(app, email, PASSWORD).await
}

/// A request as the customer whose session `token` is.
pub fn as_customer(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    app.http.request(method, app.url(path)).bearer_auth(token)
}

/// The newest email of `template` queued for the customer, after the events are handled.
pub async fn mailed(app: &TestApp, customer_id: &str, template: &str) -> (String, RenderedEmail) {
    drain_events(app).await;
    let records = app
        .commerce
        .notifications
        .emails_for(customer_id)
        .await
        .expect("emails");
    let record = records
        .iter()
        .rev()
        .find(|r| r.template == template)
        .unwrap_or_else(|| panic!("[{}] no {template} email in {records:?}", app.label));
    let content = app
        .commerce
        .notifications
        .email_content(&record.id)
        .await
        .expect("email content")
        .expect("the email exists");
    (record.to.clone(), content)
}

/// The token of the link to `path` in a text body.
pub fn token_in(text: &str, path: &str) -> String {
    let start = text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {text}"))
        + path.len()
        + "?token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A new cart of the customer whose session `token` is, holding `quantity` of
/// `variant`; its id.
pub async fn customer_cart(app: &TestApp, token: &str, variant: &str, quantity: i64) -> String {
    let cart: Value = as_customer(app, Method::POST, "/store/carts", token)
        .header(super::CLIENT_HEADER, super::new_shopper())
        .json(&json!({}))
        .send()
        .await
        .expect("cart")
        .json()
        .await
        .expect("cart json");
    let cart_id = cart["id"].as_str().expect("cart id").to_owned();
    let r = as_customer(
        app,
        Method::POST,
        &format!("/store/carts/{cart_id}/line-items"),
        token,
    )
    .json(&json!({"variant_id": variant, "quantity": quantity}))
    .send()
    .await
    .expect("add");
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "[{}] add to the customer's cart",
        app.label
    );
    cart_id
}
