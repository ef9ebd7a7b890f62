//! API behaviour over real HTTP: the real router and catalog on a real database
//! (SQLite always, PostgreSQL when TEST_POSTGRES_URL is set or CI=true), served on a
//! random port and called with an HTTP client, as another frontend would.

use emporium_client::{
    types::{Page, Problem, Product, ProductQuery, ProductSort, ProductSummary},
    Client, HttpTransport,
};
use emporium_kernel::db::testing::databases;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

mod support;

use support::TestApp;

/// Catalog helpers on top of the shared test app.
trait CatalogCalls {
    async fn create_product(&self, body: Value) -> Value;
}

impl CatalogCalls for TestApp {
    async fn create_product(&self, body: Value) -> Value {
        let r = self
            .admin(reqwest::Method::POST, "/admin/products")
            .json(&body)
            .send()
            .await
            .expect("POST failed");
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "[{}] create: {:?}",
            self.label,
            r.text().await
        );
        r.json().await.expect("product JSON")
    }
}

/// One app per test database, served on 127.0.0.1:0.
async fn spawn_apps() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for test_db in databases().await {
        apps.push(TestApp::spawn(test_db, None).await);
    }
    apps
}

fn shirt(handle: &str, sku: &str, eur: i64) -> Value {
    json!({
        "title": format!("Shirt {handle}"),
        "handle": handle,
        "description": "A shirt.",
        "status": "published",
        "options": [{"name": "Size", "values": ["S", "M"]}],
        "variants": [
            {"sku": format!("{sku}-S"), "options": [{"option": "Size", "value": "S"}],
             "prices": [{"currency": "EUR", "amount": eur}, {"currency": "USD", "amount": eur + 100}]},
            {"sku": format!("{sku}-M"), "options": [{"option": "Size", "value": "M"}],
             "prices": [{"currency": "EUR", "amount": eur + 500}, {"currency": "USD", "amount": eur + 600}]}
        ],
        "images": [{"url": "/media/demo/x-1.svg", "alt": "front"}]
    })
}

async fn problem(r: reqwest::Response, label: &str, status: StatusCode) -> Problem {
    assert_eq!(r.status(), status, "[{label}] status");
    let ct = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json", "[{label}] content type");
    r.json().await.expect("problem JSON")
}

#[tokio::test]
async fn product_list_uses_the_envelope_and_pages_by_cursor() {
    for app in spawn_apps().await {
        for i in 0..5 {
            app.create_product(shirt(
                &format!("shirt-{i}"),
                &format!("SH{i}"),
                1000 + i * 10,
            ))
            .await;
        }
        let mut seen = Vec::new();
        let mut path = "/store/products?limit=2&sort=price_asc".to_owned();
        loop {
            let page: Page<ProductSummary> = app.get(&path).await.json().await.expect("page");
            assert!(page.items.len() <= 2, "[{}] limit respected", app.label);
            seen.extend(page.items.iter().map(|p| p.handle.clone()));
            match page.next_cursor {
                Some(c) => path = format!("/store/products?limit=2&sort=price_asc&cursor={c}"),
                None => break,
            }
        }
        let expected: Vec<String> = (0..5).map(|i| format!("shirt-{i}")).collect();
        assert_eq!(
            seen, expected,
            "[{}] every product once, cheapest first",
            app.label
        );
    }
}

#[tokio::test]
async fn malformed_list_parameters_are_400_problems_naming_the_parameter() {
    for app in spawn_apps().await {
        for (query, param) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("cursor=not-a-cursor", "cursor"),
            ("sort=cheapest", "sort"),
            ("currency=EURO", "currency"),
            ("price_min=-1", "price_min"),
            ("price_min=500&price_max=100", "price_min"),
        ] {
            let r = app.get(&format!("/store/products?{query}")).await;
            let p = problem(r, app.label, StatusCode::BAD_REQUEST).await;
            assert_eq!(
                p.param.as_deref(),
                Some(param),
                "[{}] {query}: {p:?}",
                app.label
            );
            assert_eq!(p.code, "invalid_parameter");
        }
    }
}

#[tokio::test]
async fn unknown_products_collections_and_categories_are_404_problems() {
    for app in spawn_apps().await {
        for path in [
            "/store/products/no-such-product",
            "/store/products/prod_01hzzzzzzzzzzzzzzzzzzzzzzz",
            "/store/collections/nothing",
            "/store/products?category=nowhere",
            "/store/products?collection=nothing",
            "/store/no-such-route",
        ] {
            let p = problem(app.get(path).await, app.label, StatusCode::NOT_FOUND).await;
            assert_eq!(p.code, "not_found", "[{}] {path}", app.label);
        }
    }
}

#[tokio::test]
async fn catalog_reads_carry_etags_and_answer_304_when_unchanged() {
    for app in spawn_apps().await {
        app.create_product(shirt("etag-shirt", "ET", 1500)).await;
        let first = app.get("/store/products/etag-shirt").await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first
            .headers()
            .get(header::ETAG)
            .cloned()
            .expect("ETag header");
        let cc = first
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            cc.contains("s-maxage=") && cc.contains("stale-while-revalidate="),
            "[{}] {cc}",
            app.label
        );
        let again = app
            .http
            .get(app.url("/store/products/etag-shirt"))
            .header(header::IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .expect("GET");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "[{}]", app.label);

        // A write changes the body, so the old tag no longer matches.
        let product: Product = app
            .get("/store/products/etag-shirt")
            .await
            .json()
            .await
            .expect("product");
        let r = app
            .admin(
                reqwest::Method::PATCH,
                &format!("/admin/products/{}", product.id),
            )
            .json(&json!({"title": "Renamed shirt"}))
            .send()
            .await
            .expect("PATCH");
        assert_eq!(r.status(), StatusCode::OK, "[{}]", app.label);
        let after = app
            .http
            .get(app.url("/store/products/etag-shirt"))
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("GET");
        assert_eq!(
            after.status(),
            StatusCode::OK,
            "[{}] stale tag must not match",
            app.label
        );
        let renamed: Product = after.json().await.expect("product");
        assert_eq!(
            renamed.title, "Renamed shirt",
            "[{}] write visible at once",
            app.label
        );
    }
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    for app in spawn_apps().await {
        let r = app
            .http
            .get(app.url("/health/live"))
            .header("x-request-id", "abc-123")
            .send()
            .await
            .expect("GET");
        assert_eq!(
            r.headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            Some("abc-123")
        );
        let r = app.get("/store/products").await;
        let generated = r
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            emporium_kernel::id::has_prefix(&generated, "req"),
            "[{}] generated id `{generated}`",
            app.label
        );
        let again = app.get("/store/products").await;
        assert_ne!(
            again
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            Some(generated.as_str()),
            "[{}] each request gets its own id",
            app.label
        );
    }
}

#[tokio::test]
async fn health_endpoints_report_the_database() {
    for app in spawn_apps().await {
        assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
        let ready: Value = app.get("/health/ready").await.json().await.expect("json");
        assert_eq!(ready["database"], "ok", "[{}]", app.label);
    }
}

#[tokio::test]
async fn openapi_document_describes_store_and_admin_routes_and_docs_page_serves() {
    for app in spawn_apps().await {
        let doc: Value = app
            .get("/openapi.json")
            .await
            .json()
            .await
            .expect("openapi json");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
        for path in [
            "/store/products",
            "/store/products/{id_or_handle}",
            "/store/categories",
            "/store/collections/{handle}",
            "/admin/products",
            "/admin/categories/{id}",
        ] {
            assert!(
                doc["paths"][path].is_object(),
                "[{}] {path} documented",
                app.label
            );
        }
        let docs = app.get("/docs/").await;
        assert_eq!(docs.status(), StatusCode::OK);
        assert!(
            docs.text().await.expect("html").contains("swagger"),
            "[{}] docs page",
            app.label
        );
    }
}

#[tokio::test]
async fn admin_api_requires_the_token() {
    for app in spawn_apps().await {
        let r = app
            .http
            .post(app.url("/admin/products"))
            .json(&shirt("x", "X", 1))
            .send()
            .await
            .expect("POST");
        let p = problem(r, app.label, StatusCode::UNAUTHORIZED).await;
        assert_eq!(p.code, "unauthorized");
        let r = app
            .http
            .get(app.url("/admin/products"))
            .bearer_auth("wrong")
            .send()
            .await
            .expect("GET");
        problem(r, app.label, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn drafts_are_hidden_until_published() {
    for app in spawn_apps().await {
        let mut body = shirt("draft-shirt", "DR", 2000);
        body["status"] = json!("draft");
        let created = app.create_product(body).await;
        let id = created["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("prod_"));
        problem(
            app.get("/store/products/draft-shirt").await,
            app.label,
            StatusCode::NOT_FOUND,
        )
        .await;
        let admin_view = app
            .admin(reqwest::Method::GET, &format!("/admin/products/{id}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(admin_view.status(), StatusCode::OK);

        let r = app
            .admin(
                reqwest::Method::POST,
                &format!("/admin/products/{id}/publish"),
            )
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::OK, "[{}]", app.label);
        let p: Product = app
            .get("/store/products/draft-shirt")
            .await
            .json()
            .await
            .expect("product");
        assert_eq!(p.variants.len(), 2);
        assert_eq!(p.variants[0].price_in("EUR").map(|p| p.amount), Some(2000));

        let r = app
            .admin(reqwest::Method::DELETE, &format!("/admin/products/{id}"))
            .send()
            .await
            .expect("DELETE");
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        problem(
            app.get(&format!("/store/products/{id}")).await,
            app.label,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

/// An id of the wrong shape in an admin path names nothing that could exist: a 404 like
/// an unknown id, whichever part of the path it is, never a 400 or a 500.
#[tokio::test]
async fn malformed_ids_in_admin_paths_are_404_like_unknown_ones() {
    for app in spawn_apps().await {
        let created = app.create_product(shirt("ids", "ID", 1000)).await;
        let id = created["id"].as_str().expect("id").to_owned();
        let patch = json!({"title": "Renamed"});
        let cases: Vec<(reqwest::Method, String, Option<Value>)> = vec![
            (
                reqwest::Method::PATCH,
                "/admin/products/nope".into(),
                Some(patch.clone()),
            ),
            (reqwest::Method::DELETE, "/admin/products/ids".into(), None),
            (
                reqwest::Method::POST,
                "/admin/products/nope/publish".into(),
                None,
            ),
            (
                reqwest::Method::DELETE,
                format!("/admin/products/{id}/variants/nope"),
                None,
            ),
            (
                reqwest::Method::DELETE,
                format!("/admin/products/{id}/images/nope"),
                None,
            ),
            (
                reqwest::Method::PATCH,
                "/admin/categories/nope".into(),
                Some(json!({"name": "X"})),
            ),
            (
                reqwest::Method::DELETE,
                "/admin/collections/nope".into(),
                None,
            ),
            (reqwest::Method::GET, "/admin/inventory/nope".into(), None),
        ];
        for (method, path, body) in cases {
            let mut request = app.admin(method.clone(), &path);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let r = request.send().await.expect("request");
            let p = problem(r, app.label, StatusCode::NOT_FOUND).await;
            assert_eq!(p.code, "not_found", "[{}] {method} {path}", app.label);
        }
        let still_there = app
            .admin(reqwest::Method::GET, &format!("/admin/products/{id}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(
            still_there.status(),
            StatusCode::OK,
            "[{}] a handle is no product id: nothing was deleted",
            app.label
        );
    }
}

#[tokio::test]
async fn admin_writes_reject_bad_bodies_with_4xx_never_500() {
    for app in spawn_apps().await {
        app.create_product(shirt("taken", "TK", 100)).await;
        let cases: Vec<(Value, StatusCode)> = vec![
            (json!({"title": ""}), StatusCode::BAD_REQUEST),
            (json!({"description": "no title"}), StatusCode::BAD_REQUEST),
            (json!({"title": 42}), StatusCode::BAD_REQUEST),
            (shirt("taken", "OTHER", 100), StatusCode::CONFLICT),
            (shirt("fresh", "TK", 100), StatusCode::CONFLICT),
            (
                {
                    let mut b = shirt("neg", "NG", 100);
                    b["variants"][0]["prices"][0]["amount"] = json!(-5);
                    b
                },
                StatusCode::BAD_REQUEST,
            ),
            (
                {
                    let mut b = shirt("cur", "CU", 100);
                    b["variants"][0]["prices"][0]["currency"] = json!("EURO");
                    b
                },
                StatusCode::BAD_REQUEST,
            ),
            (
                {
                    let mut b = shirt("cat", "CA", 100);
                    b["category_ids"] = json!(["pcat_01hzzzzzzzzzzzzzzzzzzzzzzz"]);
                    b
                },
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (body, status) in cases {
            let r = app
                .admin(reqwest::Method::POST, "/admin/products")
                .json(&body)
                .send()
                .await
                .expect("POST");
            let p = problem(r, app.label, status).await;
            assert!(
                !p.detail.is_empty(),
                "[{}] detail says what to fix",
                app.label
            );
        }
        let r = app
            .admin(reqwest::Method::POST, "/admin/products")
            .header(header::CONTENT_TYPE, "application/json")
            .body("{not json")
            .send()
            .await
            .expect("POST");
        problem(r, app.label, StatusCode::BAD_REQUEST).await;
        let r = app
            .admin(reqwest::Method::POST, "/admin/products")
            .body("title=x")
            .send()
            .await
            .expect("POST");
        problem(r, app.label, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
}

#[tokio::test]
async fn categories_and_collections_filter_products() {
    for app in spawn_apps().await {
        let create = |path: &'static str, body: Value| {
            let req = app.admin(reqwest::Method::POST, path).json(&body);
            async move {
                let r = req.send().await.expect("POST");
                assert_eq!(r.status(), StatusCode::CREATED);
                r.json::<Value>().await.expect("json")
            }
        };
        let apparel = create(
            "/admin/categories",
            json!({"name": "Apparel", "handle": "apparel"}),
        )
        .await;
        let shirts = create(
            "/admin/categories",
            json!({"name": "Shirts", "handle": "shirts", "parent_id": apparel["id"]}),
        )
        .await;
        let mut body = shirt("in-shirts", "IS", 900);
        body["category_ids"] = json!([shirts["id"]]);
        let product = app.create_product(body).await;
        app.create_product(shirt("elsewhere", "EW", 900)).await;
        create("/admin/collections", json!({"title": "Staff picks", "handle": "staff-picks", "product_ids": [product["id"]]})).await;

        let tree: Page<emporium_client::types::Category> = app
            .get("/store/categories")
            .await
            .json()
            .await
            .expect("tree");
        assert_eq!(tree.items.len(), 1);
        assert_eq!(
            tree.items[0].children[0].handle, "shirts",
            "[{}] nested",
            app.label
        );

        for path in [
            "/store/products?category=apparel",
            "/store/products?category=shirts",
            "/store/products?collection=staff-picks",
        ] {
            let page: Page<ProductSummary> = app.get(path).await.json().await.expect("page");
            let handles: Vec<_> = page.items.iter().map(|p| p.handle.as_str()).collect();
            assert_eq!(handles, ["in-shirts"], "[{}] {path}", app.label);
        }
        let col: Value = app
            .get("/store/collections/staff-picks")
            .await
            .json()
            .await
            .expect("collection");
        assert_eq!(col["product_count"], 1);
    }
}

#[tokio::test]
async fn the_typed_client_speaks_the_api_over_http() {
    for app in spawn_apps().await {
        app.create_product(shirt("client-a", "CA", 500)).await;
        app.create_product(shirt("client-b", "CB", 300)).await;
        let client = Client::new(HttpTransport::new(app.base.clone()));
        let page = client
            .list_products(&ProductQuery {
                sort: Some(ProductSort::PriceAsc),
                currency: Some("USD".into()),
                ..Default::default()
            })
            .await
            .expect("list");
        let handles: Vec<_> = page.items.iter().map(|p| p.handle.as_str()).collect();
        assert_eq!(handles, ["client-b", "client-a"], "[{}]", app.label);
        assert_eq!(
            page.items[0]
                .prices
                .iter()
                .find(|r| r.currency == "USD")
                .map(|r| r.min_amount),
            Some(400)
        );
        let product = client.get_product("client-a").await.expect("product");
        assert_eq!(product.options[0].values, ["S", "M"]);
        let err = client.get_product("missing").await.expect_err("404");
        assert_eq!(err.status(), Some(404));
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem_and_cors_answers_only_the_configured_origin() {
    let test_db = emporium_kernel::db::testing::sqlite().await;
    let app = TestApp::spawn(test_db, None).await;
    let big = vec![b' '; emporium_api::middleware::MAX_BODY_BYTES + 1];
    let r = app
        .http
        .post(app.url("/store/carts"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let p: serde_json::Value = r.json().await.expect("problem");
    assert_eq!(p["code"], "payload_too_large");

    // A preflight from the configured origin is answered; from another, it is not.
    for (origin, allowed) in [
        (support::CORS_ORIGIN, true),
        ("https://evil.example", false),
    ] {
        let r = app
            .http
            .request(reqwest::Method::OPTIONS, app.url("/store/carts"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
            .await
            .expect("preflight");
        let allow = r
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            allow.as_deref() == Some(origin),
            allowed,
            "{origin}: {allow:?}"
        );
        assert!(
            r.headers()
                .get("access-control-allow-credentials")
                .is_none(),
            "no credentials"
        );
    }
    let r = app
        .http
        .get(app.url("/store/products"))
        .header("origin", support::CORS_ORIGIN)
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(support::CORS_ORIGIN)
    );
}

#[tokio::test]
async fn random_query_parameters_share_one_cached_product_list() {
    let test_db = emporium_kernel::db::testing::sqlite().await;
    let app = TestApp::spawn(test_db, None).await;
    let first = app.get("/store/products?limit=5&sort=newest").await;
    assert_eq!(first.status(), reqwest::StatusCode::OK);
    let tag = first.headers().get("etag").cloned();
    let filled = app.state_cache_bytes();
    for i in 0..50 {
        let r = app
            .get(&format!("/store/products?sort=newest&junk{i}=x&limit=5"))
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        assert_eq!(r.headers().get("etag").cloned(), tag, "same answer");
    }
    assert_eq!(app.state_cache_bytes(), filled, "no new cache entries");
}
