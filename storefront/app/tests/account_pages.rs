//! The storefront router rendered on the server against a fixture Store API (a fake
//! transport for the typed client): what a browser with JavaScript off, a crawler or a
//! cache sees. The browser half is tested in `end2end/`.
//!
//! Customer accounts: signing in and out as plain form POSTs, the session cookie and the
//! cart it brings along, registration, the emailed links, the account and account
//! order pages, the order history a page at a time, editing a saved address, the
//! header's account link, caching of signed-in pages, and the checkout of a signed-in
//! shopper.

mod fixture;
mod support;

use std::net::SocketAddr;

use axum::{body::Body, extract::ConnectInfo};
use emporium_client::{accounts::AddressPatch, commerce::Address};
use emporium_storefront::query::encode;
use fixture::{ADA_EMAIL, ADA_PASSWORD, GRACE_EMAIL, GRACE_PASSWORD, LIMITED_EMAIL};
use http::{header, HeaderName, Request, StatusCode};
use support::{
    add_two_tees, cached_site, cookie_pair, get, get_with_cookie, post_form, runtime, send,
    set_cookie_line, site, site_with, testid_text, Answer, Site, PRIVATE,
};

const SESSION: &str = "emporium_session";
const CART: &str = "emporium_cart";
/// What a catalog page answers a shopper with a personal cookie.
const PERSONAL: &str = "private, no-cache";

/// Signs in without JavaScript, with the request cookies `cookie`, going on to `next`.
async fn sign_in(
    site: &Site,
    email: &str,
    password: &str,
    cookie: Option<&str>,
    next: &str,
) -> Answer {
    let body = format!(
        "email={}&password={}&next={}",
        encode(email),
        encode(password),
        encode(next)
    );
    post_form(site, "/api/account/login", &body, cookie, true).await
}

/// `emporium_session=…` of a fresh session of `email`.
async fn session_of(site: &Site, email: &str, password: &str) -> String {
    let answer = sign_in(site, email, password, None, "/account").await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    cookie_pair(&answer, SESSION).unwrap_or_default()
}

/// The value of a `name=value` pair.
fn value(pair: &str) -> &str {
    pair.split_once('=').map(|(_, v)| v).unwrap_or_default()
}

/// Whether the answer drops the cookie `name` (an empty value that expires at once).
fn drops(answer: &Answer, name: &str) -> bool {
    set_cookie_line(answer, name)
        .is_some_and(|line| line.starts_with(&format!("{name}=;")) && line.contains("Max-Age=0"))
}

/// A location without its `#fragment`, to request it.
fn path_of(location: &str) -> &str {
    location.split('#').next().unwrap_or(location)
}

#[test]
fn signing_in_sets_an_httponly_session_cookie_and_continues_with_the_cart_the_api_returns() {
    runtime().block_on(async {
        let site = site();
        // Ada already has an open cart of her own, made while signed in.
        let first = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let own = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_m_red&quantity=1",
            Some(&first),
            true,
        )
        .await;
        let own_cart = cookie_pair(&own, CART).unwrap_or_default();
        assert_eq!(
            site.api.cart_owner(value(&own_cart)).as_deref(),
            Some("cus_ada"),
            "a cart made signed in is the customer's"
        );

        // In another browser, as a guest, two tees; then she signs in there.
        let guest_cart = add_two_tees(&site).await;
        assert_ne!(guest_cart, own_cart);
        let signed = sign_in(
            &site,
            ADA_EMAIL,
            ADA_PASSWORD,
            Some(&guest_cart),
            "/checkout",
        )
        .await;
        assert_eq!(signed.status, StatusCode::FOUND, "{}", signed.body);
        assert_eq!(signed.location, "/checkout");
        let line = set_cookie_line(&signed, SESSION).unwrap_or_default();
        assert!(line.starts_with("emporium_session=sess_"), "{line}");
        assert!(line.contains("HttpOnly"), "{line}");
        assert!(line.contains("SameSite=Lax"), "{line}");
        assert!(line.contains("Path=/;"), "{line}");
        // The fixture's sessions end far away: the cookie keeps to the cap.
        assert!(line.contains("Max-Age=7776000"), "{line}");
        assert!(!line.contains("Secure"), "plain HTTP: {line}");

        // The guest cart went to the API with the sign-in...
        let login = site
            .api
            .calls_to("POST", "/store/auth/login")
            .pop()
            .map(|c| c.body)
            .unwrap_or_default();
        assert!(
            login.contains(&format!("\"cart_id\":\"{}\"", value(&guest_cart))),
            "{login}"
        );
        // ...which merged it into her own cart: the cookie now names that one.
        assert_eq!(cookie_pair(&signed, CART), Some(own_cart.clone()));
        let session = cookie_pair(&signed, SESSION).unwrap_or_default();
        let cart = get_with_cookie(&site, "/cart", &format!("{session}; {own_cart}")).await;
        assert_eq!(testid_text(&cart.body, "cart-count"), Some("Cart (3)"));
        let read = site
            .api
            .calls_to("GET", &format!("/store/carts/{}", value(&own_cart)))
            .pop()
            .and_then(|c| c.authorization)
            .unwrap_or_default();
        assert_eq!(read, format!("Bearer {}", value(&session)));
        // Without the session nobody sees the customer's cart.
        let stranger = get_with_cookie(&site, "/cart", &own_cart).await;
        assert_eq!(testid_text(&stranger.body, "cart-count"), Some("Cart (0)"));
    })
}

#[test]
fn signing_in_goes_only_to_a_same_site_next_and_sets_a_secure_cookie_over_https() {
    runtime().block_on(async {
        let site = site();
        let away = sign_in(&site, ADA_EMAIL, ADA_PASSWORD, None, "//evil.example/x").await;
        assert_eq!(away.location, "/account");
        // No cart before, none after: the cart cookie is dropped, not left naming another.
        assert!(drops(&away, CART), "{:?}", away.set_cookies);

        let request = Request::post("/api/account/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header("x-forwarded-proto", "https")
            .body(Body::from(format!(
                "email={}&password={}",
                encode(ADA_EMAIL),
                encode(ADA_PASSWORD)
            )))
            .unwrap_or_default();
        let secure = send(&site, request).await;
        let line = set_cookie_line(&secure, SESSION).unwrap_or_default();
        assert!(line.ends_with("; Secure"), "{line}");
    })
}

#[test]
fn a_wrong_password_comes_back_with_the_error_at_the_password_field() {
    runtime().block_on(async {
        let site = site();
        let refused = sign_in(&site, ADA_EMAIL, "not her password", None, "/account").await;
        assert_eq!(refused.status, StatusCode::FOUND, "{}", refused.body);
        assert!(
            refused
                .location
                .starts_with("/account/login?next=%2Faccount&error="),
            "{}",
            refused.location
        );
        assert!(refused.location.ends_with("&field=password"));
        assert_eq!(cookie_pair(&refused, SESSION), None);

        let kept = cookie_pair(&refused, "emporium_account_form").unwrap_or_default();
        let page = get_with_cookie(&site, &refused.location, &kept).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        let html = &page.body;
        assert!(
            html.contains("id=\"error-password\" role=\"alert\""),
            "{html}"
        );
        assert!(html.contains(">The email or password is not right.</p>"));
        assert!(
            html.contains("aria-describedby=\"error-password\""),
            "{html}"
        );
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("<label for=\"field-password\">Password"));
        assert!(html.contains("autocomplete=\"current-password\""));
        assert!(html.contains("<label for=\"field-email\">Email"));
        // The email is kept for the next try; the password never is.
        assert!(
            html.contains(&format!("name=\"email\" value=\"{ADA_EMAIL}\"")),
            "{html}"
        );
        assert!(!html.contains("not her password"));
        assert!(html.contains("name=\"next\" value=\"/account\""));
        assert!(html.contains("href=\"/account/forgot\""));
        assert!(html.contains("href=\"/account/register\""));
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\""));
    })
}

#[test]
fn too_many_sign_ins_show_the_api_message() {
    runtime().block_on(async {
        let site = site();
        let limited = sign_in(&site, LIMITED_EMAIL, "whatever it is", None, "/account").await;
        assert!(
            limited
                .location
                .contains("error=Too%20many%20sign-in%20attempts"),
            "{}",
            limited.location
        );
        assert!(!limited.location.contains("field="));
        let page = get(&site, &limited.location).await;
        assert_eq!(
            testid_text(&page.body, "form-error"),
            Some("Too many sign-in attempts: try again in a minute.")
        );
    })
}

#[test]
fn registering_redirects_to_sign_in_with_the_check_your_inbox_notice() {
    runtime().block_on(async {
        let site = site();
        let form = get(&site, "/account/register").await;
        assert_eq!(form.cache_control, PRIVATE);
        for needle in [
            "action=\"/api/account/register\"",
            "autocomplete=\"new-password\"",
            "autocomplete=\"given-name\"",
            "autocomplete=\"family-name\"",
            "minlength=\"10\"",
            "At least 10 characters",
        ] {
            assert!(form.body.contains(needle), "{needle}: {}", form.body);
        }

        let registered = post_form(
            &site,
            "/api/account/register",
            "email=mary%40example.com&password=lantern+tide+pool&first_name=Mary&last_name=Somerville",
            None,
            true,
        )
        .await;
        assert_eq!(registered.status, StatusCode::FOUND, "{}", registered.body);
        assert_eq!(registered.location, "/account/login?notice=registered");
        assert_eq!(cookie_pair(&registered, SESSION), None, "no sign-in here");
        let mary = site.api.customer("mary@example.com");
        assert_eq!(
            mary.as_ref().and_then(|c| c.first_name.as_deref()),
            Some("Mary")
        );
        assert!(mary.is_some_and(|c| !c.email_verified));
        let page = get(&site, &registered.location).await;
        assert_eq!(
            testid_text(&page.body, "notice"),
            Some("Check your inbox to confirm your email, then sign in.")
        );

        let short = post_form(
            &site,
            "/api/account/register",
            "email=short%40example.com&password=short&first_name=Sam&last_name=",
            None,
            true,
        )
        .await;
        assert!(
            short
                .location
                .starts_with("/account/register?error=Use%20at%20least%2010%20characters"),
            "{}",
            short.location
        );
        assert!(short.location.ends_with("&field=password"));
        let kept = cookie_pair(&short, "emporium_account_form").unwrap_or_default();
        let page = get_with_cookie(&site, &short.location, &kept).await;
        let html = &page.body;
        assert!(
            html.contains("aria-describedby=\"hint-password error-password\""),
            "{html}"
        );
        assert!(html.contains("Use at least 10 characters; a few words make a good one."));
        assert!(html.contains("value=\"short@example.com\""), "{html}");
        assert!(html.contains("name=\"first_name\" value=\"Sam\""), "{html}");
    })
}

#[test]
fn the_verify_page_confirms_only_when_the_button_is_pressed() {
    runtime().block_on(async {
        let site = site();
        let token = site.api.verification_token(GRACE_EMAIL);
        let page = get(&site, &format!("/account/verify?token={token}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        assert!(page.body.contains("action=\"/api/account/verify\""));
        assert!(
            page.body
                .contains(&format!("name=\"token\" value=\"{token}\"")),
            "{}",
            page.body
        );
        assert!(page.body.contains("Confirm my email"));
        // Opening the link (as a mail scanner does) confirms nothing.
        assert!(site
            .api
            .calls_to("POST", "/store/auth/verify-email")
            .is_empty());
        assert!(site
            .api
            .customer(GRACE_EMAIL)
            .is_some_and(|c| !c.email_verified));

        let confirmed = post_form(
            &site,
            "/api/account/verify",
            &format!("token={token}"),
            None,
            true,
        )
        .await;
        assert_eq!(confirmed.status, StatusCode::FOUND, "{}", confirmed.body);
        assert_eq!(confirmed.location, "/account/verify?status=confirmed");
        assert_eq!(
            site.api.calls_to("POST", "/store/auth/verify-email").len(),
            1
        );
        assert!(site
            .api
            .customer(GRACE_EMAIL)
            .is_some_and(|c| c.email_verified));
        let done = get(&site, &confirmed.location).await;
        assert!(
            done.body.contains("Your email is confirmed"),
            "{}",
            done.body
        );
        assert!(done.body.contains("href=\"/account/login\""));

        // The link works once.
        let again = post_form(
            &site,
            "/api/account/verify",
            &format!("token={token}"),
            None,
            true,
        )
        .await;
        assert!(
            again.location.starts_with("/account/verify?error="),
            "{}",
            again.location
        );
        assert!(again.location.ends_with("&field=token"));
        assert!(!again.location.contains(&token));
        let used = get(&site, &again.location).await;
        assert!(used.body.contains("data-testid=\"link-refused\""));
        assert!(used
            .body
            .contains("This link has expired or was already used."));
        assert!(used
            .body
            .contains("href=\"/account/login?next=%2Faccount\""));
        assert!(!used.body.contains("data-testid=\"resend-verification\""));

        // Signed in, the page offers a new link right there.
        let session = session_of(&site, GRACE_EMAIL, GRACE_PASSWORD).await;
        let signed = get_with_cookie(&site, &again.location, &session).await;
        assert!(
            signed.body.contains("data-testid=\"resend-verification\""),
            "{}",
            signed.body
        );
    })
}

#[test]
fn forgot_password_answers_the_same_for_any_email() {
    runtime().block_on(async {
        let site = site();
        let form = get(&site, "/account/forgot").await;
        assert!(form.body.contains("action=\"/api/account/forgot\""));
        assert!(form.body.contains("autocomplete=\"email\""));

        let known = post_form(
            &site,
            "/api/account/forgot",
            "email=ada%40example.com",
            None,
            true,
        )
        .await;
        let unknown = post_form(
            &site,
            "/api/account/forgot",
            "email=nobody%40example.com",
            None,
            true,
        )
        .await;
        assert_eq!(known.status, StatusCode::FOUND);
        assert_eq!(known.location, "/account/forgot?status=sent");
        assert_eq!(unknown.location, known.location);
        assert_eq!(
            site.api
                .calls_to("POST", "/store/auth/password-reset")
                .len(),
            2
        );
        let page = get(&site, &known.location).await;
        assert_eq!(
            testid_text(&page.body, "notice"),
            Some("If an account exists for that email, we sent a link.")
        );
        assert!(!page.body.contains("action=\"/api/account/forgot\""));
    })
}

#[test]
fn a_reset_link_sets_a_new_password_once() {
    runtime().block_on(async {
        let site = site();
        let token = site.api.reset_token(ADA_EMAIL);
        let form = get(&site, &format!("/account/reset?token={token}")).await;
        assert!(form.body.contains("action=\"/api/account/reset\""));
        assert!(form
            .body
            .contains(&format!("name=\"token\" value=\"{token}\"")));
        assert!(form.body.contains("autocomplete=\"new-password\""));

        let short = post_form(
            &site,
            "/api/account/reset",
            &format!("token={token}&password=short"),
            None,
            true,
        )
        .await;
        assert!(
            short.location.starts_with(&format!(
                "/account/reset?token={token}&error=Use%20at%20least"
            )),
            "{}",
            short.location
        );
        assert!(short.location.ends_with("&field=password"));
        let page = get(&site, &short.location).await;
        assert!(page.body.contains("id=\"error-password\" role=\"alert\""));
        assert!(page.body.contains(">Use at least 10 characters"));
        assert!(page.body.contains(&format!("value=\"{token}\"")));

        let reset = post_form(
            &site,
            "/api/account/reset",
            &format!("token={token}&password=a+brand+new+passphrase"),
            None,
            true,
        )
        .await;
        assert_eq!(reset.location, "/account/login?notice=password-reset");
        let page = get(&site, &reset.location).await;
        assert_eq!(
            testid_text(&page.body, "notice"),
            Some("Your password is changed. Sign in with the new one.")
        );
        let old = sign_in(&site, ADA_EMAIL, ADA_PASSWORD, None, "/account").await;
        assert!(old.location.contains("field=password"), "{}", old.location);
        let new = sign_in(&site, ADA_EMAIL, "a brand new passphrase", None, "/account").await;
        assert_eq!(new.location, "/account");

        let used = post_form(
            &site,
            "/api/account/reset",
            &format!("token={token}&password=yet+another+passphrase"),
            None,
            true,
        )
        .await;
        assert!(
            used.location.starts_with("/account/reset?error="),
            "{}",
            used.location
        );
        let page = get(&site, &used.location).await;
        assert!(page
            .body
            .contains("This link has expired or was already used."));
        assert!(page.body.contains("href=\"/account/forgot\""));
        assert!(!page.body.contains("action=\"/api/account/reset\""));
    })
}

#[test]
fn account_pages_send_a_guest_to_sign_in_and_come_back() {
    runtime().block_on(async {
        let site = site();
        let page = get(&site, "/account").await;
        assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
        assert_eq!(page.location, "/account/login?next=%2Faccount");
        assert!(site.api.calls_to("GET", "/store/customers/me").is_empty());
        let order = get(&site, "/account/orders/ord_900").await;
        assert_eq!(order.status, StatusCode::FOUND);
        assert_eq!(
            order.location,
            "/account/login?next=%2Faccount%2Forders%2Ford_900"
        );
        // A session that ended: signed out here too, cart and all.
        let ended = get_with_cookie(
            &site,
            "/account",
            "emporium_session=sess_gone; emporium_cart=cart_9",
        )
        .await;
        assert_eq!(ended.status, StatusCode::FOUND);
        assert_eq!(ended.location, "/account/login?next=%2Faccount");
        assert!(drops(&ended, SESSION), "{:?}", ended.set_cookies);
        assert!(drops(&ended, CART), "{:?}", ended.set_cookies);
    })
}

#[test]
fn the_account_page_shows_the_profile_addresses_and_orders() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let page = get_with_cookie(&site, "/account", &session).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.cache_control, PRIVATE);
        let html = &page.body;
        assert_eq!(testid_text(html, "account-name"), Some("Ada Lovelace"));
        assert_eq!(testid_text(html, "account-email"), Some(ADA_EMAIL));
        assert_eq!(testid_text(html, "email-status"), Some("Confirmed"));
        assert!(!html.contains("data-testid=\"resend-verification\""));
        // The address book.
        assert_eq!(html.matches("data-testid=\"saved-address\"").count(), 2);
        assert!(html.contains("5 Rue de la Paix"));
        assert!(html.contains("Default shipping"));
        assert!(html.contains("aria-label=\"Delete the address Office\""));
        assert!(html.contains("action=\"/api/account/addresses/delete\""));
        assert!(html.contains("action=\"/api/account/addresses/add\""));
        assert!(html.contains("<label for=\"field-address-postal-code\""));
        assert!(html.contains("autocomplete=\"postal-code\""));
        assert!(html.contains("<option value=\"NL\">Netherlands</option>"));
        // The orders.
        assert!(html.contains("href=\"/account/orders/ord_900\">Order 900</a>"));
        assert!(html.contains("4 March 2025"));
        assert!(html.contains("€24.95"));
        assert!(html.contains(">Paid<"));
        // The profile form and signing out.
        assert!(html.contains("action=\"/api/account/profile\""));
        assert!(html.contains("name=\"first_name\" value=\"Ada\""));
        assert!(html.contains("action=\"/api/account/logout\""));

        // A customer who has not confirmed her email is offered a new link.
        let grace = session_of(&site, GRACE_EMAIL, GRACE_PASSWORD).await;
        let page = get_with_cookie(&site, "/account", &grace).await;
        assert_eq!(
            testid_text(&page.body, "email-status"),
            Some("Not confirmed yet")
        );
        assert!(page.body.contains("data-testid=\"no-orders\""));
        let resent = post_form(&site, "/api/account/verification", "", Some(&grace), true).await;
        assert_eq!(resent.location, "/account?notice=verification-sent");
        let page = get_with_cookie(&site, &resent.location, &grace).await;
        assert_eq!(
            testid_text(&page.body, "notice"),
            Some("We sent you a new link to confirm your email.")
        );
    })
}

#[test]
fn names_and_addresses_change_with_plain_forms() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let renamed = post_form(
            &site,
            "/api/account/profile",
            "first_name=Augusta&last_name=King",
            Some(&session),
            true,
        )
        .await;
        assert_eq!(renamed.location, "/account?notice=profile-saved");
        let page = get_with_cookie(&site, &renamed.location, &session).await;
        assert_eq!(
            testid_text(&page.body, "account-name"),
            Some("Augusta King")
        );
        assert_eq!(
            testid_text(&page.body, "account-link"),
            Some("Account (Augusta)")
        );

        let added = post_form(
            &site,
            "/api/account/addresses/add",
            "label=Studio&name=Ada+King&line1=9+Art+Lane&line2=&city=Amsterdam\
             &postal_code=1011&country=nl&default_shipping=on",
            Some(&session),
            true,
        )
        .await;
        assert_eq!(added.status, StatusCode::FOUND, "{}", added.body);
        assert_eq!(added.location, "/account?notice=address-added#addresses");
        let page = get_with_cookie(&site, path_of(&added.location), &session).await;
        assert_eq!(
            page.body.matches("data-testid=\"saved-address\"").count(),
            3
        );
        assert!(page.body.contains("9 Art Lane"));
        assert_eq!(
            page.body.matches("Default shipping").count(),
            1,
            "the new default takes it from the old"
        );

        let missing = post_form(
            &site,
            "/api/account/addresses/add",
            "label=&name=Ada&line1=1+Way&line2=&city=Lyon&postal_code=&country=FR",
            Some(&session),
            true,
        )
        .await;
        assert!(
            missing
                .location
                .ends_with("&field=address.postal_code#add-address"),
            "{}",
            missing.location
        );
        let page = get_with_cookie(&site, path_of(&missing.location), &session).await;
        let html = &page.body;
        assert!(
            html.contains("id=\"error-address-postal-code\" role=\"alert\""),
            "{html}"
        );
        assert!(html.contains("aria-describedby=\"error-address-postal-code\""));

        let deleted = post_form(
            &site,
            "/api/account/addresses/delete",
            "id=addr_office",
            Some(&session),
            true,
        )
        .await;
        assert_eq!(
            deleted.location,
            "/account?notice=address-deleted#addresses"
        );
        let page = get_with_cookie(&site, path_of(&deleted.location), &session).await;
        assert!(!page.body.contains("5 Rue de la Paix"));
        assert_eq!(
            testid_text(&page.body, "notice"),
            Some("The address is deleted.")
        );
    })
}

#[test]
fn an_account_order_page_shows_the_customers_order_only() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let page = get_with_cookie(&site, "/account/orders/ord_900", &session).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.cache_control, PRIVATE);
        assert!(page.body.contains("<h1>Order 900</h1>"), "{}", page.body);
        assert_eq!(testid_text(&page.body, "order-status"), Some("Paid"));
        assert!(page.body.contains("data-testid=\"order-line\""));
        assert_eq!(testid_text(&page.body, "order-total"), Some("€24.95"));
        assert!(page.body.contains("1 Main St"));
        assert!(page.body.contains("href=\"/account\""));

        let missing = get_with_cookie(&site, "/account/orders/ord_nope", &session).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.body.contains("Page not found"));
        let grace = session_of(&site, GRACE_EMAIL, GRACE_PASSWORD).await;
        let other = get_with_cookie(&site, "/account/orders/ord_900", &grace).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        assert!(!other.body.contains("1 Main St"));
    })
}

/// The page's `<main>`: what the shopper sees, without the data sent for hydration.
fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html.find("</main>").unwrap_or(html.len());
    html.get(start..end).unwrap_or(html)
}

/// How many order rows a page lists.
fn order_rows(html: &str) -> usize {
    html.matches("data-testid=\"account-order\"").count()
}

/// The query of the storefront's last call for a page of the customer's orders.
fn last_orders_query(site: &Site) -> String {
    site.api
        .calls_to("GET", "/store/customers/me/orders?")
        .pop()
        .and_then(|c| c.uri.split_once('?').map(|(_, q)| q.to_owned()))
        .unwrap_or_default()
}

#[test]
fn the_order_history_pages_through_every_order_with_the_api_cursor() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        // One order: the account page shows it all, with no link to more.
        let overview = get_with_cookie(&site, "/account", &session).await;
        assert_eq!(order_rows(&overview.body), 1);
        assert!(!overview.body.contains("data-testid=\"all-orders\""));

        // 25 orders: ord_900 (4 March), then ord_824 (24 February) down to ord_801.
        site.api.seed_orders(ADA_EMAIL, 24);
        let overview = get_with_cookie(&site, "/account", &session).await;
        assert_eq!(order_rows(&overview.body), 10);
        assert!(
            overview
                .body
                .contains("href=\"/account/orders\" data-testid=\"all-orders\">All orders</a>"),
            "{}",
            overview.body
        );

        let first = get_with_cookie(&site, "/account/orders", &session).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.cache_control, PRIVATE);
        let html = &first.body;
        assert_eq!(last_orders_query(&site), "limit=20");
        assert!(html.contains("<h1>Your orders</h1>"), "{html}");
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\""));
        assert_eq!(order_rows(html), 20);
        let newest = html.find(">Order 900</a>");
        let next = html.find(">Order 824</a>");
        assert!(newest.is_some() && newest < next, "newest first: {html}");
        assert!(html.contains("href=\"/account/orders/ord_806\">Order 806</a>"));
        assert!(!html.contains(">Order 805</a>"));
        assert!(html.contains("24 February 2025"));
        assert!(html.contains("€24.95"));
        assert!(html.contains(">Paid<"));
        assert!(
            html.contains(
                "href=\"/account/orders?cursor=after%3A20%2Fv1\" rel=\"next\" \
                 data-testid=\"older-orders\""
            ),
            "{html}"
        );
        assert!(!html.contains("data-testid=\"newest-orders\""));

        // The older page, from the link: the API gets its cursor back, decoded.
        let last = get_with_cookie(&site, "/account/orders?cursor=after%3A20%2Fv1", &session).await;
        assert_eq!(last.status, StatusCode::OK, "{}", last.body);
        let query = last_orders_query(&site);
        assert!(query.starts_with("limit=20&cursor=after"), "{query}");
        let html = &last.body;
        assert_eq!(order_rows(html), 5);
        assert!(html.contains("href=\"/account/orders/ord_805\">Order 805</a>"));
        assert!(html.contains("href=\"/account/orders/ord_801\">Order 801</a>"));
        assert!(!html.contains(">Order 806</a>"));
        assert!(!html.contains(">Order 900</a>"));
        assert!(!html.contains("data-testid=\"older-orders\""), "{html}");
        assert!(
            html.contains("href=\"/account/orders\" data-testid=\"newest-orders\""),
            "{html}"
        );
    })
}

#[test]
fn a_cursor_the_api_refuses_shows_the_first_page_of_orders() {
    runtime().block_on(async {
        let site = site();
        site.api.seed_orders(ADA_EMAIL, 24);
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let page = get_with_cookie(&site, "/account/orders?cursor=forged", &session).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let asked: Vec<String> = site
            .api
            .calls_to("GET", "/store/customers/me/orders?")
            .into_iter()
            .map(|c| c.uri)
            .collect();
        assert_eq!(
            asked,
            [
                "/store/customers/me/orders?limit=20&cursor=forged",
                "/store/customers/me/orders?limit=20"
            ],
        );
        let html = &page.body;
        assert_eq!(order_rows(html), 20);
        assert!(html.contains(">Order 900</a>"));
        assert!(html.contains("data-testid=\"older-orders\""));
        assert!(!html.contains("data-testid=\"newest-orders\""), "{html}");
    })
}

#[test]
fn a_guest_is_sent_to_sign_in_from_the_order_history_and_the_address_form() {
    runtime().block_on(async {
        let site = site();
        let orders = get(&site, "/account/orders").await;
        assert_eq!(orders.status, StatusCode::FOUND, "{}", orders.body);
        assert_eq!(orders.location, "/account/login?next=%2Faccount%2Forders");
        let address = get(&site, "/account/addresses/addr_home").await;
        assert_eq!(address.status, StatusCode::FOUND, "{}", address.body);
        assert_eq!(
            address.location,
            "/account/login?next=%2Faccount%2Faddresses%2Faddr_home"
        );
        assert!(site.api.calls_to("GET", "/store/customers/me").is_empty());

        // A form posted without a session changes nothing and asks to sign in.
        let posted = post_form(
            &site,
            "/api/account/addresses/update",
            "id=addr_home&name=X&line1=X&city=X&postal_code=1&country=DE",
            None,
            true,
        )
        .await;
        assert_eq!(posted.location, "/account/login?next=%2Faccount");
        assert!(site.api.calls_to("PATCH", "/store").is_empty());
    })
}

#[test]
fn editing_a_saved_address_sends_the_patch_and_returns_to_the_address_book() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let account = get_with_cookie(&site, "/account", &session).await;
        assert!(
            account.body.contains(
                "href=\"/account/addresses/addr_office\" aria-label=\"Edit the address Office\">Edit</a>"
            ),
            "{}",
            account.body
        );

        let form = get_with_cookie(&site, "/account/addresses/addr_office", &session).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert_eq!(form.cache_control, PRIVATE);
        let html = &form.body;
        for needle in [
            "action=\"/api/account/addresses/update\"",
            "name=\"id\" value=\"addr_office\"",
            "<legend>Office</legend>",
            "name=\"label\" value=\"Office\"",
            "name=\"name\" value=\"Ada Lovelace\"",
            "name=\"line1\" value=\"5 Rue de la Paix\"",
            "name=\"line2\" value=\"Floor 3\"",
            "name=\"city\" value=\"Paris\"",
            "name=\"postal_code\" value=\"75002\"",
            "<option value=\"FR\" selected",
            "<label for=\"field-address-postal-code\">Postal code",
            "<label for=\"default-shipping\">",
            "href=\"/account#addresses\"",
            "<meta name=\"robots\" content=\"noindex\"",
        ] {
            assert!(html.contains(needle), "{needle}: {html}");
        }
        assert!(!html.contains("<option value=\"DE\" selected"));
        // The office is no default: both boxes start unticked.
        assert!(html.contains("name=\"default_shipping\" value=\"on\">"), "{html}");
        assert!(html.contains("name=\"default_billing\" value=\"on\">"));

        let saved = post_form(
            &site,
            "/api/account/addresses/update",
            "id=addr_office&label=Atelier&name=Ada+King&line1=7+Rue+du+Bac&line2=\
             &city=Paris&postal_code=75007&country=fr&default_shipping=on",
            Some(&session),
            true,
        )
        .await;
        assert_eq!(saved.status, StatusCode::FOUND, "{}", saved.body);
        assert_eq!(saved.location, "/account?notice=address-updated#addresses");
        let call = site
            .api
            .calls_to("PATCH", "/store/customers/me/addresses/addr_office")
            .pop();
        assert_eq!(
            call.as_ref().and_then(|c| c.authorization.clone()),
            Some(format!("Bearer {}", value(&session)))
        );
        let patch: Option<AddressPatch> = call.and_then(|c| serde_json::from_str(&c.body).ok());
        assert_eq!(
            patch,
            Some(AddressPatch {
                label: Some("Atelier".into()),
                address: Some(Address {
                    name: "Ada King".into(),
                    line1: "7 Rue du Bac".into(),
                    line2: None,
                    city: "Paris".into(),
                    postal_code: "75007".into(),
                    country: "FR".into(),
                    phone: None,
                }),
                default_shipping: Some(true),
                default_billing: Some(false),
            })
        );
        assert!(site
            .api
            .address_of(ADA_EMAIL, "addr_home")
            .is_some_and(|home| !home.default_shipping && home.default_billing));

        let page = get_with_cookie(&site, path_of(&saved.location), &session).await;
        assert_eq!(
            testid_text(&page.body, "notice"),
            Some("Your changes to the address are saved.")
        );
        assert!(page.body.contains("7 Rue du Bac"));
        assert!(!page.body.contains("5 Rue de la Paix"));
        assert!(page.body.contains("aria-label=\"Edit the address Atelier\""));
        assert_eq!(page.body.matches("Default shipping").count(), 1);
    })
}

#[test]
fn a_refused_address_comes_back_with_the_error_at_its_field_and_the_typed_values() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let before = get_with_cookie(&site, "/account/addresses/addr_home", &session).await;
        // Home is the default for both: the boxes start ticked.
        let ticked = before.body.matches("value=\"on\" checked").count();
        assert_eq!(ticked, 2, "{}", before.body);

        let refused = post_form(
            &site,
            "/api/account/addresses/update",
            "id=addr_home&label=Flat&name=Ada+L&line1=2+New+Road&line2=Top+floor\
             &city=Hamburg&postal_code=20%2A99&country=DE",
            Some(&session),
            true,
        )
        .await;
        assert_eq!(refused.status, StatusCode::FOUND, "{}", refused.body);
        assert!(
            refused
                .location
                .starts_with("/account/addresses/addr_home?error=A%20postal%20code"),
            "{}",
            refused.location
        );
        assert!(
            refused.location.ends_with("&field=address.postal_code"),
            "{}",
            refused.location
        );
        assert!(site
            .api
            .address_of(ADA_EMAIL, "addr_home")
            .is_some_and(|home| home.address.line1 == "1 Main St"));
        let line = set_cookie_line(&refused, "emporium_account_form").unwrap_or_default();
        assert!(line.contains("Path=/account;"), "{line}");
        let kept = cookie_pair(&refused, "emporium_account_form").unwrap_or_default();

        let cookies = format!("{session}; {kept}");
        let page = get_with_cookie(&site, &refused.location, &cookies).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let html = main_of(&page.body);
        assert!(
            html.contains("id=\"error-address-postal-code\" role=\"alert\""),
            "{html}"
        );
        assert!(html.contains(">A postal code has only letters, digits, spaces and hyphens.</p>"));
        assert!(
            html.contains(
                "name=\"postal_code\" value=\"20*99\" autocomplete=\"postal-code\" required \
             aria-invalid=\"true\" aria-describedby=\"error-address-postal-code\""
            ),
            "{html}"
        );
        assert_eq!(html.matches("aria-invalid=\"true\"").count(), 1);
        assert!(
            !html.contains("data-testid=\"form-error\""),
            "no banner for a field's error"
        );
        for typed in [
            "name=\"label\" value=\"Flat\"",
            "name=\"name\" value=\"Ada L\"",
            "name=\"line1\" value=\"2 New Road\"",
            "name=\"line2\" value=\"Top floor\"",
            "name=\"city\" value=\"Hamburg\"",
        ] {
            assert!(html.contains(typed), "{typed}: {html}");
        }
        assert!(!html.contains("1 Main St"));
        // The boxes as sent: unticked.
        assert_eq!(html.matches("value=\"on\" checked").count(), 0, "{html}");

        // Opened afresh (no error in the URL), the form shows the address as saved.
        let fresh = get_with_cookie(&site, "/account/addresses/addr_home", &cookies).await;
        let html = main_of(&fresh.body);
        assert!(
            html.contains("name=\"line1\" value=\"1 Main St\""),
            "{html}"
        );
        assert!(!html.contains("2 New Road"));
    })
}

#[test]
fn an_address_not_in_the_customers_book_is_not_found() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let missing = get_with_cookie(&site, "/account/addresses/addr_nope", &session).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
        assert!(missing.body.contains("Page not found"));
        assert!(!missing
            .body
            .contains("action=\"/api/account/addresses/update\""));
        let grace = session_of(&site, GRACE_EMAIL, GRACE_PASSWORD).await;
        let other = get_with_cookie(&site, "/account/addresses/addr_home", &grace).await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        assert!(!other.body.contains("1 Main St"));

        // Saving one (say it was deleted in another tab) says so in the address book.
        let gone = post_form(
            &site,
            "/api/account/addresses/update",
            "id=addr_nope&name=Ada&line1=1+Way&city=Lyon&postal_code=69001&country=FR",
            Some(&session),
            true,
        )
        .await;
        assert!(
            gone.location.starts_with("/account?error=") && gone.location.ends_with("#addresses"),
            "{}",
            gone.location
        );
        assert!(site.api.calls_to("PATCH", "/store").is_empty());
        let page = get_with_cookie(&site, path_of(&gone.location), &session).await;
        assert_eq!(
            testid_text(&page.body, "form-error"),
            Some("We could not find that in your account.")
        );
    })
}

#[test]
fn signing_out_ends_the_session_and_drops_both_cookies() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red&quantity=1",
            Some(&session),
            true,
        )
        .await;
        let cart = cookie_pair(&added, CART).unwrap_or_default();
        assert!(!value(&cart).is_empty());

        // From another site the browser sends no SameSite=Lax cookie: nothing changes.
        let foreign = post_form(&site, "/api/account/logout", "", None, true).await;
        assert_eq!(foreign.location, "/");
        assert!(foreign.set_cookies.is_empty(), "{:?}", foreign.set_cookies);

        let out = post_form(
            &site,
            "/api/account/logout",
            "",
            Some(&format!("{session}; {cart}")),
            true,
        )
        .await;
        assert_eq!(out.status, StatusCode::FOUND, "{}", out.body);
        assert_eq!(out.location, "/");
        assert!(drops(&out, SESSION), "{:?}", out.set_cookies);
        assert!(drops(&out, CART), "{:?}", out.set_cookies);
        assert!(!site.api.session_open(value(&session)));
    })
}

#[test]
fn the_header_says_sign_in_to_a_guest_without_asking_the_api() {
    runtime().block_on(async {
        let site = site();
        for path in ["/", "/products/linen-tee", "/cart"] {
            let page = get(&site, path).await;
            assert_eq!(
                testid_text(&page.body, "account-link"),
                Some("Sign in"),
                "{path}"
            );
            assert!(page
                .body
                .contains("href=\"/account/login\" data-testid=\"account-link\""));
        }
        assert!(site.api.calls_to("GET", "/store/customers").is_empty());

        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let page = get_with_cookie(&site, "/", &session).await;
        assert_eq!(
            testid_text(&page.body, "account-link"),
            Some("Account (Ada)")
        );
        assert!(page
            .body
            .contains("href=\"/account\" data-testid=\"account-link\""));

        // A session that ended: a guest again, and the cookie goes.
        let ended = get_with_cookie(&site, "/", "emporium_session=sess_gone").await;
        assert_eq!(ended.status, StatusCode::OK);
        assert_eq!(testid_text(&ended.body, "account-link"), Some("Sign in"));
        assert!(drops(&ended, SESSION), "{:?}", ended.set_cookies);
    })
}

#[test]
fn an_ended_session_carries_on_as_a_guest_in_the_cart() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red&quantity=1",
            Some(&session),
            true,
        )
        .await;
        let own_cart = cookie_pair(&added, CART).unwrap_or_default();
        let out = post_form(&site, "/api/account/logout", "", Some(&session), true).await;
        assert_eq!(out.location, "/");

        // The browser still sends the old cookies (say the sign-out happened elsewhere):
        // the cart page is a guest's empty cart, not an error.
        let stale = format!("{session}; {own_cart}");
        let cart = get_with_cookie(&site, "/cart", &stale).await;
        assert_eq!(cart.status, StatusCode::OK, "{}", cart.body);
        assert!(cart.body.contains("data-testid=\"cart-empty\""));
        assert_eq!(testid_text(&cart.body, "account-link"), Some("Sign in"));
        assert!(drops(&cart, SESSION), "{:?}", cart.set_cookies);
        assert!(drops(&cart, CART), "{:?}", cart.set_cookies);
        let again = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_m_red&quantity=1",
            Some(&stale),
            true,
        )
        .await;
        assert_eq!(again.status, StatusCode::FOUND, "{}", again.body);
        assert_eq!(again.location, "/cart");
        assert!(drops(&again, SESSION), "{:?}", again.set_cookies);
        // One cookie per name: the new guest cart, not the customer's.
        let guest = cookie_pair(&again, CART).unwrap_or_default();
        assert!(!value(&guest).is_empty(), "{:?}", again.set_cookies);
        assert_ne!(guest, own_cart);
        assert_eq!(site.api.cart_owner(value(&guest)), None);
        let create = site
            .api
            .calls_to("POST", "/store/carts")
            .pop()
            .map(|c| c.authorization);
        assert_eq!(create, Some(None), "the new cart is made as a guest");
    })
}

#[test]
fn pages_for_a_signed_in_shopper_are_private_and_never_page_cached() {
    runtime().block_on(async {
        let site = cached_site();
        let anonymous = get(&site, "/products/linen-tee").await;
        assert_eq!(anonymous.page_cache, "miss");
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        for _ in 0..2 {
            let personal = get_with_cookie(&site, "/products/linen-tee", &session).await;
            assert_eq!(personal.status, StatusCode::OK);
            assert_eq!(personal.page_cache, "", "never from or into the page cache");
            assert_eq!(personal.cache_control, PERSONAL);
            assert_eq!(
                testid_text(&personal.body, "account-link"),
                Some("Account (Ada)")
            );
            let account = get_with_cookie(&site, "/account", &session).await;
            assert_eq!(account.cache_control, PRIVATE);
            assert_eq!(account.page_cache, "");
        }
        // The shared copy names nobody.
        let shared = get(&site, "/products/linen-tee").await;
        assert_eq!(shared.page_cache, "hit");
        assert_eq!(testid_text(&shared.body, "account-link"), Some("Sign in"));
    })
}

#[test]
fn checkout_starts_with_the_customers_email_and_default_address() {
    runtime().block_on(async {
        let site = site();
        let session = session_of(&site, ADA_EMAIL, ADA_PASSWORD).await;
        let added = post_form(
            &site,
            "/api/cart/add",
            "variant_id=var_s_red&quantity=2",
            Some(&session),
            true,
        )
        .await;
        let cookies = format!(
            "{session}; {}",
            cookie_pair(&added, CART).unwrap_or_default()
        );
        let page = get_with_cookie(&site, "/checkout", &cookies).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.cache_control, PRIVATE);
        let html = &page.body;
        assert!(
            html.contains(&format!("name=\"email\" value=\"{ADA_EMAIL}\"")),
            "{html}"
        );
        assert!(html.contains("name=\"shipping_name\" value=\"Ada Lovelace\""));
        assert!(html.contains("name=\"shipping_line1\" value=\"1 Main St\""));
        assert!(html.contains("name=\"shipping_city\" value=\"Berlin\""));
        assert!(html.contains("<option value=\"DE\" selected"));
        assert_eq!(html.matches("data-testid=\"saved-address\"").count(), 2);
        assert!(html.contains("href=\"/checkout?address=addr_office\""));

        // A saved address chosen by its link (no JavaScript needed).
        let office = get_with_cookie(&site, "/checkout?address=addr_office", &cookies).await;
        let html = &office.body;
        assert!(
            html.contains("name=\"shipping_line1\" value=\"5 Rue de la Paix\""),
            "{html}"
        );
        assert!(html.contains("name=\"shipping_line2\" value=\"Floor 3\""));
        assert!(html.contains("<option value=\"FR\" selected"));
        assert!(html.contains("href=\"/checkout?address=addr_office\" aria-current=\"true\""));

        // Placing the order works with the customer's cart.
        let placed = post_form(
            &site,
            "/api/checkout/place",
            support::CHECKOUT_FORM,
            Some(&cookies),
            true,
        )
        .await;
        assert!(
            placed.location.starts_with("/orders/"),
            "{}",
            placed.location
        );

        // A guest's form starts empty and offers no saved addresses.
        let guest = add_two_tees(&site).await;
        let page = get_with_cookie(&site, "/checkout", &guest).await;
        assert!(
            page.body.contains("name=\"email\" value=\"\""),
            "{}",
            page.body
        );
        assert!(!page.body.contains("data-testid=\"saved-address\""));
    })
}

/// A sign-in POST from `peer`, with extra headers.
fn login_from(peer: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::post("/api/account/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder
        .body(Body::from(format!(
            "email={}&password={}",
            encode(ADA_EMAIL),
            encode(ADA_PASSWORD)
        )))
        .unwrap_or_default();
    if let Ok(addr) = peer.parse::<SocketAddr>() {
        request.extensions_mut().insert(ConnectInfo(addr));
    }
    request
}

fn last_forwarded_for(site: &Site) -> Option<String> {
    site.api
        .calls_to("POST", "/store/auth/login")
        .pop()
        .and_then(|c| c.forwarded_for)
}

#[test]
fn the_api_learns_the_shoppers_address_for_its_rate_limits() {
    runtime().block_on(async {
        let site = site();
        send(&site, login_from("203.0.113.7:50123", &[])).await;
        assert_eq!(last_forwarded_for(&site).as_deref(), Some("203.0.113.7"));
        // Without a trusted proxy, a header the shopper can write is not believed.
        send(
            &site,
            login_from("10.0.0.2:40000", &[("fly-client-ip", "198.51.100.9")]),
        )
        .await;
        assert_eq!(last_forwarded_for(&site).as_deref(), Some("10.0.0.2"));

        let proxied = site_with(emporium_storefront::StorefrontConfig {
            trusted_proxy_header: Some(HeaderName::from_static("fly-client-ip")),
            ..Default::default()
        });
        send(
            &proxied,
            login_from("10.0.0.2:40000", &[("fly-client-ip", "198.51.100.9")]),
        )
        .await;
        assert_eq!(
            last_forwarded_for(&proxied).as_deref(),
            Some("198.51.100.9")
        );
        // Every call of the request carries it, the cart's too.
        let mut add = Request::post("/api/cart/add")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header("fly-client-ip", "198.51.100.10")
            .body(Body::from("variant_id=var_s_red"))
            .unwrap_or_default();
        if let Ok(addr) = "10.0.0.2:40000".parse::<SocketAddr>() {
            add.extensions_mut().insert(ConnectInfo(addr));
        }
        let added = send(&proxied, add).await;
        assert_eq!(added.status, StatusCode::FOUND, "{}", added.body);
        let create = proxied.api.calls_to("POST", "/store/carts").pop();
        assert_eq!(
            create.and_then(|c| c.forwarded_for).as_deref(),
            Some("198.51.100.10")
        );
    })
}
