//! Catalog service: products with options, variants and per-currency prices, images,
//! a category tree and collections. No HTTP here: the API crate calls [`Catalog`].
//!
//! Layout:
//! - [`model`]: domain types and validated inputs.
//! - [`error`]: [`CatalogError`], one kind per HTTP status family.
//! - `store` (private): all SQL of this service, portable between SQLite and PostgreSQL.
//! - [`seed`]: the deterministic demo catalog.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 1000–1999.

pub mod error;
pub mod model;
pub mod seed;

pub use error::{CatalogError, Result};
pub use model::*;

use emporium_kernel::db::Database;

/// The catalog service. Cheap to clone: it holds a connection pool.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: Database,
}

impl Catalog {
    pub fn new(db: Database) -> Self {
        Catalog { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades the catalog's tables.
    pub async fn migrate(&self) -> Result<()> {
        todo!()
    }

    // ----- reads -----

    /// A page of product summaries. Store reads (`include_drafts == false`) see only
    /// published products. Errors: `Invalid` for a bad limit/cursor or an unknown
    /// category/collection handle (field `category` / `collection`).
    pub async fn list_products(&self, _filter: &ProductFilter) -> Result<ProductPage> {
        todo!()
    }

    /// One product by id (`prod_…`) or handle. Drafts only when `include_drafts`.
    pub async fn get_product(&self, _id_or_handle: &str, _include_drafts: bool) -> Result<Product> {
        todo!()
    }

    /// The whole category tree: roots sorted by position then name, children likewise.
    pub async fn category_tree(&self) -> Result<Vec<Category>> {
        todo!()
    }

    /// All collections, by title; `product_count` counts published products unless
    /// `include_drafts`.
    pub async fn list_collections(&self, _include_drafts: bool) -> Result<Vec<Collection>> {
        todo!()
    }

    /// One collection by id (`pcol_…`) or handle.
    pub async fn get_collection(&self, _id_or_handle: &str, _include_drafts: bool) -> Result<Collection> {
        todo!()
    }

    // ----- writes (admin) -----

    pub async fn create_product(&self, _input: NewProduct) -> Result<Product> {
        todo!()
    }

    pub async fn update_product(&self, _id: &str, _changes: ProductChanges) -> Result<Product> {
        todo!()
    }

    pub async fn set_product_status(&self, _id: &str, _status: ProductStatus) -> Result<Product> {
        todo!()
    }

    pub async fn delete_product(&self, _id: &str) -> Result<()> {
        todo!()
    }

    pub async fn add_variant(&self, _product_id: &str, _input: NewVariant) -> Result<Variant> {
        todo!()
    }

    pub async fn update_variant(
        &self,
        _product_id: &str,
        _variant_id: &str,
        _changes: VariantChanges,
    ) -> Result<Variant> {
        todo!()
    }

    pub async fn delete_variant(&self, _product_id: &str, _variant_id: &str) -> Result<()> {
        todo!()
    }

    pub async fn add_image(&self, _product_id: &str, _input: NewImage) -> Result<Image> {
        todo!()
    }

    pub async fn delete_image(&self, _product_id: &str, _image_id: &str) -> Result<()> {
        todo!()
    }

    pub async fn create_category(&self, _input: NewCategory) -> Result<Category> {
        todo!()
    }

    pub async fn update_category(&self, _id: &str, _changes: CategoryChanges) -> Result<Category> {
        todo!()
    }

    /// Deletes a category; its children move up to its parent; products stay.
    pub async fn delete_category(&self, _id: &str) -> Result<()> {
        todo!()
    }

    pub async fn create_collection(&self, _input: NewCollection) -> Result<Collection> {
        todo!()
    }

    pub async fn update_collection(&self, _id: &str, _changes: CollectionChanges) -> Result<Collection> {
        todo!()
    }

    pub async fn delete_collection(&self, _id: &str) -> Result<()> {
        todo!()
    }

    /// Whether the catalog has no products (the binary seeds the demo catalog then).
    pub async fn is_empty(&self) -> Result<bool> {
        todo!()
    }
}
