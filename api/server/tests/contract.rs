//! The API contract, pinned by committed snapshots under `tests/snapshots/`:
//!
//! - `problem_codes.txt`: the problem catalogue, every code with its status and title;
//! - `domain_errors.txt`: every domain error variant with the status and code it is
//!   sent as;
//! - `openapi.json`: the document served at `/openapi.json`.
//!
//! A test fails when what the code produces differs from its snapshot. If the change is
//! intended, run `UPDATE_SNAPSHOTS=1 cargo test -p emporium-api --test contract`, review
//! the diff and commit the files.

use std::{
    collections::BTreeSet,
    fmt::Write as _,
    path::{Path, PathBuf},
};

use emporium_accounts::AccountError;
use emporium_api::problem::{ApiError, ProblemCode, PROBLEM_JSON};
use emporium_cart::{totals::TotalsOverflow, CartError};
use emporium_catalog::CatalogError;
use emporium_checkout::{CheckoutError, OrderStatus};
use emporium_inventory::InventoryError;
use emporium_kernel::{
    db::DbError,
    id::{ReservationId, VariantId},
};
use emporium_payments::PaymentError;
use emporium_search::SearchError;
use serde_json::Value;

mod support;

const UPDATE_ENV: &str = "UPDATE_SNAPSHOTS";
const UPDATE_COMMAND: &str = "UPDATE_SNAPSHOTS=1 cargo test -p emporium-api --test contract";

fn snapshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("snapshots")
        .join(name)
}

/// Compares `actual` with the committed snapshot `name`; with `UPDATE_SNAPSHOTS=1`
/// (never in CI) writes it instead.
fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    let expected = std::fs::read_to_string(&path).ok();
    if expected.as_deref() == Some(actual) {
        return;
    }
    let update = std::env::var(UPDATE_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if update && !in_ci {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create tests/snapshots");
        }
        std::fs::write(&path, actual).expect("write the snapshot");
        eprintln!("updated {}", path.display());
        return;
    }
    let diff = match &expected {
        Some(expected) => line_diff(expected, actual),
        None => "(the snapshot file does not exist yet)".to_owned(),
    };
    panic!(
        "{} differs from what the code produces:\n{diff}\n\
         If the change is intended, run `{UPDATE_COMMAND}`, review the diff and commit the file.",
        path.display()
    );
}

/// The changed region: from the first line that differs to the last (after the common
/// prefix and suffix), each side at most 30 lines, with line numbers.
fn line_diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = &old[prefix..old.len() - suffix];
    let added = &new[prefix..new.len() - suffix];
    let mut out = String::new();
    for (sign, lines) in [('-', removed), ('+', added)] {
        for (i, line) in lines.iter().enumerate().take(30) {
            let _ = writeln!(out, "{sign} {:>5} {line}", prefix + i + 1);
        }
        if lines.len() > 30 {
            let _ = writeln!(out, "{sign} … {} more lines", lines.len() - 30);
        }
    }
    if out.is_empty() {
        out.push_str("(only the final newline differs)\n");
    }
    out
}

// ----- the catalogue -----

#[test]
fn the_problem_catalogue_matches_its_snapshot() {
    let mut text = String::from("# code  status  title\n");
    for code in ProblemCode::ALL {
        let _ = writeln!(
            text,
            "{:<28} {} {}",
            code.code(),
            code.status().as_u16(),
            code.title()
        );
    }
    assert_snapshot("problem_codes.txt", &text);
}

#[test]
fn problem_codes_are_unique_errors() {
    let mut seen = BTreeSet::new();
    for code in ProblemCode::ALL {
        assert!(seen.insert(code.code()), "`{code}` is listed twice");
        assert!(
            code.status().is_client_error() || code.status().is_server_error(),
            "`{code}` has a status that is not an error"
        );
        assert!(
            code.code()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'),
            "`{code}` is not snake_case"
        );
    }
}

#[tokio::test]
async fn a_problem_is_sent_with_its_codes_status_and_problem_json() {
    use axum::response::IntoResponse;
    for code in ProblemCode::ALL {
        let response = ApiError::new(*code, "detail")
            .param("field")
            .into_response();
        assert_eq!(response.status(), code.status(), "{code}");
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            PROBLEM_JSON
        );
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .expect("body");
        let problem: Value = serde_json::from_slice(&body).expect("problem JSON");
        assert_eq!(problem["code"], code.code());
        assert_eq!(problem["status"], code.status().as_u16());
        assert_eq!(problem["title"], code.title());
        assert_eq!(problem["param"], "field");
    }
    // Our own failures never show their cause.
    let response = ApiError::internal("relation \"orders\" does not exist").into_response();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("body");
    assert!(!String::from_utf8_lossy(&body).contains("orders"));
}

// ----- every domain error variant → one status and code -----

fn db_error() -> DbError {
    DbError::Encode("an example database failure".to_owned())
}

fn text(s: &str) -> String {
    s.to_owned()
}

/// Every variant of a domain error: `$index` numbers the variants through an exhaustive
/// match (a new variant does not compile until it is numbered here), and the test
/// checks the examples cover every number.
struct Variants {
    service: &'static str,
    count: usize,
    covered: BTreeSet<usize>,
    rows: Vec<String>,
}

impl Variants {
    fn new(service: &'static str, count: usize) -> Self {
        Variants {
            service,
            count,
            covered: BTreeSet::new(),
            rows: Vec::new(),
        }
    }

    fn add(&mut self, (index, name): (usize, &str), err: ApiError) {
        self.covered.insert(index);
        let variant = format!("{}::{name}", self.service);
        self.rows.push(format!(
            "{variant:<52} {} {}",
            err.status().as_u16(),
            err.code()
        ));
    }

    fn finish(self, out: &mut String) {
        let missing: Vec<usize> = (0..self.count)
            .filter(|i| !self.covered.contains(i))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: no example for variant number(s) {missing:?}; add one to this test",
            self.service
        );
        for row in self.rows {
            let _ = writeln!(out, "{row}");
        }
    }
}

fn catalog_variant(e: &CatalogError) -> (usize, &'static str) {
    match e {
        CatalogError::NotFound { .. } => (0, "NotFound"),
        CatalogError::Invalid { .. } => (1, "Invalid"),
        CatalogError::Conflict { .. } => (2, "Conflict"),
        CatalogError::Database(_) => (3, "Database"),
    }
}

fn search_variant(e: &SearchError) -> (usize, &'static str) {
    match e {
        SearchError::InvalidQuery { .. } => (0, "InvalidQuery"),
        SearchError::Unavailable(_) => (1, "Unavailable"),
    }
}

fn search_errors() -> Vec<SearchError> {
    vec![
        SearchError::InvalidQuery {
            field: text("limit"),
            message: text("must be between 1 and 100"),
        },
        SearchError::Unavailable(text("Meilisearch at http://10.0.0.5:7700 is unreachable")),
    ]
}

fn inventory_variant(e: &InventoryError) -> (usize, &'static str) {
    match e {
        InventoryError::OutOfStock { .. } => (0, "OutOfStock"),
        InventoryError::InvalidQuantity { .. } => (1, "InvalidQuantity"),
        InventoryError::WouldGoNegative { .. } => (2, "WouldGoNegative"),
        InventoryError::ReservationNotFound { .. } => (3, "ReservationNotFound"),
        InventoryError::AlreadyCommitted { .. } => (4, "AlreadyCommitted"),
        InventoryError::ReservationLapsed { .. } => (5, "ReservationLapsed"),
        InventoryError::ReasonRequired => (6, "ReasonRequired"),
        InventoryError::Database(_) => (7, "Database"),
    }
}

fn cart_variant(e: &CartError) -> (usize, &'static str) {
    match e {
        CartError::CartNotFound { .. } => (0, "CartNotFound"),
        CartError::LineNotFound { .. } => (1, "LineNotFound"),
        CartError::RegionNotFound { .. } => (2, "RegionNotFound"),
        CartError::VariantNotFound { .. } => (3, "VariantNotFound"),
        CartError::UnsupportedCurrency { .. } => (4, "UnsupportedCurrency"),
        CartError::InvalidQuantity { .. } => (5, "InvalidQuantity"),
        CartError::InvalidField { .. } => (6, "InvalidField"),
        CartError::TooManyLines { .. } => (7, "TooManyLines"),
        CartError::PriceMissing { .. } => (8, "PriceMissing"),
        CartError::InsufficientStock { .. } => (9, "InsufficientStock"),
        CartError::CartCompleted { .. } => (10, "CartCompleted"),
        CartError::DiscountNotFound { .. } => (11, "DiscountNotFound"),
        CartError::DiscountExpired { .. } => (12, "DiscountExpired"),
        CartError::DiscountNotStarted { .. } => (13, "DiscountNotStarted"),
        CartError::DiscountMinimumNotMet { .. } => (14, "DiscountMinimumNotMet"),
        CartError::DiscountUsedUp { .. } => (15, "DiscountUsedUp"),
        CartError::DiscountCurrencyMismatch { .. } => (16, "DiscountCurrencyMismatch"),
        CartError::DiscountCodeTaken { .. } => (17, "DiscountCodeTaken"),
        CartError::CheckoutIncomplete { .. } => (18, "CheckoutIncomplete"),
        CartError::CartEmpty => (19, "CartEmpty"),
        CartError::TotalsOverflow(_) => (20, "TotalsOverflow"),
        CartError::Lookup(_) => (21, "Lookup"),
        CartError::Database(_) => (22, "Database"),
    }
}

fn payment_variant(e: &PaymentError) -> (usize, &'static str) {
    match e {
        PaymentError::UnknownProvider(_) => (0, "UnknownProvider"),
        PaymentError::NotFound { .. } => (1, "NotFound"),
        PaymentError::InvalidAmount { .. } => (2, "InvalidAmount"),
        PaymentError::InvalidTransition { .. } => (3, "InvalidTransition"),
        PaymentError::WrongProvider { .. } => (4, "WrongProvider"),
        PaymentError::RefundExceedsBalance { .. } => (5, "RefundExceedsBalance"),
        PaymentError::SignatureInvalid(_) => (6, "SignatureInvalid"),
        PaymentError::MalformedEvent(_) => (7, "MalformedEvent"),
        PaymentError::Provider { .. } => (8, "Provider"),
        PaymentError::Database(_) => (9, "Database"),
    }
}

fn checkout_variant(e: &CheckoutError) -> (usize, &'static str) {
    match e {
        CheckoutError::OrderNotFound => (0, "OrderNotFound"),
        CheckoutError::InvalidIdempotencyKey => (1, "InvalidIdempotencyKey"),
        CheckoutError::IdempotencyKeyReused => (2, "IdempotencyKeyReused"),
        CheckoutError::PlacementInProgress => (3, "PlacementInProgress"),
        CheckoutError::CartAlreadyCompleted { .. } => (4, "CartAlreadyCompleted"),
        CheckoutError::OutOfStock { .. } => (5, "OutOfStock"),
        CheckoutError::PaymentUnavailable(_) => (6, "PaymentUnavailable"),
        CheckoutError::InvalidTransition { .. } => (7, "InvalidTransition"),
        CheckoutError::InvalidField { .. } => (8, "InvalidField"),
        CheckoutError::RefundExceedsBalance { .. } => (9, "RefundExceedsBalance"),
        CheckoutError::InvalidCursor => (10, "InvalidCursor"),
        CheckoutError::Cart(_) => (11, "Cart"),
        CheckoutError::Stock(_) => (12, "Stock"),
        CheckoutError::Payment(_) => (13, "Payment"),
        CheckoutError::Database(_) => (14, "Database"),
        CheckoutError::CartNotFound { .. } => (15, "CartNotFound"),
    }
}

fn account_variant(e: &AccountError) -> (usize, &'static str) {
    match e {
        AccountError::InvalidField { .. } => (0, "InvalidField"),
        AccountError::InvalidCredentials => (1, "InvalidCredentials"),
        AccountError::TokenInvalid => (2, "TokenInvalid"),
        AccountError::NotFound => (3, "NotFound"),
        AccountError::Database(_) => (4, "Database"),
        AccountError::Internal(_) => (5, "Internal"),
    }
}

fn account_errors() -> Vec<AccountError> {
    vec![
        AccountError::InvalidField {
            field: text("password"),
            message: text("use at least 10 characters"),
        },
        AccountError::InvalidCredentials,
        AccountError::TokenInvalid,
        AccountError::NotFound,
        AccountError::Database(db_error()),
        AccountError::Internal(text("the hashing task failed")),
    ]
}

fn catalog_errors() -> Vec<CatalogError> {
    vec![
        CatalogError::not_found("product", "prod_1"),
        CatalogError::invalid("title", "must not be empty"),
        CatalogError::Conflict {
            field: text("handle"),
            message: text("is already taken"),
        },
        CatalogError::Database(db_error()),
    ]
}

fn inventory_errors() -> Vec<InventoryError> {
    vec![
        InventoryError::OutOfStock {
            variant_id: VariantId::new(),
            requested: 2,
            available: 1,
        },
        InventoryError::InvalidQuantity {
            field: text("lines[0].quantity"),
            message: text("must be at least 1"),
        },
        InventoryError::WouldGoNegative {
            variant_id: VariantId::new(),
            on_hand: 1,
            reserved: 1,
            delta: -2,
        },
        InventoryError::ReservationNotFound {
            reservation_id: ReservationId::new(),
        },
        InventoryError::AlreadyCommitted {
            reservation_id: ReservationId::new(),
        },
        InventoryError::ReservationLapsed {
            reservation_id: ReservationId::new(),
        },
        InventoryError::ReasonRequired,
        InventoryError::Database(db_error()),
    ]
}

fn cart_errors() -> Vec<CartError> {
    let code = || text("SPRING");
    vec![
        CartError::CartNotFound {
            cart_id: text("cart_1"),
        },
        CartError::LineNotFound {
            line_id: text("line_1"),
        },
        CartError::RegionNotFound {
            region_id: text("reg_1"),
        },
        CartError::VariantNotFound {
            variant_id: text("var_1"),
        },
        CartError::UnsupportedCurrency {
            currency: text("JPY"),
        },
        CartError::InvalidQuantity {
            field: text("quantity"),
            message: text("must be from 1 to 99"),
        },
        CartError::InvalidField {
            field: text("email"),
            message: text("is not an email address"),
        },
        CartError::TooManyLines { max: 50 },
        CartError::PriceMissing {
            variant_id: text("var_1"),
            currency: text("USD"),
        },
        CartError::InsufficientStock {
            variant_id: text("var_1"),
            requested: 2,
            available: 1,
        },
        CartError::CartCompleted {
            order_id: text("order_1"),
        },
        CartError::DiscountNotFound { code: code() },
        CartError::DiscountExpired {
            code: code(),
            ended_at: 0,
        },
        CartError::DiscountNotStarted {
            code: code(),
            starts_at: 0,
        },
        CartError::DiscountMinimumNotMet {
            code: code(),
            minimum: 5000,
            subtotal: 1000,
        },
        CartError::DiscountUsedUp { code: code() },
        CartError::DiscountCurrencyMismatch {
            code: code(),
            discount_currency: text("USD"),
            cart_currency: text("EUR"),
        },
        CartError::DiscountCodeTaken { code: code() },
        CartError::CheckoutIncomplete {
            missing: vec![text("email")],
        },
        CartError::CartEmpty,
        CartError::TotalsOverflow(TotalsOverflow),
        CartError::Lookup(text("the catalog did not answer")),
        CartError::Database(db_error()),
    ]
}

fn payment_errors() -> Vec<PaymentError> {
    vec![
        PaymentError::UnknownProvider(text("paypal")),
        PaymentError::NotFound {
            entity: "payment",
            id: text("pay_1"),
        },
        PaymentError::InvalidAmount {
            message: text("must be positive"),
        },
        PaymentError::InvalidTransition {
            from: text("succeeded"),
            action: "cancel",
        },
        PaymentError::WrongProvider {
            provider: text("stripe"),
            action: "mark paid",
        },
        PaymentError::RefundExceedsBalance { available: 100 },
        PaymentError::SignatureInvalid(text("no signature")),
        PaymentError::MalformedEvent(text("no `type`")),
        PaymentError::Provider {
            provider: "stripe",
            status: Some(402),
            code: Some(text("card_declined")),
            message: text("Your card was declined."),
        },
        PaymentError::Database(db_error()),
    ]
}

/// Checkout's own variants; the three that carry another service's error are mapped as
/// that service maps it (examples below), anything else they carry is our failure.
fn checkout_errors() -> Vec<(String, CheckoutError)> {
    let own = vec![
        CheckoutError::OrderNotFound,
        CheckoutError::CartNotFound {
            cart_id: text("cart_1"),
        },
        CheckoutError::InvalidIdempotencyKey,
        CheckoutError::IdempotencyKeyReused,
        CheckoutError::PlacementInProgress,
        CheckoutError::CartAlreadyCompleted {
            order_id: text("order_1"),
        },
        CheckoutError::OutOfStock {
            variant_id: text("var_1"),
            requested: 2,
            available: 1,
        },
        CheckoutError::PaymentUnavailable(Box::new(std::io::Error::other("timed out"))),
        CheckoutError::InvalidTransition {
            from: OrderStatus::Cancelled,
            action: "fulfil",
        },
        CheckoutError::InvalidField {
            field: text("amount"),
            message: text("must be positive"),
        },
        CheckoutError::RefundExceedsBalance { available: 100 },
        CheckoutError::InvalidCursor,
        CheckoutError::Database(db_error()),
    ];
    let mut all: Vec<(String, CheckoutError)> = own
        .into_iter()
        .map(|e| (checkout_variant(&e).1.to_owned(), e))
        .collect();
    let other = || Box::new(std::io::Error::other("unexpected"));
    all.extend([
        (
            text("Cart(CartError::CartEmpty)"),
            CheckoutError::Cart(Box::new(CartError::CartEmpty)),
        ),
        (text("Cart(other)"), CheckoutError::Cart(other())),
        (
            text("Stock(InventoryError::OutOfStock)"),
            CheckoutError::Stock(Box::new(InventoryError::OutOfStock {
                variant_id: VariantId::new(),
                requested: 2,
                available: 1,
            })),
        ),
        (text("Stock(other)"), CheckoutError::Stock(other())),
        (
            text("Payment(PaymentError::Provider)"),
            CheckoutError::Payment(Box::new(PaymentError::Provider {
                provider: "stripe",
                status: None,
                code: None,
                message: text("connection refused"),
            })),
        ),
        (text("Payment(other)"), CheckoutError::Payment(other())),
    ]);
    all
}

#[test]
fn every_domain_error_variant_maps_to_one_status_and_code() {
    let mut text = String::from("# domain error variant  status  code\n");

    let mut catalog = Variants::new("CatalogError", 4);
    for e in catalog_errors() {
        catalog.add(catalog_variant(&e), e.into());
    }
    catalog.finish(&mut text);

    let mut inventory = Variants::new("InventoryError", 8);
    for e in inventory_errors() {
        inventory.add(inventory_variant(&e), e.into());
    }
    inventory.finish(&mut text);

    let mut cart = Variants::new("CartError", 23);
    for e in cart_errors() {
        cart.add(cart_variant(&e), e.into());
    }
    cart.finish(&mut text);

    let mut payment = Variants::new("PaymentError", 10);
    for e in payment_errors() {
        payment.add(payment_variant(&e), e.into());
    }
    payment.finish(&mut text);

    let mut checkout = Variants::new("CheckoutError", 16);
    for (label, e) in checkout_errors() {
        let (index, _) = checkout_variant(&e);
        checkout.add((index, &label), e.into());
    }
    checkout.finish(&mut text);

    let mut accounts = Variants::new("AccountError", 6);
    for e in account_errors() {
        accounts.add(account_variant(&e), e.into());
    }
    accounts.finish(&mut text);

    let mut search = Variants::new("SearchError", 2);
    for e in search_errors() {
        search.add(search_variant(&e), e.into());
    }
    search.finish(&mut text);

    assert_snapshot("domain_errors.txt", &text);
}

// ----- the served OpenAPI document -----

async fn served_document() -> Value {
    let test_db = emporium_kernel::db::testing::sqlite().await;
    let app = support::TestApp::spawn(test_db, None).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.json().await.expect("the OpenAPI document is JSON")
}

/// Each operation of the document, as (method path, operation).
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
                if let Some(op) = item.get(method) {
                    out.push((format!("{} {path}", method.to_uppercase()), op));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn the_served_openapi_document_matches_its_snapshot() {
    let doc = served_document().await;
    // serde_json's maps are sorted: the text is stable whatever the registration order.
    let mut text = serde_json::to_string_pretty(&doc).expect("pretty JSON");
    text.push('\n');
    assert_snapshot("openapi.json", &text);
}

#[tokio::test]
async fn every_error_response_in_the_document_is_a_problem() {
    let doc = served_document().await;
    let ops = operations(&doc);
    assert!(ops.len() > 40, "only {} operations documented", ops.len());
    for (name, op) in ops {
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            !responses.contains_key("default"),
            "{name}: declares a `default` response; declare each status"
        );
        assert!(responses.contains_key("500"), "{name}: no 500");
        for (status, response) in responses {
            let content = response["content"].as_object();
            if status.starts_with('4') || status.starts_with('5') {
                let content = content.unwrap_or_else(|| panic!("{name} {status}: no content"));
                let types: Vec<&String> = content.keys().collect();
                assert_eq!(types, [PROBLEM_JSON], "{name} {status}");
                assert_eq!(
                    content[PROBLEM_JSON]["schema"]["$ref"], "#/components/schemas/Problem",
                    "{name} {status}"
                );
            }
        }
        let is_admin = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("admin_token").is_some()));
        if is_admin {
            assert!(responses.contains_key("401"), "{name}: admin without 401");
        }
        let is_customer = op["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("customer_token").is_some()));
        if is_customer {
            let described = responses["401"]["description"].as_str().unwrap_or_default();
            assert!(
                described.contains("unauthenticated"),
                "{name}: signed-in route without its 401 `unauthenticated`"
            );
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "415"] {
                assert!(
                    responses.contains_key(status),
                    "{name}: body without {status}"
                );
            }
        }
    }
    let codes: Vec<&str> = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .expect("Problem.code lists the catalogue")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let catalogue: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(codes, catalogue);
}

/// Inputs schemathesis found answered with a 500 (an arithmetic overflow in a service):
/// each is the caller's mistake, a 400 naming the field.
#[tokio::test]
async fn extreme_numbers_are_the_callers_mistake_not_a_server_error() {
    let test_db = emporium_kernel::db::testing::sqlite().await;
    let app = support::TestApp::spawn(test_db, None).await;
    let cases = [
        (
            format!("/admin/inventory/{}/adjustments", VariantId::new()),
            serde_json::json!({"delta": i64::MIN, "reason": "recount"}),
            "delta",
        ),
        (
            "/admin/categories".to_owned(),
            serde_json::json!({"name": "Last", "position": i64::MAX}),
            "position",
        ),
    ];
    for (path, body, param) in cases {
        let r = app
            .admin(reqwest::Method::POST, &path)
            .json(&body)
            .send()
            .await
            .expect("POST");
        assert_eq!(
            r.status(),
            reqwest::StatusCode::BAD_REQUEST,
            "{path} {body}"
        );
        let problem: Value = r.json().await.expect("problem");
        assert_eq!(problem["param"], param, "{path}");
    }
}
