//! The checkout rules of docs/COMMERCE.md seen from outside, over real HTTP on SQLite
//! and PostgreSQL: ids that are credentials cannot be guessed, free orders, discounts
//! that run out, declined cards, webhook amounts, emails, seeded data and housekeeping.

mod support;

use emporium_client::commerce::PlacedOrder;
use std::sync::Arc;

use emporium_kernel::{clock::now_ms, db::testing::databases};
use emporium_test_support::fake_stripe::FakeStripe;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{commerce::*, TestApp};

/// The 128 bits of a `<prefix>_<ulid>` id.
fn id_bits(id: &str) -> u128 {
    let (_, ulid) = id.split_once('_').expect("a prefixed id");
    ulid::Ulid::from_string(ulid).expect("a ULID").0
}

#[tokio::test]
async fn a_cart_id_cannot_be_guessed_from_the_request_id_or_the_cart_before_it() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        for _ in 0..20 {
            let r = app.get("/store/regions").await;
            assert_eq!(r.status(), StatusCode::OK, "[{}] regions", app.label);
            let request_id = r
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .expect("x-request-id")
                .to_owned();
            let cart = new_cart(&app).await;
            // A monotonic generator would make the cart id the request id plus a few.
            let gap = id_bits(&request_id).abs_diff(id_bits(&cart.id));
            assert!(
                gap > 1 << 100,
                "[{}] {request_id} then {}: {gap} apart",
                app.label,
                cart.id
            );
            // Nor from the shopper's own cart made just before.
            let next = new_cart(&app).await;
            let gap = id_bits(&cart.id).abs_diff(id_bits(&next.id));
            assert!(
                gap > 1 << 100,
                "[{}] {} then {}: {gap} apart",
                app.label,
                cart.id,
                next.id
            );
        }
    }
}

/// A discount code for `rate_bp` basis points off, unlimited.
async fn percentage_code(app: &TestApp, code: &str, rate_bp: i64) {
    let r = app
        .admin(Method::POST, "/admin/discounts")
        .json(&json!({"code": code, "kind": "percentage", "value": rate_bp}))
        .send()
        .await
        .expect("discount");
    assert_eq!(r.status(), StatusCode::CREATED, "[{}] discount", app.label);
}

async fn apply_code(app: &TestApp, cart_id: &str, code: &str) {
    let r = app
        .http
        .post(app.url(&format!("/store/carts/{cart_id}/discounts")))
        .json(&json!({ "code": code }))
        .send()
        .await
        .expect("apply");
    assert_eq!(r.status(), StatusCode::OK, "[{}] apply {code}", app.label);
}

#[tokio::test]
async fn a_free_order_skips_the_payment_and_is_paid_at_once() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let variant = product_with_stock(&app, "FREE-1", 10).await;
        percentage_code(&app, "ALLFREE", 10_000).await;
        let cart = new_cart(&app).await;
        // 4 × 15.00 passes the free-shipping threshold, so the whole total is 0.
        assert_eq!(
            add(&app, &cart.id, &variant, 4).await.status(),
            StatusCode::OK
        );
        apply_code(&app, &cart.id, "ALLFREE").await;
        let body = checkout_body(&app, &cart.id, "manual").await;
        let r = complete(&app, &cart.id, "free-1", &body).await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "[{label}] complete: {:?}",
            r.text().await
        );
        let placed: PlacedOrder = r.json().await.expect("placed order");
        assert_eq!(placed.order.totals.total, 0, "[{label}]");
        assert_eq!(placed.order.status, "paid", "[{label}]");
        assert!(placed.order.paid_at.is_some(), "[{label}] paid_at");
        assert!(placed.payment.is_none(), "[{label}] no payment to take");
        let level = stock(&app, &variant).await;
        assert_eq!(
            (level.on_hand, level.reserved),
            (6, 0),
            "[{label}] the units are sold, not held"
        );
        // The same key replays the same paid order.
        let r = complete(&app, &cart.id, "free-1", &body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}] replay");
        let replay: PlacedOrder = r.json().await.expect("replayed order");
        assert_eq!(replay.order.id, placed.order.id, "[{label}]");
    }
}

/// The shop's discounts as the Admin API lists them.
async fn discounts(app: &TestApp) -> Vec<Value> {
    let page: Value = app
        .admin(Method::GET, "/admin/discounts")
        .send()
        .await
        .expect("discounts")
        .json()
        .await
        .expect("discounts json");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// (id, code) of every discount.
async fn discount_codes(app: &TestApp) -> Vec<(String, String)> {
    let text = |d: &Value, field: &str| d[field].as_str().unwrap_or_default().to_owned();
    discounts(app)
        .await
        .iter()
        .map(|d| (text(d, "id"), text(d, "code")))
        .collect()
}

#[tokio::test]
async fn a_deleted_seeded_discount_stays_deleted_after_a_restart() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        assert!(
            discount_codes(&app).await.is_empty(),
            "[{label}] a shop started without the demo seed has no discount codes"
        );
        app.commerce.carts.seed_demo().await.expect("demo seed");
        let codes = discount_codes(&app).await;
        let (id, _) = codes
            .iter()
            .find(|(_, code)| code == "WELCOME10")
            .unwrap_or_else(|| panic!("[{label}] demo code: {codes:?}"));
        let r = app
            .admin(Method::DELETE, &format!("/admin/discounts/{id}"))
            .send()
            .await
            .expect("delete");
        assert!(r.status().is_success(), "[{label}] delete: {}", r.status());
        // What the binary runs at every start.
        app.commerce.migrate().await.expect("start again");
        assert!(
            discount_codes(&app).await.is_empty(),
            "[{label}] the deleted code came back"
        );
    }
}

/// The subject lines of every email the shop sent (file transport), after the events are
/// handled and the mailer ran.
async fn sent_subjects(app: &TestApp) -> Vec<String> {
    for _ in 0..2 {
        drain_events(app).await;
        app.commerce
            .notifications
            .deliver_due(now_ms())
            .await
            .expect("deliver");
    }
    let mut subjects: Vec<String> = std::fs::read_dir(&app.email_dir)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter_map(|text| {
                    text.lines()
                        .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
                })
                .collect()
        })
        .unwrap_or_default();
    subjects.sort();
    subjects
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_buyers_racing_for_three_units_get_exactly_three_confirmations() {
    for test_db in databases().await {
        let app = Arc::new(TestApp::spawn(test_db, None).await);
        let label = app.label;
        let variant = product_with_stock(&app, "RACE-MAIL", 3).await;
        let mut buyers = Vec::new();
        for n in 0..60 {
            let (app, variant) = (app.clone(), variant.clone());
            buyers.push(tokio::spawn(async move {
                let cart = new_cart(&app).await;
                // Once the units are held, adding to a cart is already refused.
                let added = add(&app, &cart.id, &variant, 1).await;
                if added.status() != StatusCode::OK {
                    let status = added.status();
                    return (status, added.json::<Value>().await.unwrap_or_default());
                }
                let body = checkout_body(&app, &cart.id, "manual").await;
                let r = complete(&app, &cart.id, &format!("racer-{n}"), &body).await;
                let status = r.status();
                (status, r.json::<Value>().await.unwrap_or_default())
            }));
        }
        let mut numbers = Vec::new();
        for buyer in buyers {
            let (status, body) = buyer.await.expect("buyer");
            match status {
                StatusCode::CREATED => numbers.push(
                    body["order"]["number"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
                StatusCode::CONFLICT => assert_eq!(body["code"], "out_of_stock", "[{label}]"),
                other => panic!("[{label}] {other}: {body}"),
            }
        }
        assert_eq!(numbers.len(), 3, "[{label}] orders placed");
        let subjects = sent_subjects(&app).await;
        let mut expected: Vec<String> = numbers
            .iter()
            .map(|n| format!("Order #{n} confirmed"))
            .collect();
        expected.sort();
        assert_eq!(
            subjects, expected,
            "[{label}] one confirmation per placed order, none for the 57 turned away"
        );
    }
}

async fn used_count(app: &TestApp, code: &str) -> i64 {
    let all = discounts(app).await;
    all.iter()
        .find(|d| d["code"] == code)
        .and_then(|d| d["used_count"].as_i64())
        .unwrap_or_else(|| panic!("[{}] no code {code}: {all:?}", app.label))
}

#[tokio::test]
async fn a_code_used_up_mid_checkout_strands_nothing_and_an_expired_order_reopens_its_cart() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let label = app.label;
        let variant = product_with_stock(&app, "ONCE-1", 5).await;
        let r = app
            .admin(Method::POST, "/admin/discounts")
            .json(&json!({"code": "ONCE", "kind": "percentage", "value": 1000, "usage_limit": 1}))
            .send()
            .await
            .expect("discount");
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}] discount");
        let mut carts = Vec::new();
        for _ in 0..2 {
            let cart = new_cart(&app).await;
            assert_eq!(
                add(&app, &cart.id, &variant, 1).await.status(),
                StatusCode::OK
            );
            apply_code(&app, &cart.id, "ONCE").await;
            carts.push(cart.id);
        }
        let body = checkout_body(&app, &carts[0], "manual").await;
        let r = complete(&app, &carts[0], "first", &body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "[{label}] first");
        let first: PlacedOrder = r.json().await.expect("first order");
        assert_eq!(used_count(&app, "ONCE").await, 1, "[{label}]");

        // The second cart's code ran out after it was applied: a 4xx naming the code,
        // and nothing held for it (no order, no stock, the cart still open).
        let r = complete(&app, &carts[1], "second", &body).await;
        let problem = problem_of(r, StatusCode::BAD_REQUEST, label).await;
        assert_eq!(problem.code, "discount_used_up", "[{label}] {problem:?}");
        assert_eq!(stock(&app, &variant).await.reserved, 1, "[{label}]");
        let r = app
            .http
            .delete(app.url(&format!("/store/carts/{}/discounts", carts[1])))
            .send()
            .await
            .expect("remove code");
        assert_eq!(r.status(), StatusCode::OK, "[{label}] remove code");
        let r = complete(&app, &carts[1], "second", &body).await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "[{label}] the same key places once the code is gone: {:?}",
            r.text().await
        );

        // The first order is never paid; its reservation expires: the order stops
        // holding the cart, which opens again, and the code's use comes back.
        let released = app
            .commerce
            .inventory
            .release_expired(now_ms() + 16 * 60 * 1000)
            .await
            .expect("expiry job");
        assert_eq!(released, 2, "[{label}]");
        drain_events(&app).await;
        assert_eq!(
            admin_order(&app, &first.order.id).await.status,
            "cancelled",
            "[{label}]"
        );
        assert_eq!(used_count(&app, "ONCE").await, 0, "[{label}]");
        let cart = app.get(&format!("/store/carts/{}", carts[0])).await;
        let cart: Value = cart.json().await.expect("cart json");
        assert!(cart["completed_at"].is_null(), "[{label}] reopened: {cart}");
        let r = complete(&app, &carts[0], "first-again", &body).await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "[{label}] placed again: {:?}",
            r.text().await
        );
    }
}

async fn offered_methods(app: &TestApp) -> Vec<String> {
    let page: Value = app
        .get("/store/payment-methods")
        .await
        .json()
        .await
        .expect("payment methods json");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn with_stripe_configured_manual_payment_is_not_offered_unless_enabled() {
    let fake = FakeStripe::start(STRIPE_KEY, WEBHOOK_SECRET).await;
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, Some(stripe_settings(&fake))).await;
        let label = app.label;
        assert_eq!(offered_methods(&app).await, ["stripe"], "[{label}]");
        let variant = product_with_stock(&app, "CARD-1", 5).await;
        let cart = new_cart(&app).await;
        assert_eq!(
            add(&app, &cart.id, &variant, 1).await.status(),
            StatusCode::OK
        );
        let body = checkout_body(&app, &cart.id, "manual").await;
        let r = app
            .http
            .post(app.url(&format!("/store/carts/{}/checkout", cart.id)))
            .json(&body)
            .send()
            .await
            .expect("details");
        let problem = problem_of(r, StatusCode::BAD_REQUEST, label).await;
        assert_eq!(
            problem.param.as_deref(),
            Some("payment_method"),
            "[{label}]"
        );
        // The one-call checkout is refused the same way, before any stock is held.
        let r = complete(&app, &cart.id, "manual-1", &body).await;
        let problem = problem_of(r, StatusCode::BAD_REQUEST, label).await;
        assert_eq!(
            problem.param.as_deref(),
            Some("payment_method"),
            "[{label}]"
        );
        assert_eq!(stock(&app, &variant).await.reserved, 0, "[{label}]");
    }
}

#[tokio::test]
async fn without_stripe_only_manual_payment_is_offered() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        assert_eq!(offered_methods(&app).await, ["manual"], "[{}]", app.label);
    }
}

#[tokio::test]
async fn a_webhook_for_another_amount_flags_the_order_instead_of_paying_it() {
    let fake = FakeStripe::start(STRIPE_KEY, WEBHOOK_SECRET).await;
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, Some(stripe_settings(&fake))).await;
        let label = app.label;
        let variant = product_with_stock(&app, "AMOUNT-1", 2).await;
        let placed = place_order(&app, &variant, "stripe").await;
        let mut intent = payment_intent(&placed, "succeeded");
        intent["amount_received"] = json!(1);
        let (event, signature) = fake.signed_event("payment_intent.succeeded", &intent);
        assert_eq!(
            post_webhook(&app, event, &signature).await.status(),
            StatusCode::OK,
            "[{label}]"
        );
        drain_events(&app).await;
        let order = admin_order(&app, &placed.order.id).await;
        assert_eq!(order.status, "pending_payment", "[{label}] not paid");
        assert!(order.needs_attention, "[{label}] flagged for the merchant");
        assert_eq!(
            stock(&app, &variant).await.on_hand,
            2,
            "[{label}] nothing sold"
        );
    }
}

#[tokio::test]
async fn housekeeping_deletes_what_outlived_its_retention_and_keeps_the_rest() {
    const DAY: i64 = 86_400_000;
    let fake = FakeStripe::start(STRIPE_KEY, WEBHOOK_SECRET).await;
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, Some(stripe_settings(&fake))).await;
        let label = app.label;
        let variant = product_with_stock(&app, "HOUSE-1", 5).await;
        let idle = new_cart(&app).await;
        let placed = place_order(&app, &variant, "stripe").await;
        let (event, signature) = fake.signed_event(
            "payment_intent.succeeded",
            &payment_intent(&placed, "succeeded"),
        );
        assert_eq!(
            post_webhook(&app, event, &signature).await.status(),
            StatusCode::OK
        );
        drain_events(&app).await;
        drain_events(&app).await;

        let now = app
            .commerce
            .housekeeping(now_ms())
            .await
            .expect("housekeeping");
        assert_eq!(
            now,
            Default::default(),
            "[{label}] nothing is old enough yet"
        );
        let later = app
            .commerce
            .housekeeping(now_ms() + 40 * DAY)
            .await
            .expect("housekeeping");
        assert_eq!(later.idle_carts, 1, "[{label}] {later:?}");
        assert_eq!(later.idempotency_keys, 1, "[{label}] {later:?}");
        assert_eq!(later.webhook_events, 1, "[{label}] {later:?}");
        assert!(later.events >= 3, "[{label}] {later:?}");
        assert_eq!(
            app.get(&format!("/store/carts/{}", idle.id)).await.status(),
            StatusCode::NOT_FOUND,
            "[{label}]"
        );
        let events = emporium_kernel::events::events_for(&app.commerce.db, &placed.order.id)
            .await
            .expect("events");
        assert!(events.is_empty(), "[{label}] {events:?}");
        // The order itself is business data: it stays.
        assert_eq!(
            admin_order(&app, &placed.order.id).await.status,
            "paid",
            "[{label}]"
        );
    }
}
