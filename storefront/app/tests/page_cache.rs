//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! The page cache in front of the server-rendered pages: what is kept, what is served
//! from it and what never is.

mod fixture;
mod support;

use axum::body::Body;
use http::{header, Request, StatusCode};
use support::{cached_site, get, get_with_cookie, runtime, send, site};

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
