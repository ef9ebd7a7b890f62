//! Bulk import: products with their options, variants, prices and images, categories
//! and collections, with the caller's ids, handles and timestamps. For loading a catalog
//! made elsewhere (the demo catalog, another shop's export), where one admin call per
//! product would be one transaction per product: [`Catalog::import`](crate::Catalog::import)
//! writes a whole [`ImportBatch`] in one transaction with multi-row INSERTs.
//!
//! An import only adds rows. Ids, handles and SKUs must be new (`Conflict { field: "id" /
//! "handle" / "sku" }`, also for two rows of one batch). A reference (a category's parent,
//! a product's categories, a collection's products) names a row that is stored already or
//! comes in the same batch; a parent category comes before its children. Fields follow
//! the admin writes' rules and errors name them with their path in the batch
//! (`Invalid { field: "products[3].variants[1].sku" }`). Ids carry their kind's prefix
//! (`pcat_`, `pcol_`, `prod_`, `opt_`, `var_`, `img_`, as [`id_from_parts`] makes them),
//! because lookups by "id or handle" tell the two apart by it. Options, variants and
//! images take their position from their place in their list.
//!
//! [`slugify`] and [`first_free_handle`] make handles from titles as the admin writes do;
//! [`is_handle`] says whether a given handle is well-formed.
//!
//! [`id_from_parts`]: emporium_kernel::id::id_from_parts

use std::collections::HashSet;

use emporium_kernel::{
    db::{Conn, Database},
    id::{has_prefix, CategoryId, CollectionId, ImageId, OptionId, ProductId, VariantId},
};

pub use crate::fields::{first_free_handle, slugify};
use crate::{
    error::CatalogError,
    events,
    fields::{self, under, MAX_DESCRIPTION, MAX_TITLE},
    product::{
        check_combination_is_new, check_option, check_option_values, check_sku, check_weight,
        derived_title, MAX_ALT, MAX_OPTIONS, MAX_SEO_DESCRIPTION, MAX_VARIANTS,
    },
    store::{
        self,
        category::CategoryRow,
        collection::CollectionRow,
        product::{IdTable, ImageRow, OptionRow, ProductRow, VariantRow},
    },
    OptionValue, Price, PriceRange, ProductStatus, Result,
};

/// What one [`Catalog::import`](crate::Catalog::import) call writes, in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    /// Parents before their children.
    pub categories: Vec<ImportCategory>,
    pub products: Vec<ImportProduct>,
    /// Written after the products, so they may hold products of this batch.
    pub collections: Vec<ImportCollection>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportCategory {
    pub id: String,
    /// Stored, or earlier in the batch.
    pub parent_id: Option<String>,
    pub handle: String,
    pub name: String,
    pub description: String,
    /// Among its siblings (lower first, then by name).
    pub position: i64,
    /// Unix milliseconds, as every timestamp here.
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportCollection {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    /// Its products, in display order.
    pub product_ids: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportProduct {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub status: ProductStatus,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub category_ids: Vec<String>,
    pub options: Vec<ImportOption>,
    pub variants: Vec<ImportVariant>,
    /// The first is the product's thumbnail.
    pub images: Vec<ImportImage>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportOption {
    pub id: String,
    pub name: String,
    /// In display order.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportVariant {
    pub id: String,
    pub sku: String,
    /// Derived from the option values ("M / Blue") when absent.
    pub title: Option<String>,
    /// One value for each of the product's options, by option name.
    pub options: Vec<OptionValue>,
    pub weight_grams: Option<i64>,
    /// At most one per currency.
    pub prices: Vec<Price>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportImage {
    pub id: String,
    /// An http(s) URL or a path on this site (`/media/…`).
    pub url: String,
    pub alt: String,
}

/// Whether `value` is a well-formed handle: lowercase letters and digits in words joined
/// by single hyphens, at most 100 characters.
pub fn is_handle(value: &str) -> bool {
    fields::handle("handle", value).is_ok_and(|h| h == value)
}

/// The rows of a checked batch, and the references to look up in the transaction.
struct Rows {
    categories: Vec<CategoryRow>,
    products: Vec<ProductRow>,
    options: Vec<OptionRow>,
    variants: Vec<VariantRow>,
    images: Vec<ImageRow>,
    category_links: Vec<(String, String)>,
    price_ranges: Vec<(String, PriceRange)>,
    collections: Vec<CollectionRow>,
    members: Vec<(String, Vec<String>)>,
    /// References to rows outside the batch, which must be stored already.
    stored: Vec<Reference>,
}

/// A reference that names a row outside the batch: what refers (`kind`, the `row`'s index
/// and the reference's place in its list) and the id referred to.
struct Reference {
    kind: RefKind,
    row: usize,
    at: usize,
    id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefKind {
    Parent,
    ProductCategory,
    CollectionProduct,
}

impl Reference {
    fn field(&self) -> String {
        let (row, at) = (self.row, self.at);
        match self.kind {
            RefKind::Parent => format!("categories[{row}].parent_id"),
            RefKind::ProductCategory => format!("products[{row}].category_ids[{at}]"),
            RefKind::CollectionProduct => format!("collections[{row}].product_ids[{at}]"),
        }
    }
}

pub(crate) async fn run(db: &Database, batch: ImportBatch) -> Result<()> {
    let rows = check(batch)?;
    if rows.categories.is_empty() && rows.products.is_empty() && rows.collections.is_empty() {
        return Ok(());
    }
    db.write(async move |conn| {
        check_stored(conn, &rows.stored).await?;
        store::category::insert(conn, &rows.categories).await?;
        store::product::insert(conn, &rows.products).await?;
        store::product::insert_options(conn, &rows.options).await?;
        store::product::insert_variants(conn, &rows.variants).await?;
        store::product::insert_images(conn, &rows.images).await?;
        store::product::insert_category_links(conn, &rows.category_links).await?;
        store::product::insert_price_ranges(conn, &rows.price_ranges).await?;
        store::collection::insert(conn, &rows.collections).await?;
        for (collection_id, product_ids) in &rows.members {
            store::collection::insert_members(conn, collection_id, product_ids).await?;
        }
        let mut imported: Vec<String> = rows.products.iter().map(|p| p.id.clone()).collect();
        imported.extend(rows.members.iter().flat_map(|(_, ids)| ids.iter().cloned()));
        events::products_changed(conn, imported).await
    })
    .await
}

/// Every reference outside the batch names a stored row (one query per table); the first
/// that does not is reported by its field.
async fn check_stored(conn: &mut Conn<'_>, references: &[Reference]) -> Result<()> {
    for (table, to_products) in [(IdTable::Categories, false), (IdTable::Products, true)] {
        let refs: Vec<&Reference> = references
            .iter()
            .filter(|r| (r.kind == RefKind::CollectionProduct) == to_products)
            .collect();
        if refs.is_empty() {
            continue;
        }
        let mut ids: Vec<String> = refs.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let found: HashSet<String> = store::product::existing_ids(conn, table, &ids)
            .await?
            .into_iter()
            .collect();
        if let Some(missing) = refs.iter().find(|r| !found.contains(&r.id)) {
            let (what, hint) = if to_products {
                ("product", "import it first, or in the same batch")
            } else {
                (
                    "category",
                    "import it first, or earlier in the batch than what names it",
                )
            };
            return Err(CatalogError::invalid(
                missing.field(),
                format!("no {what} has id `{}`: {hint}", missing.id),
            ));
        }
    }
    Ok(())
}

/// An id with its kind's prefix.
fn check_id(field: &str, id: &str, prefix: &str) -> Result<String> {
    let id = id.trim();
    if has_prefix(id, prefix) {
        Ok(id.to_owned())
    } else {
        Err(CatalogError::invalid(
            field,
            format!("`{id}` is not a `{prefix}_…` id: use `{prefix}_` and a lowercase ULID"),
        ))
    }
}

/// The whole batch checked and turned into rows, without touching the database. Checks
/// name fields relative to the row they check; [`under`] adds the row's path on failure.
fn check(batch: ImportBatch) -> Result<Rows> {
    let mut rows = Rows {
        categories: Vec::with_capacity(batch.categories.len()),
        products: Vec::with_capacity(batch.products.len()),
        options: Vec::new(),
        variants: Vec::new(),
        images: Vec::new(),
        category_links: Vec::new(),
        price_ranges: Vec::new(),
        collections: Vec::with_capacity(batch.collections.len()),
        members: Vec::with_capacity(batch.collections.len()),
        stored: Vec::new(),
    };

    let mut category_ids: HashSet<String> = HashSet::new();
    for (i, input) in batch.categories.into_iter().enumerate() {
        let row = check_category(input, i, &category_ids, &mut rows.stored)
            .map_err(|e| under(|| format!("categories[{i}]"), e))?;
        category_ids.insert(row.id.clone());
        rows.categories.push(row);
    }

    let mut product_ids: HashSet<String> = HashSet::new();
    for (i, input) in batch.products.into_iter().enumerate() {
        let id = check_product(&mut rows, i, input, &category_ids)
            .map_err(|e| under(|| format!("products[{i}]"), e))?;
        product_ids.insert(id);
    }

    for (i, input) in batch.collections.into_iter().enumerate() {
        let (row, members) = check_collection(input, i, &product_ids, &mut rows.stored)
            .map_err(|e| under(|| format!("collections[{i}]"), e))?;
        rows.members.push((row.id.clone(), members));
        rows.collections.push(row);
    }
    Ok(rows)
}

fn check_category(
    input: ImportCategory,
    i: usize,
    earlier: &HashSet<String>,
    stored: &mut Vec<Reference>,
) -> Result<CategoryRow> {
    let parent_id = match input.parent_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(parent) => {
            let parent = check_id("parent_id", parent, CategoryId::PREFIX)?;
            if !earlier.contains(&parent) {
                stored.push(Reference {
                    kind: RefKind::Parent,
                    row: i,
                    at: 0,
                    id: parent.clone(),
                });
            }
            Some(parent)
        }
    };
    Ok(CategoryRow {
        id: check_id("id", &input.id, CategoryId::PREFIX)?,
        parent_id,
        handle: fields::handle("handle", &input.handle)?,
        name: fields::required_text("name", &input.name, MAX_TITLE)?,
        description: fields::free_text("description", &input.description, MAX_DESCRIPTION)?,
        position: input.position,
        created_at: input.created_at,
        updated_at: input.updated_at,
    })
}

fn check_collection(
    input: ImportCollection,
    i: usize,
    batch_products: &HashSet<String>,
    stored: &mut Vec<Reference>,
) -> Result<(CollectionRow, Vec<String>)> {
    let members = fields::distinct_ids("product_ids", &input.product_ids)?;
    for (at, product_id) in members.iter().enumerate() {
        if !batch_products.contains(product_id) {
            stored.push(Reference {
                kind: RefKind::CollectionProduct,
                row: i,
                at,
                id: product_id.clone(),
            });
        }
    }
    let row = CollectionRow {
        id: check_id("id", &input.id, CollectionId::PREFIX)?,
        handle: fields::handle("handle", &input.handle)?,
        title: fields::required_text("title", &input.title, MAX_TITLE)?,
        description: fields::free_text("description", &input.description, MAX_DESCRIPTION)?,
        created_at: input.created_at,
        updated_at: input.updated_at,
    };
    Ok((row, members))
}

/// Checks product `i` of the batch into `rows`; returns its id.
fn check_product(
    rows: &mut Rows,
    i: usize,
    input: ImportProduct,
    batch_categories: &HashSet<String>,
) -> Result<String> {
    let product_id = check_id("id", &input.id, ProductId::PREFIX)?;

    let category_ids = fields::distinct_ids("category_ids", &input.category_ids)?;
    for (at, category_id) in category_ids.iter().enumerate() {
        if !batch_categories.contains(category_id) {
            rows.stored.push(Reference {
                kind: RefKind::ProductCategory,
                row: i,
                at,
                id: category_id.clone(),
            });
        }
    }

    if input.options.len() > MAX_OPTIONS {
        return Err(CatalogError::invalid(
            "options",
            format!("at most {MAX_OPTIONS} options per product"),
        ));
    }
    let mut options: Vec<OptionRow> = Vec::with_capacity(input.options.len());
    for (k, option) in input.options.iter().enumerate() {
        let option = check_id("id", &option.id, OptionId::PREFIX)
            .and_then(|id| {
                check_option(
                    id,
                    &product_id,
                    k as i64,
                    (&option.name, &option.values),
                    &options,
                )
            })
            .map_err(|e| under(|| format!("options[{k}]"), e))?;
        options.push(option);
    }

    if input.variants.len() > MAX_VARIANTS {
        return Err(CatalogError::invalid(
            "variants",
            format!("at most {MAX_VARIANTS} variants per product"),
        ));
    }
    let mut variants: Vec<VariantRow> = Vec::with_capacity(input.variants.len());
    for (k, variant) in input.variants.into_iter().enumerate() {
        let variant = check_variant(variant, &options, &product_id, k as i64, &variants)
            .map_err(|e| under(|| format!("variants[{k}]"), e))?;
        variants.push(variant);
    }

    let mut images: Vec<ImageRow> = Vec::with_capacity(input.images.len());
    for (k, image) in input.images.into_iter().enumerate() {
        let image = check_image(image, &product_id, k as i64)
            .map_err(|e| under(|| format!("images[{k}]"), e))?;
        images.push(image);
    }

    let row = ProductRow {
        id: product_id.clone(),
        handle: fields::handle("handle", &input.handle)?,
        title: fields::required_text("title", &input.title, MAX_TITLE)?,
        description: fields::free_text("description", &input.description, MAX_DESCRIPTION)?,
        status: input.status,
        seo_title: fields::optional_text("seo_title", input.seo_title.as_deref(), MAX_TITLE)?,
        seo_description: fields::optional_text(
            "seo_description",
            input.seo_description.as_deref(),
            MAX_SEO_DESCRIPTION,
        )?,
        created_at: input.created_at,
        updated_at: input.updated_at,
    };
    rows.category_links.extend(
        category_ids
            .into_iter()
            .map(|category_id| (product_id.clone(), category_id)),
    );
    rows.price_ranges.extend(
        price_ranges(&variants)
            .into_iter()
            .map(|range| (product_id.clone(), range)),
    );
    rows.products.push(row);
    rows.options.extend(options);
    rows.variants.extend(variants);
    rows.images.extend(images);
    Ok(product_id)
}

/// A variant of a product whose `options` and `earlier` variants are checked already.
fn check_variant(
    input: ImportVariant,
    options: &[OptionRow],
    product_id: &str,
    position: i64,
    earlier: &[VariantRow],
) -> Result<VariantRow> {
    let option_values = check_option_values("", &input.options, options)?;
    let title = match input.title.as_deref().map(str::trim) {
        None | Some("") => derived_title(&option_values),
        Some(title) => fields::required_text("title", title, MAX_TITLE)?,
    };
    let mut prices: Vec<Price> = Vec::with_capacity(input.prices.len());
    for (k, price) in input.prices.into_iter().enumerate() {
        fields::check_price(&price, &prices).map_err(|e| under(|| format!("prices[{k}]"), e))?;
        prices.push(price);
    }
    prices.sort_by_key(|p| p.currency);
    let variant = VariantRow {
        id: check_id("id", &input.id, VariantId::PREFIX)?,
        product_id: product_id.to_owned(),
        sku: check_sku("sku", &input.sku)?,
        title,
        weight_grams: input
            .weight_grams
            .map(|w| check_weight("weight_grams", w))
            .transpose()?,
        position,
        option_values,
        prices,
        created_at: input.created_at,
        updated_at: input.updated_at,
    };
    if earlier.iter().any(|v| v.sku == variant.sku) {
        return Err(CatalogError::Conflict {
            field: "sku".to_owned(),
            message: format!(
                "SKU `{}` is given to two variants: each variant needs its own",
                variant.sku
            ),
        });
    }
    check_combination_is_new("", &variant, earlier, options)?;
    Ok(variant)
}

fn check_image(input: ImportImage, product_id: &str, position: i64) -> Result<ImageRow> {
    Ok(ImageRow {
        id: check_id("id", &input.id, ImageId::PREFIX)?,
        product_id: product_id.to_owned(),
        url: fields::image_url("url", &input.url)?,
        alt: fields::free_text("alt", &input.alt, MAX_ALT)?,
        position,
    })
}

/// The lowest and highest variant price per currency: the product's `product_prices`
/// rows, computed here rather than by a query over the rows just written.
fn price_ranges(variants: &[VariantRow]) -> Vec<PriceRange> {
    let mut ranges: Vec<PriceRange> = Vec::new();
    for price in variants.iter().flat_map(|v| v.prices.iter()) {
        match ranges.iter_mut().find(|r| r.currency == price.currency) {
            Some(r) => {
                r.min_amount = r.min_amount.min(price.amount);
                r.max_amount = r.max_amount.max(price.amount);
            }
            None => ranges.push(PriceRange {
                currency: price.currency,
                min_amount: price.amount,
                max_amount: price.amount,
            }),
        }
    }
    ranges
}
