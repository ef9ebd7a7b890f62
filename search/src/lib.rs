//! Search index abstraction. The catalog publishes product documents; the storefront
//! queries through the Store API. Two engines will implement [`SearchIndex`]: an embedded
//! one on disk (tantivy, the default) and Meilisearch (meilisearch-sdk) at scale.
//! Only the contract exists so far; the engines arrive with the search issue.

use std::{future::Future, pin::Pin};

/// A product as the index sees it: text to match, facets to filter on.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDocument {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub category_handles: Vec<String>,
    /// Lowest price per currency, minor units: `("EUR", 1999)`.
    pub min_prices: Vec<(String, i64)>,
    pub published: bool,
}

/// One page of hits, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHits {
    pub ids: Vec<String>,
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search engine unavailable: {0}")]
    Unavailable(String),
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}

pub type SearchFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SearchError>> + Send + 'a>>;

/// What every search engine adapter provides.
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces documents by id.
    fn upsert(&self, documents: Vec<ProductDocument>) -> SearchFuture<'_, ()>;
    /// Removes documents by id; unknown ids are ignored.
    fn remove(&self, ids: Vec<String>) -> SearchFuture<'_, ()>;
    /// Published products matching `query`, `limit` hits from `offset`.
    fn search(&self, query: &str, limit: usize, offset: usize) -> SearchFuture<'_, SearchHits>;
}
