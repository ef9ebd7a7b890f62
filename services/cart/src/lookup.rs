//! What the cart needs from the catalog and inventory, as traits the cart owns. The API
//! crate (the composition root) implements them over the catalog and inventory services,
//! so this crate never imports them and never reads their tables.

use async_trait::async_trait;
use emporium_kernel::{
    id::{CustomerId, ProductId, VariantId},
    money::Currency,
};

pub use emporium_kernel::cache::Freshness;

/// A variant as the cart snapshots it into a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSnapshot {
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub product_handle: String,
    pub product_title: String,
    pub variant_title: String,
    pub sku: String,
    /// The price in the requested currency for the shopper asking (the lowest of the
    /// regular price and the price lists that apply to them); `None` when the variant
    /// has none in it.
    pub unit_price: Option<i64>,
    pub image_url: Option<String>,
}

/// The other service could not be asked (it failed, not "not found").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LookupError(pub String);

/// Variants and their current prices.
#[async_trait]
pub trait VariantLookup: Send + Sync + 'static {
    /// None when the variant does not exist or its product is not published. Adding to
    /// a cart asks for a [`Freshness::Recent`] answer; checkout, which prices the order,
    /// for a [`Freshness::Current`] one. `customer`: the cart's owner, whose customer
    /// groups may have their own prices (`None`: a guest cart, everyone's prices).
    async fn variant(
        &self,
        variant_id: &VariantId,
        currency: Currency,
        freshness: Freshness,
        customer: Option<&CustomerId>,
    ) -> Result<Option<VariantSnapshot>, LookupError>;
}

/// Stock that can still be sold.
#[async_trait]
pub trait StockCheck: Send + Sync + 'static {
    /// Units of the variant available to sell now (0 for an unknown variant).
    async fn available(&self, variant_id: &VariantId) -> Result<i64, LookupError>;
}
