//! The deterministic demo catalog behind `emporium seed --demo` and `serve`'s demo
//! seeding: 1,200 realistic products by default in a three-level category tree, with
//! collections, identical ids and rows on every run and every database, and product
//! images drawn on request ([`demo_image_svg`]).
//!
//! The catalog is generated in memory first (`generate`, from the shapes in `shape`) and
//! written through the catalog's bulk import ([`Catalog::import`]), one transaction per
//! hundred products, rather than one service call (and one transaction) per product.

mod generate;
mod image;
mod shape;

use emporium_catalog::{
    import::{ImportBatch, ImportProduct},
    Catalog, CatalogError, Result,
};

pub use image::demo_image_svg;

/// How big a demo catalog to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// At least 1,000 for `emporium seed --demo`.
    pub products: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { products: 1_200 }
    }
}

/// What the seed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub products: usize,
    pub variants: usize,
    pub categories: usize,
    pub collections: usize,
}

/// Products written per transaction: large enough that per-transaction costs vanish,
/// small enough that the progress bar moves.
const BATCH: usize = 100;

/// Writes the demo catalog into an empty catalog: the categories, then the products
/// `BATCH` at a time, then the collections, one import each. `progress(done, total)` is
/// called as products are written (the binary draws an indicatif bar with it).
///
/// Errors: `Conflict { field: "catalog" }` when the catalog already has products,
/// categories or collections; otherwise the import's.
pub async fn seed_demo(
    catalog: &Catalog,
    options: DemoOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<SeedReport> {
    // The demo's ids are fixed, so it could never be merged into an existing catalog.
    let blank = catalog.is_empty().await?
        && catalog.category_tree().await?.is_empty()
        && catalog.list_collections(true).await?.is_empty();
    if !blank {
        return Err(CatalogError::Conflict {
            field: "catalog".to_owned(),
            message:
                "the catalog is not empty: the demo catalog is only seeded into an empty database"
                    .to_owned(),
        });
    }
    let demo = generate::generate(options.products);
    let report = SeedReport {
        products: demo.products.len(),
        variants: demo.products.iter().map(|p| p.product.variants.len()).sum(),
        categories: demo.categories.len(),
        collections: demo.collections.len(),
    };
    let total = report.products as u64;

    catalog
        .import(ImportBatch {
            categories: demo.categories,
            ..ImportBatch::default()
        })
        .await?;

    let mut done = 0u64;
    progress(0, total);
    let mut products = demo.products.into_iter().map(|p| p.product);
    loop {
        let batch: Vec<ImportProduct> = products.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let written = batch.len() as u64;
        catalog
            .import(ImportBatch {
                products: batch,
                ..ImportBatch::default()
            })
            .await?;
        done += written;
        progress(done, total);
    }

    catalog
        .import(ImportBatch {
            collections: demo.collections,
            ..ImportBatch::default()
        })
        .await?;
    Ok(report)
}
