//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! Server functions over HTTP and static files from the site root.

mod fixture;
mod support;

use axum::body::Body;
use emporium_client::types::Product;
use fixture::tee;
use http::{header, Request, StatusCode};
use support::{get, runtime, send, site, Answer};

#[test]
fn server_functions_answer_over_http_with_typed_errors() {
    runtime().block_on(async {
        let site = site();
        let call = |body: &'static str| {
            Request::post("/api/catalog/product")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body))
                .unwrap_or_default()
        };
        let found = send(&site, call("handle=linen-tee")).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        let product: Product =
            serde_json::from_str(&found.body).unwrap_or_else(|_| tee_summary_as_product());
        assert_eq!(product.variants.len(), 3);

        let missing = send(&site, call("handle=nope")).await;
        assert!(missing.status.is_server_error() || missing.status.is_client_error());
        let error: emporium_storefront::error::AppError = serde_json::from_str(&missing.body)
            .unwrap_or(emporium_storefront::error::AppError::Unavailable(
                missing.body.clone(),
            ));
        assert_eq!(error, emporium_storefront::error::AppError::NotFound);
    })
}

/// A stand-in that fails the variant-count assertion when the body did not parse.
fn tee_summary_as_product() -> Product {
    Product {
        variants: vec![],
        ..tee()
    }
}

#[test]
fn static_files_come_from_the_site_root() {
    runtime().block_on(async {
        let site = site();
        // The site root of this test is the crate dir; Cargo.toml stands in for a bundle file.
        let file = get(&site, "/Cargo.toml").await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(file.body.contains("emporium-storefront"));
    })
}

#[test]
fn pages_carry_a_content_security_policy_and_the_other_security_headers() {
    runtime().block_on(async {
        let site = site();
        for path in ["/", "/products/linen-tee", "/checkout", "/no-such-page"] {
            let page = get(&site, path).await;
            let header = |name: &str| {
                page.headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let csp = header("content-security-policy");
            assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("https://js.stripe.com"), "{path}: {csp}");
            let script_src = csp
                .split(';')
                .find(|d| d.trim_start().starts_with("script-src"))
                .unwrap_or_default();
            assert!(
                !script_src.contains("unsafe-inline"),
                "{path}: {script_src}"
            );
            // Every inline script of the page carries the nonce the policy names.
            let nonce = script_src
                .split_whitespace()
                .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
                .unwrap_or_else(|| panic!("{path}: no nonce in {script_src}"))
                .to_owned();
            for (i, script) in page.body.split("<script").skip(1).enumerate() {
                let tag = script.split('>').next().unwrap_or_default();
                if tag.contains("src=") || tag.contains("application/ld+json") {
                    continue;
                }
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "{path}: inline script {i} has no nonce: <script{tag}>"
                );
            }
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(
                header("referrer-policy"),
                "strict-origin-when-cross-origin",
                "{path}"
            );
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert_eq!(
                header("strict-transport-security"),
                "",
                "{path}: not over plain HTTP"
            );
        }
        let secure = send(
            &site,
            Request::get("/")
                .header("x-forwarded-proto", "https")
                .body(Body::empty())
                .unwrap_or_default(),
        )
        .await;
        let hsts = secure
            .headers
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(hsts.starts_with("max-age="), "over HTTPS: {hsts}");
        // Two renders, two nonces.
        let nonce_of = |page: &Answer| {
            page.headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .and_then(|csp| csp.split("'nonce-").nth(1))
                .map(|rest| rest.split('\'').next().unwrap_or_default().to_owned())
        };
        let (a, b) = (get(&site, "/checkout").await, get(&site, "/checkout").await);
        assert!(nonce_of(&a).is_some());
        assert_ne!(nonce_of(&a), nonce_of(&b), "a nonce is used once");
    })
}
