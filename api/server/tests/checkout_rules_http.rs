//! The checkout rules of docs/COMMERCE.md seen from outside, over real HTTP on SQLite
//! and PostgreSQL: ids that are credentials cannot be guessed, free orders, discounts
//! that run out, declined cards, webhook amounts, emails, seeded data and housekeeping.

mod support;

use emporium_kernel::db::testing::databases;
use reqwest::StatusCode;
use support::{commerce::*, TestApp};

/// The 128 bits of a `<prefix>_<ulid>` id.
fn id_bits(id: &str) -> u128 {
    let (_, ulid) = id.split_once('_').expect("a prefixed id");
    ulid::Ulid::from_string(ulid).expect("a ULID").0
}

#[tokio::test]
async fn a_cart_id_cannot_be_guessed_from_the_request_id_before_it() {
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
        }
    }
}
