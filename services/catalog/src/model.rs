//! The catalog's domain types. Times are Unix milliseconds (see `emporium_kernel::clock`);
//! money is integer minor units with a `Currency`.

use emporium_kernel::{
    id::{CategoryId, CollectionId, ImageId, OptionId, ProductId, VariantId},
    money::Currency,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Published,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ProductStatus::Draft),
            "published" => Some(ProductStatus::Published),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub id: ImageId,
    pub url: String,
    pub alt: String,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductOption {
    pub id: OptionId,
    pub name: String,
    /// Values in display order.
    pub values: Vec<String>,
    pub position: i64,
}

/// The value a variant has for one option, by option name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionValue {
    pub option: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: VariantId,
    pub product_id: ProductId,
    pub sku: String,
    pub title: String,
    /// In the order of the product's options.
    pub options: Vec<OptionValue>,
    pub weight_grams: Option<i64>,
    /// Sorted by currency code. What the shopper pays: the regular prices, or lower ones
    /// from price lists after [`crate::Catalog::apply_price_lists`].
    pub prices: Vec<Price>,
    pub position: i64,
    /// The regular price of each currency in which a price list lowered `prices`, for a
    /// page to show struck through ("was €X"); sorted by currency code. Empty unless
    /// [`crate::Catalog::apply_price_lists`] lowered a price.
    pub compare_at_prices: Vec<Price>,
}

impl Variant {
    /// The regular price in `currency` when a price list lowered it (see
    /// [`Variant::compare_at_prices`]).
    pub fn compare_at_amount(&self, currency: Currency) -> Option<i64> {
        self.compare_at_prices
            .iter()
            .find(|p| p.currency == currency)
            .map(|p| p.amount)
    }
}

/// A category or collection a product belongs to (`I`: its kind of id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link<I> {
    pub id: I,
    pub handle: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: ProductId,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub status: ProductStatus,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub options: Vec<ProductOption>,
    /// By position.
    pub variants: Vec<Variant>,
    /// By position.
    pub images: Vec<Image>,
    pub categories: Vec<Link<CategoryId>>,
    pub collections: Vec<Link<CollectionId>>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRange {
    pub currency: Currency,
    pub min_amount: i64,
    pub max_amount: i64,
}

/// A product as it appears in lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductSummary {
    pub id: ProductId,
    pub handle: String,
    pub title: String,
    pub status: ProductStatus,
    /// The image at the lowest position.
    pub thumbnail: Option<Image>,
    /// One range per currency, sorted by currency code.
    pub prices: Vec<PriceRange>,
    pub variant_count: i64,
    pub created_at: i64,
}

/// A node of the category tree; `children` sorted by position, then name.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub id: CategoryId,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<CategoryId>,
    pub position: i64,
    pub children: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: CollectionId,
    pub handle: String,
    pub title: String,
    pub description: String,
    /// Published products only, unless read through an admin path.
    pub product_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductSort {
    /// created_at descending, then id descending.
    #[default]
    Newest,
    /// Lowest variant price in the filter's currency; products without a price in that
    /// currency are left out of price-sorted and price-filtered lists.
    PriceAsc,
    PriceDesc,
    /// Title, byte-wise (the same on SQLite and PostgreSQL), then id.
    Title,
}

/// Which products `Catalog::list_products` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFilter {
    /// Category handle: products in it or any of its descendants.
    pub category: Option<String>,
    /// Collection handle.
    pub collection: Option<String>,
    pub currency: Currency,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub sort: ProductSort,
    /// 1..=100 (validated by the service).
    pub limit: u32,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Store reads see published products only; admin reads see drafts too.
    pub include_drafts: bool,
}

impl Default for ProductFilter {
    fn default() -> Self {
        ProductFilter {
            category: None,
            collection: None,
            currency: Currency::EUR,
            price_min: None,
            price_max: None,
            sort: ProductSort::Newest,
            limit: 20,
            cursor: None,
            include_drafts: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    pub next_cursor: Option<String>,
}

// ----- inputs (validated by the service; strings are checked there) -----

#[derive(Debug, Clone, PartialEq)]
pub struct NewOption {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPrice {
    /// ISO 4217 code as given by the caller.
    pub currency: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVariant {
    pub sku: String,
    /// Derived from the option values ("M / Blue") when absent.
    pub title: Option<String>,
    pub options: Vec<OptionValue>,
    pub weight_grams: Option<i64>,
    pub prices: Vec<NewPrice>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantChanges {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub options: Option<Vec<OptionValue>>,
    pub weight_grams: Option<i64>,
    /// Replaces every price of the variant.
    pub prices: Option<Vec<NewPrice>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewImage {
    pub url: String,
    pub alt: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub title: String,
    /// Slug derived from the title when absent.
    pub handle: Option<String>,
    pub description: String,
    pub status: ProductStatus,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub category_ids: Vec<String>,
    pub collection_ids: Vec<String>,
    pub options: Vec<NewOption>,
    pub variants: Vec<NewVariant>,
    pub images: Vec<NewImage>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductChanges {
    pub title: Option<String>,
    pub handle: Option<String>,
    pub description: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub category_ids: Option<Vec<String>>,
    pub collection_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCategory {
    pub name: String,
    pub handle: Option<String>,
    pub description: String,
    pub parent_id: Option<String>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub handle: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` moves the category to the root; `None` keeps its parent.
    pub parent_id: Option<Option<String>>,
    pub position: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCollection {
    pub title: String,
    pub handle: Option<String>,
    pub description: String,
    pub product_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CollectionChanges {
    pub title: Option<String>,
    pub handle: Option<String>,
    pub description: Option<String>,
    pub product_ids: Option<Vec<String>>,
}

/// A variant as a cart line snapshots it (see `Catalog::variant_for_cart`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartVariant {
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub product_handle: String,
    pub product_title: String,
    pub variant_title: String,
    pub sku: String,
    /// Minor units in the asked currency; `None` when the variant has no price there.
    pub unit_price: Option<i64>,
    pub image_url: Option<String>,
}
