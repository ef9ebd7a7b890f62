//! Helpers shared by the server-rendering tests (`catalog_pages`, `product_page`,
//! `cart_pages`, `checkout_pages`, `page_cache`, `endpoints`, `region`,
//! `account_pages`): one runtime, a site on
//! the fixture Store API, and requests as a browser or the hydrated app sends them.
//! Each test crate uses only some of them.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use emporium_client::Client;
use http::{header, Request, StatusCode};
use leptos::config::LeptosOptions;
use tower::ServiceExt;

use crate::fixture::FixtureApi;

/// One runtime for every test, as in the server. Leptos keeps process-wide state (its
/// executor hooks); renders started on per-test runtimes that shut down while another
/// test awaits them hung that other test now and then.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

pub struct Site {
    pub router: axum::Router,
    pub api: FixtureApi,
}

pub fn site() -> Site {
    site_with(emporium_storefront::StorefrontConfig::default())
}

pub fn site_with(config: emporium_storefront::StorefrontConfig) -> Site {
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

pub struct Answer {
    pub status: StatusCode,
    pub cache_control: String,
    pub content_type: String,
    pub location: String,
    pub set_cookies: Vec<String>,
    /// `x-page-cache`: "hit", "miss" (rendered and kept) or "" (not cacheable).
    pub page_cache: String,
    /// Every response header, by lower-case name.
    pub headers: http::HeaderMap,
    pub body: String,
}

pub async fn send(site: &Site, request: Request<Body>) -> Answer {
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
    let headers = response.headers().clone();
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
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(site: &Site, uri: &str) -> Answer {
    let request = Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap_or_default();
    send(site, request).await
}

pub const CATALOG_CACHE: &str = "public, max-age=0, s-maxage=60, stale-while-revalidate=300";

/// The text between `<tag ...data-testid="id"...>` and the next `<`.
pub fn testid_text<'a>(html: &'a str, id: &str) -> Option<&'a str> {
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

pub fn cached_site() -> Site {
    site_with(emporium_storefront::StorefrontConfig {
        page_cache_ttl: std::time::Duration::from_secs(60),
        ..Default::default()
    })
}

pub const PRIVATE: &str = "private, no-store";

pub async fn get_with_cookie(site: &Site, uri: &str, cookie: &str) -> Answer {
    let request = Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap_or_default();
    send(site, request).await
}

/// A form POST as a browser sends it without JavaScript (`accept_html`), or as the
/// hydrated app's server-function client does.
pub async fn post_form(
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

/// The whole Set-Cookie line for `name`.
pub fn set_cookie_line(answer: &Answer, name: &str) -> Option<String> {
    answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .cloned()
}

/// `name=value` of the Set-Cookie for `name`.
pub fn cookie_pair(answer: &Answer, name: &str) -> Option<String> {
    answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

/// Adds two S / Red tees without JavaScript and returns the cart cookie.
pub async fn add_two_tees(site: &Site) -> String {
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

pub const CHECKOUT_FORM: &str = "idempotency_key=chk_test_1&email=ada%40example.com\
    &shipping_name=Ada+Lovelace&shipping_line1=1+Main+St&shipping_line2=\
    &shipping_city=Berlin&shipping_postal_code=10115&shipping_country=DE\
    &billing_same=on&billing_name=&billing_line1=&billing_line2=&billing_city=\
    &billing_postal_code=&billing_country=DE\
    &shipping_option_id=ship_standard&payment_method=manual";
