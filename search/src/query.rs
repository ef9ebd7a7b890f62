//! What a search asks and what it answers.

use std::collections::BTreeMap;

use crate::{document::facet_segment, Result, SearchError};

/// Most characters of a query that are looked at; the rest is ignored, never an error.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most hits a page may ask for.
pub const MAX_LIMIT: usize = 100;
/// How deep pages reach: hits come from the first this many matches, a page that runs
/// past them is cut there, and an offset beyond them is refused (Meilisearch's
/// `maxTotalHits`; a deeper page would make the embedded engine allocate for every
/// skipped hit). [`SearchResults::total`] still counts every match.
pub const MAX_HITS: usize = 10_000;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (newest first for an empty query).
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// A search. An empty `q` browses: every product that passes the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub q: String,
    /// A category handle: its products and its descendants'.
    pub category: Option<String>,
    /// (option name, value) pairs, all required: `("size", "M")`. Names in any case.
    pub options: Vec<(String, String)>,
    /// The currency prices are filtered and sorted in (ISO code).
    pub currency: String,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub in_stock: Option<bool>,
    pub sort: Sort,
    /// 1..=[`MAX_LIMIT`].
    pub limit: usize,
    pub offset: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            q: String::new(),
            category: None,
            options: Vec::new(),
            currency: "EUR".to_owned(),
            price_min: None,
            price_max: None,
            in_stock: None,
            sort: Sort::Relevance,
            limit: 20,
            offset: 0,
        }
    }
}

/// One matching product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub id: String,
    pub handle: String,
    pub title: String,
    /// The title cut into parts, those the query's words matched marked (typos and the
    /// last word's prefix included). Joined, the parts are the title.
    pub title_highlight: Vec<Span>,
    /// About a dozen words of the description around its first matched word, marked
    /// likewise; empty when no query word matched the description.
    pub snippet: Vec<Span>,
}

/// A piece of highlighted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    /// Whether a query word matched this piece.
    pub matched: bool,
}

/// How many matching products have each value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Facet counts over every matching product (not just the page).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    /// The next level down, by handle: the children of the filtered category, or the
    /// top-level categories without a category filter.
    pub categories: Vec<FacetCount>,
    /// Option name (lower case) → its values.
    pub options: BTreeMap<String, Vec<FacetCount>>,
}

/// A page of hits, the total and the facets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// Every matching product.
    pub total: usize,
    pub facets: Facets,
}

/// A [`SearchQuery`] checked the one way every engine checks it, so that each refuses
/// the same input with the same [`SearchError::InvalidQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checked {
    /// The hits to return: the asked limit, less what runs past [`MAX_HITS`] (maybe 0).
    pub limit: usize,
    /// The query's words, lower case, from its first [`MAX_QUERY_CHARS`] characters.
    pub words: Vec<String>,
    /// The order to apply: [`Sort::Relevance`] without words browses newest first.
    pub sort: Sort,
    /// The currency's code as the index spells it, when a price filter or sort uses it.
    pub currency: Option<String>,
    /// The category filter as indexed ([`crate::document::facet_segment`]).
    pub category: Option<String>,
    /// The option filters as indexed: (name, value), both lower case.
    pub options: Vec<(String, String)>,
}

/// Words as both engines cut them: runs of letters and digits, lower case (tantivy's
/// default tokenizer does the same to the indexed text).
pub(crate) fn words(text: &str) -> Vec<String> {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn invalid(field: &str, message: impl Into<String>) -> SearchError {
    SearchError::InvalidQuery {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Checks `q` for an index priced in `currencies` (upper-case ISO codes). The currency
/// is only checked when a price filter or sort needs it, so a browse never fails on it.
pub(crate) fn check(q: &SearchQuery, currencies: &[String]) -> Result<Checked> {
    if !(1..=MAX_LIMIT).contains(&q.limit) {
        return Err(invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if q.offset > MAX_HITS {
        return Err(invalid(
            "offset",
            format!("pages reach the first {MAX_HITS} matches at most; narrow the search"),
        ));
    }
    let limit = q.limit.min(MAX_HITS - q.offset);
    let words = words(&q.q);
    let sort = match q.sort {
        Sort::Relevance if words.is_empty() => Sort::Newest,
        sort => sort,
    };
    let priced = q.price_min.is_some()
        || q.price_max.is_some()
        || matches!(sort, Sort::PriceAsc | Sort::PriceDesc);
    let currency = if priced {
        let code = currencies
            .iter()
            .find(|c| c.eq_ignore_ascii_case(q.currency.trim()))
            .ok_or_else(|| {
                invalid(
                    "currency",
                    format!(
                        "not a currency of this shop; use one of: {}",
                        currencies.join(", ")
                    ),
                )
            })?;
        Some(code.clone())
    } else {
        None
    };
    let category = q
        .category
        .as_deref()
        .map(facet_segment)
        .filter(|c| !c.is_empty());
    let options = q
        .options
        .iter()
        .map(|(name, value)| (facet_segment(name), facet_segment(value)))
        .collect();
    Ok(Checked {
        limit,
        words,
        sort,
        currency,
        category,
        options,
    })
}
