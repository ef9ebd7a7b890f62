//! The storefront in a real browser against the real binary. Needs `EMPORIUM_BIN` and
//! `LEPTOS_SITE_ROOT` (see the crate docs); each test shares one seeded server.

use anyhow::{ensure, Context, Result};
use emporium_end2end::{query_param, shared_server, Browser, VariantPair};
use fantoccini::Locator;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_goes_from_home_through_a_category_to_a_product() -> Result<()> {
    let server = shared_server()?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    c.goto(&server.url("/")).await?;
    let category = browser.wait_for(".category-nav a").await?;
    let category_name = category.text().await?;
    category.click().await?;
    browser
        .wait_for_url(|url| url.path().starts_with("/categories/"))
        .await?;
    // The breadcrumb ends with the category: we are on its page, not still on home.
    browser
        .wait_for_text(".breadcrumb [aria-current=page]", |t| t == category_name)
        .await?;
    let cards = c
        .find_all(Locator::Css("[data-testid=product-card]"))
        .await?;
    ensure!(
        !cards.is_empty(),
        "the category {category_name:?} shows no product cards"
    );

    let first = browser.wait_for("[data-testid=product-card] a").await?;
    let title = first.find(Locator::Css("h3")).await?.text().await?;
    first.click().await?;
    browser
        .wait_for_url(|url| url.path().starts_with("/products/"))
        .await?;
    browser.wait_for_text("h1", |t| t == title).await?;
    let price = browser
        .wait_for_text("[data-testid=price]", |t| t.contains('€'))
        .await?;
    ensure!(
        price.chars().any(|ch| ch.is_ascii_digit()),
        "price {price:?}"
    );

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_hydration_an_option_link_switches_the_variant_without_reloading() -> Result<()> {
    let server = shared_server()?;
    let pair = VariantPair::find(&server).await?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    c.goto(&server.url(&format!("/products/{}", pair.product.handle)))
        .await?;
    browser.wait_for_hydration().await?;
    let first_price = VariantPair::eur(&pair.first);
    browser
        .wait_for_text("[data-testid=price]", |t| t == first_price)
        .await?;
    c.execute("window.__noReload = 1;", vec![]).await?;

    browser
        .click_link_in(&pair.option_selector(), &pair.value)
        .await?;

    let other_price = VariantPair::eur(&pair.other);
    browser
        .wait_for_text("[data-testid=price]", |t| t == other_price)
        .await
        .context("the price did not change to the other variant's")?;
    browser
        .wait_for_text("[data-testid=sku]", |t| t == pair.other.sku)
        .await?;
    let url = c.current_url().await?;
    ensure!(
        query_param(&url, "variant").as_deref() == Some(pair.other.id.as_str()),
        "the URL is {url}, expected ?variant={}",
        pair.other.id
    );
    let still_same_page = c.execute("return window.__noReload === 1;", vec![]).await?;
    ensure!(still_same_page == Value::Bool(true), "the page reloaded");

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_product_page_renders_and_option_links_navigate() -> Result<()> {
    let server = shared_server()?;
    let pair = VariantPair::find(&server).await?;
    let browser = Browser::without_javascript().await?;
    let c = &browser.client;

    c.goto(&server.url(&format!("/products/{}", pair.product.handle)))
        .await?;
    let first_price = VariantPair::eur(&pair.first);
    browser
        .wait_for_text("[data-testid=price]", |t| t == first_price)
        .await?;
    browser
        .wait_for_text("[data-testid=sku]", |t| t == pair.first.sku)
        .await?;
    // The bundle never ran: had it, it would have marked the document as hydrated.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let html = c.find(Locator::Css("html")).await?;
    ensure!(
        html.attr("data-hydrated").await?.is_none(),
        "JavaScript ran in the JS-off browser"
    );

    browser
        .click_link_in(&pair.option_selector(), &pair.value)
        .await?;
    browser
        .wait_for_url(|url| query_param(url, "variant").as_deref() == Some(pair.other.id.as_str()))
        .await?;
    let other_price = VariantPair::eur(&pair.other);
    browser
        .wait_for_text("[data-testid=price]", |t| t == other_price)
        .await?;
    browser
        .wait_for_text("[data-testid=sku]", |t| t == pair.other.sku)
        .await?;

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_hydration_choosing_a_sort_order_reloads_only_the_product_grid() -> Result<()> {
    let server = shared_server()?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    c.goto(&server.url("/")).await?;
    let category = browser.wait_for(".category-nav a").await?;
    let href = category
        .attr("href")
        .await?
        .context("a category link without href")?;
    c.goto(&server.url(&href)).await?;
    browser.wait_for_hydration().await?;
    c.execute("window.__noReload = 1;", vec![]).await?;

    let select = browser.wait_for("select#sort").await?;
    select.select_by_value("price_asc").await?;
    browser
        .wait_for_url(|url| query_param(url, "sort").as_deref() == Some("price_asc"))
        .await?;
    // The grid was fetched through the server function over HTTP and re-rendered.
    browser.wait_for("[data-testid=product-card]").await?;
    let still_same_page = c.execute("return window.__noReload === 1;", vec![]).await?;
    ensure!(
        still_same_page == Value::Bool(true),
        "choosing a sort order reloaded the page"
    );
    let chosen = browser.wait_for("select#sort").await?.prop("value").await?;
    ensure!(
        chosen.as_deref() == Some("price_asc"),
        "the menu shows {chosen:?}"
    );

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_products_answer_404_with_the_shop_frame() -> Result<()> {
    let server = shared_server()?;
    let (status, body) = server.get("/products/no-such-product-anywhere").await?;
    ensure!(status == 404, "status {status}");
    ensure!(body.contains("Page not found"), "body: {body}");
    ensure!(body.contains("Emporium"), "no shop header in the 404 page");
    let (status, _) = server.get("/no/such/page").await?;
    ensure!(status == 404, "status {status} for an unknown path");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_region_form_switches_prices_to_usd() -> Result<()> {
    let server = shared_server()?;
    let pair = VariantPair::find(&server).await?;
    let usd_price = pair
        .first
        .price_in("USD")
        .map(|p| p.display())
        .context("the demo variant has no USD price")?;
    let browser = Browser::without_javascript().await?;
    let c = &browser.client;

    let path = format!("/products/{}", pair.product.handle);
    c.goto(&server.url(&path)).await?;
    let eur_price = VariantPair::eur(&pair.first);
    browser
        .wait_for_text("[data-testid=price]", |t| t == eur_price)
        .await?;
    // Without JavaScript choosing an option does nothing until the form is submitted.
    browser
        .wait_for("#region-select")
        .await?
        .select_by_value("reg_us")
        .await?;
    browser.wait_for(".region-submit").await?.click().await?;
    browser
        .wait_for_text("[data-testid=price]", |t| t == usd_price)
        .await
        .with_context(|| {
            format!(
                "the plain region form did not bring back {path} priced in USD; server log:\n{}",
                server.log_tail()
            )
        })?;
    let url = c.current_url().await?;
    ensure!(
        url.path() == path,
        "the form came back to {url}, not {path}"
    );
    let html = c.find(Locator::Css("html")).await?;
    ensure!(
        html.attr("data-hydrated").await?.is_none(),
        "JavaScript ran in the JS-off browser"
    );

    browser.close().await
}
