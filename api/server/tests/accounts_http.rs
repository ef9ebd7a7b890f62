//! Customer accounts seen from outside, over real HTTP on SQLite and PostgreSQL:
//! registration that reveals nothing, login, the emails and their links, sessions that
//! end when they should, the profile, an address book no other customer can touch, and
//! bad input that is always a 4xx naming the field.

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use emporium_client::{
    accounts::{
        AddressInput, AddressPatch, ChangeEmail, ChangePassword, ConfirmPasswordReset, Login,
        ProfilePatch, RegisterCustomer, RequestPasswordReset, VerifyEmail,
    },
    commerce::Address,
    types::Problem,
    Client, ClientError, HttpTransport,
};
use emporium_kernel::{clock::now_ms, db::testing::databases};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{
    accounts::*,
    commerce::{details, drain_events, product_with_stock},
    TestApp,
};

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    as_customer(app, Method::GET, "/store/customers/me", token)
        .send()
        .await
        .expect("GET /me")
}

async fn problem(r: reqwest::Response, status: StatusCode, code: &str, label: &str) -> Problem {
    assert_eq!(r.status(), status, "[{label}] status for `{code}`");
    let p: Problem = r.json().await.expect("problem json");
    assert_eq!(p.code, code, "[{label}] {p:?}");
    p
}

/// How many emails of `template` were queued for the customer.
async fn count_mailed(app: &TestApp, customer_id: &str, template: &str) -> usize {
    drain_events(app).await;
    app.commerce
        .notifications
        .emails_for(customer_id)
        .await
        .expect("emails")
        .iter()
        .filter(|r| r.template == template)
        .count()
}

#[tokio::test]
async fn registering_a_new_and_a_known_email_answers_the_same_202_and_signs_nobody_in() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let first = register(&app, "ada@example.com", PASSWORD).await;
        assert_eq!(first.status(), StatusCode::ACCEPTED, "[{label}]");
        assert_eq!(
            first.headers()[header::CACHE_CONTROL],
            "private, no-store",
            "[{label}]"
        );
        assert!(
            first.headers().get(header::SET_COOKIE).is_none(),
            "[{label}]"
        );
        let first = first.text().await.expect("body");
        // The same address in another case, with another password.
        let again = register(&app, "ADA@example.com", NEW_PASSWORD).await;
        assert_eq!(again.status(), StatusCode::ACCEPTED, "[{label}]");
        assert!(
            again.headers().get(header::SET_COOKIE).is_none(),
            "[{label}]"
        );
        let again = again.text().await.expect("body");
        assert_eq!(first, again, "[{label}] the answers must not differ");
        assert_eq!(
            serde_json::from_str::<Value>(&first).ok(),
            Some(json!({"status": "check_your_inbox"})),
            "[{label}]"
        );

        // The account kept its first password; its owner hears of the attempt.
        let session = login(&app, "ada@example.com", PASSWORD).await;
        problem(
            login_response(&app, "ada@example.com", NEW_PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            label,
        )
        .await;
        let (to, notice) = mailed(&app, &session.customer.id, "registration_attempted").await;
        assert_eq!(to, "ada@example.com", "[{label}]");
        assert!(notice.text.contains("/account/login"), "[{label}]");
        assert!(!notice.text.contains("token="), "[{label}] no link token");
        assert_eq!(
            count_mailed(&app, &session.customer.id, "verify_email").await,
            1,
            "[{label}] one verification email, for the registration that opened the account"
        );
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;
        assert_eq!(session.token.len(), 43, "[{label}]");
        assert_eq!(session.customer.email, "ada@example.com", "[{label}]");
        assert!(!session.customer.email_verified, "[{label}]");
        assert!(
            session.expires_at <= session.absolute_expires_at,
            "[{label}]"
        );

        let mut bodies = Vec::new();
        for (email, password) in [
            ("ada@example.com", "not the password at all"),
            ("nobody@example.com", PASSWORD),
            ("not an email", PASSWORD),
        ] {
            let r = login_response(&app, email, password).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "[{label}] {email}");
            bodies.push(r.json::<Value>().await.expect("problem"));
        }
        assert_eq!(bodies[0]["code"], "invalid_credentials", "[{label}]");
        assert!(
            bodies.iter().all(|b| *b == bodies[0]),
            "[{label}] {bodies:?}"
        );
    }
}

#[tokio::test]
async fn the_verification_email_carries_a_link_that_verifies_the_address_once() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;
        let (to, email) = mailed(&app, &session.customer.id, "verify_email").await;
        assert_eq!(to, "ada@example.com", "[{label}]");
        assert!(
            email
                .text
                .contains("http://127.0.0.1:3000/account/verify?token="),
            "[{label}] {}",
            email.text
        );
        assert!(email.html.contains("Emporium Demo Shop"), "[{label}]");
        let token = token_in(&email.text, "/account/verify");

        // One was mailed a moment ago: asking again sends nothing.
        let r = as_customer(
            &app,
            Method::POST,
            "/store/customers/me/verification",
            &session.token,
        )
        .send()
        .await
        .expect("resend");
        assert_eq!(r.status(), StatusCode::ACCEPTED, "[{label}]");
        let status: Value = r.json().await.expect("status");
        assert_eq!(status["status"], "too_soon", "[{label}]");

        let r = post(&app, "/store/auth/verify-email", &json!({ "token": token })).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        let me: Value = me(&app, &session.token).await.json().await.expect("me");
        assert_eq!(me["email_verified"], true, "[{label}] {me}");
        assert!(me["email_verified_at"].is_string(), "[{label}]");

        let p = problem(
            post(&app, "/store/auth/verify-email", &json!({ "token": token })).await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("token"), "[{label}]");
        let r = as_customer(
            &app,
            Method::POST,
            "/store/customers/me/verification",
            &session.token,
        )
        .send()
        .await
        .expect("resend");
        let status: Value = r.json().await.expect("status");
        assert_eq!(status["status"], "already_verified", "[{label}]");
    }
}

#[tokio::test]
async fn a_password_reset_through_the_email_sets_the_password_and_ends_every_session() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;

        let known = post(
            &app,
            "/store/auth/password-reset",
            &json!({"email": "ada@example.com"}),
        )
        .await;
        let unknown = post(
            &app,
            "/store/auth/password-reset",
            &json!({"email": "nobody@example.com"}),
        )
        .await;
        assert_eq!(known.status(), StatusCode::ACCEPTED, "[{label}]");
        assert_eq!(unknown.status(), StatusCode::ACCEPTED, "[{label}]");
        assert_eq!(
            known.text().await.expect("body"),
            unknown.text().await.expect("body"),
            "[{label}] the answers must not differ"
        );

        let (to, email) = mailed(&app, &session.customer.id, "password_reset").await;
        assert_eq!(to, "ada@example.com", "[{label}]");
        let token = token_in(&email.text, "/account/reset");

        // A password the rules refuse leaves the link usable.
        let p = problem(
            post(
                &app,
                "/store/auth/password-reset/confirm",
                &json!({"token": token, "password": "short"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("password"), "[{label}]");

        let r = post(
            &app,
            "/store/auth/password-reset/confirm",
            &json!({"token": token, "password": NEW_PASSWORD}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        problem(
            me(&app, &session.token).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            label,
        )
        .await;
        problem(
            login_response(&app, "ada@example.com", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            label,
        )
        .await;
        let fresh = login(&app, "ada@example.com", NEW_PASSWORD).await;
        assert!(
            fresh.customer.email_verified,
            "[{label}] the link proved the address"
        );
        problem(
            post(
                &app,
                "/store/auth/password-reset/confirm",
                &json!({"token": token, "password": "a third good passphrase"}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
            label,
        )
        .await;
        let (_, notice) = mailed(&app, &session.customer.id, "password_changed").await;
        assert!(
            notice.text.contains("was reset"),
            "[{label}] {}",
            notice.text
        );
    }
}

#[tokio::test]
async fn every_signed_in_route_without_a_valid_token_is_401_unauthenticated_with_www_authenticate()
{
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;
        let address = format!(
            "/store/customers/me/addresses/{}",
            "addr_01j9z3aaaaaaaaaaaaaaaaaaaa"
        );
        let routes = [
            (Method::GET, "/store/customers/me".to_owned()),
            (Method::PATCH, "/store/customers/me".to_owned()),
            (Method::POST, "/store/customers/me/password".to_owned()),
            (Method::POST, "/store/customers/me/email".to_owned()),
            (Method::POST, "/store/customers/me/verification".to_owned()),
            (Method::GET, "/store/customers/me/addresses".to_owned()),
            (Method::POST, "/store/customers/me/addresses".to_owned()),
            (Method::GET, address.clone()),
            (Method::PATCH, address.clone()),
            (Method::DELETE, address),
            (Method::POST, "/store/auth/logout".to_owned()),
            (Method::POST, "/store/auth/logout-everywhere".to_owned()),
        ];
        let garbled = format!("{}x", session.token);
        let headers: [Option<String>; 5] = [
            None,
            Some(format!("Bearer {garbled}")),
            Some("Bearer not-a-token".to_owned()),
            Some(format!("Basic {}", session.token)),
            Some("Bearer".to_owned()),
        ];
        for (method, path) in &routes {
            for auth in &headers {
                let mut request = app
                    .http
                    .request(method.clone(), app.url(path))
                    .json(&json!({}));
                if let Some(auth) = auth {
                    request = request.header(header::AUTHORIZATION, auth);
                }
                let r = request.send().await.expect("request");
                let what = format!("{method} {path} with {auth:?}");
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "[{label}] {what}");
                assert_eq!(
                    r.headers()
                        .get(header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok()),
                    Some("Bearer"),
                    "[{label}] {what}"
                );
                let p: Problem = r.json().await.expect("problem");
                assert_eq!(p.code, "unauthenticated", "[{label}] {what}");
            }
        }
        // The scheme is read in any case.
        let r = app
            .http
            .get(app.url("/store/customers/me"))
            .header(header::AUTHORIZATION, format!("bearer {}", session.token))
            .send()
            .await
            .expect("me");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
    }
}

#[tokio::test]
async fn a_profile_update_changes_only_the_fields_sent_and_an_empty_one_clears() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;
        let patch = |body: Value| {
            as_customer(&app, Method::PATCH, "/store/customers/me", &session.token)
                .json(&body)
                .send()
        };
        let r = patch(json!({"phone": "+49 30 1234567"}))
            .await
            .expect("patch");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        assert_eq!(
            r.headers()[header::CACHE_CONTROL],
            "private, no-store",
            "[{label}]"
        );
        let c: Value = r.json().await.expect("customer");
        assert_eq!(
            (&c["first_name"], &c["last_name"], &c["phone"]),
            (&json!("Ada"), &json!("Lovelace"), &json!("+49 30 1234567")),
            "[{label}] {c}"
        );
        let c: Value = patch(json!({"first_name": "Augusta", "last_name": ""}))
            .await
            .expect("patch")
            .json()
            .await
            .expect("customer");
        assert_eq!(
            (&c["first_name"], &c["last_name"], &c["phone"]),
            (&json!("Augusta"), &Value::Null, &json!("+49 30 1234567")),
            "[{label}] {c}"
        );
        let p = problem(
            patch(json!({"phone": "call me maybe"}))
                .await
                .expect("patch"),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("phone"), "[{label}]");
        let c: Value = me(&app, &session.token).await.json().await.expect("me");
        assert_eq!(
            c["first_name"], "Augusta",
            "[{label}] unchanged by the refusal"
        );
    }
}

fn address_body(city: &str) -> Value {
    json!({"name": "Ada Lovelace", "line1": "Unter den Linden 1", "city": city,
           "postal_code": "10117", "country": "DE"})
}

async fn add_address(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = as_customer(app, Method::POST, "/store/customers/me/addresses", token)
        .json(body)
        .send()
        .await
        .expect("add address");
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "[{}] add address: {:?}",
        app.label,
        r.text().await
    );
    r.json().await.expect("address json")
}

async fn address_book(app: &TestApp, token: &str) -> Vec<Value> {
    let page: Value = as_customer(app, Method::GET, "/store/customers/me/addresses", token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("page");
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_address_book_adds_lists_changes_and_deletes_with_one_default_of_each_kind() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let token = customer(&app, "ada@example.com").await.token;
        assert!(address_book(&app, &token).await.is_empty(), "[{label}]");
        let home = add_address(
            &app,
            &token,
            &json!({"label": "Home", "address": address_body("Berlin"),
                    "default_shipping": true, "default_billing": true}),
        )
        .await;
        assert!(
            home["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("addr_")),
            "[{label}]"
        );
        let office = add_address(
            &app,
            &token,
            &json!({"label": "Office", "address": address_body("Hamburg"), "default_shipping": true}),
        )
        .await;
        let book = address_book(&app, &token).await;
        let summary: Vec<(&Value, &Value, &Value)> = book
            .iter()
            .map(|a| (&a["label"], &a["default_shipping"], &a["default_billing"]))
            .collect();
        assert_eq!(
            summary,
            [
                (&json!("Home"), &json!(false), &json!(true)),
                (&json!("Office"), &json!(true), &json!(false)),
            ],
            "[{label}] the new default shipping address took it from the old one"
        );

        let office_path = format!(
            "/store/customers/me/addresses/{}",
            office["id"].as_str().unwrap_or_default()
        );
        let r = as_customer(&app, Method::PATCH, &office_path, &token)
            .json(&json!({"label": "Work", "default_billing": true}))
            .send()
            .await
            .expect("patch");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        let changed: Value = r.json().await.expect("address");
        assert_eq!(changed["label"], "Work", "[{label}]");
        assert_eq!(changed["address"]["city"], "Hamburg", "[{label}] kept");
        assert_eq!(changed["default_shipping"], true, "[{label}] kept");
        assert_eq!(changed["default_billing"], true, "[{label}]");
        let r = as_customer(&app, Method::PATCH, &office_path, &token)
            .json(&json!({"address": address_body("Bremen"), "label": ""}))
            .send()
            .await
            .expect("patch");
        let changed: Value = r.json().await.expect("address");
        assert_eq!(changed["address"]["city"], "Bremen", "[{label}]");
        assert_eq!(changed["label"], Value::Null, "[{label}] cleared");

        let home_path = format!(
            "/store/customers/me/addresses/{}",
            home["id"].as_str().unwrap_or_default()
        );
        let r = as_customer(&app, Method::DELETE, &home_path, &token)
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        problem(
            as_customer(&app, Method::GET, &home_path, &token)
                .send()
                .await
                .expect("get"),
            StatusCode::NOT_FOUND,
            "not_found",
            label,
        )
        .await;
        let book = address_book(&app, &token).await;
        assert_eq!(book.len(), 1, "[{label}]");
        assert_eq!(book[0]["id"], office["id"], "[{label}]");
        assert_eq!(book[0]["default_billing"], true, "[{label}]");
        let r = as_customer(&app, Method::GET, &office_path, &token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
    }
}

#[tokio::test]
async fn a_customer_holding_another_customers_address_id_gets_404_for_get_patch_and_delete() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let ada = customer(&app, "ada@example.com").await.token;
        let bob = customer(&app, "bob@example.com").await.token;
        let bobs = add_address(
            &app,
            &bob,
            &json!({"label": "Bob's", "address": address_body("Munich")}),
        )
        .await;
        let path = format!(
            "/store/customers/me/addresses/{}",
            bobs["id"].as_str().unwrap_or_default()
        );
        let never = "/store/customers/me/addresses/addr_01j9z3aaaaaaaaaaaaaaaaaaaa";
        let mut bodies = Vec::new();
        for (method, path, body) in [
            (Method::GET, path.as_str(), None),
            (
                Method::PATCH,
                path.as_str(),
                Some(json!({"label": "Mine now", "default_shipping": true})),
            ),
            (Method::DELETE, path.as_str(), None),
            (Method::GET, never, None),
            (Method::GET, "/store/customers/me/addresses/cus_abc", None),
        ] {
            let mut request = as_customer(&app, method.clone(), path, &ada);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let p = problem(
                request.send().await.expect("request"),
                StatusCode::NOT_FOUND,
                "not_found",
                label,
            )
            .await;
            bodies.push((method, p.title));
        }
        assert!(
            bodies.iter().all(|(_, title)| *title == bodies[0].1),
            "[{label}] {bodies:?}"
        );
        // Bob's address is as he left it.
        let r = as_customer(&app, Method::GET, &path, &bob)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        let kept: Value = r.json().await.expect("address");
        assert_eq!(kept["label"], "Bob's", "[{label}]");
        assert_eq!(kept["default_shipping"], false, "[{label}]");
        assert!(address_book(&app, &ada).await.is_empty(), "[{label}]");
    }
}

#[tokio::test]
async fn logout_ends_that_session_and_logout_everywhere_ends_them_all() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let first = customer(&app, "ada@example.com").await.token;
        let second = login(&app, "ada@example.com", PASSWORD).await.token;
        let third = login(&app, "ada@example.com", PASSWORD).await.token;

        let r = as_customer(&app, Method::POST, "/store/auth/logout", &first)
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        problem(
            me(&app, &first).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            label,
        )
        .await;
        assert_eq!(
            me(&app, &second).await.status(),
            StatusCode::OK,
            "[{label}]"
        );

        let r = as_customer(&app, Method::POST, "/store/auth/logout-everywhere", &second)
            .send()
            .await
            .expect("logout everywhere");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        for token in [&second, &third] {
            problem(
                me(&app, token).await,
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                label,
            )
            .await;
        }
        let again = login(&app, "ada@example.com", PASSWORD).await.token;
        assert_eq!(me(&app, &again).await.status(), StatusCode::OK, "[{label}]");
    }
}

#[tokio::test]
async fn changing_the_password_keeps_the_callers_session_and_ends_the_others() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let caller = customer(&app, "ada@example.com").await;
        let other = login(&app, "ada@example.com", PASSWORD).await.token;
        let change = |body: Value| {
            as_customer(
                &app,
                Method::POST,
                "/store/customers/me/password",
                &caller.token,
            )
            .json(&body)
            .send()
        };

        let p = problem(
            change(json!({"current_password": "not my password", "new_password": NEW_PASSWORD}))
                .await
                .expect("change"),
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("current_password"), "[{label}]");
        let p = problem(
            change(json!({"current_password": PASSWORD, "new_password": "password123"}))
                .await
                .expect("change"),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("new_password"), "[{label}]");
        assert_eq!(
            me(&app, &other).await.status(),
            StatusCode::OK,
            "[{label}] refusals end nothing"
        );

        let r = change(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
            .await
            .expect("change");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        assert_eq!(
            me(&app, &caller.token).await.status(),
            StatusCode::OK,
            "[{label}] the caller stays signed in"
        );
        problem(
            me(&app, &other).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            label,
        )
        .await;
        problem(
            login_response(&app, "ada@example.com", PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            label,
        )
        .await;
        login(&app, "ada@example.com", NEW_PASSWORD).await;
        let (to, notice) = mailed(&app, &caller.customer.id, "password_changed").await;
        assert_eq!(to, "ada@example.com", "[{label}]");
        assert!(notice.text.contains("was changed"), "[{label}]");
    }
}

#[tokio::test]
async fn changing_the_email_needs_the_password_and_tells_the_old_address() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;
        let change = |body: Value| {
            as_customer(
                &app,
                Method::POST,
                "/store/customers/me/email",
                &session.token,
            )
            .json(&body)
            .send()
        };
        let p = problem(
            change(json!({"current_password": "not my password", "email": "lovelace@example.com"}))
                .await
                .expect("change"),
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("current_password"), "[{label}]");
        let p = problem(
            change(json!({"current_password": PASSWORD, "email": "not an address"}))
                .await
                .expect("change"),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            label,
        )
        .await;
        assert_eq!(p.param.as_deref(), Some("email"), "[{label}]");

        let r = change(json!({"current_password": PASSWORD, "email": "lovelace@example.com"}))
            .await
            .expect("change");
        assert_eq!(r.status(), StatusCode::OK, "[{label}]");
        let c: Value = r.json().await.expect("customer");
        assert_eq!(c["email"], "lovelace@example.com", "[{label}]");
        assert_eq!(c["email_verified"], false, "[{label}]");
        let (to, notice) = mailed(&app, &session.customer.id, "email_changed").await;
        assert_eq!(to, "ada@example.com", "[{label}] the old address is told");
        assert!(
            notice.text.contains("lovelace@example.com"),
            "[{label}] {}",
            notice.text
        );
        let (to, verify) = mailed(&app, &session.customer.id, "verify_email").await;
        assert_eq!(to, "lovelace@example.com", "[{label}]");
        let token = token_in(&verify.text, "/account/verify");
        let r = post(&app, "/store/auth/verify-email", &json!({ "token": token })).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        login(&app, "lovelace@example.com", PASSWORD).await;
    }
}

/// A request and the problem it must get: (method, path, signed in, body, status, code,
/// param).
type Case<'a> = (Method, &'a str, bool, Value, u16, &'a str, Option<&'a str>);

#[tokio::test]
async fn malformed_account_input_is_a_4xx_naming_the_field_never_a_5xx() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let token = customer(&app, "ada@example.com").await.token;
        let long = "x".repeat(10_000);
        let cases: Vec<Case> = vec![
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": "bob@example.com", "password": "short"}),
                400,
                "invalid_parameter",
                Some("password"),
            ),
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": "bob@example.com", "password": "password123"}),
                400,
                "invalid_parameter",
                Some("password"),
            ),
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": "bob@", "password": PASSWORD}),
                400,
                "invalid_parameter",
                Some("email"),
            ),
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": "bob@example.com", "password": PASSWORD, "first_name": long}),
                400,
                "invalid_parameter",
                Some("first_name"),
            ),
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": "bob@example.com", "password": long}),
                400,
                "invalid_parameter",
                Some("password"),
            ),
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": "bob@example.com"}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::POST,
                "/store/customers",
                false,
                json!({"email": 42, "password": PASSWORD}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::POST,
                "/store/auth/login",
                false,
                json!({"email": "ada@example.com", "password": long}),
                401,
                "invalid_credentials",
                None,
            ),
            (
                Method::POST,
                "/store/auth/login",
                false,
                json!({"email": "ada@example.com"}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::POST,
                "/store/auth/password-reset",
                false,
                json!({"email": "not an address"}),
                400,
                "invalid_parameter",
                Some("email"),
            ),
            (
                Method::POST,
                "/store/auth/password-reset/confirm",
                false,
                json!({"token": "", "password": PASSWORD}),
                400,
                "token_invalid",
                Some("token"),
            ),
            (
                Method::POST,
                "/store/auth/password-reset/confirm",
                false,
                json!({"token": long, "password": PASSWORD}),
                400,
                "token_invalid",
                Some("token"),
            ),
            (
                Method::POST,
                "/store/auth/verify-email",
                false,
                json!({"token": "../../etc/passwd"}),
                400,
                "token_invalid",
                Some("token"),
            ),
            (
                Method::POST,
                "/store/auth/verify-email",
                false,
                json!({}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::PATCH,
                "/store/customers/me",
                true,
                json!({"first_name": "Ada\nBcc: x@example.com"}),
                400,
                "invalid_parameter",
                Some("first_name"),
            ),
            (
                Method::PATCH,
                "/store/customers/me",
                true,
                json!({"phone": 12345}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::POST,
                "/store/customers/me/addresses",
                true,
                json!({"address": address_body("")}),
                400,
                "invalid_parameter",
                Some("address.city"),
            ),
            (
                Method::POST,
                "/store/customers/me/addresses",
                true,
                json!({"label": long, "address": address_body("Berlin")}),
                400,
                "invalid_parameter",
                Some("label"),
            ),
            (
                Method::POST,
                "/store/customers/me/addresses",
                true,
                json!({"address": {"city": "Berlin"}}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::POST,
                "/store/customers/me/addresses",
                true,
                json!({"address": address_body("Berlin"), "default_shipping": "yes"}),
                400,
                "invalid_body",
                None,
            ),
            (
                Method::PATCH,
                "/store/customers/me/addresses/addr_01j9z3aaaaaaaaaaaaaaaaaaaa",
                true,
                json!({"label": "Home"}),
                404,
                "not_found",
                None,
            ),
        ];
        for (n, (method, path, signed_in, body, status, code, param)) in
            cases.into_iter().enumerate()
        {
            // Each case as another client, so the rate limits (tested on their own)
            // leave the validation to answer.
            let mut request = app
                .http
                .request(method.clone(), app.url(path))
                .header(support::CLIENT_HEADER, format!("198.51.100.{n}"))
                .json(&body);
            if signed_in {
                request = request.bearer_auth(&token);
            }
            let r = request.send().await.expect("request");
            let what = format!(
                "{method} {path} {}",
                &body.to_string()[..body.to_string().len().min(80)]
            );
            assert_eq!(r.status().as_u16(), status, "[{label}] {what}");
            let p: Problem = r.json().await.expect("problem");
            assert_eq!(p.code, code, "[{label}] {what}: {p:?}");
            if param.is_some() {
                assert_eq!(p.param.as_deref(), param, "[{label}] {what}: {p:?}");
            }
        }
        // Not JSON, and JSON without saying so.
        let r = app
            .http
            .post(app.url("/store/customers"))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "[{label}]");
        let r = app
            .http
            .post(app.url("/store/auth/login"))
            .body(json!({"email": "ada@example.com", "password": PASSWORD}).to_string())
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "[{label}]");
    }
}

#[tokio::test]
async fn ended_sessions_and_expired_links_are_refused_and_housekeeping_deletes_them() {
    for test_db in databases().await {
        let app = TestApp::spawn_with(test_db, None, |config| {
            config.accounts.session_max_lifetime = Duration::from_millis(50);
            config.accounts.verification_ttl = Duration::from_millis(50);
        })
        .await;
        let label = app.label;
        let session = customer(&app, "ada@example.com").await;
        let (_, email) = mailed(&app, &session.customer.id, "verify_email").await;
        let token = token_in(&email.text, "/account/verify");
        tokio::time::sleep(Duration::from_millis(100)).await;

        problem(
            me(&app, &session.token).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            label,
        )
        .await;
        problem(
            post(&app, "/store/auth/verify-email", &json!({ "token": token })).await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
            label,
        )
        .await;
        let report = app
            .commerce
            .housekeeping(now_ms())
            .await
            .expect("housekeeping");
        assert_eq!(report.sessions, 1, "[{label}] {report:?}");
        assert_eq!(report.account_links, 1, "[{label}] {report:?}");
        let report = app
            .commerce
            .housekeeping(now_ms())
            .await
            .expect("housekeeping");
        assert_eq!((report.sessions, report.account_links), (0, 0), "[{label}]");
    }
}

/// The problem code of a call that must fail.
fn code_of<T: std::fmt::Debug>(result: Result<T, ClientError>) -> String {
    match result {
        Err(ClientError::Api(problem)) => problem.code,
        other => panic!("expected a problem, got {other:?}"),
    }
}

#[tokio::test]
async fn the_typed_client_speaks_every_account_route() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let client = Client::new(HttpTransport::new(app.base.clone()));
        let inbox = client
            .register(&RegisterCustomer {
                email: "ada@example.com".into(),
                password: PASSWORD.into(),
                first_name: Some("Ada".into()),
                last_name: None,
            })
            .await
            .expect("register");
        assert_eq!(inbox.status, "check_your_inbox", "[{label}]");
        let login = |password: &str| Login {
            email: "ada@example.com".into(),
            password: password.into(),
            cart_id: None,
        };
        let session = client.login(&login(PASSWORD)).await.expect("login");
        let me = client.signed_in(&session.token);
        assert_eq!(
            me.me().await.expect("me").id,
            session.customer.id,
            "[{label}]"
        );
        let updated = me
            .update_me(&ProfilePatch {
                last_name: Some("Lovelace".into()),
                ..ProfilePatch::default()
            })
            .await
            .expect("update me");
        assert_eq!(
            (updated.first_name.as_deref(), updated.last_name.as_deref()),
            (Some("Ada"), Some("Lovelace")),
            "[{label}]"
        );
        let status = me.resend_verification().await.expect("resend verification");
        assert_eq!(status.status, "too_soon", "[{label}]");

        let saved = me
            .add_address(&AddressInput {
                label: Some("Home".into()),
                address: Address {
                    name: "Ada Lovelace".into(),
                    line1: "Unter den Linden 1".into(),
                    city: "Berlin".into(),
                    postal_code: "10117".into(),
                    country: "DE".into(),
                    ..Address::default()
                },
                default_shipping: true,
                default_billing: false,
            })
            .await
            .expect("add address");
        assert_eq!(
            me.addresses().await.expect("addresses").items,
            std::slice::from_ref(&saved),
            "[{label}]"
        );
        assert_eq!(
            me.address(&saved.id).await.expect("address"),
            saved,
            "[{label}]"
        );
        let changed = me
            .update_address(
                &saved.id,
                &AddressPatch {
                    default_billing: Some(true),
                    ..AddressPatch::default()
                },
            )
            .await
            .expect("update address");
        assert!(
            changed.default_billing && changed.default_shipping,
            "[{label}]"
        );
        me.delete_address(&saved.id).await.expect("delete address");
        assert_eq!(
            code_of(me.address(&saved.id).await),
            "not_found",
            "[{label}]"
        );

        me.change_password(&ChangePassword {
            current_password: PASSWORD.into(),
            new_password: NEW_PASSWORD.into(),
        })
        .await
        .expect("change password");
        let moved = me
            .change_email(&ChangeEmail {
                current_password: NEW_PASSWORD.into(),
                email: "ada@example.org".into(),
            })
            .await
            .expect("change email");
        assert_eq!(moved.email, "ada@example.org", "[{label}]");
        assert_eq!(
            code_of(
                client
                    .verify_email(&VerifyEmail {
                        token: "no such link".into()
                    })
                    .await
            ),
            "token_invalid",
            "[{label}]"
        );
        let inbox = client
            .request_password_reset(&RequestPasswordReset {
                email: "ada@example.org".into(),
            })
            .await
            .expect("request reset");
        assert_eq!(inbox.status, "check_your_inbox", "[{label}]");
        assert_eq!(
            code_of(
                client
                    .confirm_password_reset(&ConfirmPasswordReset {
                        token: "no such link".into(),
                        password: PASSWORD.into(),
                    })
                    .await
            ),
            "token_invalid",
            "[{label}]"
        );

        me.logout().await.expect("logout");
        assert_eq!(code_of(me.me().await), "unauthenticated", "[{label}]");
        let again = client
            .login(&Login {
                email: "ada@example.org".into(),
                password: NEW_PASSWORD.into(),
                cart_id: None,
            })
            .await
            .expect("login again");
        client
            .signed_in(&again.token)
            .logout_everywhere()
            .await
            .expect("logout everywhere");
        assert_eq!(
            code_of(client.signed_in(&again.token).me().await),
            "unauthenticated",
            "[{label}]"
        );
        assert_eq!(
            code_of(client.login(&login(PASSWORD)).await),
            "invalid_credentials",
            "[{label}]"
        );
    }
}

/// Where every log line goes in [`no_password_or_token_reaches_a_log_line`].
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every log line of the process, at every level and from every crate, while a
/// customer goes through each flow that carries a secret over HTTP, the emails included
/// (queued, rendered and written out). The only test here that installs a subscriber:
/// there is one per process.
#[tokio::test]
async fn no_password_or_token_reaches_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let mut secrets = vec![PASSWORD.to_owned(), NEW_PASSWORD.to_owned()];
        let session = customer(&app, "ada@example.com").await;
        secrets.push(session.token.clone());
        let (_, email) = mailed(&app, &session.customer.id, "verify_email").await;
        let verify = token_in(&email.text, "/account/verify");
        let r = post(
            &app,
            "/store/auth/verify-email",
            &json!({ "token": verify }),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        secrets.push(verify);
        register(&app, "ada@example.com", NEW_PASSWORD).await;
        login_response(&app, "ada@example.com", NEW_PASSWORD).await;

        post(
            &app,
            "/store/auth/password-reset",
            &json!({"email": "ada@example.com"}),
        )
        .await;
        let (_, email) = mailed(&app, &session.customer.id, "password_reset").await;
        let reset = token_in(&email.text, "/account/reset");
        let r = post(
            &app,
            "/store/auth/password-reset/confirm",
            &json!({"token": reset, "password": NEW_PASSWORD}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        secrets.push(reset);
        let fresh = login(&app, "ada@example.com", NEW_PASSWORD).await;
        secrets.push(fresh.token.clone());
        let r = as_customer(
            &app,
            Method::POST,
            "/store/customers/me/password",
            &fresh.token,
        )
        .json(&json!({"current_password": NEW_PASSWORD, "new_password": "a third good passphrase"}))
        .send()
        .await
        .expect("change");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        secrets.push("a third good passphrase".to_owned());

        // Checkout as the signed-in customer: the session on every cart call, and the
        // order's access token in the answer.
        let variant = product_with_stock(&app, "LOG-SCAN-1", 5).await;
        let cart_id = customer_cart(&app, &fresh.token, &variant, 1).await;
        let r = as_customer(
            &app,
            Method::POST,
            &format!("/store/carts/{cart_id}/complete"),
            &fresh.token,
        )
        .header("idempotency-key", "log-scan")
        .json(&details("manual"))
        .send()
        .await
        .expect("complete");
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}]");
        let placed: Value = r.json().await.expect("placed");
        let access_token = placed["access_token"].as_str().expect("access token");
        secrets.push(access_token.to_owned());

        let r = as_customer(&app, Method::POST, "/store/auth/logout", &fresh.token)
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "[{label}]");
        // The emails go out too (file transport): the mailer's lines are searched.
        drain_events(&app).await;
        app.commerce
            .notifications
            .deliver_due(now_ms())
            .await
            .expect("deliver");

        let tokens: Vec<String> = secrets.iter().filter(|s| s.len() == 43).cloned().collect();
        secrets.extend(tokens.iter().map(|t| sha256_hex(t)));
        let logs = captured.text();
        for expected in [
            "customer registered",
            "email queued",
            "email sent",
            "order placed",
        ] {
            assert!(
                logs.contains(expected),
                "[{label}] the capture works: no `{expected}`"
            );
        }
        for secret in &secrets {
            assert!(
                !logs.contains(secret.as_str()),
                "[{label}] a secret was logged: {secret}"
            );
        }
    }
}

#[tokio::test]
async fn thirty_wrong_passwords_meet_a_429_with_retry_after() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let mut statuses = Vec::new();
        let mut limited = None;
        for n in 0..30 {
            let r = app
                .http
                .post(app.url("/store/auth/login"))
                .json(&serde_json::json!({
                    "email": format!("guess{n}@example.com"),
                    "password": "not-the-password-1"
                }))
                .send()
                .await
                .expect("login");
            statuses.push(r.status().as_u16());
            if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS && limited.is_none() {
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let problem: serde_json::Value = r.json().await.expect("problem");
                limited = Some((retry_after, problem));
            }
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 401).count(),
            10,
            "[{label}] ten guesses from one address, then no more: {statuses:?}"
        );
        let (retry_after, problem) = limited.unwrap_or_else(|| panic!("[{label}] no 429"));
        assert!(retry_after.is_some_and(|s| s >= 1), "[{label}] Retry-After");
        assert_eq!(problem["code"], "rate_limited", "[{label}] {problem}");
    }
}

#[tokio::test]
async fn one_account_is_guessed_at_most_five_times_a_minute_whatever_the_address() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let mut statuses = Vec::new();
        for n in 0..8 {
            // Each guess from another address behind the same (untrusted) peer: the
            // email's own bucket still stops them.
            let r = app
                .http
                .post(app.url("/store/auth/login"))
                .header("x-forwarded-for", format!("203.0.113.{n}"))
                .json(&serde_json::json!({"email": "Ada@Example.com ", "password": "not-it-at-all-1"}))
                .send()
                .await
                .expect("login");
            statuses.push(r.status().as_u16());
        }
        assert_eq!(
            statuses,
            [401, 401, 401, 401, 401, 429, 429, 429],
            "[{label}] the sixth guess at one email is refused"
        );
    }
}

#[tokio::test]
async fn one_email_is_registered_at_most_three_times_in_ten_minutes_whatever_the_address() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let mut statuses = Vec::new();
        for n in 0..5 {
            // Each attempt from another address: the email's own bucket stops them, so
            // nobody can flood an address with "someone tried to register" notices.
            let r = app
                .http
                .post(app.url("/store/customers"))
                .header(support::CLIENT_HEADER, format!("203.0.113.{n}"))
                .json(&serde_json::json!({"email": "ADA@example.com", "password": PASSWORD}))
                .send()
                .await
                .expect("register");
            statuses.push(r.status().as_u16());
        }
        assert_eq!(
            statuses,
            [202, 202, 202, 429, 429],
            "[{label}] the fourth registration of one email is refused"
        );
    }
}
