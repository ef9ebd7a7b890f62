//! Search in a real browser against the real binary: the header's box suggests as the
//! shopper types (a misspelt word still finds the product), the keyboard moves through
//! the suggestions, the results page lists the hits with their facets, and a facet
//! narrows them; with JavaScript on (after hydration) and off (plain GET forms and
//! links), and the server-rendered HTML over plain HTTP.
//! Needs `EMPORIUM_BIN` and `LEPTOS_SITE_ROOT` (see the crate docs); the tests share
//! one seeded server.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use emporium_client::{
    search::{SearchPage, Suggestions},
    types::ProductSummary,
};
use emporium_end2end::{encode, query_param, shared_server, Browser, Server};
use fantoccini::{key::Key, Locator};
use serde_json::Value;

/// A misspelt word of demo product titles and what the API answers for it.
#[derive(Debug, Clone)]
struct Misspelt {
    /// The word as it appears in titles, lower case.
    word: String,
    /// The word with two neighbouring letters swapped: what the shopper types.
    typed: String,
    /// A product whose title has the word, suggested for `typed`.
    product: ProductSummary,
    /// What `/store/search?q=<typed>` answers.
    page: SearchPage,
}

impl Misspelt {
    /// Picks, from the seeded catalog's titles, a word of six letters or more shared by
    /// a few products (so the suggestion list of six can hold them), such that the
    /// Store API, asked for it with two letters swapped, suggests one of those products
    /// and finds several hits with a facet value that holds only some of them (so a
    /// facet can narrow the results).
    async fn find(server: &Server) -> Result<Misspelt> {
        let products = server.all_products().await?;
        server.wait_for_search_index().await?;
        let mut words: BTreeMap<String, usize> = BTreeMap::new();
        for product in &products {
            for word in title_words(&product.title) {
                *words.entry(word).or_default() += 1;
            }
        }
        let mut candidates: Vec<(&String, &usize)> = words
            .iter()
            .filter(|(word, n)| word.len() >= 6 && (2..=5).contains(*n))
            .collect();
        candidates.sort_by_key(|(word, n)| (**n, (*word).clone()));
        for (word, _) in candidates.into_iter().take(40) {
            let Some(typed) = swap_letters(word) else {
                continue;
            };
            let suggestions: Suggestions = server
                .get_json(&format!("/store/search/suggest?q={}", encode(&typed)))
                .await?;
            let Some(suggested) = suggestions
                .products
                .iter()
                .find(|p| title_words(&p.title).any(|w| w == *word))
            else {
                continue;
            };
            let page: SearchPage = server
                .get_json(&format!("/store/search?q={}&limit=100", encode(&typed)))
                .await?;
            if page.total < 2 || narrowing_counts(&page).is_empty() {
                continue;
            }
            let Some(product) = products.iter().find(|p| p.id == suggested.id).cloned() else {
                continue;
            };
            return Ok(Misspelt {
                word: word.clone(),
                typed,
                product,
                page,
            });
        }
        bail!("no word of the demo titles, misspelt, is suggested and has facets that narrow its hits")
    }

    fn product_href(&self) -> String {
        format!("/products/{}", self.product.handle)
    }

    /// The results page's URL.
    fn search_path(&self) -> String {
        format!("/search?q={}", encode(&self.typed))
    }
}

/// The facet counts of a page that hold some but not all of its hits.
fn narrowing_counts(page: &SearchPage) -> Vec<u64> {
    page.facets
        .categories
        .iter()
        .chain(page.facets.options.iter().flat_map(|o| o.values.iter()))
        .map(|f| f.count)
        .filter(|count| (1..page.total).contains(count))
        .collect()
}

/// The lower-case words of a title.
fn title_words(title: &str) -> impl Iterator<Item = String> + '_ {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The word with its 2nd and 3rd letters swapped (or the 3rd and 4th when those are the
/// same): one typo, as the search engine counts a swap of neighbours.
fn swap_letters(word: &str) -> Option<String> {
    let mut chars: Vec<char> = word.chars().collect();
    if !chars.iter().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let at = (1..chars.len().saturating_sub(2)).find(|&i| chars[i] != chars[i + 1])?;
    chars.swap(at, at + 1);
    Some(chars.into_iter().collect())
}

/// Waits until the `textContent` of the element matching `css` is `expected` (for
/// text read by screen readers only, which WebDriver's visible text leaves out).
async fn wait_for_text_content(browser: &Browser, css: &str, expected: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = browser
            .client
            .execute(
                "const el = document.querySelector(arguments[0]); return el ? el.textContent : null;",
                vec![Value::String(css.to_owned())],
            )
            .await?;
        if text.as_str().map(str::trim) == Some(expected) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("`{css}` reads {text}, expected {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The total the results page shows.
async fn shown_total(browser: &Browser) -> Result<u64> {
    let total = browser
        .wait_for("[data-testid=search-total]")
        .await?
        .attr("data-total")
        .await?
        .context("the results summary carries no data-total")?;
    total
        .parse()
        .with_context(|| format!("data-total {total:?}"))
}

/// Waits until the results page shows `total` hits.
async fn wait_for_total(browser: &Browser, total: u64) -> Result<()> {
    let prefix = format!("{total} result");
    browser
        .wait_for_text("[data-testid=search-total]", |t| t.starts_with(&prefix))
        .await
        .map(|_| ())
}

/// A facet value on the results page: a category link or an option radio.
struct Facet {
    element: fantoccini::elements::Element,
    /// The option's collapsible group, for a radio.
    group: Option<fantoccini::elements::Element>,
    /// The URL parameter it sets and its value.
    param: String,
    value: String,
    count: u64,
}

impl Facet {
    /// Chooses it: opens its option group when that is collapsed, then clicks.
    async fn choose(&self) -> Result<()> {
        if let Some(group) = &self.group {
            if group.prop("open").await?.as_deref() != Some("true") {
                group.find(Locator::Css("summary")).await?.click().await?;
            }
        }
        self.element.click().await?;
        Ok(())
    }
}

/// The first facet value on the page holding fewer than `total` hits (option values
/// first, when `options_first`).
async fn narrowing_facet(browser: &Browser, total: u64, options_first: bool) -> Result<Facet> {
    let c = &browser.client;
    let mut options = Vec::new();
    for radio in c
        .find_all(Locator::Css("[data-testid=option-facet]"))
        .await?
    {
        let count = radio.attr("data-count").await?.unwrap_or_default();
        let param = radio.attr("name").await?.unwrap_or_default();
        let value = radio.attr("value").await?.unwrap_or_default();
        let name = param
            .strip_prefix("options[")
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or_default();
        let group = c
            .find(Locator::Css(&format!("[data-testid=\"facet-{name}\"]")))
            .await
            .ok();
        options.push((radio, group, param, value, count));
    }
    let mut categories = Vec::new();
    for link in c
        .find_all(Locator::Css("[data-testid=category-facet]"))
        .await?
    {
        let count = link.attr("data-count").await?.unwrap_or_default();
        let href = link.attr("href").await?.unwrap_or_default();
        let url = url::Url::parse("http://x")?.join(&href)?;
        let value = query_param(&url, "category").unwrap_or_default();
        categories.push((link, None, "category".to_owned(), value, count));
    }
    ensure!(
        !options.is_empty() || !categories.is_empty(),
        "the results page shows no facets"
    );
    let all = if options_first {
        options.into_iter().chain(categories).collect::<Vec<_>>()
    } else {
        categories.into_iter().chain(options).collect::<Vec<_>>()
    };
    for (element, group, param, value, count) in all {
        let count: u64 = count.parse().unwrap_or(0);
        if (1..total).contains(&count) && !value.is_empty() {
            return Ok(Facet {
                element,
                group,
                param,
                value,
                count,
            });
        }
    }
    bail!("no facet value on the page holds fewer than all {total} hits")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_word_is_suggested_then_its_results_narrow_by_a_facet() -> Result<()> {
    let server = shared_server()?;
    let target = Misspelt::find(&server).await?;
    let browser = Browser::start().await?;
    let c = &browser.client;

    c.goto(&server.url("/")).await?;
    browser.wait_for_hydration().await?;
    let input = browser.wait_for("#site-search").await?;
    ensure!(
        input.attr("role").await?.as_deref() == Some("combobox"),
        "after hydration the search field is not a combobox"
    );
    input.send_keys(&target.typed).await?;

    // The listbox opens under the field with the product, the matched word marked.
    let option = browser
        .wait_for(&format!(
            "#search-suggestions [role=option] a[href=\"{}\"]",
            target.product_href()
        ))
        .await
        .with_context(|| {
            format!(
                "typing {:?} (for {:?}) did not suggest {:?}",
                target.typed, target.word, target.product.title
            )
        })?;
    ensure!(
        option.text().await?.trim() == target.product.title,
        "the suggestion reads {:?}, not {:?}",
        option.text().await?,
        target.product.title
    );
    ensure!(
        !option.find_all(Locator::Css("mark")).await?.is_empty(),
        "the suggested title marks no matched word"
    );
    ensure!(
        input.attr("aria-expanded").await?.as_deref() == Some("true"),
        "the combobox does not say it is expanded"
    );
    let listbox = browser.wait_for("#search-suggestions").await?;
    ensure!(listbox.is_displayed().await?, "the listbox is not shown");
    let options = c
        .find_all(Locator::Css("#search-suggestions [role=option]"))
        .await?
        .len();
    let announced = if options == 1 {
        "1 suggestion".to_owned()
    } else {
        format!("{options} suggestions")
    };
    wait_for_text_content(&browser, "#search-suggestions + [role=status]", &announced)
        .await
        .context("the live region does not announce the number of suggestions")?;

    // The arrows move the active option; the focus stays in the field.
    input.send_keys(&Key::Down).await?;
    let active = |expected: Option<&'static str>| {
        let input = input.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let now = input.attr("aria-activedescendant").await?;
                if now.as_deref() == expected {
                    return Ok::<_, anyhow::Error>(());
                }
                if Instant::now() > deadline {
                    bail!("aria-activedescendant is {now:?}, expected {expected:?}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    active(Some("search-option-0")).await?;
    let first = browser.wait_for("#search-option-0").await?;
    ensure!(
        first.attr("aria-selected").await?.as_deref() == Some("true"),
        "the active option is not marked selected"
    );
    if options > 1 {
        input.send_keys(&Key::Down).await?;
        active(Some("search-option-1")).await?;
        input.send_keys(&Key::Up).await?;
        active(Some("search-option-0")).await?;
    }
    // Escape closes the list; Enter then searches the words.
    input.send_keys(&Key::Escape).await?;
    active(None).await?;
    ensure!(
        input.attr("aria-expanded").await?.as_deref() == Some("false"),
        "Escape did not close the list"
    );
    c.execute("window.__noReload = 1;", vec![]).await?;
    input.send_keys(&Key::Enter).await?;
    browser
        .wait_for_url(|url| {
            url.path() == "/search" && query_param(url, "q").as_deref() == Some(&target.typed)
        })
        .await?;

    // The product is among the hits, its title marked; facets are shown.
    let card = browser
        .wait_for(&format!(
            "[data-testid=search-results] [data-testid=product-card] a[href^=\"{}\"]",
            target.product_href()
        ))
        .await
        .context("the results page does not list the suggested product")?;
    ensure!(
        !card.find_all(Locator::Css("h3 mark")).await?.is_empty(),
        "the card's title marks no matched word"
    );
    let total = shown_total(&browser).await?;
    ensure!(
        total == target.page.total,
        "the page shows {total} hits, the API found {}",
        target.page.total
    );
    let still_same_page = c.execute("return window.__noReload === 1;", vec![]).await?;
    ensure!(
        still_same_page == Value::Bool(true),
        "searching from the header reloaded the page"
    );

    // A facet value narrows the hits, as a client-side navigation.
    let facet = narrowing_facet(&browser, total, true).await?;
    facet.choose().await?;
    let url = browser
        .wait_for_url(|url| query_param(url, &facet.param).as_deref() == Some(&facet.value))
        .await
        .with_context(|| format!("choosing {}={} did not apply it", facet.param, facet.value))?;
    ensure!(
        query_param(&url, "q").as_deref() == Some(&target.typed),
        "the filter lost the words: {url}"
    );
    wait_for_total(&browser, facet.count)
        .await
        .with_context(|| format!("{}={} did not narrow the hits", facet.param, facet.value))?;
    ensure!(facet.count < total, "the hits did not narrow");
    let cards = c
        .find_all(Locator::Css(
            "[data-testid=search-results] [data-testid=product-card]",
        ))
        .await?;
    ensure!(
        cards.len() as u64 == facet.count.min(24),
        "{} cards for {} hits",
        cards.len(),
        facet.count
    );
    let still_same_page = c.execute("return window.__noReload === 1;", vec![]).await?;
    ensure!(
        still_same_page == Value::Bool(true),
        "choosing a facet reloaded the page"
    );

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_search_form_and_facet_links_work() -> Result<()> {
    let server = shared_server()?;
    let target = Misspelt::find(&server).await?;
    let browser = Browser::without_javascript().await?;
    let c = &browser.client;

    c.goto(&server.url("/")).await?;
    let input = browser.wait_for("#site-search").await?;
    ensure!(
        input.attr("role").await?.is_none(),
        "without JavaScript the search field claims a suggestion list"
    );
    input.send_keys(&target.typed).await?;
    browser.wait_for(".search-submit").await?.click().await?;
    browser
        .wait_for_url(|url| {
            url.path() == "/search" && query_param(url, "q").as_deref() == Some(&target.typed)
        })
        .await?;
    browser
        .wait_for(&format!(
            "[data-testid=search-results] a[href^=\"{}\"]",
            target.product_href()
        ))
        .await
        .context("the results page does not list the product")?;
    let total = shown_total(&browser).await?;

    // Category facets are links; option values are radios applied with the button.
    let facet = narrowing_facet(&browser, total, false).await?;
    facet.choose().await?;
    if facet.param != "category" {
        browser
            .wait_for("[data-testid=apply-filters]")
            .await?
            .click()
            .await?;
    }
    browser
        .wait_for_url(|url| query_param(url, &facet.param).as_deref() == Some(&facet.value))
        .await?;
    wait_for_total(&browser, facet.count).await?;
    let html = c.find(Locator::Css("html")).await?;
    ensure!(
        html.attr("data-hydrated").await?.is_none(),
        "JavaScript ran in the JS-off browser"
    );

    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_results_page_is_whole_html_and_a_refused_filter_is_a_message() -> Result<()> {
    let server = shared_server()?;
    let target = Misspelt::find(&server).await?;

    let (status, body) = server.get(&target.search_path()).await?;
    ensure!(status == 200, "status {status}");
    ensure!(
        body.contains(&format!("href=\"{}", target.product_href())),
        "the server-rendered results do not link {}",
        target.product_href()
    );
    ensure!(body.contains("<mark>"), "no matched word is marked");
    ensure!(
        body.contains("data-testid=\"filter-form\"") && body.contains("method=\"get\""),
        "no GET filter form"
    );
    ensure!(
        body.contains("name=\"robots\" content=\"noindex\""),
        "results pages must not be indexed"
    );

    // The header's search form is the same on every page (pages are cached by URL) and
    // carries no suggestion list from the server.
    let header_form = |html: &str| -> Option<String> {
        let marker = html.find("data-testid=\"search-form\"")?;
        let start = html[..marker].rfind("<form")?;
        let end = html[start..].find("</form>")? + start;
        Some(html[start..end].to_owned())
    };
    let (_, home) = server.get("/").await?;
    let on_results = header_form(&body).context("no header search form on /search")?;
    ensure!(
        Some(&on_results) == header_form(&home).as_ref(),
        "the header's search form differs between / and /search:\n{on_results}"
    );
    ensure!(
        on_results.contains("role=\"search\"")
            && on_results.contains("action=\"/search\"")
            && on_results.contains("name=\"q\""),
        "the header form is not a GET search form: {on_results}"
    );
    ensure!(
        !on_results.contains("combobox") && !on_results.contains("role=\"option\""),
        "the server rendered suggestion markup: {on_results}"
    );

    // What the API refuses is said next to the filter, not a failed page.
    let (status, body) = server
        .get(&format!(
            "{}&category=no-such-category-anywhere",
            target.search_path()
        ))
        .await?;
    ensure!(status == 200, "status {status} for an unknown category");
    ensure!(
        body.contains("That category is not in the shop any more"),
        "no message for the unknown category"
    );
    ensure!(
        body.contains(&format!("href=\"{}", target.product_href())),
        "the unknown category hid the results"
    );

    // Nothing found: say so and offer categories.
    let (status, body) = server.get("/search?q=qqxqzzqxqq").await?;
    ensure!(status == 200, "status {status} for a search without hits");
    let empty = body
        .find("data-testid=\"search-empty\"")
        .map(|at| &body[at..])
        .context("no empty state for a search without hits")?;
    ensure!(
        empty.contains("No results for") && empty.contains("href=\"/categories/"),
        "the empty state offers no categories"
    );
    Ok(())
}

#[test]
fn swapping_letters_makes_one_typo() {
    assert_eq!(swap_letters("linen").as_deref(), Some("lnien"));
    assert_eq!(swap_letters("cotton").as_deref(), Some("ctoton"));
    assert_eq!(swap_letters("aaaa"), None);
    assert_eq!(swap_letters("café"), None);
}
