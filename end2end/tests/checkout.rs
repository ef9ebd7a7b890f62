//! The shopping flow in a real browser against the real binary: add to cart, cart,
//! checkout with manual payment, the order confirmation page and the confirmation
//! email, with JavaScript on (after hydration) and off (plain forms and redirects), and
//! a checkout in the United States region, in USD.
//! Needs `EMPORIUM_BIN` and `LEPTOS_SITE_ROOT` (see the crate docs).
//!
//! The tests share one seeded server. Each browser has its own profile and so its own
//! cart and region cookies; each test looks for the email of its own order number.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use emporium_client::commerce::Order;
use emporium_end2end::{query_param, shared_server, Browser, Buyable, Server, Shopper};
use fantoccini::Locator;
use serde_json::Value;

/// The confirmation email is queued by an event consumer and written by a background
/// mailer.
const EMAIL_TIMEOUT: Duration = Duration::from_secs(15);

/// An order number as the checkout service makes them: `1001`, `1002`, …
fn is_order_number(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u64>().is_ok_and(|n| n >= 1001)
}

/// Checks the confirmation page's number, status and payment instructions; returns the
/// order number.
async fn confirmation_page_shows_the_order(browser: &Browser) -> Result<String> {
    let number = browser
        .wait_for_text("[data-testid=order-number]", is_order_number)
        .await
        .context("the confirmation page shows no order number")?
        .trim()
        .to_owned();
    browser
        .wait_for_text("[data-testid=order-status]", |t| t == "Awaiting payment")
        .await?;
    let instructions = browser
        .wait_for_text("[data-testid=payment-instructions]", |t| !t.is_empty())
        .await
        .context("a manually paid order shows no payment instructions")?;
    ensure!(
        instructions.contains(&format!("Reference: {number}")),
        "the payment instructions do not name order {number} as the reference: {instructions:?}"
    );
    Ok(number)
}

/// The order page URL: `/orders/{id}?token=…`.
fn is_order_url(url: &url::Url) -> bool {
    url.path().starts_with("/orders/")
        && url.path().len() > "/orders/".len()
        && query_param(url, "token").is_some_and(|t| !t.is_empty())
}

/// Waits for, and checks, the one confirmation email of `number` to `email`.
async fn one_confirmation_email(server: &Server, number: &str, email: &str) -> Result<()> {
    let text = server
        .wait_for_order_confirmation_email(number, EMAIL_TIMEOUT)
        .await?;
    ensure!(
        text.lines()
            .any(|line| line.starts_with("To:") && line.contains(email)),
        "the confirmation email of order {number} is not addressed to {email}:\n{text}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_adds_to_cart_checks_out_with_manual_payment_and_sees_the_order_number(
) -> Result<()> {
    let server = shared_server()?;
    let item = Buyable::find(&server, 0, 2).await?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    // 1. Add to cart in place: the header count follows without a reload.
    c.goto(&server.url(&item.path())).await?;
    browser.wait_for_hydration().await?;
    browser
        .wait_for_text("[data-testid=sku]", |t| t == item.sku)
        .await?;
    browser
        .wait_for_text("[data-testid=availability]", |t| {
            t == "In stock" || t.starts_with("Only ")
        })
        .await
        .with_context(|| format!("{} units are available", item.available))?;
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (0)")
        .await
        .context("a fresh browser's header does not show an empty cart")?;
    c.execute("window.__noReload = 1;", vec![]).await?;
    browser
        .wait_for("[data-testid=add-to-cart]:not([disabled])")
        .await?
        .click()
        .await?;
    browser
        .wait_for_text("[data-testid=add-to-cart-status]", |t| t == "Added to cart")
        .await
        .with_context(|| {
            format!(
                "adding {} ({}) showed no success; server log:\n{}",
                item.handle,
                item.variant_id,
                server.log_tail()
            )
        })?;
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (1)")
        .await
        .context("the header count did not follow the add")?;
    let same_page = c.execute("return window.__noReload === 1;", vec![]).await?;
    ensure!(
        same_page == Value::Bool(true),
        "adding to cart reloaded the page"
    );
    let url = c.current_url().await?;
    ensure!(
        url.path() == format!("/products/{}", item.handle),
        "adding to cart left the product page for {url}"
    );

    // 2. The cart page, reached through the header link.
    browser
        .wait_for("[data-testid=cart-count]")
        .await?
        .click()
        .await?;
    browser.wait_for_url(|url| url.path() == "/cart").await?;
    browser
        .wait_for_text("[data-testid=cart-line]", |t| t.contains(&item.title))
        .await
        .context("the cart does not show the added product")?;
    let lines = c.find_all(Locator::Css("[data-testid=cart-line]")).await?;
    ensure!(
        lines.len() == 1,
        "the cart shows {} lines, expected 1",
        lines.len()
    );
    let total = browser
        .wait_for_text("[data-testid=cart-total]", |t| t.contains('€'))
        .await
        .context("the cart shows no total in EUR")?;
    ensure!(
        total.chars().any(|ch| ch.is_ascii_digit() && ch != '0'),
        "the cart total is {total:?} for an item priced {}",
        item.price
    );

    // 3. Checkout: fill the form, manual payment, place the order.
    browser
        .wait_for("[data-testid=checkout]")
        .await?
        .click()
        .await?;
    browser
        .wait_for_url(|url| url.path() == "/checkout")
        .await?;
    let shopper = Shopper::in_germany("e2e-js@example.com");
    browser.fill_checkout_form(&shopper).await?;
    browser
        .wait_for("[data-testid=place-order]:not([disabled])")
        .await?
        .click()
        .await?;

    // 4. The confirmation page.
    let url = browser.wait_for_url(is_order_url).await.with_context(|| {
        format!(
            "placing the order did not reach /orders/{{id}}?token=…; server log:\n{}",
            server.log_tail()
        )
    })?;
    let number = confirmation_page_shows_the_order(&browser)
        .await
        .with_context(|| format!("on {url}"))?;
    // The order took the cart: the header is back to empty.
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (0)")
        .await
        .context("the header still counts the ordered items")?;

    // 5. Exactly one confirmation email for this order.
    one_confirmation_email(&server, &number, &shopper.email).await?;

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_whole_checkout_works_through_plain_forms() -> Result<()> {
    let server = shared_server()?;
    // Another in-stock variant than the JavaScript test's.
    let item = Buyable::find(&server, 1, 2).await?;
    let browser = Browser::without_javascript().await?;
    let c = &browser.client;

    // 1. Add to cart: a plain POST, redirected to the cart page.
    c.goto(&server.url(&item.path())).await?;
    browser
        .wait_for_text("[data-testid=sku]", |t| t == item.sku)
        .await?;
    browser
        .wait_for("[data-testid=add-to-cart]")
        .await?
        .click()
        .await?;
    let url = browser
        .wait_for_url(|url| url.path() == "/cart" || query_param(url, "error").is_some())
        .await
        .context("submitting add-to-cart led neither to /cart nor back with an error")?;
    ensure!(
        url.path() == "/cart",
        "adding {} ({}) was refused: {:?}; server log:\n{}",
        item.handle,
        item.variant_id,
        query_param(&url, "error"),
        server.log_tail()
    );
    let html = c.find(Locator::Css("html")).await?;
    ensure!(
        html.attr("data-hydrated").await?.is_none(),
        "JavaScript ran in the JS-off browser"
    );

    // 2. The cart page the redirect led to.
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (1)")
        .await?;
    browser
        .wait_for_text("[data-testid=cart-line]", |t| t.contains(&item.title))
        .await
        .context("the cart does not show the added product")?;
    let lines = c.find_all(Locator::Css("[data-testid=cart-line]")).await?;
    ensure!(
        lines.len() == 1,
        "the cart shows {} lines, expected 1",
        lines.len()
    );
    browser
        .wait_for_text("[data-testid=cart-total]", |t| {
            t.contains('€') && t.chars().any(|ch| ch.is_ascii_digit() && ch != '0')
        })
        .await?;

    // 3. Checkout through the link and a plain form POST.
    browser
        .wait_for("[data-testid=checkout]")
        .await?
        .click()
        .await?;
    browser
        .wait_for_url(|url| url.path() == "/checkout")
        .await?;
    let shopper = Shopper::in_germany("e2e-nojs@example.com");
    browser.fill_checkout_form(&shopper).await?;
    browser
        .wait_for("[data-testid=place-order]")
        .await?
        .click()
        .await?;

    // 4. Redirected to the server-rendered confirmation page.
    let url = browser.wait_for_url(is_order_url).await.with_context(|| {
        format!(
            "placing the order did not redirect to /orders/{{id}}?token=…; server log:\n{}",
            server.log_tail()
        )
    })?;
    let number = confirmation_page_shows_the_order(&browser)
        .await
        .with_context(|| format!("on {url}"))?;
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (0)")
        .await
        .context("after the order the header still counts items")?;

    // 5. The order page is a link the shopper can come back to (the token, no cookie):
    // the server renders it whole.
    let (status, body) = server
        .get(&format!(
            "{}?{}",
            url.path(),
            url.query().unwrap_or_default()
        ))
        .await?;
    ensure!(status == 200, "GET {url} answered {status}");
    ensure!(
        body.contains(&number),
        "the server-rendered order page does not contain order number {number}"
    );

    one_confirmation_email(&server, &number, &shopper.email).await?;

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_who_ships_to_the_united_states_checks_out_in_usd() -> Result<()> {
    let server = shared_server()?;
    // Another in-stock variant than the other tests', priced in USD.
    let item = Buyable::find_in(&server, "USD", 2, 2).await?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    // 1. Choose the United States in the header: after hydration choosing submits the
    // form, and the page comes back priced in USD.
    c.goto(&server.url(&item.path())).await?;
    browser.wait_for_hydration().await?;
    browser
        .wait_for_text("[data-testid=price]", |t| t.contains('€'))
        .await
        .context("a fresh browser does not see EUR prices")?;
    browser
        .wait_for("#region-select")
        .await
        .context("the header has no region choice")?
        .select_by_value("reg_us")
        .await
        .context("the region choice has no United States")?;
    browser
        .wait_for_text("[data-testid=price]", |t| t == item.price)
        .await
        .with_context(|| {
            format!(
                "choosing the United States did not show {} in USD ({}); server log:\n{}",
                item.sku,
                item.price,
                server.log_tail()
            )
        })?;
    let url = c.current_url().await?;
    ensure!(
        url.path() == format!("/products/{}", item.handle)
            && query_param(&url, "variant").as_deref() == Some(item.variant_id.as_str()),
        "choosing a region did not come back to the product page but went to {url}"
    );
    let chosen = browser
        .wait_for("#region-select")
        .await?
        .prop("value")
        .await?;
    ensure!(
        chosen.as_deref() == Some("reg_us"),
        "the region choice shows {chosen:?} after choosing reg_us"
    );

    // 2. Add to cart in place; the cart is created in the United States region.
    browser.wait_for_hydration().await?;
    browser
        .wait_for("[data-testid=add-to-cart]:not([disabled])")
        .await?
        .click()
        .await?;
    browser
        .wait_for_text("[data-testid=add-to-cart-status]", |t| t == "Added to cart")
        .await
        .with_context(|| {
            format!(
                "adding {} in USD failed; server log:\n{}",
                item.sku,
                server.log_tail()
            )
        })?;
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (1)")
        .await?;
    browser
        .wait_for("[data-testid=cart-count]")
        .await?
        .click()
        .await?;
    browser.wait_for_url(|url| url.path() == "/cart").await?;
    browser
        .wait_for_text("[data-testid=unit-price]", |t| t == item.price)
        .await
        .context("the cart line is not priced in USD")?;
    browser
        .wait_for_text("[data-testid=cart-total]", |t| t.starts_with('$'))
        .await
        .context("the cart shows no total in USD")?;

    // 3. Checkout with a US address and US standard shipping, paid manually.
    browser
        .wait_for("[data-testid=checkout]")
        .await?
        .click()
        .await?;
    browser
        .wait_for_url(|url| url.path() == "/checkout")
        .await?;
    let shopper = Shopper::in_the_united_states("e2e-usd@example.com");
    browser.fill_checkout_form(&shopper).await?;
    let standard = browser
        .wait_for("input[type=radio][name=shipping_option_id][value=ship_us_standard]")
        .await
        .context("the checkout does not offer US standard shipping")?;
    standard.click().await?;
    ensure!(
        standard.prop("checked").await?.as_deref() == Some("true"),
        "the US standard shipping radio is not checked after clicking it"
    );
    browser
        .wait_for("[data-testid=place-order]:not([disabled])")
        .await?
        .click()
        .await?;

    // 4. The confirmation page shows a total in dollars, and the order is in USD.
    let url = browser.wait_for_url(is_order_url).await.with_context(|| {
        format!(
            "placing the order did not reach /orders/{{id}}?token=…; server log:\n{}",
            server.log_tail()
        )
    })?;
    confirmation_page_shows_the_order(&browser)
        .await
        .with_context(|| format!("on {url}"))?;
    let total = browser
        .wait_for_text("[data-testid=order-total]", |t| !t.is_empty())
        .await?;
    ensure!(
        total.starts_with('$') && total.chars().any(|ch| ch.is_ascii_digit() && ch != '0'),
        "the order total is {total:?}, not an amount in dollars"
    );
    let order: Order = server
        .get_json(&format!(
            "{}?{}",
            url.path().replacen("/orders/", "/store/orders/", 1),
            url.query().unwrap_or_default()
        ))
        .await?;
    ensure!(
        order.currency == "USD",
        "order {} is in {}, not USD",
        order.number,
        order.currency
    );
    ensure!(
        order.shipping_address.country == "US",
        "order {} ships to {}",
        order.number,
        order.shipping_address.country
    );

    browser.close().await
}
