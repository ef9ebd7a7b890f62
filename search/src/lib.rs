//! Product search behind one trait, [`SearchIndex`], with engines that answer alike:
//! [`embedded::EmbeddedIndex`] (tantivy, on disk under the data dir: the default, no
//! server) and [`meili::MeiliIndex`] (a Meilisearch server, for catalogs and traffic
//! beyond one process). The catalog's products become [`ProductDocument`]s; a
//! [`SearchQuery`] asks for the matching published products with typo tolerance (1 typo
//! from 5 letters, 2 from 9, as Meilisearch's defaults), the last word as a prefix
//! (search as you type), filters, facet counts, a sort and a page; each hit carries its
//! title and a snippet of its description with the matched words marked. Both engines
//! check a query the same way ([`query`]) and pass one behaviour suite
//! (`tests/behaviour.rs`).
//!
//! The whole index can be rebuilt while it serves ([`SearchIndex::rebuild`]): the
//! replacement is filled aside and swapped in at once.
//!
//! Layout: [`document`] (what is indexed), [`query`] (what is asked and answered, and
//! the checks), `highlight` (marking matched words), [`embedded`] (the tantivy engine),
//! [`meili`] (the Meilisearch engine).

pub mod document;
pub mod embedded;
mod highlight;
pub mod meili;
pub mod query;

pub use document::ProductDocument;
pub use query::{FacetCount, Facets, Hit, SearchQuery, SearchResults, Sort, Span};

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
    /// Starts building a replacement for the whole index. Searches keep answering from
    /// the current index, and [`SearchIndex::upsert`]/[`SearchIndex::remove`] keep
    /// changing it, until [`Rebuild::finish`] swaps the new one in at once.
    async fn rebuild(&self) -> Result<Box<dyn Rebuild>>;
    /// How long after [`Rebuild::finish`] another process sharing the index may still
    /// write to the replaced one (it notices the swap this late). A rebuilder applies
    /// the changes made since it started again after this delay, so none is lost.
    fn swap_delay(&self) -> std::time::Duration;
}

/// A replacement index being filled (see [`SearchIndex::rebuild`]). Dropped without
/// [`Rebuild::finish`], it is discarded and the current index stays.
#[async_trait::async_trait]
pub trait Rebuild: Send {
    /// Adds documents to the replacement.
    async fn add(&mut self, documents: Vec<ProductDocument>) -> Result<()>;
    /// Makes the replacement the index every search reads, at once.
    async fn finish(self: Box<Self>) -> Result<()>;
}
