//! Emporium's storefront: a Leptos 0.8 app rendered on the server (feature `ssr`) and
//! hydrated in the browser (feature `hydrate`, built for wasm32 by the
//! `emporium-storefront-hydrate` crate).
//!
//! It speaks only the public Store API, through the typed [`emporium_client::Client`]
//! the server puts into context; pages read it through the server functions in
//! [`store_api`]. Every page is complete HTML from the server (`SsrMode::Async`), so
//! the shop works with JavaScript off; after hydration, links navigate client-side.
//!
//! Layout:
//! - [`App`] (routes, header, footer) and [`shell`] (the HTML document);
//! - pages: [`home`], [`category`], [`collection`], [`product`], [`search`] (results
//!   with filters), [`cart`], [`checkout`], [`order`] (confirmation), [`sign_in`] (sign in, register, confirm the email, reset
//!   the password), [`account`] (the customer's profile, addresses and orders), and the
//!   404 in [`layout`];
//! - [`cart_api`]: the cart, checkout and order server functions (cookie `emporium_cart`),
//!   and the session every call carries (cookie `emporium_session`);
//! - [`account_api`]: the account server functions; [`form`]: what the forms share;
//! - [`region`]: the shopper's region (the header's "Ship to / currency" form, cookie
//!   `emporium_region`), which sets the currency of prices and of new carts;
//! - [`search_box`]: the header's search box (suggestions as the shopper types);
//! - [`listing`] (product grid, sort, pagination), [`categories`] (the shared tree),
//!   [`query`] (URL parameters), [`seo`] (head tags), [`response`] (status and caching);
//! - `router` (ssr only): the axum router the `emporium` binary mounts, with
//!   [`page_cache`] (ssr only) in front of the pages.

// Leptos views are deeply nested types; the order and checkout pages exceed the default.
#![recursion_limit = "256"]

pub mod account;
pub mod account_api;
pub mod cart;
pub mod cart_api;
pub mod categories;
pub mod category;
pub mod checkout;
pub mod collection;
pub mod error;
pub mod form;
pub mod home;
pub mod layout;
pub mod listing;
pub mod order;
#[cfg(feature = "ssr")]
pub mod page_cache;
pub mod product;
pub mod query;
pub mod region;
pub mod response;
pub mod search;
pub mod search_box;
pub mod seo;
pub mod sign_in;
pub mod store_api;

use leptos::{config::LeptosOptions, prelude::*};
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    account::{
        AccountAddressPage, AccountContext, AccountOrderPage, AccountOrdersPage, AccountPage,
    },
    cart::{CartContext, CartPage},
    categories::CategoryTree,
    category::CategoryPage,
    checkout::CheckoutPage,
    collection::CollectionPage,
    home::HomePage,
    layout::{NotFound, SiteFooter, SiteHeader},
    order::OrderPage,
    product::ProductPage,
    region::Regions,
    search::SearchPage,
    sign_in::{ForgotPage, LoginPage, RegisterPage, ResetPage, VerifyPage},
};

pub use crate::cart_api::StorefrontConfig;

/// The HTML document around [`App`]: what the server sends for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f2a44"/>
                <link rel="stylesheet" href="/pkg/emporium.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The storefront: header, the page for the URL, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    CategoryTree::provide();
    Regions::provide();
    CartContext::provide();
    AccountContext::provide();
    // Browser tests wait for this before relying on client-side behaviour. Effects run
    // only in the browser, after hydration.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() || title == "Emporium" {
                "Emporium".to_owned()
            } else {
                format!("{title} · Emporium")
            }
        }/>
        <Router>
            <SiteHeader/>
            <main id="main" class="site-main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/categories/:handle") view=CategoryPage ssr=SsrMode::Async/>
                    <Route path=path!("/collections/:handle") view=CollectionPage ssr=SsrMode::Async/>
                    <Route path=path!("/products/:handle") view=ProductPage ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async/>
                    <Route path=path!("/checkout") view=CheckoutPage ssr=SsrMode::Async/>
                    <Route path=path!("/orders/:id") view=OrderPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/register") view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/verify") view=VerifyPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/forgot") view=ForgotPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/reset") view=ResetPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/orders") view=AccountOrdersPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/orders/:id") view=AccountOrderPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/addresses/:id") view=AccountAddressPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <SiteFooter/>
        </Router>
    }
}

/// The storefront's axum router: every page (server-rendered with the `client` in
/// context), the server functions at `/api/catalog/*`, `/api/search/*`, `/api/cart/*`,
/// `/api/checkout/*`, `/api/orders/*`, `/api/region/*` and `/api/account/*`, the files under
/// `options.site_root` (the `/pkg` bundle, `/favicon.svg`) and, as the fallback, the 404
/// page. It has no state, so the binary can merge it with the API router. Stripe is not
/// offered; see [`router_with_config`].
#[cfg(feature = "ssr")]
pub fn router(client: emporium_client::Client, options: LeptosOptions) -> axum::Router {
    router_with_config(client, options, StorefrontConfig::default())
}

/// [`router`] with storefront settings (e.g. Stripe's publishable key, which makes
/// checkout offer card payment).
#[cfg(feature = "ssr")]
pub fn router_with_config(
    client: emporium_client::Client,
    options: LeptosOptions,
    config: StorefrontConfig,
) -> axum::Router {
    use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};

    let page_cache = std::sync::Arc::new(page_cache::PageCache::new(config.page_cache_ttl));
    // Called once per request, in the request's reactive owner.
    let provide_client = move || {
        leptos::nonce::provide_nonce();
        provide_context(client.clone());
        provide_context(config.clone());
        cart_api::session::provide_request_state();
    };
    // The route list is generated once per process. Generating it runs the app with a
    // process-wide "suppress resource loads" flag set, and a resource first polled by a
    // concurrent render while that flag is up never resolves (leptos-rs/leptos#4773):
    // building a second router while the first one serves would hang that render. The
    // routes are static, so one generation serves every router.
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    // `leptos_routes_with_context` also registers every server function, handled with
    // the same context as the pages.
    axum::Router::<LeptosOptions>::new()
        .leptos_routes_with_context(&options, routes, provide_client.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<LeptosOptions, _>(
            provide_client,
            shell,
        ))
        .with_state(options)
        .layer(axum::middleware::from_fn_with_state(
            page_cache,
            page_cache::serve_cached,
        ))
        .layer(axum::middleware::from_fn(security_headers))
}

/// What storefront responses may load and run: scripts from this origin and Stripe.js
/// (the order page's Payment Element) and the WASM bundle (`wasm-unsafe-eval`); frames
/// only Stripe's; no page may be framed (clickjacking). No inline script runs unless it
/// carries the page's nonce (see [`content_security_policy`]). Inline styles stay
/// allowed: style attributes cannot carry a nonce, and they run no code.
#[cfg(feature = "ssr")]
fn content_security_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map_or(String::new(), |n| format!(" 'nonce-{n}'"));
    format!(
        "default-src 'self'; \
         script-src 'self'{inline} 'wasm-unsafe-eval' https://js.stripe.com; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; \
         connect-src 'self' https://api.stripe.com; \
         frame-src https://js.stripe.com https://hooks.stripe.com; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )
}

/// A rendered page's policy names its nonce: the hydration scripts, and any inline
/// script a page adds (`nonce=use_nonce()`), carry it, and nothing else inline runs.
#[cfg(feature = "ssr")]
fn set_page_policy() {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// Security headers on every storefront response (pages, server functions, files).
/// HSTS only when the request reached us over HTTPS (directly or through the proxy's
/// `x-forwarded-proto`): on plain-HTTP development it would pin browsers to HTTPS.
#[cfg(feature = "ssr")]
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use http::{header, HeaderValue};
    let https = request.uri().scheme_str() == Some("https")
        || request
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page set its own, naming its nonce; everything else gets the policy without one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(value) = HeaderValue::from_str(&content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
