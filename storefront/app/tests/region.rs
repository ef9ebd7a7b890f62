//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! The shopper's region: the header's "Ship to / currency" form as a plain POST, the
//! cookie it sets, prices and new carts in the region's currency, the cart moving along
//! when the region changes, and the page cache keeping regions apart.

mod fixture;
mod support;

use emporium_storefront::region::RegionSwitch;
use http::StatusCode;
use support::{
    add_two_tees, cached_site, cookie_pair, get, get_with_cookie, post_form, runtime, site,
    testid_text, CATALOG_CACHE,
};

/// The cookie a shopper who chose the United States sends.
const US: &str = "emporium_region=reg_us";

/// What the region form posts to choose `region` from the page `back`.
fn choose(region: &str, back: &str) -> String {
    format!(
        "region_id={region}&back={}",
        emporium_storefront::query::encode(back)
    )
}

/// The `Set-Cookie` header for `name`, whole.
fn set_cookie<'a>(answer: &'a support::Answer, name: &str) -> &'a str {
    answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(String::as_str)
        .unwrap_or_default()
}

#[test]
fn the_header_offers_the_regions_in_a_labelled_form_that_works_without_javascript() {
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/products/linen-tee?variant=var_m_red").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = &page.body;
        assert!(
            html.contains("method=\"post\" action=\"/api/region/set\""),
            "{html}"
        );
        assert!(
            html.contains("<label for=\"region-select\">Ship to / currency</label>"),
            "{html}"
        );
        assert!(html.contains("id=\"region-select\" name=\"region_id\""));
        assert!(
            html.contains("<option value=\"reg_eu\" selected"),
            "the default region is selected: {html}"
        );
        assert!(html.contains("United States · USD"), "{html}");
        assert!(
            html.contains("name=\"back\" value=\"/products/linen-tee?variant=var_m_red\""),
            "{html}"
        );
        assert!(html.contains("class=\"button small region-submit\""));

        let chosen = get_with_cookie(&site, "/", US).await;
        assert!(
            chosen.body.contains("<option value=\"reg_us\" selected"),
            "{}",
            chosen.body
        );
        assert!(!chosen.body.contains("<option value=\"reg_eu\" selected"));
    })
}

#[test]
fn choosing_the_us_region_sets_an_httponly_cookie_and_redirects_back() {
    runtime().block_on(async {
        let site = site();
        let chosen = post_form(
            &site,
            "/api/region/set",
            &choose(
                "reg_us",
                "/products/linen-tee?variant=var_m_red&currency=EUR&error=old",
            ),
            None,
            true,
        )
        .await;
        assert_eq!(chosen.status, StatusCode::FOUND, "{}", chosen.body);
        // An explicit currency would hide the choice: the way back drops it.
        assert_eq!(chosen.location, "/products/linen-tee?variant=var_m_red");
        let cookie = set_cookie(&chosen, "emporium_region");
        assert!(cookie.starts_with("emporium_region=reg_us;"), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/;"), "{cookie}");
        assert!(!cookie.contains("Max-Age=0"), "{cookie}");
        assert!(
            cookie_pair(&chosen, "emporium_cart").is_none(),
            "no cart is made for a choice"
        );

        // Only same-site paths are followed back.
        let crafted = post_form(
            &site,
            "/api/region/set",
            &choose("reg_us", "//evil.example/x"),
            None,
            true,
        )
        .await;
        assert_eq!(crafted.location, "/");

        // A region the API does not list changes nothing.
        let unknown = post_form(
            &site,
            "/api/region/set",
            &choose("reg_mars", "/cart"),
            None,
            true,
        )
        .await;
        assert!(
            unknown.location.starts_with("/cart?error="),
            "{}",
            unknown.location
        );
        assert!(unknown.location.ends_with("&field=region_id"));
        assert!(cookie_pair(&unknown, "emporium_region").is_none());

        // Back to the default region: the cookie goes, so the shared pages apply again.
        let default = post_form(
            &site,
            "/api/region/set",
            &choose("reg_eu", "/"),
            Some(US),
            true,
        )
        .await;
        assert_eq!(default.location, "/");
        let cleared = set_cookie(&default, "emporium_region");
        assert!(
            cleared.starts_with("emporium_region=;") && cleared.contains("Max-Age=0"),
            "{cleared}"
        );

        // The hydrated app's server-function client gets the switch, not a redirect.
        let json = post_form(
            &site,
            "/api/region/set",
            &choose("reg_us", "/"),
            None,
            false,
        )
        .await;
        assert_eq!(json.status, StatusCode::OK, "{}", json.body);
        assert!(json.location.is_empty());
        let switch: RegionSwitch =
            serde_json::from_str(&json.body).unwrap_or_else(|_| panic!("{}", json.body));
        assert_eq!(switch.region.currency, "USD");
        assert_eq!(switch.notice, None);
    })
}

#[test]
fn catalog_pages_show_prices_in_the_chosen_regions_currency() {
    runtime().block_on(async {
        let site = site();
        let product = get_with_cookie(&site, "/products/linen-tee", US).await;
        assert_eq!(product.status, StatusCode::OK);
        assert_eq!(
            testid_text(&product.body, "price"),
            Some("$11.00"),
            "{}",
            product.body
        );
        assert!(product.body.contains("\"priceCurrency\":\"USD\""));
        assert!(
            !product.body.contains("data-testid=\"currency-note\""),
            "prices and cart agree"
        );
        // A page priced for one shopper's region is not for shared caches.
        assert_eq!(product.cache_control, "private, no-cache");
        // Links do not pin the region's currency into the URL.
        assert!(
            product
                .body
                .contains("href=\"/products/linen-tee?variant=var_m_red\""),
            "{}",
            product.body
        );

        // An explicit currency in the URL still wins, and the page says the cart differs.
        let linked = get_with_cookie(&site, "/products/linen-tee?currency=EUR", US).await;
        assert_eq!(testid_text(&linked.body, "price"), Some("€10.00"));
        let note = testid_text(&linked.body, "currency-note").unwrap_or_default();
        assert!(note.contains("United States, USD"), "{note}");
        // The variant is sold in USD, so it can still be added (to the USD cart).
        assert!(linked
            .body
            .contains("name=\"variant_id\" value=\"var_s_red\""));

        let category = get_with_cookie(&site, "/categories/tops", US).await;
        assert!(category.body.contains("from $11.00"), "{}", category.body);
        assert!(category.body.contains("href=\"/products/linen-tee\""));
        let collection = get_with_cookie(&site, "/collections/summer", US).await;
        assert!(collection.body.contains("from $11.00"));
        let home = get_with_cookie(&site, "/", US).await;
        assert!(home.body.contains("from $11.00"), "{}", home.body);
        let asked = site.api.requests();
        assert!(
            asked
                .iter()
                .any(|r| r.contains("category=tops") && r.contains("currency=USD")),
            "{asked:?}"
        );
        assert!(asked
            .iter()
            .any(|r| r.contains("sort=newest") && r.contains("currency=USD")));

        // Without a choice: the default region's currency, for everyone alike.
        let anonymous = get(&site, "/products/linen-tee").await;
        assert_eq!(testid_text(&anonymous.body, "price"), Some("€10.00"));
        assert_eq!(anonymous.cache_control, CATALOG_CACHE);
    })
}

#[test]
fn a_cart_is_created_in_the_chosen_region_and_checks_out_in_its_currency() {
    runtime().block_on(async {
        let site = site();
        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red&quantity=1&back=%2Fproducts%2Flinen-tee",
            Some(US),
            true,
        )
        .await;
        assert_eq!(added.location, "/cart", "{}", added.body);
        let cart_cookie = cookie_pair(&added, "emporium_cart").unwrap_or_default();
        let cart = site.api.cart("cart_1");
        assert_eq!(cart.as_ref().map(|c| c.region.id.as_str()), Some("reg_us"));
        assert_eq!(cart.as_ref().map(|c| c.currency.as_str()), Some("USD"));
        assert_eq!(
            cart.as_ref()
                .and_then(|c| c.lines.first())
                .map(|l| l.unit_price),
            Some(1100)
        );

        let cookies = format!("{US}; {cart_cookie}");
        let page = get_with_cookie(&site, "/cart", &cookies).await;
        assert_eq!(testid_text(&page.body, "unit-price"), Some("$11.00"));
        assert!(
            testid_text(&page.body, "cart-total").is_some_and(|t| t.starts_with('$')),
            "{}",
            page.body
        );

        // Checkout offers the region's countries and shipping options, from the cart.
        let checkout = get_with_cookie(&site, "/checkout", &cookies).await;
        let html = &checkout.body;
        assert!(html.contains("<option value=\"US\" selected"), "{html}");
        assert!(!html.contains("<option value=\"DE\""), "{html}");
        assert!(
            html.contains("value=\"ship_us_standard\" checked"),
            "{html}"
        );
        assert!(!html.contains("value=\"ship_standard\""), "{html}");

        let form = support::CHECKOUT_FORM
            .replace("shipping_city=Berlin", "shipping_city=Austin")
            .replace("shipping_postal_code=10115", "shipping_postal_code=78701")
            .replace("shipping_country=DE", "shipping_country=US")
            .replace("billing_country=DE", "billing_country=US")
            .replace(
                "shipping_option_id=ship_standard",
                "shipping_option_id=ship_us_standard",
            );
        let placed = post_form(&site, "/api/checkout/place", &form, Some(&cookies), true).await;
        assert!(
            placed.location.starts_with("/orders/"),
            "{} {}",
            placed.location,
            placed.body
        );
        let payment = cookie_pair(&placed, "emporium_payment").unwrap_or_default();
        let order = get_with_cookie(&site, &placed.location, &payment).await;
        let total = testid_text(&order.body, "order-total").unwrap_or_default();
        // Subtotal, US standard shipping and the tax added on top.
        assert_eq!(total, "$18.39", "{}", order.body);
    })
}

#[test]
fn switching_region_recreates_the_cart_with_the_same_lines_in_the_new_currency() {
    runtime().block_on(async {
        let site = site();
        let eur_cart = add_two_tees(&site).await;
        assert_eq!(eur_cart, "emporium_cart=cart_1");
        let gift = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_gift&quantity=1",
            Some(&eur_cart),
            true,
        )
        .await;
        assert_eq!(gift.location, "/cart", "{}", gift.body);
        let code = post_form(
            &site,
            "/api/cart/discount",
            "code=SUMMER10",
            Some(&eur_cart),
            true,
        )
        .await;
        assert_eq!(code.location, "/cart");

        let switched = post_form(
            &site,
            "/api/region/set",
            &choose("reg_us", "/products/linen-tee"),
            Some(&eur_cart),
            true,
        )
        .await;
        assert_eq!(switched.status, StatusCode::FOUND, "{}", switched.body);
        // Something stayed behind, so the shopper is sent to the cart to read what.
        assert!(
            switched.location.starts_with("/cart?notice="),
            "{}",
            switched.location
        );
        let usd_cart = cookie_pair(&switched, "emporium_cart").unwrap_or_default();
        assert_eq!(usd_cart, "emporium_cart=cart_2");
        assert!(set_cookie(&switched, "emporium_region").starts_with("emporium_region=reg_us;"));
        let cart = site.api.cart("cart_2");
        assert_eq!(cart.as_ref().map(|c| c.currency.as_str()), Some("USD"));
        let lines: Vec<(String, i64, i64)> = cart
            .as_ref()
            .map(|c| {
                c.lines
                    .iter()
                    .map(|l| (l.variant_id.clone(), l.quantity, l.unit_price))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(lines, [("var_s_red".to_owned(), 2, 1100)]);
        assert_eq!(
            cart.as_ref()
                .and_then(|c| c.discount.as_ref())
                .map(|d| d.code.as_str()),
            Some("SUMMER10")
        );

        let cookies = format!("{US}; {usd_cart}");
        let page = get_with_cookie(&site, &switched.location, &cookies).await;
        let notice = testid_text(&page.body, "cart-notice").unwrap_or_default();
        assert!(
            notice.contains("Gift Card (not sold in USD)"),
            "{}",
            page.body
        );
        assert!(notice.contains("United States"), "{notice}");
        assert_eq!(testid_text(&page.body, "unit-price"), Some("$11.00"));
        assert_eq!(page.body.matches("data-testid=\"cart-line\"").count(), 1);

        // Back to Europe: everything comes along, so straight back to the page.
        let back = post_form(
            &site,
            "/api/region/set",
            &choose("reg_eu", "/products/linen-tee"),
            Some(&cookies),
            true,
        )
        .await;
        assert_eq!(back.location, "/products/linen-tee", "{}", back.body);
        assert_eq!(
            cookie_pair(&back, "emporium_cart").as_deref(),
            Some("emporium_cart=cart_3")
        );
        let cart = site.api.cart("cart_3");
        assert_eq!(cart.as_ref().map(|c| c.currency.as_str()), Some("EUR"));
        assert_eq!(
            cart.as_ref()
                .and_then(|c| c.lines.first())
                .map(|l| (l.quantity, l.unit_price)),
            Some((2, 1000))
        );

        // Choosing the region the cart is already in keeps the cart.
        let same = post_form(
            &site,
            "/api/region/set",
            &choose("reg_eu", "/"),
            Some("emporium_cart=cart_3"),
            true,
        )
        .await;
        assert_eq!(same.location, "/");
        assert!(cookie_pair(&same, "emporium_cart").is_none());
    })
}

#[test]
fn a_page_cached_for_eur_is_not_served_to_a_usd_shopper() {
    runtime().block_on(async {
        let site = cached_site();
        let eur = get(&site, "/products/linen-tee").await;
        assert_eq!(eur.page_cache, "miss");
        assert_eq!(get(&site, "/products/linen-tee").await.page_cache, "hit");
        for _ in 0..2 {
            let usd = get_with_cookie(&site, "/products/linen-tee", US).await;
            assert_eq!(usd.status, StatusCode::OK);
            assert_eq!(usd.page_cache, "", "a region's page is rendered for it");
            assert_eq!(testid_text(&usd.body, "price"), Some("$11.00"));
            assert_eq!(usd.cache_control, "private, no-cache");
        }
        // Nor did the USD page take the EUR page's place.
        let again = get(&site, "/products/linen-tee").await;
        assert_eq!(again.page_cache, "hit");
        assert_eq!(testid_text(&again.body, "price"), Some("€10.00"));
    })
}
