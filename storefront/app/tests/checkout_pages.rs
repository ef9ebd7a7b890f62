//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! Checkout and order pages: the checkout form, placing an order as a plain form POST,
//! the confirmation page and rejected checkouts.

mod fixture;
mod support;

use http::StatusCode;
use support::{
    add_two_tees, cookie_pair, get, get_with_cookie, post_form, runtime, site, testid_text,
    CHECKOUT_FORM, PRIVATE,
};

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
        // One key per attempt to place the order: a reload (after a lost answer, say)
        // renders the same key, so its POST replays the order instead of meeting
        // "already checked out".
        let key = |html: &str| {
            let at = html.find("name=\"idempotency_key\" value=\"").unwrap_or(0);
            html[at..].split('"').nth(3).unwrap_or_default().to_owned()
        };
        let kept = cookie_pair(&page, "emporium_checkout_key").unwrap_or_default();
        assert!(kept.ends_with(&key(html)), "{kept}");
        let again = get_with_cookie(&site, "/checkout", &format!("{cookie}; {kept}")).await;
        assert_eq!(key(html), key(&again.body));
        // Another cart's kept key is not this cart's.
        let other = get_with_cookie(
            &site,
            "/checkout",
            &format!("{cookie}; emporium_checkout_key=cart_other.chk_1"),
        )
        .await;
        assert_ne!(key(&other.body), "chk_1");
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
        // A final answer ends the attempt: the corrected form gets a new key.
        assert_eq!(
            cookie_pair(&refused, "emporium_checkout_key").as_deref(),
            Some("emporium_checkout_key="),
            "{:?}",
            refused.set_cookies
        );

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
fn the_checkout_offers_only_the_payment_methods_the_shop_takes() {
    runtime().block_on(async {
        let site = site();
        site.api.offer(&["stripe"]);
        let cookie = add_two_tees(&site).await;
        let page = get_with_cookie(&site, "/checkout", &cookie).await;
        let html = &page.body;
        assert!(html.contains("value=\"stripe\" checked"), "{html}");
        assert!(!html.contains("value=\"manual\""), "manual is off: {html}");

        site.api.offer(&["stripe", "manual"]);
        let page = get_with_cookie(&site, "/checkout", &cookie).await;
        assert!(page.body.contains("value=\"stripe\""));
        assert!(
            page.body.contains("value=\"manual\" checked"),
            "{}",
            page.body
        );
    })
}
