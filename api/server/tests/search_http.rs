//! Product search over HTTP on SQLite and PostgreSQL, with the embedded engine following
//! the outbox: misspelt queries, facets and filters, suggestions, pages, freshness after
//! catalog and stock changes, and 400s that name the parameter and what is allowed.

mod support;

use emporium_client::search::{SearchPage, Suggestions};
use emporium_kernel::db::testing::databases;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{
    commerce::{drain_events, problem_of},
    TestApp,
};

async fn category(app: &TestApp, name: &str, parent: Option<&str>) -> String {
    let r = app
        .admin(Method::POST, "/admin/categories")
        .json(&json!({"name": name, "parent_id": parent}))
        .send()
        .await
        .expect("create category");
    assert_eq!(r.status(), StatusCode::CREATED, "[{}] category", app.label);
    let body: Value = r.json().await.expect("category json");
    body["id"].as_str().expect("category id").to_owned()
}

/// A product with a variant per (size, colour); returns (product id, variant ids).
async fn product(
    app: &TestApp,
    title: &str,
    category_id: &str,
    variants: &[(&str, &str, i64)],
    status: &str,
) -> (String, Vec<String>) {
    let mut sizes: Vec<&str> = variants.iter().map(|v| v.0).collect();
    sizes.dedup();
    let mut colors: Vec<&str> = variants.iter().map(|v| v.1).collect();
    colors.dedup();
    // SKUs are searchable: keep the title's words out of them.
    static NEXT_SKU: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let sku = NEXT_SKU.fetch_add(100, std::sync::atomic::Ordering::Relaxed);
    let r = app
        .admin(Method::POST, "/admin/products")
        .json(&json!({
            "title": title,
            "description": format!("{title}: made to last, for every season."),
            "status": status,
            "category_ids": [category_id],
            "options": [
                {"name": "Size", "values": sizes},
                {"name": "Color", "values": colors},
            ],
            "variants": variants.iter().enumerate().map(|(i, (size, color, eur))| json!({
                "sku": format!("SKU{}", sku + i as u64),
                "options": [{"option": "Size", "value": size}, {"option": "Color", "value": color}],
                "prices": [{"currency": "EUR", "amount": eur}, {"currency": "USD", "amount": eur + 100}],
            })).collect::<Vec<_>>(),
        }))
        .send()
        .await
        .expect("create product");
    let status_code = r.status();
    let body: Value = r.json().await.expect("product json");
    assert_eq!(status_code, StatusCode::CREATED, "[{}] {body}", app.label);
    let variants = body["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["id"].as_str().expect("variant id").to_owned())
        .collect();
    (body["id"].as_str().expect("id").to_owned(), variants)
}

async fn set_stock(app: &TestApp, variant_id: &str, on_hand: i64) {
    let r = app
        .admin(
            Method::POST,
            &format!("/admin/inventory/{variant_id}/adjustments"),
        )
        .json(&json!({"set_on_hand": on_hand, "reason": "count"}))
        .send()
        .await
        .expect("adjust");
    assert_eq!(r.status(), StatusCode::OK, "[{}] stock", app.label);
}

async fn search(app: &TestApp, query: &str) -> SearchPage {
    let r = app.get(&format!("/store/search?{query}")).await;
    let status = r.status();
    let text = r.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "[{}] {query}: {text}", app.label);
    serde_json::from_str(&text).expect("search page")
}

fn handles(page: &SearchPage) -> Vec<String> {
    page.hits.iter().map(|h| h.product.handle.clone()).collect()
}

/// apparel > jackets (two jackets, one without stock), apparel > shirts, home, and a
/// draft jacket.
async fn shop(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let apparel = category(app, "Apparel", None).await;
    let jackets = category(app, "Jackets", Some(&apparel)).await;
    let shirts = category(app, "Shirts", Some(&apparel)).await;
    let home = category(app, "Home", None).await;
    let (_, jacket) = product(
        app,
        "Vintage quilted jacket",
        &jackets,
        &[("M", "Navy", 12_900), ("L", "Navy", 12_900)],
        "published",
    )
    .await;
    let (_, parka) = product(
        app,
        "Waterproof parka",
        &jackets,
        &[("L", "Olive", 18_900)],
        "published",
    )
    .await;
    let (_, shirt) = product(
        app,
        "Linen shirt",
        &shirts,
        &[("M", "White", 4_900)],
        "published",
    )
    .await;
    let (_, mug) = product(
        app,
        "Stoneware mug",
        &home,
        &[("One size", "White", 1_900)],
        "published",
    )
    .await;
    product(
        app,
        "Secret jacket",
        &jackets,
        &[("S", "Black", 9_900)],
        "draft",
    )
    .await;
    for v in jacket.iter().chain(&shirt).chain(&mug) {
        set_stock(app, v, 5).await;
    }
    set_stock(app, &parka[0], 0).await;
    drain_events(app).await;
    (jacket, parka)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_query_finds_the_product_with_facets_filters_and_suggestions() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let l = app.label;
        shop(&app).await;

        // Two letters swapped.
        let page = search(&app, "q=jakcet").await;
        assert_eq!(
            handles(&page),
            ["vintage-quilted-jacket"],
            "[{l}] drafts stay out"
        );
        assert_eq!(page.total, 1, "[{l}]");
        let hit = &page.hits[0];
        assert_eq!(hit.product.prices[0].currency, "EUR", "[{l}]");
        let marked: Vec<&str> = hit
            .highlight
            .title
            .iter()
            .filter(|s| s.matched)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(marked, ["jacket"], "[{l}] the matched word is marked");
        let joined: String = hit
            .highlight
            .title
            .iter()
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(joined, "Vintage quilted jacket", "[{l}]");
        assert_eq!(
            page.facets
                .categories
                .iter()
                .map(|f| (f.value.as_str(), f.label.as_str(), f.count))
                .collect::<Vec<_>>(),
            [("apparel", "Apparel", 1)],
            "[{l}] top-level categories of the matches, named"
        );

        // Browsing: every published product; facets over all of them.
        let all = search(&app, "q=").await;
        assert_eq!(all.total, 4, "[{l}]");
        let size = all
            .facets
            .options
            .iter()
            .find(|o| o.name == "size")
            .expect("a size facet");
        assert_eq!(size.label, "Size", "[{l}]");
        let m = size.values.iter().find(|v| v.value == "M").expect("M");
        assert_eq!(m.count, 2, "[{l}] jacket and shirt come in M");

        // The category filter includes descendants; facets go one level down.
        let apparel = search(&app, "category=apparel").await;
        assert_eq!(apparel.total, 3, "[{l}]");
        let mut below: Vec<(String, u64)> = apparel
            .facets
            .categories
            .iter()
            .map(|f| (f.value.clone(), f.count))
            .collect();
        below.sort();
        assert_eq!(
            below,
            [("jackets".to_owned(), 2), ("shirts".to_owned(), 1)],
            "[{l}]"
        );
        // Options, price range per currency, stock, sort.
        let medium = search(&app, "options%5Bsize%5D=M&sort=price_asc").await;
        assert_eq!(
            handles(&medium),
            ["linen-shirt", "vintage-quilted-jacket"],
            "[{l}]"
        );
        let usd = search(
            &app,
            "currency=USD&price_min=2001&price_max=13000&sort=price_asc",
        )
        .await;
        assert_eq!(
            handles(&usd),
            ["linen-shirt", "vintage-quilted-jacket"],
            "[{l}] USD prices are EUR + 1.00"
        );
        let stocked = search(&app, "category=jackets&in_stock=true").await;
        assert_eq!(handles(&stocked), ["vintage-quilted-jacket"], "[{l}]");
        let dearest = search(&app, "sort=price_desc&limit=1").await;
        assert_eq!(handles(&dearest), ["waterproof-parka"], "[{l}]");

        // Pages by cursor hold every match once.
        let first = search(&app, "limit=3&sort=price_asc").await;
        let cursor = first.next_cursor.clone().expect("a second page");
        let second = search(&app, &format!("limit=3&sort=price_asc&cursor={cursor}")).await;
        assert_eq!(second.next_cursor, None, "[{l}]");
        assert_eq!(
            [handles(&first), handles(&second)].concat(),
            [
                "stoneware-mug",
                "linen-shirt",
                "vintage-quilted-jacket",
                "waterproof-parka"
            ],
            "[{l}]"
        );

        // Suggestions: products by prefix with typos, categories by name.
        let r = app.get("/store/search/suggest?q=jack").await;
        assert_eq!(r.status(), StatusCode::OK, "[{l}]");
        let s: Suggestions = r.json().await.expect("suggestions");
        assert_eq!(s.products[0].handle, "vintage-quilted-jacket", "[{l}]");
        assert_eq!(
            s.categories[0].handle, "jackets",
            "[{l}] {:?}",
            s.categories
        );
        assert_eq!(s.categories[0].name, "Jackets", "[{l}]");
        assert_eq!(s.categories[0].count, 2, "[{l}]");
        let s: Suggestions = app
            .get("/store/search/suggest?q=")
            .await
            .json()
            .await
            .expect("empty suggestions");
        assert!(s.products.is_empty() && s.categories.is_empty(), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_follows_product_and_stock_changes() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let l = app.label;
        let (jacket, parka) = shop(&app).await;
        let product_id = {
            let page = search(&app, "q=parka").await;
            page.hits[0].product.id.clone()
        };

        // Renamed and described anew: the new words are found, the old ones no longer.
        let r = app
            .admin(Method::PATCH, &format!("/admin/products/{product_id}"))
            .json(&json!({"title": "Storm anorak", "description": "Keeps the rain out."}))
            .send()
            .await
            .expect("rename");
        assert_eq!(r.status(), StatusCode::OK, "[{l}]");
        drain_events(&app).await;
        assert_eq!(search(&app, "q=anorak").await.total, 1, "[{l}]");
        assert_eq!(search(&app, "q=parka").await.total, 0, "[{l}]");

        // Restocked: in stock now; the jacket sold out: out.
        set_stock(&app, &parka[0], 3).await;
        for v in &jacket {
            set_stock(&app, v, 0).await;
        }
        drain_events(&app).await;
        assert_eq!(
            handles(&search(&app, "category=jackets&in_stock=true").await),
            ["waterproof-parka"],
            "[{l}] the handle stays when the title changes"
        );

        // Unpublished, then deleted: gone.
        let r = app
            .admin(
                Method::POST,
                &format!("/admin/products/{product_id}/unpublish"),
            )
            .send()
            .await
            .expect("unpublish");
        assert_eq!(r.status(), StatusCode::OK, "[{l}]");
        drain_events(&app).await;
        assert_eq!(search(&app, "q=anorak").await.total, 0, "[{l}]");
        let id = search(&app, "q=linen").await.hits[0].product.id.clone();
        let r = app
            .admin(Method::DELETE, &format!("/admin/products/{id}"))
            .send()
            .await
            .expect("delete");
        assert!(r.status().is_success(), "[{l}]");
        drain_events(&app).await;
        assert_eq!(search(&app, "q=linen").await.total, 0, "[{l}]");
        assert_eq!(search(&app, "").await.total, 2, "[{l}]");

        // A rebuild reads the database again and ends with the same answers.
        let search_service = app.commerce.search.clone().expect("search");
        let report = search_service.rebuild(&|_, _| {}).await.expect("rebuild");
        assert_eq!(report.products, 2, "[{l}]");
        assert_eq!(search(&app, "").await.total, 2, "[{l}]");
        assert_eq!(search(&app, "q=quilted").await.total, 1, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_search_input_is_a_400_naming_the_parameter_and_what_is_allowed() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let l = app.label;
        shop(&app).await;
        for (query, param, says) in [
            ("options%5Bfabric%5D=wool", "options[fabric]", "color, size"),
            ("options=M", "options", "options[NAME]=VALUE"),
            ("category=nowhere", "category", "GET /store/categories"),
            ("sort=cheapest", "sort", "price_asc"),
            ("in_stock=maybe", "in_stock", "true or false"),
            ("limit=0", "limit", "1 to 100"),
            ("limit=101", "limit", "1 to 100"),
            ("price_min=-1", "price_min", "0 to"),
            (
                "price_min=500&price_max=100",
                "price_min",
                "must not exceed",
            ),
            ("currency=JPY", "currency", "EUR, USD"),
            ("cursor=garbage", "cursor", "next_cursor"),
        ] {
            let r = app.get(&format!("/store/search?{query}")).await;
            let problem = problem_of(r, StatusCode::BAD_REQUEST, l).await;
            assert_eq!(problem.param.as_deref(), Some(param), "[{l}] {query}");
            assert!(
                problem.detail.contains(says),
                "[{l}] {query}: {}",
                problem.detail
            );
        }
        // A very long query is cut, not refused.
        let long = format!("q=jacket+{}", "x".repeat(5_000));
        let page = search(&app, &long).await;
        assert_eq!(page.q.chars().count(), 200, "[{l}]");
        let r = app
            .get(&format!("/store/search/suggest?q={}", "y".repeat(5_000)))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_workers_running_a_new_product_is_found_without_waiting_for_a_poll() {
    for test_db in databases().await {
        let app = TestApp::spawn(test_db, None).await;
        let l = app.label;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let workers = app.commerce.spawn_workers(async move {
            let _ = stopped.await;
        });
        let home = category(&app, "Home", None).await;
        let started = std::time::Instant::now();
        product(
            &app,
            "Enamel teapot",
            &home,
            &[("One size", "Red", 3_900)],
            "published",
        )
        .await;
        // The catalog's write wakes the dispatcher; the consumer indexes the product.
        let mut found = false;
        while started.elapsed() < std::time::Duration::from_secs(5) {
            if search(&app, "q=teapto").await.total == 1 {
                found = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(found, "[{l}] the new product was not found within 5 s");
        println!(
            "[{l}] searchable {} ms after the create request began",
            started.elapsed().as_millis()
        );
        let _ = stop.send(());
        for w in workers {
            let _ = w.await;
        }
    }
}
