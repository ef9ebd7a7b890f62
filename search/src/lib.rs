//! Product search behind one trait, [`SearchIndex`], with engines that answer alike:
//! [`embedded::EmbeddedIndex`] (tantivy, on disk under the data dir: the default, no
//! server) and, at scale, Meilisearch (to come). The catalog's products become
//! [`ProductDocument`]s; a [`SearchQuery`] asks for the matching published products
//! with typo tolerance (1 typo from 5 letters, 2 from 9, as Meilisearch's defaults),
//! the last word as a prefix (search as you type), filters, facet counts, a sort and a
//! page.
//!
//! Layout: [`document`] (what is indexed), [`query`] (what is asked and answered),
//! [`embedded`] (the tantivy engine).

pub mod document;
pub mod embedded;
pub mod query;

pub use document::ProductDocument;
pub use query::{FacetCount, Facets, Hit, SearchQuery, SearchResults, Sort};

/// Why a search or an index change failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query cannot be run as given (`field` names what to fix).
    #[error("{field}: {message}")]
    InvalidQuery { field: String, message: String },
    /// The engine failed or could not be reached.
    #[error("search engine unavailable: {0}")]
    Unavailable(String),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// What every search engine provides. Changes are visible to the next search once the
/// call returns.
#[async_trait::async_trait]
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces documents by id.
    async fn upsert(&self, documents: Vec<ProductDocument>) -> Result<()>;
    /// Removes documents by id; unknown ids are ignored.
    async fn remove(&self, ids: Vec<String>) -> Result<()>;
    /// The products matching `query`.
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults>;
}
