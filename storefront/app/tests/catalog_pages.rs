//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! Category, collection and home pages rendered on the server, and the 404s for unknown
//! paths, categories, collections and cursors.

mod fixture;
mod support;

use http::StatusCode;
use support::{get, runtime, site, CATALOG_CACHE};

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
