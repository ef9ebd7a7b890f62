//! What a search asks and what it answers.

use std::collections::BTreeMap;

/// Most characters of a query that are looked at; the rest is ignored, never an error.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most hits a page may ask for.
pub const MAX_LIMIT: usize = 100;

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
    /// Top-level categories by handle.
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
