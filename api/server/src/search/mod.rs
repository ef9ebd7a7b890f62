//! Product search composed: the catalog and the inventory turned into search documents,
//! an outbox consumer that keeps the index following their events, the full rebuild
//! (`emporium search reindex`), and the Store API routes ([`routes`]).
//!
//! The index is derived data. Every change it needs arrives as an event appended in the
//! catalog's or the inventory's own write (`catalog.products_changed`,
//! `inventory.adjusted`, `inventory.reservation_*`); the consumer reads the named
//! products again and upserts them, or removes those that are gone or unpublished, so
//! handling an event twice does no harm.

pub mod routes;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use emporium_catalog::{events::ProductsChanged, Catalog, CatalogError, Category, Product};
use emporium_inventory::{Inventory, InventoryError, ReservationEvent};
use emporium_kernel::{
    db::{Database, DbError},
    events::{self, Consumer, Event, HandleError},
    id::{ProductId, VariantId},
    money::Currency,
};
use emporium_search::{ProductDocument, SearchError, SearchIndex, SearchQuery, SearchResults};

/// The consumer's stored name (do not rename: progress is kept under it).
const CONSUMER: &str = "search-index";
/// Documents per index call during a rebuild and a replay.
const BATCH: usize = 500;
/// How long the category tree and the option names are reused.
const REFERENCE_TTL: Duration = Duration::from_secs(10);

/// The topics that change what the index holds.
const TOPICS: [&str; 4] = [
    emporium_catalog::events::topics::PRODUCTS_CHANGED,
    emporium_inventory::topics::ADJUSTED,
    emporium_inventory::topics::RESERVATION_COMMITTED,
    emporium_inventory::topics::RESERVATION_RELEASED,
];
/// Expired reservations give stock back too.
const EXPIRED: &str = emporium_inventory::topics::RESERVATION_EXPIRED;

/// Why keeping the index in step failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexingError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Published products written to the new index.
    pub products: u64,
    /// Products read again afterwards because they changed during the rebuild.
    pub replayed: u64,
}

/// Search over the shop's published products. Cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    index: Arc<dyn SearchIndex>,
    catalog: Catalog,
    inventory: Inventory,
    db: Database,
    /// The currencies prices are indexed in (the regions' currencies).
    currencies: Vec<Currency>,
    categories: Recent<CategoryTree>,
    /// Lower case → as shown.
    option_names: Recent<BTreeMap<String, String>>,
}

/// A value read again once it is [`REFERENCE_TTL`] old.
struct Recent<T>(Mutex<Option<(Instant, Arc<T>)>>);

impl<T> Recent<T> {
    fn new() -> Self {
        Recent(Mutex::new(None))
    }

    /// The value, unless it is missing or too old.
    fn get(&self) -> Option<Arc<T>> {
        let guard = self.0.lock().ok()?;
        let (at, value) = guard.as_ref()?;
        (at.elapsed() < REFERENCE_TTL).then(|| Arc::clone(value))
    }

    fn put(&self, value: &Arc<T>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((Instant::now(), Arc::clone(value)));
        }
    }
}

/// The category tree as search needs it: each category's path of handles, its name.
#[derive(Debug, Default)]
pub struct CategoryTree {
    /// Category id → handles from the root down to it.
    paths: HashMap<String, Vec<String>>,
    /// Handle → (name, depth).
    by_handle: HashMap<String, (String, usize)>,
}

impl CategoryTree {
    fn new(roots: &[Category]) -> Self {
        let mut tree = CategoryTree::default();
        fn walk(tree: &mut CategoryTree, nodes: &[Category], prefix: &[String]) {
            for c in nodes {
                let mut path = prefix.to_vec();
                path.push(c.handle.clone());
                tree.by_handle
                    .insert(c.handle.clone(), (c.name.clone(), path.len() - 1));
                walk(tree, &c.children, &path);
                tree.paths.insert(c.id.to_string(), path);
            }
        }
        walk(&mut tree, roots, &[]);
        tree
    }

    /// The name of the category with `handle`.
    pub fn name(&self, handle: &str) -> Option<&str> {
        self.by_handle.get(handle).map(|(name, _)| name.as_str())
    }

    /// Every (handle, name), for suggestions.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_handle
            .iter()
            .map(|(h, (name, _))| (h.as_str(), name.as_str()))
    }
}

impl Search {
    /// Search over `index`, fed from the catalog and the inventory, pricing in
    /// `currencies`.
    pub fn new(
        index: Arc<dyn SearchIndex>,
        catalog: Catalog,
        inventory: Inventory,
        currencies: Vec<Currency>,
    ) -> Self {
        let db = catalog.database().clone();
        Search {
            inner: Arc::new(Inner {
                index,
                catalog,
                inventory,
                db,
                currencies,
                categories: Recent::new(),
                option_names: Recent::new(),
            }),
        }
    }

    /// Runs `query` on the index.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.inner.index.search(query).await
    }

    /// The catalog, for the routes to turn hits into product summaries.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The currencies prices are indexed in.
    pub fn currencies(&self) -> &[Currency] {
        &self.inner.currencies
    }

    /// The category tree, read again at most every few seconds.
    pub async fn categories(&self) -> Result<Arc<CategoryTree>, CatalogError> {
        if let Some(tree) = self.inner.categories.get() {
            return Ok(tree);
        }
        let tree = Arc::new(CategoryTree::new(
            &self.inner.catalog.category_tree().await?,
        ));
        self.inner.categories.put(&tree);
        Ok(tree)
    }

    /// Every option name in the index (lower case → as shown), for checking filters;
    /// read again at most every few seconds.
    pub async fn option_names(&self) -> Result<Arc<BTreeMap<String, String>>, SearchError> {
        if let Some(names) = self.inner.option_names.get() {
            return Ok(names);
        }
        let all = self.browse_one().await?;
        let names: BTreeMap<String, String> = all
            .facets
            .options
            .keys()
            .map(|name| (name.to_lowercase(), name.clone()))
            .collect();
        let names = Arc::new(names);
        self.inner.option_names.put(&names);
        Ok(names)
    }

    /// The first product of a browse: its total and facets cover the whole index.
    async fn browse_one(&self) -> Result<SearchResults, SearchError> {
        self.inner
            .index
            .search(&SearchQuery {
                limit: 1,
                ..SearchQuery::default()
            })
            .await
    }

    /// Whether the index holds no product at all.
    pub async fn is_empty(&self) -> Result<bool, SearchError> {
        let all = self.browse_one().await?;
        Ok(all.total == 0)
    }

    /// The outbox consumer that keeps the index following the catalog and the stock.
    pub fn consumer(&self) -> Arc<dyn Consumer> {
        Arc::new(IndexConsumer {
            search: self.clone(),
        })
    }

    /// Reads `ids` again and writes them to the index: upserted when published,
    /// removed when gone or a draft.
    pub async fn refresh(&self, ids: &[ProductId]) -> Result<(), IndexingError> {
        for chunk in ids.chunks(BATCH) {
            let (documents, gone) = self.documents(chunk).await?;
            if !documents.is_empty() {
                self.inner.index.upsert(documents).await?;
            }
            if !gone.is_empty() {
                self.inner.index.remove(gone).await?;
            }
        }
        Ok(())
    }

    /// Replaces the whole index with the published products read from the database,
    /// calling `progress(done, total)` as it goes. Searches answer from the old index
    /// until the new one is complete; then the products changed meanwhile (by the
    /// outbox) are read again, after the engine's swap delay, so none is lost.
    pub async fn rebuild(
        &self,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<RebuildReport, IndexingError> {
        let since = events::mark(&self.inner.db).await?;
        let mut ids = Vec::new();
        let mut after = String::new();
        loop {
            let page = self
                .inner
                .catalog
                .published_product_ids(&after, 5_000)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.to_string();
            ids.extend(page);
        }
        let total = ids.len() as u64;
        progress(0, total);
        let mut rebuild = self.inner.index.rebuild().await?;
        let mut done = 0;
        for chunk in ids.chunks(BATCH) {
            let (documents, _) = self.documents(chunk).await?;
            rebuild.add(documents).await?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        rebuild.finish().await?;
        // What the outbox held before the rebuild read the database is in the new
        // index: the consumer need not apply it again (an import's events, say).
        events::settle_through(&self.inner.db, CONSUMER, since).await?;
        tokio::time::sleep(self.inner.index.swap_delay()).await;
        let mut topics = TOPICS.to_vec();
        topics.push(EXPIRED);
        let changed = events::events_after(&self.inner.db, since, &topics, 1_000_000).await?;
        let mut replay = BTreeSet::new();
        for event in &changed {
            replay.extend(self.products_of(event).await?);
        }
        let replay: Vec<ProductId> = replay.into_iter().collect();
        self.refresh(&replay).await?;
        Ok(RebuildReport {
            products: total,
            replayed: replay.len() as u64,
        })
    }

    /// The products an event is about.
    async fn products_of(&self, event: &Event) -> Result<Vec<ProductId>, IndexingError> {
        let variants: Vec<VariantId> = match event.topic.as_str() {
            emporium_catalog::events::topics::PRODUCTS_CHANGED => {
                let Ok(payload) = event.decode::<ProductsChanged>() else {
                    return Ok(Vec::new());
                };
                return Ok(payload
                    .product_ids
                    .iter()
                    .filter_map(|id| ProductId::parse(id).ok())
                    .collect());
            }
            emporium_inventory::topics::ADJUSTED => VariantId::parse(&event.aggregate_id)
                .ok()
                .into_iter()
                .collect(),
            _ => match event.decode::<ReservationEvent>() {
                Ok(r) => r.lines.into_iter().map(|l| l.variant_id).collect(),
                Err(_) => Vec::new(),
            },
        };
        if variants.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .inner
            .catalog
            .product_ids_of_variants(&variants)
            .await?)
    }

    /// The documents of the published products among `ids`, and the ids of the rest
    /// (gone or drafts), which the index must not hold.
    async fn documents(
        &self,
        ids: &[ProductId],
    ) -> Result<(Vec<ProductDocument>, Vec<String>), IndexingError> {
        let tree = self.categories().await?;
        let mut products = Vec::with_capacity(ids.len());
        let mut gone = Vec::new();
        for id in ids {
            match self.inner.catalog.get_product(id.as_str(), false).await {
                Ok(product) => products.push(product),
                Err(CatalogError::NotFound { .. }) => gone.push(id.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
        let variant_ids: Vec<VariantId> = products
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| v.id.clone()))
            .collect();
        let levels = self.inner.inventory.levels(&variant_ids).await?;
        let sold = self.inner.inventory.units_sold(&variant_ids).await?;
        let documents = products
            .into_iter()
            .map(|p| self.document(p, &tree, &levels, &sold))
            .collect();
        Ok((documents, gone))
    }

    fn document(
        &self,
        p: Product,
        tree: &CategoryTree,
        levels: &HashMap<VariantId, emporium_inventory::StockLevel>,
        sold: &HashMap<VariantId, i64>,
    ) -> ProductDocument {
        let mut options = BTreeSet::new();
        for v in &p.variants {
            for o in &v.options {
                options.insert((o.option.clone(), o.value.clone()));
            }
        }
        let prices = self
            .inner
            .currencies
            .iter()
            .filter_map(|c| {
                p.variants
                    .iter()
                    .flat_map(|v| v.prices.iter())
                    .filter(|price| price.currency == *c)
                    .map(|price| price.amount)
                    .min()
                    .map(|amount| (c.to_string(), amount))
            })
            .collect();
        ProductDocument {
            id: p.id.to_string(),
            handle: p.handle,
            title: p.title,
            description: p.description,
            skus: p.variants.iter().map(|v| v.sku.clone()).collect(),
            categories: p
                .categories
                .iter()
                .filter_map(|c| tree.paths.get(c.id.as_str()).cloned())
                .collect(),
            collections: p.collections.iter().map(|c| c.handle.clone()).collect(),
            options: options.into_iter().collect(),
            prices,
            in_stock: p
                .variants
                .iter()
                .any(|v| levels.get(&v.id).is_some_and(|l| l.available > 0)),
            created_at: p.created_at,
            popularity: p
                .variants
                .iter()
                .map(|v| sold.get(&v.id).copied().unwrap_or(0))
                .sum(),
        }
    }
}

/// Follows the outbox: each event names products to read again.
struct IndexConsumer {
    search: Search,
}

#[async_trait::async_trait]
impl Consumer for IndexConsumer {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    fn wants(&self, topic: &str) -> bool {
        TOPICS.contains(&topic) || topic == EXPIRED
    }

    async fn handle(&self, event: &Event) -> Result<(), HandleError> {
        let ids = self
            .search
            .products_of(event)
            .await
            .map_err(HandleError::new)?;
        self.search.refresh(&ids).await.map_err(|e| {
            tracing::warn!(event = %event.id, topic = %event.topic, error = %e, "search index update failed");
            HandleError::new(e)
        })
    }
}
