//! `/search`: what the header's search box finds (see [`crate::search_box`]).
//!
//! The URL says everything: `q`, `category`, `options[NAME]=VALUE` (one value per
//! option name, as the Store API filters), `price_min`/`price_max` in major units as
//! typed (`19.99`), `in_stock=true`, `sort`, `cursor` and `currency`. They are read
//! leniently (an unknown sort or an empty field is "not given"); what the API refuses
//! (an unknown category or option, a lowest price above the highest, a stale cursor)
//! is left out, the search runs again without it, and the page says so next to that
//! filter instead of failing.
//!
//! The filters are one GET form (category links, a radio group per option, in stock,
//! price, sort, "Apply"), so they work with JavaScript off; after hydration choosing a
//! radio, the checkbox or a sort applies it at once, as a client-side navigation.

use emporium_client::{
    search::{FacetValue, OptionFacet, SearchPage, SearchParams, SearchSort, TextSpan},
    types::minor_unit_digits,
};
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::{components::Form, hooks::use_query_map, params::ParamsMap};
use serde::{Deserialize, Serialize};

use crate::{
    categories::{category_href, category_path, CategoryTree},
    layout::{Breadcrumb, Crumb, Loading, ServiceError},
    listing::ProductCard,
    query::{encode, parse_currency, DEFAULT_CURRENCY},
    region::{display_currency, Regions},
    response,
    seo::PageMeta,
    store_api::search_products,
};

/// The results page.
pub const SEARCH_PATH: &str = "/search";

/// Hits per page.
pub const SEARCH_PAGE_SIZE: u32 = 24;

/// Top-level categories an empty result offers.
const BROWSE_SUGGESTIONS: usize = 6;

/// The sort orders a shopper can choose, with their labels, in menu order.
pub const SEARCH_SORTS: [(SearchSort, &str); 4] = [
    (SearchSort::Relevance, "Best match"),
    (SearchSort::PriceAsc, "Price: low to high"),
    (SearchSort::PriceDesc, "Price: high to low"),
    (SearchSort::Newest, "Newest"),
];

/// What a `/search` URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchUrl {
    /// The words, as typed.
    pub q: String,
    /// A category handle.
    pub category: Option<String>,
    /// (option name, value): one per name, ordered by name.
    pub options: Vec<(String, String)>,
    /// Major units as typed (`19.99`); converted with the currency's minor unit.
    pub price_min: Option<String>,
    pub price_max: Option<String>,
    pub in_stock: bool,
    pub sort: Option<SearchSort>,
    pub cursor: Option<String>,
    /// The currency the URL asked for explicitly (links keep it only then).
    pub currency: Option<String>,
}

impl SearchUrl {
    pub fn from_query(query: &ParamsMap) -> Self {
        let text = |name: &str| {
            query
                .get_str(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(ToOwned::to_owned)
        };
        let mut options: Vec<(String, String)> = Vec::new();
        for (key, value) in query {
            let Some(name) = option_name(key) else {
                continue;
            };
            let value = value.trim();
            if name.is_empty() || value.is_empty() {
                continue;
            }
            // One value per option: the last one given wins, as the API reads it.
            options.retain(|(n, _)| n != name);
            options.push((name.to_owned(), value.to_owned()));
        }
        options.sort();
        SearchUrl {
            q: query.get_str("q").unwrap_or_default().trim().to_owned(),
            category: text("category"),
            options,
            price_min: text("price_min"),
            price_max: text("price_max"),
            in_stock: query.get_str("in_stock") == Some("true"),
            sort: query.get_str("sort").and_then(SearchSort::parse),
            cursor: text("cursor"),
            currency: query.get_str("currency").and_then(parse_currency),
        }
    }

    /// The link to this search: `/search?q=…&…`, empty parameters left out.
    pub fn href(&self) -> String {
        let mut pairs: Vec<(String, &str)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q".into(), &self.q));
        }
        if let Some(category) = &self.category {
            pairs.push(("category".into(), category));
        }
        for (name, value) in &self.options {
            pairs.push((format!("options[{name}]"), value));
        }
        if let Some(min) = &self.price_min {
            pairs.push(("price_min".into(), min));
        }
        if let Some(max) = &self.price_max {
            pairs.push(("price_max".into(), max));
        }
        if self.in_stock {
            pairs.push(("in_stock".into(), "true"));
        }
        if let Some(sort) = self.sort {
            pairs.push(("sort".into(), sort.as_str()));
        }
        if let Some(currency) = &self.currency {
            pairs.push(("currency".into(), currency));
        }
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor".into(), cursor));
        }
        let mut out = SEARCH_PATH.to_owned();
        for (i, (key, value)) in pairs.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&encode(key));
            out.push('=');
            out.push_str(&encode(value));
        }
        out
    }

    /// This search in another category (`None`: every category), from its first page.
    pub fn in_category(&self, category: Option<&str>) -> Self {
        SearchUrl {
            category: category.map(ToOwned::to_owned),
            cursor: None,
            ..self.clone()
        }
    }

    /// This search on the page `cursor` (`None`: the first).
    pub fn on_page(&self, cursor: Option<&str>) -> Self {
        SearchUrl {
            cursor: cursor.map(ToOwned::to_owned),
            ..self.clone()
        }
    }

    /// The same words (and sort and currency) without any filter.
    pub fn unfiltered(&self) -> Self {
        SearchUrl {
            q: self.q.clone(),
            sort: self.sort,
            currency: self.currency.clone(),
            ..SearchUrl::default()
        }
    }

    /// Whether a filter narrows the search.
    pub fn is_filtered(&self) -> bool {
        self.category.is_some()
            || !self.options.is_empty()
            || self.price_min.is_some()
            || self.price_max.is_some()
            || self.in_stock
    }

    /// The request for the API, prices in `currency`, and what of the URL cannot be
    /// asked (a price that is not a number), each with what to tell the shopper.
    pub fn request(&self, currency: &str) -> (SearchRequest, Vec<Refusal>) {
        let mut refused = Vec::new();
        let mut price = |param: &str, text: &Option<String>| {
            let text = text.as_deref()?;
            let amount = parse_price(text, currency);
            if amount.is_none() {
                refused.push(Refusal {
                    param: param.to_owned(),
                    message: "Enter a price such as 25 or 19.99.".to_owned(),
                });
            }
            amount
        };
        let price_min = price("price_min", &self.price_min);
        let price_max = price("price_max", &self.price_max);
        let request = SearchRequest {
            q: self.q.clone(),
            category: self.category.clone(),
            options: self
                .options
                .iter()
                .map(|(name, value)| OptionFilter {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            currency: currency.to_owned(),
            price_min,
            price_max,
            in_stock: self.in_stock,
            sort: self.sort,
            cursor: self.cursor.clone(),
        };
        (request, refused)
    }
}

/// `options[size]` → `size`.
fn option_name(key: &str) -> Option<&str> {
    key.strip_prefix("options[")
        .and_then(|rest| rest.strip_suffix(']'))
        .map(str::trim)
}

/// A price typed in major units (`25`, `19.99`, `19,99`) as minor units of `currency`;
/// `None` for anything else (negative, more decimals than the currency has).
pub fn parse_price(text: &str, currency: &str) -> Option<i64> {
    let digits = minor_unit_digits(currency) as usize;
    let text = text.trim();
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > digits
        || whole.len() > 12
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<digits$}").parse().ok()?
    };
    whole
        .checked_mul(10i64.pow(digits as u32))?
        .checked_add(fraction)
}

/// One option filter of a [`SearchRequest`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionFilter {
    pub name: String,
    pub value: String,
}

/// What the results page asks [`search_products`]: the URL's search with prices in
/// minor units and the currency settled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    pub q: String,
    pub category: Option<String>,
    pub options: Vec<OptionFilter>,
    pub currency: String,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub in_stock: bool,
    pub sort: Option<SearchSort>,
    pub cursor: Option<String>,
}

impl SearchRequest {
    /// The Store API's parameters for one page of this search.
    pub fn params(&self) -> SearchParams {
        SearchParams {
            q: self.q.trim().to_owned(),
            category: self.category.clone(),
            options: self
                .options
                .iter()
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect(),
            currency: Some(self.currency.clone()),
            price_min: self.price_min,
            price_max: self.price_max,
            in_stock: self.in_stock.then_some(true),
            sort: self.sort,
            limit: Some(SEARCH_PAGE_SIZE),
            cursor: self.cursor.clone(),
        }
    }

    /// This request without the parameter the API refused (`param` as the API names
    /// it); `None` when that leaves nothing to drop.
    pub fn without(&self, param: &str) -> Option<SearchRequest> {
        let mut next = self.clone();
        match param {
            "category" => next.category = None,
            "price_min" => next.price_min = None,
            "price_max" => next.price_max = None,
            "in_stock" => next.in_stock = false,
            "sort" => next.sort = None,
            "cursor" => next.cursor = None,
            "currency" => next.currency = DEFAULT_CURRENCY.to_owned(),
            "q" => next.q = String::new(),
            other => {
                let name = option_name(other)?.to_lowercase();
                next.options
                    .retain(|o| o.name.trim().to_lowercase() != name);
            }
        }
        (next != *self).then_some(next)
    }

    /// What to tell the shopper when the API refused `param` of this request, and it
    /// was left out.
    pub fn refusal(&self, param: &str) -> Refusal {
        let message = match param {
            "category" => {
                "That category is not in the shop any more, so every category is searched."
                    .to_owned()
            }
            "price_min" | "price_max" => match (self.price_min, self.price_max) {
                (Some(min), Some(max)) if min > max => {
                    "The lowest price is above the highest, so it was left out.".to_owned()
                }
                _ => "That price could not be applied and was left out.".to_owned(),
            },
            "in_stock" => "The stock filter could not be applied and was left out.".to_owned(),
            "sort" => "That sort order is unknown, so the best matches come first.".to_owned(),
            "cursor" => {
                "That page of results is no longer available, so here is the first page.".to_owned()
            }
            "currency" => format!(
                "Prices cannot be shown in {}, so they are shown in {DEFAULT_CURRENCY}.",
                self.currency
            ),
            other => match option_name(other) {
                Some(name) => {
                    format!("No product has the option “{name}”, so that filter was left out.")
                }
                None => "One of the filters could not be applied and was left out.".to_owned(),
            },
        };
        Refusal {
            param: param.to_owned(),
            message,
        }
    }
}

/// A filter that was left out, and why, for the shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The parameter, as the URL and the API name it (`category`, `options[size]`).
    pub param: String,
    pub message: String,
}

/// What [`search_products`] answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchAnswer {
    /// `None` when the API refused the search even without the refused filter.
    pub page: Option<SearchPage>,
    /// The currency prices are in (the default one when the asked one was refused).
    pub currency: String,
    /// The filters the API refused, left out of `page`.
    pub refusals: Vec<Refusal>,
    /// When nothing matched: the top-level categories with the most products.
    pub browse: Vec<FacetValue>,
}

/// The top-level categories of a browse's facet worth offering: those with products,
/// most first.
pub fn browse_suggestions(mut categories: Vec<FacetValue>) -> Vec<FacetValue> {
    categories.retain(|c| c.count > 0);
    categories.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    categories.truncate(BROWSE_SUGGESTIONS);
    categories
}

/// Highlighted text: the matched pieces in `<mark>`.
pub fn highlighted(spans: Vec<TextSpan>) -> impl IntoView {
    spans
        .into_iter()
        .map(|span| {
            if span.matched {
                view! { <mark>{span.text}</mark> }.into_any()
            } else {
                span.text.into_any()
            }
        })
        .collect_view()
}

/// `“q”` with curly quotes.
fn quoted(q: &str) -> String {
    format!("“{q}”")
}

/// "12 results for “q”", or "12 products" when browsing.
pub fn summary(total: u64, q: &str) -> String {
    let noun = match (total, q.is_empty()) {
        (1, false) => "result",
        (_, false) => "results",
        (1, true) => "product",
        (_, true) => "products",
    };
    if q.is_empty() {
        format!("{total} {noun}")
    } else {
        format!("{total} {noun} for {}", quoted(q))
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let url = Memo::new(move |_| SearchUrl::from_query(&query.read()));
    let regions = Regions::resource();
    let tree = CategoryTree::resource();
    let results = Resource::new(
        move || url.get(),
        move |url| async move {
            let currency = display_currency(regions, url.currency.clone()).await;
            search_products(url.request(&currency).0).await
        },
    );

    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let answer = results.await;
                let tree = tree.await.unwrap_or_default();
                let url = url.get();
                let Ok(answer) = answer else {
                    return view! { <ServiceError/> }.into_any();
                };
                response::cache_catalog_page();
                let mut refusals = url.request(&answer.currency).1;
                refusals.extend(answer.refusals.clone());
                // The current category's name, from the tree the header already loaded.
                let category_name = url
                    .category
                    .as_deref()
                    .map(|handle| {
                        category_path(&tree, handle)
                            .and_then(|path| path.last().map(|c| c.name.clone()))
                            .unwrap_or_else(|| handle.to_owned())
                    });
                let (title, description, canonical) = if url.q.is_empty() {
                    (
                        "Search".to_owned(),
                        "Search every product at Emporium.".to_owned(),
                        SEARCH_PATH.to_owned(),
                    )
                } else {
                    (
                        format!("Search: {}", url.q),
                        format!("Products matching {} at Emporium.", quoted(&url.q)),
                        crate::query::href(SEARCH_PATH, &[("q", &url.q)]),
                    )
                };
                let heading = if url.q.is_empty() {
                    "Search".to_owned()
                } else {
                    format!("Results for {}", quoted(&url.q))
                };
                let page = answer.page.clone();
                let facets = page.as_ref().map(|p| p.facets.clone()).unwrap_or_default();
                view! {
                    <PageMeta title description canonical/>
                    <Meta name="robots" content="noindex"/>
                    <Breadcrumb crumbs=vec![Crumb::link("Home", "/"), Crumb::here("Search")]/>
                    <header class="page-header">
                        <h1>{heading}</h1>
                        {page
                            .as_ref()
                            .map(|p| {
                                view! {
                                    <p
                                        class="search-summary"
                                        role="status"
                                        data-testid="search-total"
                                        data-total=p.total.to_string()
                                    >
                                        {summary(p.total, &url.q)}
                                    </p>
                                }
                            })}
                    </header>
                    <div class="search-layout">
                        <FilterForm
                            url=url.clone()
                            option_facets=facets.options
                            category_facets=facets.categories
                            category_name
                            currency=answer.currency.clone()
                            refusals
                        />
                        <section class="search-results" aria-label="Results">
                            <SearchHits url answer/>
                        </section>
                    </div>
                }
                .into_any()
            })}
        </Transition>
    }
}

/// The hits, or what to do when there are none, and the next page.
#[component]
fn SearchHits(url: SearchUrl, answer: SearchAnswer) -> impl IntoView {
    let Some(page) = answer.page.filter(|p| !p.hits.is_empty()) else {
        return view! { <NoResults url browse=answer.browse/> }.into_any();
    };
    let currency = answer.currency;
    let label = if url.q.is_empty() {
        "Products".to_owned()
    } else {
        format!("Results for {}", quoted(&url.q))
    };
    let first = url.cursor.is_some().then(|| url.on_page(None).href());
    let next = page
        .next_cursor
        .as_deref()
        .map(|cursor| url.on_page(Some(cursor)).href());
    view! {
        <ul class="product-grid" aria-label=label data-testid="search-results">
            {page
                .hits
                .into_iter()
                .map(|hit| {
                    view! {
                        <ProductCard
                            product=hit.product
                            currency=currency.clone()
                            currency_param=url.currency.clone()
                            highlight=hit.highlight.title
                        />
                    }
                })
                .collect_view()}
        </ul>
        {(first.is_some() || next.is_some())
            .then(|| {
                view! {
                    <nav class="pagination" aria-label="Pagination">
                        {first.map(|href| view! { <a class="button secondary" href=href>"First page"</a> })}
                        {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
                    </nav>
                }
            })}
    }
    .into_any()
}

/// The empty state: what was searched, how to widen it, where to browse instead.
#[component]
fn NoResults(url: SearchUrl, browse: Vec<FacetValue>) -> impl IntoView {
    let heading = if url.q.is_empty() {
        "No products match these filters".to_owned()
    } else {
        format!("No results for {}", quoted(&url.q))
    };
    let unfiltered = url.is_filtered().then(|| url.unfiltered().href());
    view! {
        <div class="search-empty" data-testid="search-empty">
            <h2>{heading}</h2>
            <ul class="search-hints">
                {(!url.q.is_empty())
                    .then(|| view! { <li>"Check the spelling, or try fewer or more general words."</li> })}
                {unfiltered
                    .map(|href| {
                        view! { <li><a href=href>"Search again without the filters"</a></li> }
                    })}
            </ul>
            {(!browse.is_empty())
                .then(|| {
                    view! {
                        <h3>"Or browse a category"</h3>
                        <ul class="subcategories-list">
                            {browse
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <li>
                                            <a class="chip" href=category_href(&c.value)>{c.label}</a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}

/// The message for the filter `param`, when it was refused.
fn refusal_for(refusals: &[Refusal], accept: impl Fn(&str) -> bool) -> Option<String> {
    refusals
        .iter()
        .find(|r| accept(&r.param))
        .map(|r| r.message.clone())
}

/// A refused filter's message, next to it.
#[component]
fn FilterError(id: String, message: Option<String>) -> impl IntoView {
    message.map(|message| {
        view! {
            <p class="form-error filter-error" id=id role="alert">
                {message}
            </p>
        }
    })
}

/// The filters: a GET form to `/search` that keeps the words (and an explicit
/// currency) in hidden fields.
#[component]
fn FilterForm(
    url: SearchUrl,
    option_facets: Vec<OptionFacet>,
    category_facets: Vec<FacetValue>,
    /// The name of `url.category`.
    category_name: Option<String>,
    /// The currency prices are filtered in.
    currency: String,
    refusals: Vec<Refusal>,
) -> impl IntoView {
    // Radios, the checkbox and the sort apply at once after hydration; prices wait
    // for "Apply" (a change event fires on every step of a number field).
    let apply_now = |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        let Some(target) = ev.target() else {
            return;
        };
        if let Some(input) = target.dyn_ref::<leptos::web_sys::HtmlInputElement>() {
            if !matches!(input.type_().as_str(), "radio" | "checkbox") {
                return;
            }
        }
        let form = target
            .dyn_ref::<leptos::web_sys::Element>()
            .and_then(|el| el.closest("form").ok().flatten())
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
        if let Some(form) = form {
            // A refused submit leaves the "Apply" button to do it.
            let _ = form.request_submit();
        }
    };

    // Refusals that belong to no filter shown here (an option no product has).
    let shown_options: Vec<String> = option_facets
        .iter()
        .map(|o| format!("options[{}]", o.name))
        .collect();
    let general = refusals
        .iter()
        .filter(|r| {
            let param = r.param.to_lowercase();
            !matches!(
                param.as_str(),
                "category" | "price_min" | "price_max" | "in_stock" | "sort"
            ) && !shown_options.contains(&param)
        })
        .map(|r| r.message.clone())
        .collect::<Vec<_>>();
    let category_error = refusal_for(&refusals, |p| p == "category");
    let price_error = refusal_for(&refusals, |p| p == "price_min" || p == "price_max");
    let stock_error = refusal_for(&refusals, |p| p == "in_stock");
    let sort_error = refusal_for(&refusals, |p| p == "sort");
    let current_sort = url.sort.unwrap_or_default();

    // A category the API refused is not applied: neither shown nor sent again.
    let applied_category = url.category.clone().filter(|_| category_error.is_none());
    let current_category = applied_category.map(|handle| {
        let name = category_name.unwrap_or_else(|| handle.clone());
        let remove = url.in_category(None).href();
        view! {
            <p class="current-filter">
                <span>{name.clone()}</span>
                <a
                    class="remove-filter"
                    href=remove
                    aria-label=format!("Remove the category filter {name}")
                    data-testid="remove-category"
                >
                    "×"
                </a>
            </p>
            <input type="hidden" name="category" value=handle/>
        }
    });
    let category_links = category_facets
        .into_iter()
        .filter(|c| c.count > 0)
        .map(|c| {
            let href = url.in_category(Some(&c.value)).href();
            view! {
                <li>
                    <a
                        href=href
                        class="facet-link"
                        data-testid="category-facet"
                        data-count=c.count.to_string()
                    >
                        <span class="facet-label">{c.label}</span>
                        <span class="facet-count">{c.count.to_string()}</span>
                    </a>
                </li>
            }
        })
        .collect::<Vec<_>>();
    let has_category_links = !category_links.is_empty();
    let show_categories =
        has_category_links || current_category.is_some() || category_error.is_some();

    let option_groups = option_facets
        .into_iter()
        .filter(|o| !o.values.is_empty())
        .map(|option| {
            let param = format!("options[{}]", option.name);
            let chosen = url
                .options
                .iter()
                .find(|(n, _)| n.to_lowercase() == option.name)
                .map(|(_, v)| v.clone());
            let error = refusal_for(&refusals, |p| p.to_lowercase() == param);
            let error_id = format!("option-{}-error", option.name);
            let any_id = format!("option-{}-any", option.name);
            let values = option
                .values
                .into_iter()
                .enumerate()
                .map(|(i, value)| {
                    let id = format!("option-{}-{i}", option.name);
                    let checked = chosen.as_deref() == Some(value.value.as_str());
                    view! {
                        <div class="facet-choice">
                            <input
                                type="radio"
                                id=id.clone()
                                name=param.clone()
                                value=value.value
                                checked=checked
                                data-testid="option-facet"
                                data-count=value.count.to_string()
                            />
                            <label for=id>
                                <span class="facet-label">{value.label}</span>
                                <span class="facet-count">{value.count.to_string()}</span>
                            </label>
                        </div>
                    }
                })
                .collect_view();
            // Collapsed unless in use: a shop's options can run to dozens of values.
            let open = chosen.is_some() || error.is_some();
            let label = option.label;
            view! {
                <details class="facet facet-option" open=open data-testid=format!("facet-{}", option.name)>
                    <summary class="facet-title">
                        {label.clone()}
                        {chosen.clone().map(|v| view! { <span class="facet-chosen">{format!(": {v}")}</span> })}
                    </summary>
                    <fieldset>
                        <legend class="visually-hidden">{label}</legend>
                        <div class="facet-choice">
                            <input
                                type="radio"
                                id=any_id.clone()
                                name=param.clone()
                                value=""
                                checked=chosen.is_none()
                            />
                            <label for=any_id>"Any"</label>
                        </div>
                        {values}
                    </fieldset>
                    <FilterError id=error_id message=error/>
                </details>
            }
        })
        .collect_view();

    view! {
        <aside class="search-filters" aria-labelledby="search-filters-title">
            <h2 id="search-filters-title" class="search-filters-title">"Filters"</h2>
            <Form method="get" action=SEARCH_PATH attr:class="filter-form" attr:data-testid="filter-form">
                <div class="filter-fields" on:change=apply_now>
                    <input type="hidden" name="q" value=url.q.clone()/>
                    {url
                        .currency
                        .clone()
                        .map(|currency| view! { <input type="hidden" name="currency" value=currency/> })}
                    {(!general.is_empty())
                        .then(|| {
                            view! {
                                <div class="form-error banner" role="alert">
                                    {general.into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
                                </div>
                            }
                        })}
                    <div class="facet">
                        <label for="search-sort" class="facet-title">"Sort by"</label>
                        <select id="search-sort" name="sort" data-testid="search-sort">
                            {SEARCH_SORTS
                                .iter()
                                .map(|(sort, label)| {
                                    view! {
                                        <option value=sort.as_str() selected=*sort == current_sort>
                                            {*label}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <FilterError id="search-sort-error".to_owned() message=sort_error/>
                    </div>
                    {show_categories
                        .then(|| {
                            view! {
                                <section class="facet" aria-labelledby="facet-category-title">
                                    <h3 id="facet-category-title" class="facet-title">"Category"</h3>
                                    {current_category}
                                    {has_category_links
                                        .then(|| view! { <ul class="facet-links">{category_links}</ul> })}
                                    <FilterError id="category-error".to_owned() message=category_error/>
                                </section>
                            }
                        })}
                    {option_groups}
                    <div class="facet checkbox-field">
                        <input
                            type="checkbox"
                            id="search-in-stock"
                            name="in_stock"
                            value="true"
                            checked=url.in_stock
                            data-testid="in-stock"
                        />
                        <label for="search-in-stock">"In stock only"</label>
                    </div>
                    <FilterError id="in-stock-error".to_owned() message=stock_error/>
                    <fieldset class="facet price-facet">
                        <legend>{format!("Price ({currency})")}</legend>
                        <div class="price-fields">
                            <div class="field">
                                <label for="search-price-min">"From"</label>
                                <input
                                    id="search-price-min"
                                    name="price_min"
                                    type="text"
                                    inputmode="decimal"
                                    autocomplete="off"
                                    value=url.price_min.clone().unwrap_or_default()
                                    aria-invalid=price_error.is_some().then_some("true")
                                    aria-describedby=price_error.is_some().then_some("price-error")
                                />
                            </div>
                            <div class="field">
                                <label for="search-price-max">"To"</label>
                                <input
                                    id="search-price-max"
                                    name="price_max"
                                    type="text"
                                    inputmode="decimal"
                                    autocomplete="off"
                                    value=url.price_max.clone().unwrap_or_default()
                                    aria-invalid=price_error.is_some().then_some("true")
                                    aria-describedby=price_error.is_some().then_some("price-error")
                                />
                            </div>
                        </div>
                        <FilterError id="price-error".to_owned() message=price_error/>
                    </fieldset>
                    <button type="submit" class="button filter-submit" data-testid="apply-filters">
                        "Apply"
                    </button>
                    {url
                        .is_filtered()
                        .then(|| {
                            view! {
                                <a class="clear-filters" href=url.unfiltered().href()>"Clear filters"</a>
                            }
                        })}
                </div>
            </Form>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&'static str, &str)]) -> ParamsMap {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert(*k, (*v).to_owned());
        }
        map
    }

    #[test]
    fn the_url_is_read_leniently() {
        let url = SearchUrl::from_query(&query(&[
            ("q", "  linen shirt "),
            ("category", ""),
            ("options[size]", "M"),
            ("options[color]", ""),
            ("options[Colour]", "Blue"),
            ("price_min", " 10 "),
            ("price_max", ""),
            ("in_stock", "true"),
            ("sort", "cheapest"),
            ("currency", "usd"),
            ("cursor", "o24"),
            ("other", "x"),
        ]));
        assert_eq!(url.q, "linen shirt");
        assert_eq!(url.category, None);
        assert_eq!(
            url.options,
            vec![
                ("Colour".to_owned(), "Blue".to_owned()),
                ("size".to_owned(), "M".to_owned())
            ]
        );
        assert_eq!(url.price_min.as_deref(), Some("10"));
        assert_eq!(url.price_max, None);
        assert!(url.in_stock);
        assert_eq!(url.sort, None);
        assert_eq!(url.currency.as_deref(), Some("USD"));
        assert_eq!(url.cursor.as_deref(), Some("o24"));
        assert!(url.is_filtered());
        assert!(!SearchUrl::from_query(&query(&[("q", "x")])).is_filtered());
    }

    #[test]
    fn links_keep_the_search_and_encode_it() {
        let url = SearchUrl::from_query(&query(&[
            ("q", "wool & silk"),
            ("options[size]", "M/L"),
            ("sort", "price_asc"),
            ("currency", "USD"),
            ("cursor", "o24"),
        ]));
        assert_eq!(
            url.href(),
            "/search?q=wool%20%26%20silk&options%5Bsize%5D=M%2FL&sort=price_asc&currency=USD&cursor=o24"
        );
        // Another category starts from the first page.
        assert_eq!(
            url.in_category(Some("shoes")).href(),
            "/search?q=wool%20%26%20silk&category=shoes&options%5Bsize%5D=M%2FL&sort=price_asc&currency=USD"
        );
        assert_eq!(
            url.unfiltered().href(),
            "/search?q=wool%20%26%20silk&sort=price_asc&currency=USD"
        );
        assert_eq!(SearchUrl::default().href(), "/search");
        // What a link writes, the page reads back.
        let round = link::query_of(&url.href());
        assert_eq!(SearchUrl::from_query(&round), url);
    }

    /// Reads the query of a link back, percent-decoded.
    mod link {
        use leptos_router::params::ParamsMap;

        pub fn query_of(href: &str) -> ParamsMap {
            let query = href.split_once('?').map_or("", |(_, q)| q);
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect()
        }

        fn decode(s: &str) -> String {
            let bytes = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let (b'%', Some(b)) = (bytes[i], hex) {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        }
    }

    #[test]
    fn prices_are_read_in_major_units_of_the_currency() {
        assert_eq!(parse_price("25", "EUR"), Some(2500));
        assert_eq!(parse_price("19.99", "EUR"), Some(1999));
        assert_eq!(parse_price("19,9", "EUR"), Some(1990));
        assert_eq!(parse_price(".5", "EUR"), Some(50));
        assert_eq!(parse_price("1500", "JPY"), Some(1500));
        assert_eq!(parse_price("15.5", "JPY"), None);
        assert_eq!(parse_price("1.005", "EUR"), None);
        assert_eq!(parse_price("-3", "EUR"), None);
        assert_eq!(parse_price("ten", "EUR"), None);
        assert_eq!(parse_price(".", "EUR"), None);
        assert_eq!(parse_price("99999999999999999", "EUR"), None);
    }

    #[test]
    fn a_price_that_is_not_a_number_is_refused_before_asking() {
        let url = SearchUrl::from_query(&query(&[
            ("q", "hat"),
            ("price_min", "cheap"),
            ("price_max", "40"),
            ("options[size]", "M"),
            ("in_stock", "true"),
        ]));
        let (request, refused) = url.request("EUR");
        assert_eq!(request.price_min, None);
        assert_eq!(request.price_max, Some(4000));
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].param, "price_min");
        let params = request.params();
        assert_eq!(params.q, "hat");
        assert_eq!(params.options, vec![("size".to_owned(), "M".to_owned())]);
        assert_eq!(params.currency.as_deref(), Some("EUR"));
        assert_eq!(params.in_stock, Some(true));
        assert_eq!(params.limit, Some(SEARCH_PAGE_SIZE));
    }

    #[test]
    fn a_refused_parameter_is_dropped_for_the_retry() {
        let (request, _) = SearchUrl::from_query(&query(&[
            ("q", "hat"),
            ("category", "gone"),
            ("options[Size]", "M"),
            ("cursor", "o24"),
        ]))
        .request("EUR");
        let retry = request.without("category");
        assert_eq!(retry.as_ref().and_then(|r| r.category.clone()), None);
        assert_eq!(retry.map(|r| r.options.len()), Some(1));
        let retry = request.without("options[size]");
        assert_eq!(retry.map(|r| r.options.len()), Some(0));
        assert!(request.without("price_min").is_none(), "nothing to drop");
        assert!(request.without("limit").is_none());
        assert!(request
            .refusal("options[colour]")
            .message
            .contains("“colour”"));
        assert!(request.refusal("cursor").message.contains("first page"));
    }

    #[test]
    fn summaries_count_results_or_products() {
        assert_eq!(summary(1, "hat"), "1 result for “hat”");
        assert_eq!(summary(12, "hat"), "12 results for “hat”");
        assert_eq!(summary(0, "hat"), "0 results for “hat”");
        assert_eq!(summary(7, ""), "7 products");
    }

    #[test]
    fn browse_suggestions_are_the_fullest_categories() {
        let facet = |value: &str, count| FacetValue {
            value: value.into(),
            label: value.into(),
            count,
        };
        let picked = browse_suggestions(vec![
            facet("a", 3),
            facet("b", 0),
            facet("c", 9),
            facet("d", 3),
        ]);
        let handles: Vec<_> = picked.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(handles, ["c", "a", "d"]);
    }
}
