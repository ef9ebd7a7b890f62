//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! The cart without and with JavaScript: plain form POSTs to the cart server functions,
//! the redirects they answer with, the cart page and the header count.

mod fixture;
mod support;

use http::StatusCode;
use support::{
    add_two_tees, cookie_pair, get, get_with_cookie, post_form, runtime, site, testid_text, PRIVATE,
};

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
                .contains("the code `OLD` cannot be used on this cart"),
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
