//! Products and what hangs off them: options, variants, prices, images, category and
//! collection links, and the denormalised `product_prices`.

use std::collections::HashMap;

use emporium_kernel::{
    db::{Conn, Row},
    id::{CategoryId, CollectionId, ImageId, InvalidId, OptionId, ProductId, VariantId},
    money::Currency,
    sql,
};

use super::{corrupt, insert_rows, parse_currency, parse_status, unique_as_conflict, Arg, Sql};
use crate::{
    CartVariant, Image, Link, OptionValue, Price, Product, ProductOption, ProductStatus, Result,
    Variant,
};

/// The `products` row itself.
#[derive(Debug, Clone)]
pub(crate) struct ProductRow {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub status: ProductStatus,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An option with its values in display order.
#[derive(Debug, Clone)]
pub(crate) struct OptionRow {
    pub id: String,
    pub product_id: String,
    pub name: String,
    pub position: i64,
    pub values: Vec<String>,
}

/// A variant with its option values (by option id) and prices (sorted by currency).
#[derive(Debug, Clone)]
pub(crate) struct VariantRow {
    pub id: String,
    pub product_id: String,
    pub sku: String,
    pub title: String,
    pub weight_grams: Option<i64>,
    pub position: i64,
    /// (option id, value) in the order of the product's options.
    pub option_values: Vec<(String, String)>,
    pub prices: Vec<Price>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct ImageRow {
    pub id: String,
    pub product_id: String,
    pub url: String,
    pub alt: String,
    pub position: i64,
}

impl ImageRow {
    /// The domain image; an id that does not parse is a corrupted row.
    pub fn into_image(self) -> Result<Image> {
        Ok(Image {
            id: ImageId::parse(&self.id).map_err(|_| corrupt("images.id", &self.id))?,
            url: self.url,
            alt: self.alt,
            position: self.position,
        })
    }
}

const PRODUCT_COLUMNS: &str =
    "id, handle, title, description, status, seo_title, seo_description, created_at, updated_at";

/// A row whose columns are [`PRODUCT_COLUMNS`].
fn product_row(row: &Row) -> Result<ProductRow> {
    Ok(ProductRow {
        id: row.get(0)?,
        handle: row.get(1)?,
        title: row.get(2)?,
        description: row.get(3)?,
        status: parse_status(&row.get::<String>(4)?)?,
        seo_title: row.get(5)?,
        seo_description: row.get(6)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

/// A product row by id or by handle; drafts only when `include_drafts`.
pub(crate) async fn find(
    conn: &mut Conn<'_>,
    id_or_handle: &str,
    by_id: bool,
    include_drafts: bool,
) -> Result<Option<ProductRow>> {
    let mut sql = Sql::new(format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE "));
    sql.push(if by_id { "id = " } else { "handle = " })
        .bind(id_or_handle);
    if !include_drafts {
        sql.push(" AND status = 'published'");
    }
    conn.fetch_optional(&sql)
        .await?
        .as_ref()
        .map(product_row)
        .transpose()
}

pub(crate) async fn insert(conn: &mut Conn<'_>, rows: &[ProductRow]) -> Result<()> {
    let values = rows
        .iter()
        .map(|p| {
            vec![
                Arg::from(&p.id),
                Arg::from(&p.handle),
                Arg::from(&p.title),
                Arg::from(&p.description),
                Arg::from(p.status.as_str()),
                Arg::from(&p.seo_title),
                Arg::from(&p.seo_description),
                Arg::from(p.created_at),
                Arg::from(p.updated_at),
            ]
        })
        .collect();
    let columns: Vec<&str> = PRODUCT_COLUMNS.split(", ").collect();
    insert_rows(conn, "products", &columns, values).await
}

pub(crate) async fn update(conn: &mut Conn<'_>, p: &ProductRow) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE products SET handle = $1, title = $2, description = $3, status = $4, \
         seo_title = $5, seo_description = $6, updated_at = $7 WHERE id = $8",
        &p.handle,
        &p.title,
        &p.description,
        p.status.as_str(),
        &p.seo_title,
        &p.seo_description,
        p.updated_at,
        &p.id
    ))
    .await
    .map_err(unique_as_conflict)?;
    Ok(())
}

/// Marks a product changed (a variant, price or image changed), for caches and ETags.
pub(crate) async fn touch(conn: &mut Conn<'_>, product_id: &str, now: i64) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE products SET updated_at = $1 WHERE id = $2",
        now,
        product_id
    ))
    .await?;
    Ok(())
}

/// The products of `variant_ids` (for events about stock).
pub(crate) async fn ids_of_variants(
    conn: &mut Conn<'_>,
    variant_ids: &[String],
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for chunk in variant_ids.chunks(500) {
        let mut sql = Sql::new("SELECT DISTINCT product_id FROM variants WHERE id IN (");
        sql.bind_list(chunk).push(")").transient();
        ids.extend(strings(conn, &sql).await?);
    }
    Ok(ids)
}

/// The products linked to any of `category_ids` (for events when categories move).
pub(crate) async fn ids_in_categories(
    conn: &mut Conn<'_>,
    category_ids: &[String],
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for chunk in category_ids.chunks(500) {
        let mut sql =
            Sql::new("SELECT DISTINCT product_id FROM product_categories WHERE category_id IN (");
        sql.bind_list(chunk).push(")").transient();
        ids.extend(strings(conn, &sql).await?);
    }
    Ok(ids)
}

/// Deletes a product; its variants, prices, images and links go with it (ON DELETE CASCADE).
pub(crate) async fn delete(conn: &mut Conn<'_>, product_id: &str) -> Result<bool> {
    let deleted = conn
        .execute(&sql!("DELETE FROM products WHERE id = $1", product_id))
        .await?;
    Ok(deleted > 0)
}

pub(crate) async fn count(conn: &mut Conn<'_>) -> Result<i64> {
    Ok(conn
        .fetch_scalar(&sql!("SELECT COUNT(*) FROM products"))
        .await?)
}

/// Tables whose ids a product or collection may reference.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IdTable {
    Products,
    Categories,
    Collections,
}

/// Which of `ids` exist in `table`.
pub(crate) async fn existing_ids(
    conn: &mut Conn<'_>,
    table: IdTable,
    ids: &[String],
) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let table = match table {
        IdTable::Products => "products",
        IdTable::Categories => "categories",
        IdTable::Collections => "collections",
    };
    let mut sql = Sql::new(format!("SELECT id FROM {table} WHERE id IN ("));
    sql.bind_list(ids).push(")").transient();
    strings(conn, &sql).await
}

/// Column 0 of every row.
async fn strings(conn: &mut Conn<'_>, sql: &Sql<'_>) -> Result<Vec<String>> {
    conn.fetch_all(sql)
        .await?
        .iter()
        .map(|r| Ok(r.get(0)?))
        .collect()
}

/// Makes the product's categories exactly `category_ids`.
pub(crate) async fn replace_categories(
    conn: &mut Conn<'_>,
    product_id: &str,
    category_ids: &[String],
) -> Result<()> {
    conn.execute(&sql!(
        "DELETE FROM product_categories WHERE product_id = $1",
        product_id
    ))
    .await?;
    let rows = category_ids
        .iter()
        .map(|c| vec![Arg::from(product_id), Arg::from(c)])
        .collect();
    insert_rows(
        conn,
        "product_categories",
        &["product_id", "category_id"],
        rows,
    )
    .await
}

/// Makes the product's collections exactly `collection_ids`. Collections it stays in
/// keep its position there; new ones get it at their end.
pub(crate) async fn replace_collections(
    conn: &mut Conn<'_>,
    product_id: &str,
    collection_ids: &[String],
) -> Result<()> {
    let current = strings(
        conn,
        &sql!(
            "SELECT collection_id FROM collection_products WHERE product_id = $1",
            product_id
        ),
    )
    .await?;
    for gone in current.iter().filter(|c| !collection_ids.contains(c)) {
        conn.execute(&sql!(
            "DELETE FROM collection_products WHERE product_id = $1 AND collection_id = $2",
            product_id,
            gone
        ))
        .await?;
    }
    for added in collection_ids.iter().filter(|c| !current.contains(c)) {
        conn.execute(&sql!(
            "INSERT INTO collection_products (collection_id, product_id, position) \
             SELECT $1, $2, COALESCE(MAX(position) + 1, 0) FROM collection_products \
             WHERE collection_id = $1",
            added,
            product_id
        ))
        .await?;
    }
    Ok(())
}

/// Category links (name = category name) and collection links (name = collection
/// title), each sorted by name.
pub(crate) async fn links(
    conn: &mut Conn<'_>,
    product_id: &str,
) -> Result<(Vec<Link<CategoryId>>, Vec<Link<CollectionId>>)> {
    let mut categories = link_rows(
        conn.fetch_all(&sql!(
            "SELECT c.id, c.handle, c.name FROM product_categories pc \
             JOIN categories c ON c.id = pc.category_id WHERE pc.product_id = $1",
            product_id
        ))
        .await?,
        "categories.id",
        CategoryId::parse,
    )?;
    let mut collections = link_rows(
        conn.fetch_all(&sql!(
            "SELECT c.id, c.handle, c.title FROM collection_products cp \
             JOIN collections c ON c.id = cp.collection_id WHERE cp.product_id = $1",
            product_id
        ))
        .await?,
        "collections.id",
        CollectionId::parse,
    )?;
    // Sorted here rather than in SQL so the order is byte-wise on both databases.
    categories.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    collections.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok((categories, collections))
}

/// Rows of (id, handle, name), the id read by `parse` (an id that does not parse is a
/// corrupted row of `column`).
fn link_rows<I>(
    rows: Vec<Row>,
    column: &str,
    parse: fn(&str) -> Result<I, InvalidId>,
) -> Result<Vec<Link<I>>> {
    rows.iter()
        .map(|r| {
            let id: String = r.get(0)?;
            Ok(Link {
                id: parse(&id).map_err(|_| corrupt(column, &id))?,
                handle: r.get(1)?,
                name: r.get(2)?,
            })
        })
        .collect()
}

// ----- options -----

pub(crate) async fn insert_options(conn: &mut Conn<'_>, options: &[OptionRow]) -> Result<()> {
    let rows = options
        .iter()
        .map(|o| {
            vec![
                Arg::from(&o.id),
                Arg::from(&o.product_id),
                Arg::from(&o.name),
                Arg::from(o.position),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "product_options",
        &["id", "product_id", "name", "position"],
        rows,
    )
    .await?;
    let values = options
        .iter()
        .flat_map(|o| {
            o.values
                .iter()
                .enumerate()
                .map(|(i, v)| vec![Arg::from(&o.id), Arg::from(v), Arg::from(i as i64)])
        })
        .collect();
    insert_rows(
        conn,
        "product_option_values",
        &["option_id", "value", "position"],
        values,
    )
    .await
}

/// The product's options in position order, each with its values in display order.
pub(crate) async fn load_options(conn: &mut Conn<'_>, product_id: &str) -> Result<Vec<OptionRow>> {
    let mut options: Vec<OptionRow> = conn
        .fetch_all(&sql!(
            "SELECT id, name, position FROM product_options WHERE product_id = $1 \
             ORDER BY position, id",
            product_id
        ))
        .await?
        .iter()
        .map(|r| {
            Ok(OptionRow {
                id: r.get(0)?,
                product_id: product_id.to_owned(),
                name: r.get(1)?,
                position: r.get(2)?,
                values: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    let values = conn
        .fetch_all(&sql!(
            "SELECT v.option_id, v.value FROM product_option_values v \
             JOIN product_options o ON o.id = v.option_id WHERE o.product_id = $1 \
             ORDER BY v.option_id, v.position, v.value",
            product_id
        ))
        .await?;
    for row in values {
        let option_id: String = row.get(0)?;
        if let Some(option) = options.iter_mut().find(|o| o.id == option_id) {
            option.values.push(row.get(1)?);
        }
    }
    Ok(options)
}

// ----- variants -----

pub(crate) async fn insert_variants(conn: &mut Conn<'_>, variants: &[VariantRow]) -> Result<()> {
    let rows = variants
        .iter()
        .map(|v| {
            vec![
                Arg::from(&v.id),
                Arg::from(&v.product_id),
                Arg::from(&v.sku),
                Arg::from(&v.title),
                Arg::from(v.weight_grams),
                Arg::from(v.position),
                Arg::from(v.created_at),
                Arg::from(v.updated_at),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "variants",
        &[
            "id",
            "product_id",
            "sku",
            "title",
            "weight_grams",
            "position",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    insert_variant_children(conn, variants).await
}

async fn insert_variant_children(conn: &mut Conn<'_>, variants: &[VariantRow]) -> Result<()> {
    let option_rows = variants
        .iter()
        .flat_map(|v| {
            v.option_values.iter().map(|(option_id, value)| {
                vec![Arg::from(&v.id), Arg::from(option_id), Arg::from(value)]
            })
        })
        .collect();
    insert_rows(
        conn,
        "variant_option_values",
        &["variant_id", "option_id", "value"],
        option_rows,
    )
    .await?;
    let price_rows = variants
        .iter()
        .flat_map(|v| {
            v.prices.iter().map(|p| {
                vec![
                    Arg::from(&v.id),
                    Arg::from(p.currency.as_str()),
                    Arg::from(p.amount),
                ]
            })
        })
        .collect();
    insert_rows(
        conn,
        "variant_prices",
        &["variant_id", "currency", "amount"],
        price_rows,
    )
    .await
}

/// Rewrites a variant: its row, option values and prices.
pub(crate) async fn update_variant(conn: &mut Conn<'_>, v: &VariantRow) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE variants SET sku = $1, title = $2, weight_grams = $3, updated_at = $4 \
         WHERE id = $5",
        &v.sku,
        &v.title,
        v.weight_grams,
        v.updated_at,
        &v.id
    ))
    .await
    .map_err(unique_as_conflict)?;
    conn.execute(&sql!(
        "DELETE FROM variant_option_values WHERE variant_id = $1",
        &v.id
    ))
    .await?;
    conn.execute(&sql!(
        "DELETE FROM variant_prices WHERE variant_id = $1",
        &v.id
    ))
    .await?;
    insert_variant_children(conn, std::slice::from_ref(v)).await
}

pub(crate) async fn delete_variant(
    conn: &mut Conn<'_>,
    product_id: &str,
    variant_id: &str,
) -> Result<bool> {
    let deleted = conn
        .execute(&sql!(
            "DELETE FROM variants WHERE id = $1 AND product_id = $2",
            variant_id,
            product_id
        ))
        .await?;
    Ok(deleted > 0)
}

/// The product's variants by position, with option values and prices.
pub(crate) async fn load_variants(
    conn: &mut Conn<'_>,
    product_id: &str,
) -> Result<Vec<VariantRow>> {
    let mut variants: Vec<VariantRow> = conn
        .fetch_all(&sql!(
            "SELECT id, sku, title, weight_grams, position, created_at, updated_at \
             FROM variants WHERE product_id = $1 ORDER BY position, id",
            product_id
        ))
        .await?
        .iter()
        .map(|r| {
            Ok(VariantRow {
                id: r.get(0)?,
                product_id: product_id.to_owned(),
                sku: r.get(1)?,
                title: r.get(2)?,
                weight_grams: r.get(3)?,
                position: r.get(4)?,
                option_values: Vec::new(),
                prices: Vec::new(),
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
            })
        })
        .collect::<Result<_>>()?;
    let index: HashMap<String, usize> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.clone(), i))
        .collect();

    // In option order, so a variant's values line up with the product's options.
    let option_values = conn
        .fetch_all(&sql!(
            "SELECT ov.variant_id, ov.option_id, ov.value FROM variant_option_values ov \
             JOIN variants v ON v.id = ov.variant_id \
             JOIN product_options o ON o.id = ov.option_id WHERE v.product_id = $1 \
             ORDER BY o.position, o.id",
            product_id
        ))
        .await?;
    for row in option_values {
        let variant_id: String = row.get(0)?;
        if let Some(&i) = index.get(&variant_id) {
            variants[i].option_values.push((row.get(1)?, row.get(2)?));
        }
    }

    let prices = conn
        .fetch_all(&sql!(
            "SELECT vp.variant_id, vp.currency, vp.amount FROM variant_prices vp \
             JOIN variants v ON v.id = vp.variant_id WHERE v.product_id = $1",
            product_id
        ))
        .await?;
    for row in prices {
        let variant_id: String = row.get(0)?;
        if let Some(&i) = index.get(&variant_id) {
            let currency = parse_currency(&row.get::<String>(1)?)?;
            variants[i].prices.push(Price {
                currency,
                amount: row.get(2)?,
            });
        }
    }
    for variant in &mut variants {
        variant.prices.sort_by_key(|a| a.currency);
    }
    Ok(variants)
}

/// Which of `skus` are used by variants other than `except_variant`.
pub(crate) async fn skus_taken(
    conn: &mut Conn<'_>,
    skus: &[String],
    except_variant: Option<&str>,
) -> Result<Vec<String>> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT sku FROM variants WHERE sku IN (");
    sql.bind_list(skus).push(")");
    if let Some(id) = except_variant {
        sql.push(" AND id <> ").bind(id);
    }
    sql.transient();
    strings(conn, &sql).await
}

/// The position after the last variant or image of a product.
pub(crate) async fn next_position(
    conn: &mut Conn<'_>,
    table: PositionTable,
    product_id: &str,
) -> Result<i64> {
    let text = match table {
        PositionTable::Variants => {
            "SELECT COALESCE(MAX(position) + 1, 0) FROM variants WHERE product_id = $1"
        }
        PositionTable::Images => {
            "SELECT COALESCE(MAX(position) + 1, 0) FROM images WHERE product_id = $1"
        }
    };
    Ok(conn.fetch_scalar(&sql!(text, product_id)).await?)
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum PositionTable {
    Variants,
    Images,
}

/// Recomputes `product_prices` for these products from their variants' prices. Called in
/// the transaction of every change to variants or prices.
pub(crate) async fn refresh_prices(conn: &mut Conn<'_>, product_ids: &[String]) -> Result<()> {
    if product_ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("DELETE FROM product_prices WHERE product_id IN (");
    sql.bind_list(product_ids).push(")").transient();
    conn.execute(&sql).await?;
    let mut sql = Sql::new(
        "INSERT INTO product_prices (product_id, currency, min_amount, max_amount) \
         SELECT v.product_id, vp.currency, MIN(vp.amount), MAX(vp.amount) \
         FROM variant_prices vp JOIN variants v ON v.id = vp.variant_id \
         WHERE v.product_id IN (",
    );
    sql.bind_list(product_ids)
        .push(") GROUP BY v.product_id, vp.currency")
        .transient();
    conn.execute(&sql).await?;
    Ok(())
}

// ----- images -----

pub(crate) async fn insert_images(conn: &mut Conn<'_>, images: &[ImageRow]) -> Result<()> {
    let rows = images
        .iter()
        .map(|i| {
            vec![
                Arg::from(&i.id),
                Arg::from(&i.product_id),
                Arg::from(&i.url),
                Arg::from(&i.alt),
                Arg::from(i.position),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "images",
        &["id", "product_id", "url", "alt", "position"],
        rows,
    )
    .await
}

pub(crate) async fn load_images(conn: &mut Conn<'_>, product_id: &str) -> Result<Vec<ImageRow>> {
    image_rows(
        conn.fetch_all(&sql!(
            "SELECT id, product_id, url, alt, position FROM images WHERE product_id = $1 \
             ORDER BY position, id",
            product_id
        ))
        .await?,
    )
}

/// Rows of (id, product_id, url, alt, position).
pub(crate) fn image_rows(rows: Vec<Row>) -> Result<Vec<ImageRow>> {
    rows.iter()
        .map(|r| {
            Ok(ImageRow {
                id: r.get(0)?,
                product_id: r.get(1)?,
                url: r.get(2)?,
                alt: r.get(3)?,
                position: r.get(4)?,
            })
        })
        .collect()
}

pub(crate) async fn delete_image(
    conn: &mut Conn<'_>,
    product_id: &str,
    image_id: &str,
) -> Result<bool> {
    let deleted = conn
        .execute(&sql!(
            "DELETE FROM images WHERE id = $1 AND product_id = $2",
            image_id,
            product_id
        ))
        .await?;
    Ok(deleted > 0)
}

// ----- assembly -----

/// The whole product: options, variants, images and links, in a handful of queries
/// whatever the number of variants.
pub(crate) async fn load_full(conn: &mut Conn<'_>, row: ProductRow) -> Result<Product> {
    let options = load_options(conn, &row.id).await?;
    let variants = load_variants(conn, &row.id).await?;
    let images = load_images(conn, &row.id).await?;
    let (categories, collections) = links(conn, &row.id).await?;
    Ok(Product {
        variants: variants
            .into_iter()
            .map(|v| variant(v, &options))
            .collect::<Result<_>>()?,
        options: options
            .into_iter()
            .map(|o| {
                Ok(ProductOption {
                    id: OptionId::parse(&o.id).map_err(|_| corrupt("product_options.id", &o.id))?,
                    name: o.name,
                    values: o.values,
                    position: o.position,
                })
            })
            .collect::<Result<_>>()?,
        images: images
            .into_iter()
            .map(ImageRow::into_image)
            .collect::<Result<_>>()?,
        categories,
        collections,
        id: ProductId::parse(&row.id).map_err(|_| corrupt("products.id", &row.id))?,
        handle: row.handle,
        title: row.title,
        description: row.description,
        status: row.status,
        seo_title: row.seo_title,
        seo_description: row.seo_description,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A stored variant as the domain type: option values named and in option order. Ids
/// that do not parse are a corrupted row.
pub(crate) fn variant(v: VariantRow, options: &[OptionRow]) -> Result<Variant> {
    let mut named: Vec<(usize, OptionValue)> = v
        .option_values
        .into_iter()
        .filter_map(|(option_id, value)| {
            options.iter().position(|o| o.id == option_id).map(|i| {
                (
                    i,
                    OptionValue {
                        option: options[i].name.clone(),
                        value,
                    },
                )
            })
        })
        .collect();
    named.sort_by_key(|(i, _)| *i);
    Ok(Variant {
        id: VariantId::parse(&v.id).map_err(|_| corrupt("variants.id", &v.id))?,
        product_id: ProductId::parse(&v.product_id)
            .map_err(|_| corrupt("variants.product_id", &v.product_id))?,
        sku: v.sku,
        title: v.title,
        options: named.into_iter().map(|(_, o)| o).collect(),
        weight_grams: v.weight_grams,
        prices: v.prices,
        position: v.position,
        compare_at_prices: Vec::new(),
    })
}

// ----- narrow reads for other services -----

/// What a cart line snapshots of a variant of a published product, in one statement
/// (see [`crate::Catalog::variant_for_cart`]).
pub(crate) async fn variant_for_cart(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    currency: Currency,
) -> Result<Option<CartVariant>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT v.id, v.product_id, p.handle, p.title, v.title, v.sku, \
                    (SELECT vp.amount FROM variant_prices vp \
                      WHERE vp.variant_id = v.id AND vp.currency = $2), \
                    (SELECT i.url FROM images i WHERE i.product_id = p.id \
                      ORDER BY i.position, i.id LIMIT 1) \
             FROM variants v JOIN products p ON p.id = v.product_id \
             WHERE v.id = $1 AND p.status = 'published'",
            variant_id,
            currency.as_str()
        ))
        .await?;
    row.map(|r| {
        let (variant_id, product_id): (String, String) = (r.get(0)?, r.get(1)?);
        Ok(CartVariant {
            variant_id: VariantId::parse(&variant_id)
                .map_err(|_| corrupt("variants.id", &variant_id))?,
            product_id: ProductId::parse(&product_id)
                .map_err(|_| corrupt("variants.product_id", &product_id))?,
            product_handle: r.get(2)?,
            product_title: r.get(3)?,
            variant_title: r.get(4)?,
            sku: r.get(5)?,
            unit_price: r.get(6)?,
            image_url: r.get(7)?,
        })
    })
    .transpose()
}

/// The variant ids of a published product (by id or handle), in position order.
pub(crate) async fn published_variant_ids(
    conn: &mut Conn<'_>,
    id_or_handle: &str,
) -> Result<Vec<VariantId>> {
    variant_id_list(
        conn,
        &sql!(
            "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id \
             WHERE (p.id = $1 OR p.handle = $1) AND p.status = 'published' \
             ORDER BY v.position, v.id",
            id_or_handle
        ),
    )
    .await
}

/// Every variant id, oldest product first.
pub(crate) async fn variant_ids(conn: &mut Conn<'_>) -> Result<Vec<VariantId>> {
    variant_id_list(
        conn,
        &sql!("SELECT id FROM variants ORDER BY product_id, position, id"),
    )
    .await
}

/// Column 0 of every row, a variant id.
async fn variant_id_list(conn: &mut Conn<'_>, sql: &Sql<'_>) -> Result<Vec<VariantId>> {
    strings(conn, sql)
        .await?
        .into_iter()
        .map(|id| VariantId::parse(&id).map_err(|_| corrupt("variants.id", &id)))
        .collect()
}

// ----- bulk writes (imports) -----

/// Links (product id, category id) pairs.
pub(crate) async fn insert_category_links(
    conn: &mut Conn<'_>,
    links: &[(String, String)],
) -> Result<()> {
    let rows = links
        .iter()
        .map(|(p, c)| vec![Arg::from(p), Arg::from(c)])
        .collect();
    insert_rows(
        conn,
        "product_categories",
        &["product_id", "category_id"],
        rows,
    )
    .await
}

/// Writes `product_prices` rows computed by the caller, for products whose prices were
/// inserted in the same transaction (cheaper than [`refresh_prices`] for bulk loads).
pub(crate) async fn insert_price_ranges(
    conn: &mut Conn<'_>,
    ranges: &[(String, crate::PriceRange)],
) -> Result<()> {
    let rows = ranges
        .iter()
        .map(|(p, r)| {
            vec![
                Arg::from(p),
                Arg::from(r.currency.as_str()),
                Arg::from(r.min_amount),
                Arg::from(r.max_amount),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "product_prices",
        &["product_id", "currency", "min_amount", "max_amount"],
        rows,
    )
    .await
}
