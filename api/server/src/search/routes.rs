//! `GET /store/search` and `GET /store/search/suggest`.

use std::collections::HashMap;

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use emporium_client::search::{
    CategorySuggestion, FacetValue, Highlight, OptionFacet, ProductSuggestion, SearchFacets,
    SearchHit, SearchPage, SearchSort, Suggestions, TextSpan,
};
use emporium_kernel::id::ProductId;
use emporium_search::{query::MAX_QUERY_CHARS, SearchQuery, Sort, Span};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::Search;
use crate::{
    extract::QueryParams,
    problem::{ApiError, ApiResult},
    wire, AppState,
};

/// The deepest page a cursor may reach (Meilisearch counts at most this many hits).
const MAX_OFFSET: usize = 10_000;
/// Products and categories a suggestion list holds.
const SUGGESTED_PRODUCTS: usize = 6;
const SUGGESTED_CATEGORIES: usize = 3;
/// Search answers follow the index within a second; a shared cache may keep one that
/// long.
const SEARCH_CACHE_CONTROL: &str = "public, max-age=0, s-maxage=1";
/// The plain parameters of `GET /store/search` (besides `options[…]`).
const PARAMETERS: [&str; 10] = [
    "q",
    "category",
    "currency",
    "price_min",
    "price_max",
    "in_stock",
    "sort",
    "limit",
    "cursor",
    "options[NAME]",
];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(suggest))
}

fn search_service(state: &AppState) -> ApiResult<&Search> {
    state.commerce.search.as_ref().ok_or_else(|| {
        ApiError::new(
            crate::problem::ProblemCode::Unavailable,
            "search is not set up on this server",
        )
    })
}

/// The query text as searched: trimmed and cut to [`MAX_QUERY_CHARS`] characters.
fn query_text(q: Option<&str>) -> String {
    q.unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect()
}

/// Parses the search parameters into the engine's query, checking each against what
/// exists (categories, option names, currencies) so a mistake names the parameter and
/// the allowed values.
async fn parse(search: &Search, raw: Option<&str>) -> ApiResult<SearchQuery> {
    let params = QueryParams::parse(raw);
    let mut options = Vec::new();
    for (key, value) in params.pairs() {
        if PARAMETERS[..9].contains(&key.as_str()) {
            continue;
        }
        let Some(name) = key
            .strip_prefix("options[")
            .and_then(|rest| rest.strip_suffix(']'))
        else {
            if key.starts_with("options") {
                return Err(ApiError::invalid(
                    key.as_str(),
                    "an option filter is written `options[NAME]=VALUE`, e.g. `options[size]=M`",
                ));
            }
            // Other parameters are ignored, as on every list.
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let names = search.option_names().await?;
        let lower = name.trim().to_lowercase();
        if !names.contains_key(&lower) {
            let allowed: Vec<&str> = names.keys().map(String::as_str).collect();
            return Err(ApiError::invalid(
                key.as_str(),
                format!(
                    "no product has the option `{name}`; filter by one of: {}",
                    if allowed.is_empty() {
                        "(none)".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ),
            ));
        }
        options.push((lower, value.clone()));
    }
    options.sort();

    let category = match params.text("category") {
        None => None,
        Some(handle) => {
            let tree = search.categories().await?;
            if tree.name(handle).is_none() {
                return Err(ApiError::invalid(
                    "category",
                    format!(
                        "no category has the handle `{handle}`; GET /store/categories lists them"
                    ),
                ));
            }
            Some(handle.to_owned())
        }
    };
    let currency = match params.text("currency") {
        None => "EUR".to_owned(),
        Some(code) => {
            let upper = code.to_ascii_uppercase();
            if !search.currencies().iter().any(|c| c.as_str() == upper) {
                let allowed: Vec<&str> = search.currencies().iter().map(|c| c.as_str()).collect();
                return Err(ApiError::invalid(
                    "currency",
                    format!(
                        "prices are searchable in {}; got `{code}`",
                        allowed.join(", ")
                    ),
                ));
            }
            upper
        }
    };
    let sort = match params.text("sort") {
        None => Sort::Relevance,
        Some(text) => match SearchSort::parse(text) {
            Some(SearchSort::Relevance) => Sort::Relevance,
            Some(SearchSort::PriceAsc) => Sort::PriceAsc,
            Some(SearchSort::PriceDesc) => Sort::PriceDesc,
            Some(SearchSort::Newest) => Sort::Newest,
            None => {
                let allowed = "relevance, price_asc, price_desc, newest";
                return Err(ApiError::invalid(
                    "sort",
                    format!("`sort` must be one of {allowed}; got `{text}`"),
                ));
            }
        },
    };
    let in_stock = match params.text("in_stock") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::invalid(
                "in_stock",
                format!("`in_stock` must be true or false; got `{other}`"),
            ))
        }
    };
    let price_min = params.integer("price_min", 0, i64::MAX)?;
    let price_max = params.integer("price_max", 0, i64::MAX)?;
    if let (Some(min), Some(max)) = (price_min, price_max) {
        if min > max {
            return Err(ApiError::invalid(
                "price_min",
                format!("`price_min` ({min}) must not exceed `price_max` ({max})"),
            ));
        }
    }
    let limit = params.integer("limit", 1, 100)?.unwrap_or(20) as usize;
    let offset = match params.text("cursor") {
        None => 0,
        Some(cursor) => decode_cursor(cursor).ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                "not a cursor of this list: pass `next_cursor` of the previous page as it is",
            )
        })?,
    };
    Ok(SearchQuery {
        q: query_text(params.text("q")),
        category,
        options,
        currency,
        price_min,
        price_max,
        in_stock,
        sort,
        limit,
        offset,
    })
}

fn encode_cursor(offset: usize) -> String {
    format!("o{offset}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    cursor
        .strip_prefix('o')
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= MAX_OFFSET)
}

fn spans(spans: Vec<Span>) -> Vec<TextSpan> {
    spans
        .into_iter()
        .map(|s| TextSpan {
            text: s.text,
            matched: s.matched,
        })
        .collect()
}

/// `size` → `Size`.
fn option_label(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn with_cache_control(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(SEARCH_CACHE_CONTROL),
    );
    response
}

/// Search published products.
///
/// Words match titles, SKUs and descriptions with typos forgiven (one from five
/// letters, two from nine) and the last word as a prefix; every word must match. No
/// words: browse (newest first). Facet counts cover every match: the next level of
/// categories below the `category` filter (or the top level) and every option's values.
/// An unknown category or option name, or a malformed value, is a 400 naming the
/// parameter and what is allowed.
#[utoipa::path(
    get, path = "/store/search", tag = "search",
    params(
        ("q" = Option<String>, Query, description = "Words to find; cut to 200 characters. Empty: browse."),
        ("category" = Option<String>, Query, description = "Category handle; its descendants' products too."),
        ("options" = Option<HashMap<String, String>>, Query, style = DeepObject, explode,
            description = "Option filters, `options[size]=M`; every pair must match. Names in any case."),
        ("currency" = Option<String>, Query, description = "Currency of price filters and sorts (default EUR)."),
        ("price_min" = Option<i64>, Query, minimum = 0, description = "Lowest price in minor units (inclusive)."),
        ("price_max" = Option<i64>, Query, minimum = 0, description = "Highest price in minor units (inclusive)."),
        ("in_stock" = Option<bool>, Query, description = "Only products with (or without) stock."),
        ("sort" = Option<SearchSort>, Query, description = "relevance (default), price_asc, price_desc or newest."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Hits per page, default 20."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page."),
    ),
    responses(
        (status = 200, description = "Hits, facet counts and the total", body = SearchPage),
        (status = 503, description = "The search engine cannot be reached (`unavailable`)"),
    )
)]
pub async fn search(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let search = search_service(&state)?;
    let query = parse(search, raw.as_deref()).await?;
    let results = search.search(&query).await?;
    let ids: Vec<ProductId> = results
        .hits
        .iter()
        .filter_map(|h| ProductId::parse(&h.id).ok())
        .collect();
    let mut summaries: HashMap<String, _> = search
        .catalog()
        .published_summaries(&ids)
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), s))
        .collect();
    let more = query.offset + results.hits.len() < results.total
        && query.offset + query.limit < MAX_OFFSET;
    let next_cursor = more.then(|| encode_cursor(query.offset + query.limit));
    let hits = results
        .hits
        .into_iter()
        .filter_map(|hit| {
            // A product unpublished a moment ago may still be in the index.
            let summary = summaries.remove(&hit.id)?;
            Some(SearchHit {
                product: wire::product_summary(summary),
                highlight: Highlight {
                    title: spans(hit.title_highlight),
                    snippet: spans(hit.snippet),
                },
            })
        })
        .collect();
    let tree = search.categories().await?;
    let facets = SearchFacets {
        categories: results
            .facets
            .categories
            .into_iter()
            .map(|f| FacetValue {
                label: tree.name(&f.value).unwrap_or(&f.value).to_owned(),
                value: f.value,
                count: f.count,
            })
            .collect(),
        options: results
            .facets
            .options
            .into_iter()
            .map(|(name, values)| OptionFacet {
                label: option_label(&name),
                values: values
                    .into_iter()
                    .map(|v| FacetValue {
                        label: v.value.clone(),
                        value: v.value,
                        count: v.count,
                    })
                    .collect(),
                name,
            })
            .collect(),
    };
    Ok(with_cache_control(Json(SearchPage {
        q: query.q,
        hits,
        total: results.total as u64,
        facets,
        next_cursor,
    })))
}

/// Suggestions for what is being typed: a few products (typos forgiven, the last word
/// a prefix) and categories whose names match, or that hold the matching products.
#[utoipa::path(
    get, path = "/store/search/suggest", tag = "search",
    params(
        ("q" = Option<String>, Query, description = "What has been typed so far; empty: no suggestions."),
    ),
    responses(
        (status = 200, description = "Products and categories", body = Suggestions),
        (status = 503, description = "The search engine cannot be reached (`unavailable`)"),
    )
)]
pub async fn suggest(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let search = search_service(&state)?;
    let params = QueryParams::parse(raw.as_deref());
    let q = query_text(params.text("q"));
    if q.is_empty() {
        return Ok(with_cache_control(Json(Suggestions::default())));
    }
    let results = search
        .search(&SearchQuery {
            q: q.clone(),
            limit: SUGGESTED_PRODUCTS,
            ..SearchQuery::default()
        })
        .await?;
    let products = results
        .hits
        .into_iter()
        .map(|hit| ProductSuggestion {
            highlight: spans(hit.title_highlight),
            id: hit.id,
            handle: hit.handle,
            title: hit.title,
        })
        .collect();
    let tree = search.categories().await?;
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    // Categories named like the query first (every word starts a word of the name).
    let mut named: Vec<(&str, &str)> = tree
        .all()
        .filter(|(_, name)| {
            let name_words: Vec<String> = name
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect();
            !words.is_empty()
                && words
                    .iter()
                    .all(|w| name_words.iter().any(|n| n.starts_with(w.as_str())))
        })
        .collect();
    named.sort_by(|a, b| a.1.cmp(b.1));
    let mut categories = Vec::new();
    for (handle, name) in named.into_iter().take(SUGGESTED_CATEGORIES) {
        let inside = search
            .search(&SearchQuery {
                category: Some(handle.to_owned()),
                limit: 1,
                ..SearchQuery::default()
            })
            .await?;
        categories.push(CategorySuggestion {
            handle: handle.to_owned(),
            name: name.to_owned(),
            count: inside.total as u64,
        });
    }
    // Then the top-level categories that hold the matching products.
    let mut holding = results.facets.categories;
    holding.sort_by_key(|f| std::cmp::Reverse(f.count));
    for facet in holding {
        if categories.len() >= SUGGESTED_CATEGORIES {
            break;
        }
        if facet.count == 0 || categories.iter().any(|c| c.handle == facet.value) {
            continue;
        }
        categories.push(CategorySuggestion {
            name: tree.name(&facet.value).unwrap_or(&facet.value).to_owned(),
            handle: facet.value,
            count: facet.count,
        });
    }
    Ok(with_cache_control(Json(Suggestions {
        q,
        products,
        categories,
    })))
}
