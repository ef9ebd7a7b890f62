//! A customer account in a real browser against the real binary, its emails going
//! through a real SMTP server (aiosmtpd): register → open the verification email →
//! confirm → shop as a guest → sign in (the guest cart comes along) → place an order →
//! see it in the order history → sign out. Needs `EMPORIUM_BIN` and `LEPTOS_SITE_ROOT`
//! (see the crate docs) and Python's aiosmtpd (`cargo xtask setup`).

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use emporium_end2end::{free_port, query_param, Browser, Buyable, Server, Shopper};
use emporium_test_support::smtp::{aiosmtpd_available, SmtpServer};

/// The verification email is queued by an event consumer and sent by the mailer.
const EMAIL_TIMEOUT: Duration = Duration::from_secs(30);

const EMAIL: &str = "e2e-account@example.com";
const PASSWORD: &str = "lantern harbour morning";

/// The link to `/account/verify?token=…` in the verification email's text part.
fn verification_link(smtp: &SmtpServer) -> Option<String> {
    smtp.received().iter().find_map(|message| {
        let to_us = message["rcpt"]
            .as_array()
            .is_some_and(|r| r.iter().any(|a| a == EMAIL));
        let text = message["text"].as_str()?;
        let start = text.find("http")?;
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        (to_us && link.contains("/account/verify?token=")).then_some(link)
    })
}

async fn submit(browser: &Browser, form: &str) -> Result<()> {
    browser
        .wait_for(&format!("[data-testid={form}] button[type=submit]"))
        .await?
        .click()
        .await
        .with_context(|| format!("cannot submit {form}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_registers_confirms_signs_in_with_a_guest_cart_orders_and_signs_out() -> Result<()>
{
    if !aiosmtpd_available() {
        return Ok(());
    }
    let smtp = SmtpServer::start(free_port()?);
    let server = Server::start_with_smtp(&smtp.url())?;
    let item = Buyable::find(&server, 0, 2).await?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    // 1. Register.
    c.goto(&server.url("/account/register")).await?;
    browser.fill("#field-email", EMAIL).await?;
    browser.fill("#field-password", PASSWORD).await?;
    browser.fill("#field-first-name", "Ada").await?;
    browser.fill("#field-last-name", "Lovelace").await?;
    submit(&browser, "register-form").await?;
    browser
        .wait_for_url(|url| {
            url.path() == "/account/login"
                && query_param(url, "notice").as_deref() == Some("registered")
        })
        .await
        .with_context(|| {
            format!(
                "registering did not lead to sign-in; log:\n{}",
                server.log_tail()
            )
        })?;

    // 2. The verification email, as the SMTP server received it; its link confirms
    // the address only when the button is pressed.
    let deadline = Instant::now() + EMAIL_TIMEOUT;
    let link = loop {
        if let Some(link) = verification_link(&smtp) {
            break link;
        }
        if Instant::now() > deadline {
            bail!(
                "no verification email to {EMAIL} reached the SMTP server in {EMAIL_TIMEOUT:?}: {:?}; log:\n{}",
                smtp.received(),
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    ensure!(
        link.starts_with(&server.base_url()),
        "the link {link} does not point at the shop ({})",
        server.base_url()
    );
    c.goto(&link).await?;
    submit(&browser, "verify-form").await?;
    browser
        .wait_for_text("[data-testid=notice]", |t| t.contains("confirmed"))
        .await
        .context("confirming the email showed no confirmation")?;

    // 3. Shopping as a guest first.
    c.goto(&server.url(&item.path())).await?;
    browser.wait_for_hydration().await?;
    browser
        .wait_for_text("[data-testid=account-link]", |t| t == "Sign in")
        .await?;
    browser
        .wait_for("[data-testid=add-to-cart]:not([disabled])")
        .await?
        .click()
        .await?;
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (1)")
        .await
        .context("the guest cart did not count the added item")?;

    // 4. Signing in keeps the guest cart: it is the customer's now.
    c.goto(&server.url("/account/login")).await?;
    browser.fill("#field-email", EMAIL).await?;
    browser.fill("#field-password", PASSWORD).await?;
    submit(&browser, "login-form").await?;
    browser
        .wait_for_url(|url| url.path() == "/account")
        .await
        .with_context(|| {
            format!(
                "signing in did not open the account; log:\n{}",
                server.log_tail()
            )
        })?;
    browser
        .wait_for_text("[data-testid=email-status]", |t| !t.is_empty())
        .await?;
    browser
        .wait_for_text("[data-testid=account-link]", |t| t.contains("Ada"))
        .await
        .context("the header does not show who is signed in")?;
    browser
        .wait_for_text("[data-testid=cart-count]", |t| t == "Cart (1)")
        .await
        .context("the guest cart did not come along at sign-in")?;

    // 5. Checkout as the customer.
    c.goto(&server.url("/checkout")).await?;
    browser.wait_for_hydration().await?;
    browser
        .fill_checkout_form(&Shopper::in_germany(EMAIL))
        .await?;
    browser
        .wait_for("[data-testid=place-order]:not([disabled])")
        .await?
        .click()
        .await?;
    browser
        .wait_for_url(|url| url.path().starts_with("/orders/"))
        .await
        .with_context(|| format!("placing the order failed; log:\n{}", server.log_tail()))?;
    let number = browser
        .wait_for_text("[data-testid=order-number]", |t| !t.trim().is_empty())
        .await?
        .trim()
        .to_owned();

    // 6. The order is in the history.
    c.goto(&server.url("/account")).await?;
    browser
        .wait_for_text("[data-testid=account-order]", |t| t.contains(&number))
        .await
        .with_context(|| format!("order {number} is not in the account's history"))?;

    // 7. Signing out ends it: the header says "Sign in" and the account asks to sign in.
    browser
        .wait_for("[data-testid=sign-out]")
        .await?
        .click()
        .await?;
    browser.wait_for_url(|url| url.path() == "/").await?;
    browser
        .wait_for_text("[data-testid=account-link]", |t| t == "Sign in")
        .await?;
    c.goto(&server.url("/account")).await?;
    browser
        .wait_for_url(|url| url.path() == "/account/login")
        .await
        .context("a signed-out shopper still reaches the account")?;

    browser.close().await
}
