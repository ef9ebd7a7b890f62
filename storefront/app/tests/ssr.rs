//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.

mod fixture;

use std::sync::Arc;

use axum::body::Body;
use emporium_client::{types::Product, Client};
use fixture::{tee, FixtureApi};
use http::{header, Request, StatusCode};
use leptos::config::LeptosOptions;
use tower::ServiceExt;

/// One runtime for every test, as in the server. Leptos keeps process-wide state (its
/// executor hooks); renders started on per-test runtimes that shut down while another
/// test awaits them hung that other test now and then.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

/// Renders run one test at a time: parallel renders in one process hang now and then
/// (cause under investigation, see the issue note).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Site {
    router: axum::Router,
    api: FixtureApi,
}

fn site() -> Site {
    let api = FixtureApi::default();
    let options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("emporium"))
        .site_root(Arc::<str>::from(env!("CARGO_MANIFEST_DIR")))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .build();
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILD.lock();
    let router = emporium_storefront::router(Client::new(api.clone()), options);
    Site { router, api }
}

struct Answer {
    status: StatusCode,
    cache_control: String,
    content_type: String,
    body: String,
}

async fn send(site: &Site, request: Request<Body>) -> Answer {
    let response = match site.router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let cache_control = header(header::CACHE_CONTROL);
    let content_type = header(header::CONTENT_TYPE);
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    Answer {
        status,
        cache_control,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(site: &Site, uri: &str) -> Answer {
    let request = Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap_or_default();
    send(site, request).await
}

const CATALOG_CACHE: &str = "public, max-age=0, s-maxage=60, stale-while-revalidate=300";

/// The text between `<tag ...data-testid="id"...>` and the next `<`.
fn testid_text<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("data-testid=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let rest = &rest[start..];
    // Skip hydration markers such as `<!>` or `<!---->`.
    let text_start = rest.find(|c: char| c != '<').unwrap_or(0);
    let mut text = &rest[text_start..];
    while text.starts_with("!") {
        let end = text.find('>')? + 1;
        text = &text[end..];
    }
    text.split('<').next()
}

#[test]
fn a_product_page_is_complete_html_with_the_first_variant_selected() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/products/linen-tee").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.content_type.starts_with("text/html"),
            "{}",
            page.content_type
        );
        assert_eq!(page.cache_control, CATALOG_CACHE);
        let html = &page.body;
        assert!(
            html.starts_with("<!DOCTYPE html>"),
            "{}",
            &html[..80.min(html.len())]
        );
        assert!(html.contains("<html lang=\"en\""));
        assert!(
            html.contains("<title>Linen Tee · Emporium</title>"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/products/linen-tee\" rel=\"canonical\""),
            "{html}"
        );
        assert!(html.contains("name=\"description\" content=\"A breathable tee. Made from &lt;b&gt;linen&lt;/b&gt;.\""), "{html}");
        assert!(html.contains("/pkg/emporium.js"), "no hydration script");
        assert!(html.contains("href=\"/pkg/emporium.css\""));
        assert_eq!(testid_text(html, "price"), Some("€10.00"), "{html}");
        assert_eq!(testid_text(html, "sku"), Some("TEE-S_RED"));
        assert_eq!(testid_text(html, "availability"), Some("In stock"));
        assert!(html.contains("data-testid=\"option-size\""));
        assert!(html.contains("data-testid=\"option-color\""));
        // Size M keeps Color Red; Color Blue has no S, so it falls back to M / Blue.
        assert!(
            html.contains("href=\"/products/linen-tee?variant=var_m_red\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"/products/linen-tee?variant=var_m_blue\""),
            "{html}"
        );
        assert!(html.contains("aria-current=\"true\""));
        // Breadcrumb through the tree; gallery in image order.
        assert!(html.contains("href=\"/categories/clothing\""));
        assert!(html.contains("href=\"/categories/tops\""));
        let first = html.find("tee-1.svg").unwrap_or(usize::MAX);
        let second = html.find("tee-2.svg").unwrap_or(0);
        assert!(first < second, "images out of order");
        // JSON-LD with a decimal price and nothing that could close the script.
        let ld_start = html.find("application/ld+json").unwrap_or(0);
        let ld = &html[ld_start..];
        let ld = &ld[ld.find('>').unwrap_or(0) + 1..ld.find("</script>").unwrap_or(0)];
        let doc: serde_json::Value = serde_json::from_str(ld).unwrap_or_default();
        assert_eq!(doc["@type"], "Product", "{ld}");
        assert_eq!(doc["sku"], "TEE-S_RED");
        assert_eq!(doc["offers"]["price"], "10.00");
        assert_eq!(doc["offers"]["priceCurrency"], "EUR");
        assert_eq!(doc["offers"]["availability"], "https://schema.org/InStock");
        assert!(!ld.contains("<b>"));
    })
}

#[test]
fn the_variant_and_currency_come_from_the_query() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/products/linen-tee?variant=var_m_blue&currency=usd").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(testid_text(&page.body, "price"), Some("$14.50"));
        assert_eq!(testid_text(&page.body, "sku"), Some("TEE-M_BLUE"));
        // Links keep the chosen currency.
        assert!(
            page.body
                .contains("href=\"/products/linen-tee?variant=var_m_red&amp;currency=USD\""),
            "{}",
            page.body
        );
        // The product is fetched once: the variant is chosen from it, not fetched.
        let product_calls = site
            .api
            .requests()
            .iter()
            .filter(|r| r.starts_with("/store/products/"))
            .count();
        assert_eq!(product_calls, 1);
    })
}

#[test]
fn an_unknown_product_is_a_404_that_is_not_cached() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/products/nope").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.cache_control, "no-store");
        assert!(page.body.contains("Page not found"));
        assert!(
            page.body.contains("class=\"brand\""),
            "the 404 keeps the shop frame"
        );
    })
}

#[test]
fn an_unknown_path_is_a_404_page() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/no/such/page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.cache_control, "no-store");
        assert!(page.body.contains("Page not found"));
    })
}

#[test]
fn unknown_categories_and_collections_are_404s() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        assert_eq!(
            get(&site, "/categories/nope").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&site, "/collections/nope").await.status,
            StatusCode::NOT_FOUND
        );
    })
}

#[test]
fn a_category_page_has_breadcrumb_sort_grid_and_next_page() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/categories/tops?sort=price_desc&currency=USD").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, CATALOG_CACHE);
        let html = &page.body;
        assert!(html.contains("<title>Tops · Emporium</title>"));
        assert!(html.contains("href=\"/categories/tops\" rel=\"canonical\""));
        assert!(html.contains("aria-label=\"Breadcrumb\""));
        assert!(
            html.contains("<a href=\"/categories/clothing\">Clothing</a>"),
            "{html}"
        );
        assert!(html.contains("aria-current=\"page\">Tops<"), "{html}");
        assert!(html.contains("data-testid=\"product-card\""));
        assert!(html.contains("from $11.00"), "{html}");
        assert!(html.contains("alt=\"Linen tee, view 1\""));
        assert!(html.contains("href=\"/products/linen-tee?currency=USD\""));
        // The sort form works without JavaScript.
        assert!(
            html.contains("<form method=\"get\" action=\"/categories/tops\""),
            "{html}"
        );
        assert!(html.contains("value=\"price_desc\" selected"), "{html}");
        assert!(html.contains("name=\"currency\" value=\"USD\""));
        assert!(html.contains("type=\"submit\""));
        // Next page keeps the sort and currency.
        assert!(
            html.contains(
                "href=\"/categories/tops?sort=price_desc&amp;currency=USD&amp;cursor=page%202\""
            ),
            "{html}"
        );
        let asked = site.api.requests();
        assert!(
            asked.iter().any(|r| r.contains("category=tops")
                && r.contains("sort=price_desc")
                && r.contains("currency=USD")),
            "{asked:?}"
        );
    })
}

#[test]
fn a_later_category_page_passes_the_cursor_and_links_back_to_the_first() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/categories/tops?cursor=page%202").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("<a href=\"/categories/tops\" class=\"button secondary\">First page</a>"),
            "{}",
            page.body
        );
        assert!(page
            .body
            .contains("href=\"/categories/tops?cursor=page%202\" rel=\"canonical\""));
        assert!(site
            .api
            .requests()
            .iter()
            .any(|r| r.contains("cursor=page+2") || r.contains("cursor=page%202")));
    })
}

#[test]
fn a_cursor_the_api_rejects_is_a_404_not_an_error_page() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/categories/tops?cursor=bad").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.cache_control, "no-store");
    })
}

#[test]
fn a_collection_page_lists_its_products() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/collections/summer").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, CATALOG_CACHE);
        assert!(page.body.contains("<h1>Summer Edit</h1>"), "{}", page.body);
        assert!(page.body.contains("Light things for hot days."));
        assert!(page.body.contains("data-testid=\"product-card\""));
        assert!(page.body.contains("from €10.00"));
    })
}

#[test]
fn the_home_page_shows_categories_collections_and_new_arrivals() {
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, CATALOG_CACHE);
        let html = &page.body;
        assert!(html.contains("<title>Emporium</title>"), "{html}");
        assert!(html.contains("href=\"/collections/summer\""));
        assert!(html.contains("href=\"/categories/home-goods\""));
        assert!(html.contains("New arrivals"));
        assert!(html.contains("data-testid=\"product-card\""));
        assert!(site
            .api
            .requests()
            .iter()
            .any(|r| r.contains("sort=newest") && r.contains("limit=8")));
    })
}

#[test]
fn server_functions_answer_over_http_with_typed_errors() {
    let _serial = SERIAL.lock();
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
    let _serial = SERIAL.lock();
    runtime().block_on(async {
        let site = site();
        // The site root of this test is the crate dir; Cargo.toml stands in for a bundle file.
        let file = get(&site, "/Cargo.toml").await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(file.body.contains("emporium-storefront"));
    })
}
