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

struct Site {
    router: axum::Router,
    api: FixtureApi,
}

fn site() -> Site {
    site_with(emporium_storefront::StorefrontConfig::default())
}

fn site_with(config: emporium_storefront::StorefrontConfig) -> Site {
    let api = FixtureApi::default();
    let options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("emporium"))
        .site_root(Arc::<str>::from(env!("CARGO_MANIFEST_DIR")))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .build();
    // Tests build routers while other tests render: `router` generates the route list
    // once per process, so that is safe (see leptos-rs/leptos#4773 in its comment).
    let router = emporium_storefront::router_with_config(Client::new(api.clone()), options, config);
    Site { router, api }
}

struct Answer {
    status: StatusCode,
    cache_control: String,
    content_type: String,
    location: String,
    set_cookies: Vec<String>,
    /// `x-page-cache`: "hit", "miss" (rendered and kept) or "" (not cacheable).
    page_cache: String,
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
    let location = header(header::LOCATION);
    let page_cache = header(emporium_storefront::page_cache::CACHE_STATUS);
    let set_cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    Answer {
        status,
        cache_control,
        content_type,
        location,
        set_cookies,
        page_cache,
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

fn cached_site() -> Site {
    site_with(emporium_storefront::StorefrontConfig {
        page_cache_ttl: std::time::Duration::from_secs(60),
        ..Default::default()
    })
}

#[test]
fn an_anonymous_catalog_page_is_rendered_once_and_then_served_from_the_page_cache() {
    runtime().block_on(async {
        let site = cached_site();
        let first = get(&site, "/products/linen-tee").await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.page_cache, "miss");
        let second = get(&site, "/products/linen-tee").await;
        assert_eq!(second.page_cache, "hit");
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.body, first.body);
        assert_eq!(second.cache_control, first.cache_control);
        assert!(second.content_type.starts_with("text/html"));
        // A reload that asks for a fresh copy is rendered again.
        let fresh = send(
            &site,
            Request::get("/products/linen-tee")
                .header(header::CACHE_CONTROL, "no-cache")
                .body(Body::empty())
                .unwrap_or_default(),
        )
        .await;
        assert_eq!(fresh.page_cache, "miss");
        assert_eq!(fresh.status, StatusCode::OK);
        // Another query string is another page.
        let usd = get(&site, "/products/linen-tee?currency=usd").await;
        assert_eq!(usd.page_cache, "miss");
        assert_ne!(usd.body, first.body);
    });
}

#[test]
fn the_page_cache_never_serves_shoppers_with_a_cart_nor_keeps_private_or_missing_pages() {
    runtime().block_on(async {
        let site = cached_site();
        let anonymous = get(&site, "/products/linen-tee").await;
        assert_eq!(anonymous.page_cache, "miss");
        for _ in 0..2 {
            let personal =
                get_with_cookie(&site, "/products/linen-tee", "emporium_cart=cart_1").await;
            assert_eq!(personal.status, StatusCode::OK);
            assert_eq!(
                personal.page_cache, "",
                "a shopper with a cart gets their own render"
            );
            let missing = get(&site, "/products/nope").await;
            assert_eq!(missing.status, StatusCode::NOT_FOUND);
            assert_eq!(missing.page_cache, "", "a 404 is never kept");
            let cart = get(&site, "/cart").await;
            assert_eq!(cart.page_cache, "", "the cart page is private");
        }
    });
}

#[test]
fn without_a_ttl_every_request_renders() {
    runtime().block_on(async {
        let site = site();
        for _ in 0..2 {
            assert_eq!(get(&site, "/products/linen-tee").await.page_cache, "");
        }
    });
}

#[test]
fn a_product_page_is_complete_html_with_the_first_variant_selected() {
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
            .filter(|r| r.starts_with("/store/products/") && !r.contains("/availability"))
            .count();
        assert_eq!(product_calls, 1);
    })
}

#[test]
fn an_unknown_product_is_a_404_that_is_not_cached() {
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
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/categories/tops?cursor=bad").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.cache_control, "no-store");
    })
}

#[test]
fn a_collection_page_lists_its_products() {
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

// ---------------------------------------------------------------------------------
// Cart, checkout and order: plain form POSTs to the server functions (JavaScript off),
// the redirects they answer with, and the pages they lead to.

const PRIVATE: &str = "private, no-store";

async fn get_with_cookie(site: &Site, uri: &str, cookie: &str) -> Answer {
    let request = Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap_or_default();
    send(site, request).await
}

/// A form POST as a browser sends it without JavaScript (`accept_html`), or as the
/// hydrated app's server-function client does.
async fn post_form(
    site: &Site,
    uri: &str,
    body: &str,
    cookie: Option<&str>,
    accept_html: bool,
) -> Answer {
    let mut request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::ACCEPT,
            if accept_html {
                "text/html,application/xhtml+xml,*/*;q=0.8"
            } else {
                "application/json"
            },
        );
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(
        site,
        request
            .body(Body::from(body.to_owned()))
            .unwrap_or_default(),
    )
    .await
}

/// `name=value` of the Set-Cookie for `name`.
fn cookie_pair(answer: &Answer, name: &str) -> Option<String> {
    answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

/// Adds two S / Red tees without JavaScript and returns the cart cookie.
async fn add_two_tees(site: &Site) -> String {
    let added = post_form(
        site,
        "/api/cart/add",
        "variant_id=var_s_red&quantity=2&back=%2Fproducts%2Flinen-tee%3Fvariant%3Dvar_s_red",
        None,
        true,
    )
    .await;
    assert_eq!(added.status, StatusCode::FOUND, "{}", added.body);
    cookie_pair(&added, "emporium_cart").unwrap_or_default()
}

const CHECKOUT_FORM: &str = "idempotency_key=chk_test_1&email=ada%40example.com\
    &shipping_name=Ada+Lovelace&shipping_line1=1+Main+St&shipping_line2=\
    &shipping_city=Berlin&shipping_postal_code=10115&shipping_country=DE\
    &billing_same=on&billing_name=&billing_line1=&billing_line2=&billing_city=\
    &billing_postal_code=&billing_country=DE\
    &shipping_option_id=ship_standard&payment_method=manual";

#[test]
fn the_cart_page_has_an_empty_state_and_the_header_counts_nothing() {
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/cart").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        assert!(
            page.body.contains("data-testid=\"cart-empty\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("Your cart is empty."));
        assert_eq!(testid_text(&page.body, "cart-count"), Some("Cart (0)"));
        // Without a cookie no cart is asked for, let alone created.
        assert!(!site
            .api
            .requests()
            .iter()
            .any(|r| r.starts_with("/store/carts")));
    })
}

#[test]
fn add_to_cart_without_javascript_sets_an_httponly_cookie_and_redirects_to_the_cart() {
    runtime().block_on(async {
        let site = site();
        let product = get(&site, "/products/linen-tee").await;
        assert!(
            product.body.contains("action=\"/api/cart/add\""),
            "{}",
            product.body
        );
        assert!(
            product
                .body
                .contains("name=\"variant_id\" value=\"var_s_red\""),
            "{}",
            product.body
        );
        assert!(product.body.contains("data-testid=\"add-to-cart\""));
        assert!(product
            .body
            .contains("<label for=\"add-quantity\">Quantity</label>"));

        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red&quantity=2&back=%2Fproducts%2Flinen-tee",
            None,
            true,
        )
        .await;
        assert_eq!(added.status, StatusCode::FOUND, "{}", added.body);
        assert_eq!(added.location, "/cart");
        let set_cookie = added
            .set_cookies
            .iter()
            .find(|c| c.starts_with("emporium_cart="))
            .cloned()
            .unwrap_or_default();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        assert!(set_cookie.contains("Path=/;"), "{set_cookie}");
        let cookie = cookie_pair(&added, "emporium_cart").unwrap_or_default();
        assert_eq!(cookie, "emporium_cart=cart_1");

        // A second add goes into the same cart.
        let again = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_m_red&quantity=1",
            Some(&cookie),
            true,
        )
        .await;
        assert_eq!(again.location, "/cart");
        assert!(
            cookie_pair(&again, "emporium_cart").is_none(),
            "no new cart"
        );
        assert_eq!(site.api.cart("cart_1").map(|c| c.item_count), Some(3));
    })
}

#[test]
fn the_cart_page_lists_lines_totals_and_the_header_count() {
    runtime().block_on(async {
        let site = site();
        let cookie = add_two_tees(&site).await;
        let page = get_with_cookie(&site, "/cart", &cookie).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        let html = &page.body;
        assert_eq!(
            html.matches("data-testid=\"cart-line\"").count(),
            1,
            "{html}"
        );
        assert!(html.contains("Linen Tee"));
        assert!(html.contains("S / Red"));
        assert_eq!(testid_text(html, "unit-price"), Some("€10.00"));
        assert_eq!(testid_text(html, "cart-total"), Some("€20.00"), "{html}");
        assert_eq!(testid_text(html, "cart-count"), Some("Cart (2)"));
        assert!(html.contains("Calculated at checkout"));
        assert!(html.contains("Tax (incl.)"));
        assert!(html.contains("action=\"/api/cart/update\""));
        assert!(html.contains("action=\"/api/cart/remove\""));
        assert!(html.contains("action=\"/api/cart/discount\""));
        assert!(html.contains("<label for=\"discount-code\">Discount code</label>"));
        assert!(html.contains("href=\"/checkout\""));
        // Catalog pages show the count too, and are then not for shared caches.
        let product = get_with_cookie(&site, "/products/linen-tee", &cookie).await;
        assert_eq!(testid_text(&product.body, "cart-count"), Some("Cart (2)"));
        assert_eq!(product.cache_control, "private, no-cache");
    })
}

#[test]
fn quantity_updates_removal_and_discounts_work_as_plain_forms() {
    runtime().block_on(async {
        let site = site();
        let cookie = add_two_tees(&site).await;
        let updated = post_form(
            &site,
            "/api/cart/update",
            "line_id=cali_1&quantity=3",
            Some(&cookie),
            true,
        )
        .await;
        assert_eq!(updated.location, "/cart", "{}", updated.body);
        assert_eq!(site.api.cart("cart_1").map(|c| c.item_count), Some(3));

        let expired = post_form(&site, "/api/cart/discount", "code=OLD", Some(&cookie), true).await;
        assert!(
            expired.location.starts_with("/cart?error="),
            "{}",
            expired.location
        );
        assert!(
            expired.location.ends_with("&field=code"),
            "{}",
            expired.location
        );
        let page = get_with_cookie(&site, &expired.location, &cookie).await;
        assert!(
            page.body
                .contains("this discount code expired on 2024-12-31"),
            "{}",
            page.body
        );
        assert!(page.body.contains("role=\"alert\""));
        assert!(page.body.contains("aria-describedby=\"discount-error\""));

        let applied = post_form(
            &site,
            "/api/cart/discount",
            "code=summer10",
            Some(&cookie),
            true,
        )
        .await;
        assert_eq!(applied.location, "/cart");
        let page = get_with_cookie(&site, "/cart", &cookie).await;
        assert_eq!(
            testid_text(&page.body, "discount-total"),
            Some("−€3.00"),
            "{}",
            page.body
        );
        assert_eq!(testid_text(&page.body, "cart-total"), Some("€27.00"));

        let removed = post_form(
            &site,
            "/api/cart/remove",
            "line_id=cali_1",
            Some(&cookie),
            true,
        )
        .await;
        assert_eq!(removed.location, "/cart");
        let page = get_with_cookie(&site, "/cart", &cookie).await;
        assert!(page.body.contains("data-testid=\"cart-empty\""));
    })
}

#[test]
fn out_of_stock_is_shown_on_the_product_page_not_as_an_error_page() {
    runtime().block_on(async {
        let site = site();
        let refused = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_m_blue&quantity=1&back=%2Fproducts%2Flinen-tee%3Fvariant%3Dvar_m_blue",
            None,
            true,
        )
        .await;
        assert_eq!(refused.status, StatusCode::FOUND, "{}", refused.body);
        assert!(
            refused
                .location
                .starts_with("/products/linen-tee?variant=var_m_blue&error=only%200"),
            "{}",
            refused.location
        );
        let cookie = cookie_pair(&refused, "emporium_cart").unwrap_or_default();
        let page = get_with_cookie(&site, &refused.location, &cookie).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("only 0 of TEE-M_BLUE left in stock"),
            "{}",
            page.body
        );
        assert!(page.body.contains("role=\"alert\""));

        // An open redirect is not possible through `back`.
        let crafted = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_m_blue&back=%2F%2Fevil.example",
            None,
            true,
        )
        .await;
        assert!(
            crafted.location.starts_with("/cart?error="),
            "{}",
            crafted.location
        );
    })
}

#[test]
fn with_javascript_add_to_cart_answers_with_the_cart_and_no_redirect() {
    runtime().block_on(async {
        let site = site();
        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red&quantity=1",
            None,
            false,
        )
        .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        assert!(added.location.is_empty());
        let cart: emporium_client::commerce::Cart =
            serde_json::from_str(&added.body).unwrap_or_else(|_| panic!("{}", added.body));
        assert_eq!(cart.item_count, 1);
        assert!(cookie_pair(&added, "emporium_cart").is_some());

        let refused = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_m_blue&quantity=1",
            None,
            false,
        )
        .await;
        assert!(refused.status.is_server_error() || refused.status.is_client_error());
        let error: emporium_storefront::cart_api::ShopError =
            serde_json::from_str(&refused.body).unwrap_or_else(|_| panic!("{}", refused.body));
        assert!(error.message().contains("left in stock"), "{error:?}");
    })
}

#[test]
fn a_stale_or_completed_cart_cookie_counts_as_no_cart() {
    runtime().block_on(async {
        let site = site();
        let page = get_with_cookie(&site, "/cart", "emporium_cart=cart_gone").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("data-testid=\"cart-empty\""));
        let cleared = cookie_pair(&page, "emporium_cart");
        assert_eq!(
            cleared.as_deref(),
            Some("emporium_cart="),
            "{:?}",
            page.set_cookies
        );

        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red",
            Some("emporium_cart=cart_gone"),
            true,
        )
        .await;
        assert_eq!(added.location, "/cart");
        assert!(
            added
                .set_cookies
                .iter()
                .any(|c| c.starts_with("emporium_cart=cart_")),
            "{:?}",
            added.set_cookies
        );
    })
}

#[test]
fn the_checkout_page_renders_a_labelled_form_with_an_idempotency_key() {
    runtime().block_on(async {
        let site = site();
        let empty = get(&site, "/checkout").await;
        assert!(empty.body.contains("data-testid=\"cart-empty\""));

        let cookie = add_two_tees(&site).await;
        let page = get_with_cookie(&site, "/checkout", &cookie).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        let html = &page.body;
        assert!(html.contains("action=\"/api/checkout/place\""), "{html}");
        assert!(
            html.contains("name=\"idempotency_key\" value=\"chk_"),
            "{html}"
        );
        for (id, name) in [
            ("field-email", "email"),
            ("field-shipping-address-name", "shipping_name"),
            ("field-shipping-address-line1", "shipping_line1"),
            ("field-shipping-address-line2", "shipping_line2"),
            ("field-shipping-address-city", "shipping_city"),
            ("field-shipping-address-postal-code", "shipping_postal_code"),
            ("field-shipping-address-country", "shipping_country"),
            ("field-billing-address-name", "billing_name"),
            ("field-billing-address-postal-code", "billing_postal_code"),
        ] {
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "no label for {id}"
            );
            assert!(html.contains(&format!("id=\"{id}\"")), "no input {id}");
            assert!(
                html.contains(&format!("name=\"{name}\"")),
                "no field {name}"
            );
        }
        assert!(html.contains("<legend>Shipping address</legend>"));
        assert!(
            html.contains("name=\"billing_same\" value=\"on\" checked"),
            "{html}"
        );
        assert!(html.contains("<option value=\"DE\" selected"), "{html}");
        assert!(html.contains("value=\"ship_standard\" checked"), "{html}");
        assert!(html.contains("value=\"ship_express\""));
        assert!(html.contains("value=\"manual\" checked"), "{html}");
        assert!(
            !html.contains("value=\"stripe\""),
            "Stripe is not configured"
        );
        assert!(html.contains("data-testid=\"place-order\""));
        assert_eq!(testid_text(html, "checkout-total"), Some("€20.00"));
        // Each render gets its own key.
        let again = get_with_cookie(&site, "/checkout", &cookie).await;
        let key = |html: &str| {
            let at = html.find("name=\"idempotency_key\" value=\"").unwrap_or(0);
            html[at..].split('"').nth(3).unwrap_or_default().to_owned()
        };
        assert_ne!(key(html), key(&again.body));
    })
}

#[test]
fn placing_an_order_redirects_to_its_confirmation_once_even_when_submitted_twice() {
    runtime().block_on(async {
        let site = site();
        let cookie = add_two_tees(&site).await;
        let placed = post_form(
            &site,
            "/api/checkout/place",
            CHECKOUT_FORM,
            Some(&cookie),
            true,
        )
        .await;
        assert_eq!(placed.status, StatusCode::FOUND, "{}", placed.body);
        assert_eq!(placed.location, "/orders/ord_1001?token=tok_secret_1001");
        assert_eq!(
            cookie_pair(&placed, "emporium_cart").as_deref(),
            Some("emporium_cart=")
        );
        assert!(placed
            .set_cookies
            .iter()
            .any(|c| c.starts_with("emporium_cart=;") && c.contains("Max-Age=0")));

        // The same form again (a double click, a retried POST): the same order.
        let twice = post_form(
            &site,
            "/api/checkout/place",
            CHECKOUT_FORM,
            Some(&cookie),
            true,
        )
        .await;
        assert_eq!(twice.location, placed.location, "{}", twice.body);
        assert_eq!(site.api.order_count(), 1);

        let payment = cookie_pair(&placed, "emporium_payment").unwrap_or_default();
        let page = get_with_cookie(&site, &placed.location, &payment).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        assert!(page.body.contains("Thank you"));
        assert_eq!(testid_text(&page.body, "order-number"), Some("1001"));
        assert_eq!(
            testid_text(&page.body, "order-status"),
            Some("Awaiting payment")
        );
        assert!(page.body.contains("Ada Lovelace"));
        assert!(page.body.contains("data-testid=\"order-line\""));
        assert!(page.body.contains("IBAN DE00"), "{}", page.body);
        assert_eq!(testid_text(&page.body, "order-total"), Some("€24.95"));
        assert!(!page.body.contains("js.stripe.com"));

        // The header no longer counts the completed cart.
        assert_eq!(testid_text(&page.body, "cart-count"), Some("Cart (0)"));
    })
}

#[test]
fn a_wrong_order_token_is_a_404() {
    runtime().block_on(async {
        let site = site();
        let cookie = add_two_tees(&site).await;
        let placed = post_form(
            &site,
            "/api/checkout/place",
            CHECKOUT_FORM,
            Some(&cookie),
            true,
        )
        .await;
        assert!(placed.location.starts_with("/orders/ord_1001"));
        let wrong = get(&site, "/orders/ord_1001?token=guess").await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert!(wrong.body.contains("Page not found"));
        assert!(!wrong.body.contains("Ada Lovelace"));
        let none = get(&site, "/orders/ord_1001").await;
        assert_eq!(none.status, StatusCode::NOT_FOUND);
    })
}

#[test]
fn a_rejected_checkout_comes_back_with_the_error_at_the_field_and_the_values_kept() {
    runtime().block_on(async {
        let site = site();
        let cookie = add_two_tees(&site).await;
        let form = CHECKOUT_FORM.replace("shipping_postal_code=10115", "shipping_postal_code=");
        let refused = post_form(&site, "/api/checkout/place", &form, Some(&cookie), true).await;
        assert_eq!(refused.status, StatusCode::FOUND, "{}", refused.body);
        assert!(
            refused.location.starts_with("/checkout?error="),
            "{}",
            refused.location
        );
        assert!(refused
            .location
            .ends_with("&field=shipping_address.postal_code"));
        assert_eq!(site.api.order_count(), 0);
        let saved = cookie_pair(&refused, "emporium_checkout").unwrap_or_default();
        assert!(!saved.is_empty(), "{:?}", refused.set_cookies);

        let page = get_with_cookie(&site, &refused.location, &format!("{cookie}; {saved}")).await;
        let html = &page.body;
        assert!(html.contains("role=\"alert\""), "{html}");
        assert!(html.contains("shipping_address.postal_code must not be empty"));
        assert!(
            html.contains("aria-describedby=\"error-shipping-address-postal-code\""),
            "{html}"
        );
        assert!(html.contains("id=\"error-shipping-address-postal-code\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(
            html.contains("value=\"Ada Lovelace\""),
            "the name is kept: {html}"
        );
        assert!(html.contains("value=\"ada@example.com\""));
    })
}

#[test]
fn the_product_page_shows_stock_per_variant_and_a_sold_out_variant_cannot_be_added() {
    runtime().block_on(async {
        let site = site();
        let in_stock = get(&site, "/products/linen-tee?variant=var_s_red").await;
        assert_eq!(in_stock.status, StatusCode::OK);
        assert!(
            in_stock
                .body
                .contains("data-testid=\"availability\" class=\"in-stock\">In stock<"),
            "{}",
            in_stock.body
        );
        assert!(in_stock.body.contains("https://schema.org/InStock"));
        let sold_out = get(&site, "/products/linen-tee?variant=var_m_blue").await;
        assert!(
            sold_out
                .body
                .contains("data-testid=\"availability\" class=\"out-of-stock\">Sold out<"),
            "{}",
            sold_out.body
        );
        assert!(sold_out.body.contains("https://schema.org/OutOfStock"));
        // The form carries no variant, so a submit cannot add the sold-out one.
        assert!(
            sold_out.body.contains("name=\"variant_id\" value=\"\""),
            "{}",
            sold_out.body
        );
    });
}
