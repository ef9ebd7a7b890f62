//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! The product page rendered on the server: variants, currency, stock and 404s.

mod fixture;
mod support;

use http::StatusCode;
use support::{
    cookie_pair, get, get_with_cookie, post_form, runtime, site, testid_text, CATALOG_CACHE,
};

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
