//! Catalog service: products with options, variants and per-currency prices, images,
//! a category tree, collections and price lists. No HTTP here: the API crate calls
//! [`Catalog`].
//!
//! Layout:
//! - [`model`]: domain types and validated inputs.
//! - [`error`]: [`CatalogError`], one kind per HTTP status family.
//! - `product`, `category`, `collection`, `listing` (private): the rules of each part of
//!   the catalog (validation, handles, tree moves, filters and keyset pages).
//! - `fields`, `cursor` (private): field rules shared by all parts; opaque list cursors.
//! - `store` (private): all SQL of this service, portable between SQLite and PostgreSQL.
//! - [`import`]: bulk import of products, categories and collections made elsewhere
//!   (the demo catalog in `emporium-demo`), one transaction per batch.
//! - [`pricing`]: price lists (per-currency prices of some variants for one customer
//!   group or everyone, within an optional window) and resolution of the lowest
//!   applicable list price, for carts ([`Catalog::best_prices`]) and product pages
//!   ([`Catalog::apply_price_lists`]).
//!
//! Every write runs in one transaction. `product_prices` (lowest and highest variant
//! price per product and currency) is rewritten in the transaction of every variant or
//! price change, so price filters and price sorts read an index.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 1000–1999.

mod category;
mod collection;
mod cursor;
pub mod error;
pub mod events;
mod fields;
pub mod import;
mod listing;
pub mod model;
pub mod pricing;
mod product;
mod store;

pub use error::{CatalogError, Result};
pub use model::*;
pub use pricing::{
    ListPrice, NewListPrice, NewPriceList, PriceList, PriceListChanges, PriceListId,
};

use std::{collections::HashMap, sync::Arc, time::Duration};

use emporium_kernel::{
    cache::{Forget, Freshness, Memo},
    db::Database,
    events::EventBus,
    id::{CategoryId, CollectionId, ImageId, ProductId, VariantId},
    money::Currency,
};

/// Cart snapshots remembered for [`Freshness::Recent`] lookups (a few hundred bytes each).
const FOR_CART_CAPACITY: usize = 20_000;
/// How long a remembered snapshot may miss another process's catalog write.
const FOR_CART_TTL: Duration = Duration::from_secs(10);
/// (variant, currency) pairs whose list prices are remembered for [`Freshness::Recent`]
/// lookups; most hold no list price at all, an empty set.
const LIST_PRICES_CAPACITY: usize = 20_000;
/// How long remembered list prices may miss another process's write (as snapshots).
const LIST_PRICES_TTL: Duration = FOR_CART_TTL;

/// The catalog service. Cheap to clone: it holds a database handle, and its clones share
/// one memo of cart snapshots and one of list prices. Build one per database and process
/// (clone it to share), so that its own writes keep those memos exact.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: Database,
    /// Woken after writes that append events, so the dispatcher need not wait for its
    /// next poll (see [`Catalog::with_bus`]).
    bus: Option<EventBus>,
    for_cart: Arc<Memo<(VariantId, Currency), Option<CartVariant>>>,
    list_prices: Arc<pricing::ListPriceMemo>,
}

/// What a product write forgets when dropped (see [`Catalog::forget_snapshots`]).
type ForgetProducts<'a> = (
    Forget<'a, (VariantId, Currency), Option<CartVariant>>,
    Forget<'a, (VariantId, Currency), Arc<[pricing::Candidate]>>,
);

impl Catalog {
    pub fn new(db: Database) -> Self {
        Catalog {
            db,
            bus: None,
            for_cart: Arc::new(Memo::new(FOR_CART_CAPACITY, FOR_CART_TTL)),
            list_prices: Arc::new(Memo::new(LIST_PRICES_CAPACITY, LIST_PRICES_TTL)),
        }
    }

    /// Forgets every remembered cart snapshot and list price when dropped: when a
    /// product write returns, or when its future is dropped after the write may have
    /// committed. List prices too because deleting a variant or product deletes its
    /// list prices (ON DELETE CASCADE); one guard for every product write keeps a new
    /// write path from forgetting either.
    fn forget_snapshots(&self) -> ForgetProducts<'_> {
        (
            self.for_cart.forget_on_drop(None),
            self.list_prices.forget_on_drop(None),
        )
    }

    /// Forgets every remembered list price when dropped, as [`Catalog::forget_snapshots`].
    /// Everything, not the keys a write touched: the old prices of a replaced or deleted
    /// list are only known inside its transaction, and price list writes are rare admin
    /// edits. Cart snapshots stay: they carry the regular price, which lists do not change.
    fn forget_list_prices(&self) -> Forget<'_, (VariantId, Currency), Arc<[pricing::Candidate]>> {
        self.list_prices.forget_on_drop(None)
    }

    /// This catalog waking `bus` after every write that appends an event, so the
    /// event consumers (the search index) see it at once rather than at the
    /// dispatcher's next poll.
    pub fn with_bus(mut self, bus: EventBus) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Wakes the dispatcher when dropped: after a write returns, or when its future is
    /// dropped after the write may have committed (a spare wake-up costs one pass).
    fn wake_on_drop(&self) -> WakeOnDrop<'_> {
        WakeOnDrop(self.bus.as_ref())
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades the catalog's tables.
    pub async fn migrate(&self) -> Result<()> {
        // Every product write appends to the kernel's outbox.
        emporium_kernel::events::migrate(&self.db).await?;
        store::migrate(&self.db).await
    }

    // ----- reads -----

    /// A page of product summaries. Store reads (`include_drafts == false`) see only
    /// published products. The price filter applies to a product's lowest variant price
    /// in `filter.currency` (its "from" price); products without a price in that currency
    /// are left out of price-filtered and price-sorted lists.
    ///
    /// Errors: `Invalid` for a limit outside 1..=100 (field `limit`), a negative or
    /// inverted price range (`price_min` / `price_max`) or a cursor that is garbage or was
    /// made for another sort or currency (`cursor`); `NotFound` (entity `category` /
    /// `collection`) for an unknown category or collection handle.
    pub async fn list_products(&self, filter: &ProductFilter) -> Result<ProductPage> {
        listing::list(&self.db, filter).await
    }

    /// Summaries of the published products among `ids`, in the order of `ids` (for
    /// search hits); drafts and unknown ids are left out.
    pub async fn published_summaries(&self, ids: &[ProductId]) -> Result<Vec<ProductSummary>> {
        listing::published_summaries(&self.db, ids).await
    }

    /// Up to `limit` ids of published products after `after` (`""` to start), in id
    /// order: a walk over the whole catalog for the search index.
    pub async fn published_product_ids(&self, after: &str, limit: i64) -> Result<Vec<ProductId>> {
        let ids = self
            .db
            .read(async |conn| store::listing::published_ids_after(conn, after, limit).await)
            .await?;
        ids.iter()
            .map(|id| ProductId::parse(id).map_err(|_| store::corrupt("products.id", id)))
            .collect()
    }

    /// The products the variants belong to (for events about stock); unknown variants
    /// are left out.
    pub async fn product_ids_of_variants(
        &self,
        variant_ids: &[VariantId],
    ) -> Result<Vec<ProductId>> {
        let variant_ids: Vec<String> = variant_ids.iter().map(|v| v.to_string()).collect();
        let ids = self
            .db
            .read(async |conn| store::product::ids_of_variants(conn, &variant_ids).await)
            .await?;
        ids.iter()
            .map(|id| ProductId::parse(id).map_err(|_| store::corrupt("products.id", id)))
            .collect()
    }

    /// One product by id (`prod_…`) or handle. Drafts only when `include_drafts`.
    /// Errors: `NotFound` (entity `product`).
    pub async fn get_product(&self, id_or_handle: &str, include_drafts: bool) -> Result<Product> {
        product::get(&self.db, id_or_handle, include_drafts).await
    }

    /// What a cart line snapshots of a variant of a published product, in one query:
    /// product id, handle and title, the variant's title and SKU, its price in
    /// `currency` (`None` when it has none there) and the product's first image.
    /// `None` for an unknown variant or one whose product is a draft. The add-to-cart
    /// path asks this on every add, so it must not load the whole product, and it asks
    /// for a [`Freshness::Recent`] answer, which comes from memory when this process read
    /// it since its last product write (and within the last 10 s).
    pub async fn variant_for_cart(
        &self,
        variant_id: &VariantId,
        currency: Currency,
        freshness: Freshness,
    ) -> Result<Option<CartVariant>> {
        let key = (variant_id.clone(), currency);
        if freshness == Freshness::Recent {
            if let Some(found) = self.for_cart.get(&key) {
                return Ok(found);
            }
        }
        let stamp = self.for_cart.stamp();
        let found = self.read_variant_for_cart(variant_id, currency).await?;
        self.for_cart.put(stamp, key, found.clone());
        Ok(found)
    }

    async fn read_variant_for_cart(
        &self,
        variant_id: &VariantId,
        currency: Currency,
    ) -> Result<Option<CartVariant>> {
        self.db
            .read(async |conn| store::product::variant_for_cart(conn, variant_id, currency).await)
            .await
    }

    /// The variant ids of a published product (by id or handle), in position order, in
    /// one query: what a stock lookup needs, without loading the whole product.
    /// Errors: `NotFound` (entity `product`).
    pub async fn published_variant_ids(&self, id_or_handle: &str) -> Result<Vec<VariantId>> {
        let ids = self
            .db
            .read(async |conn| store::product::published_variant_ids(conn, id_or_handle).await)
            .await?;
        if ids.is_empty() {
            // A product without variants still exists; tell it apart from an unknown one.
            self.get_product(id_or_handle, false).await?;
        }
        Ok(ids)
    }

    /// Every variant id, oldest product first (for seeding stock).
    pub async fn variant_ids(&self) -> Result<Vec<VariantId>> {
        self.db
            .read(async |conn| store::product::variant_ids(conn).await)
            .await
    }

    /// The whole category tree: roots sorted by position then name, children likewise.
    pub async fn category_tree(&self) -> Result<Vec<Category>> {
        category::tree(&self.db).await
    }

    /// All collections, by title; `product_count` counts published products unless
    /// `include_drafts`.
    pub async fn list_collections(&self, include_drafts: bool) -> Result<Vec<Collection>> {
        collection::list(&self.db, include_drafts).await
    }

    /// One collection by id (`pcol_…`) or handle.
    pub async fn get_collection(
        &self,
        id_or_handle: &str,
        include_drafts: bool,
    ) -> Result<Collection> {
        collection::get(&self.db, id_or_handle, include_drafts).await
    }

    // ----- writes (admin) -----
    //
    // Writes name products, categories and collections by id (drafts included) and run
    // in one transaction each. `Invalid { field }` names the offending input field with
    // its path (`variants[1].prices[0].currency`); `Conflict` covers taken handles and
    // SKUs and changes that clash with stored data; `NotFound` an unknown id.

    /// Creates a product with its options, variants, prices, images and links. A missing
    /// handle is derived from the title (`-2`, `-3`, … when taken); an explicit taken
    /// handle is a `Conflict { field: "handle" }`, a taken SKU `Conflict { field:
    /// "variants[i].sku" }`, two variants with one option combination `Conflict { field:
    /// "variants[i].options" }`; unknown category/collection ids are `Invalid`.
    pub async fn create_product(&self, input: NewProduct) -> Result<Product> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::create(&self.db, input).await
    }

    /// Changes the given fields; `Some("")` clears an SEO field; link lists replace the
    /// current links. The handle changes only when given (titles may change freely).
    pub async fn update_product(&self, id: &ProductId, changes: ProductChanges) -> Result<Product> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::update(&self.db, id, changes).await
    }

    pub async fn set_product_status(
        &self,
        id: &ProductId,
        status: ProductStatus,
    ) -> Result<Product> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::set_status(&self.db, id, status).await
    }

    /// Deletes a product with its variants, prices, images and links.
    pub async fn delete_product(&self, id: &ProductId) -> Result<()> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::delete(&self.db, id).await
    }

    /// Adds a variant at the end. Its options must name each product option once with one
    /// of its values (`Invalid { field: "options[k].value" }`); SKU and combination must
    /// be new (`Conflict { field: "sku" / "options" }`). Fields are top-level here.
    pub async fn add_variant(&self, product_id: &ProductId, input: NewVariant) -> Result<Variant> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::add_variant(&self.db, product_id, input).await
    }

    /// Changes the given fields; `prices` replaces all prices. A title derived from option
    /// values follows new option values unless a title is given.
    pub async fn update_variant(
        &self,
        product_id: &ProductId,
        variant_id: &VariantId,
        changes: VariantChanges,
    ) -> Result<Variant> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::update_variant(&self.db, product_id, variant_id, changes).await
    }

    pub async fn delete_variant(
        &self,
        product_id: &ProductId,
        variant_id: &VariantId,
    ) -> Result<()> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        product::delete_variant(&self.db, product_id, variant_id).await
    }

    /// Adds an image at the end (the first image is the product's thumbnail).
    pub async fn add_image(&self, product_id: &ProductId, input: NewImage) -> Result<Image> {
        let _forget = self.forget_snapshots();
        product::add_image(&self.db, product_id, input).await
    }

    pub async fn delete_image(&self, product_id: &ProductId, image_id: &ImageId) -> Result<()> {
        let _forget = self.forget_snapshots();
        product::delete_image(&self.db, product_id, image_id).await
    }

    /// Creates a category under `parent_id` (which must exist: `Invalid { field:
    /// "parent_id" }`), at the end of its siblings unless `position` is given.
    pub async fn create_category(&self, input: NewCategory) -> Result<Category> {
        category::create(&self.db, input).await
    }

    /// Changes the given fields. Moving a category under itself or one of its
    /// descendants is a `Conflict { field: "parent_id" }`. Returns it with its subtree.
    pub async fn update_category(
        &self,
        id: &CategoryId,
        changes: CategoryChanges,
    ) -> Result<Category> {
        let _wake = self.wake_on_drop();
        category::update(&self.db, id, changes).await
    }

    /// Deletes a category; its children move up to its parent; products stay.
    /// Errors: `NotFound` (entity `category`).
    pub async fn delete_category(&self, id: &CategoryId) -> Result<()> {
        let _wake = self.wake_on_drop();
        category::delete(&self.db, id).await
    }

    /// Creates a collection holding `product_ids` in that order (each must exist:
    /// `Invalid { field: "product_ids[i]" }`). `product_count` includes drafts.
    pub async fn create_collection(&self, input: NewCollection) -> Result<Collection> {
        let _wake = self.wake_on_drop();
        collection::create(&self.db, input).await
    }

    /// Changes the given fields; `product_ids` replaces the members and their order.
    pub async fn update_collection(
        &self,
        id: &CollectionId,
        changes: CollectionChanges,
    ) -> Result<Collection> {
        let _wake = self.wake_on_drop();
        collection::update(&self.db, id, changes).await
    }

    pub async fn delete_collection(&self, id: &CollectionId) -> Result<()> {
        let _wake = self.wake_on_drop();
        collection::delete(&self.db, id).await
    }

    /// Writes a batch of categories, products and collections with the caller's ids,
    /// handles and timestamps in one transaction, with multi-row INSERTs: see [`import`]
    /// for the rules and the errors.
    pub async fn import(&self, batch: import::ImportBatch) -> Result<()> {
        let _forget = self.forget_snapshots();
        let _wake = self.wake_on_drop();
        import::run(&self.db, batch).await
    }

    /// Whether the catalog has no products (the binary seeds the demo catalog then).
    pub async fn is_empty(&self) -> Result<bool> {
        product::is_empty(&self.db).await
    }

    // ----- price lists -----
    //
    // Writes are admin edits in one transaction each, with the errors of the other
    // writes: `Invalid { field }` names the input field (`name`, `customer_group_id`,
    // `starts_at`, `ends_at`, `prices`, `prices[i]` for a second price of one variant
    // and currency, `prices[i].amount`, `prices[i].variant_id` for an unknown variant);
    // `NotFound` (entity `price list`) an unknown id. Every write forgets the memo of
    // list prices, so this process's next `Recent` resolution sees it.

    /// Creates a price list with its prices. A window needs `ends_at` after `starts_at`
    /// (`Invalid { field: "ends_at" }`); either end may be open.
    pub async fn create_price_list(&self, input: NewPriceList) -> Result<PriceList> {
        let _forget = self.forget_list_prices();
        pricing::create(&self.db, input).await
    }

    /// Every price list with its prices, newest first.
    pub async fn price_lists(&self) -> Result<Vec<PriceList>> {
        pricing::list(&self.db).await
    }

    /// One price list with its prices. Errors: `NotFound` (entity `price list`).
    pub async fn price_list(&self, id: &PriceListId) -> Result<PriceList> {
        pricing::get(&self.db, id).await
    }

    /// Changes the given fields (`Some(None)` clears an optional one); `prices` replaces
    /// every price of the list. A window that would end before it starts names the end
    /// when the change moved it, else the start.
    pub async fn update_price_list(
        &self,
        id: &PriceListId,
        changes: PriceListChanges,
    ) -> Result<PriceList> {
        let _forget = self.forget_list_prices();
        pricing::update(&self.db, id, changes).await
    }

    /// Deletes a price list with its prices. Errors: `NotFound` (entity `price list`).
    pub async fn delete_price_list(&self, id: &PriceListId) -> Result<()> {
        let _forget = self.forget_list_prices();
        pricing::delete(&self.db, id).await
    }

    /// For each of `variant_ids` that has an applicable list price in `currency`, the
    /// lowest one: among the lists for every shopper or for one of `groups` (the
    /// shopper's customer group ids) whose window holds `now_ms` (`starts_at <= now_ms
    /// < ends_at`, open ends allowed). Variants without one are absent. The caller
    /// compares with the variant's regular price and takes the lower.
    ///
    /// One query for all the variants (one per 249, the kernel's limit on parameters
    /// per statement less the currency's).
    /// [`Freshness::Recent`] may answer from memory: exact for this process's own
    /// writes, at most 10 s behind other processes'; [`Freshness::Current`] reads the
    /// database, for pricing an order.
    pub async fn best_prices(
        &self,
        variant_ids: &[VariantId],
        currency: Currency,
        groups: &[String],
        now_ms: i64,
        freshness: Freshness,
    ) -> Result<HashMap<VariantId, i64>> {
        let candidates = pricing::candidates(
            &self.db,
            &self.list_prices,
            variant_ids,
            &[currency],
            freshness,
        )
        .await?;
        Ok(candidates
            .into_iter()
            .filter_map(|((variant_id, _), set)| {
                pricing::best(&set, groups, now_ms).map(|amount| (variant_id, amount))
            })
            .collect())
    }

    /// Prices a product view for a shopper in `groups` at `now_ms`: each variant price
    /// that an applicable list price undercuts (the rules of [`Catalog::best_prices`],
    /// only lists for every shopper when `groups` is empty) drops to it, and the regular
    /// price goes to [`Variant::compare_at_prices`]. Prices in currencies the variant
    /// has none in are not added. Applying again, for another shopper, starts from the
    /// regular prices. One query for all variants and currencies.
    pub async fn apply_price_lists(
        &self,
        product: &mut Product,
        groups: &[String],
        now_ms: i64,
        freshness: Freshness,
    ) -> Result<()> {
        let ids: Vec<VariantId> = product.variants.iter().map(|v| v.id.clone()).collect();
        let mut currencies: Vec<Currency> = product
            .variants
            .iter()
            .flat_map(|v| v.prices.iter().map(|p| p.currency))
            .collect();
        currencies.sort_unstable();
        currencies.dedup();
        let candidates =
            pricing::candidates(&self.db, &self.list_prices, &ids, &currencies, freshness).await?;
        for variant in &mut product.variants {
            pricing::lower(variant, &candidates, groups, now_ms);
        }
        Ok(())
    }
}

/// Wakes the event dispatcher when dropped (see [`Catalog::with_bus`]).
struct WakeOnDrop<'a>(Option<&'a EventBus>);

impl Drop for WakeOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(bus) = self.0 {
            bus.wake();
        }
    }
}
