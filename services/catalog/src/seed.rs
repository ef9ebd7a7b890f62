//! The deterministic demo catalog: the same products, ids and prices on every run.

use crate::{Catalog, Result};

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

/// Writes the demo catalog into an empty catalog. `progress(done, total)` is called as
/// products are written (the binary draws an indicatif bar with it).
pub async fn seed_demo(
    _catalog: &Catalog,
    _options: DemoOptions,
    _progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<SeedReport> {
    todo!()
}
