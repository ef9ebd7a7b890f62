//! Products and what hangs off them: options, variants, prices, images, category and
//! collection links, and the denormalised `product_prices`.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::{insert_rows, parse_currency, parse_status, unique_as_conflict, Arg, Sql};
use crate::{
    Image, Link, OptionValue, Price, Product, ProductOption, ProductStatus, Result, Variant,
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
    pub fn into_image(self) -> Image {
        Image {
            id: self.id,
            url: self.url,
            alt: self.alt,
            position: self.position,
        }
    }
}

const PRODUCT_COLUMNS: &str =
    "id, handle, title, description, status, seo_title, seo_description, created_at, updated_at";

fn product_row(row: &sqlx::any::AnyRow) -> Result<ProductRow> {
    Ok(ProductRow {
        id: row.try_get("id")?,
        handle: row.try_get("handle")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: parse_status(&row.try_get::<String, _>("status")?)?,
        seo_title: row.try_get("seo_title")?,
        seo_description: row.try_get("seo_description")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A product row by id or by handle; drafts only when `include_drafts`.
pub(crate) async fn find(
    conn: &mut AnyConnection,
    id_or_handle: &str,
    by_id: bool,
    include_drafts: bool,
) -> Result<Option<ProductRow>> {
    let mut sql = Sql::new(&format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE "));
    sql.push(if by_id { "id = " } else { "handle = " })
        .bind(id_or_handle);
    if !include_drafts {
        sql.push(" AND status = 'published'");
    }
    let row = sql.query().fetch_optional(&mut *conn).await?;
    row.as_ref().map(product_row).transpose()
}

pub(crate) async fn insert(conn: &mut AnyConnection, rows: &[ProductRow]) -> Result<()> {
    let values = rows
        .iter()
        .map(|p| {
            vec![
                Arg::from(&p.id),
                Arg::from(&p.handle),
                Arg::from(&p.title),
                Arg::from(&p.description),
                Arg::from(p.status.as_str()),
                Arg::from(p.seo_title.clone()),
                Arg::from(p.seo_description.clone()),
                Arg::from(p.created_at),
                Arg::from(p.updated_at),
            ]
        })
        .collect();
    let columns: Vec<&str> = PRODUCT_COLUMNS.split(", ").collect();
    insert_rows(conn, "products", &columns, values).await
}

pub(crate) async fn update(conn: &mut AnyConnection, p: &ProductRow) -> Result<()> {
    let mut sql = Sql::new("UPDATE products SET handle = ");
    sql.bind(&p.handle)
        .push(", title = ")
        .bind(&p.title)
        .push(", description = ")
        .bind(&p.description)
        .push(", status = ")
        .bind(p.status.as_str())
        .push(", seo_title = ")
        .bind(p.seo_title.clone())
        .push(", seo_description = ")
        .bind(p.seo_description.clone())
        .push(", updated_at = ")
        .bind(p.updated_at)
        .push(" WHERE id = ")
        .bind(&p.id);
    sql.query()
        .execute(&mut *conn)
        .await
        .map_err(unique_as_conflict)?;
    Ok(())
}

/// Marks a product changed (a variant, price or image changed), for caches and ETags.
pub(crate) async fn touch(conn: &mut AnyConnection, product_id: &str, now: i64) -> Result<()> {
    let mut sql = Sql::new("UPDATE products SET updated_at = ");
    sql.bind(now).push(" WHERE id = ").bind(product_id);
    sql.query().execute(&mut *conn).await?;
    Ok(())
}

/// Deletes a product; its variants, prices, images and links go with it (ON DELETE CASCADE).
pub(crate) async fn delete(conn: &mut AnyConnection, product_id: &str) -> Result<bool> {
    let mut sql = Sql::new("DELETE FROM products WHERE id = ");
    sql.bind(product_id);
    Ok(sql.query().execute(&mut *conn).await?.rows_affected() > 0)
}

pub(crate) async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM products")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
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
    conn: &mut AnyConnection,
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
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE id IN ("));
    sql.bind_list(ids).push(")");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("id")?))
        .collect()
}

/// Makes the product's categories exactly `category_ids`.
pub(crate) async fn replace_categories(
    conn: &mut AnyConnection,
    product_id: &str,
    category_ids: &[String],
) -> Result<()> {
    let mut sql = Sql::new("DELETE FROM product_categories WHERE product_id = ");
    sql.bind(product_id);
    sql.query().execute(&mut *conn).await?;
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
    conn: &mut AnyConnection,
    product_id: &str,
    collection_ids: &[String],
) -> Result<()> {
    let mut sql = Sql::new("SELECT collection_id FROM collection_products WHERE product_id = ");
    sql.bind(product_id);
    let current: Vec<String> = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("collection_id"))
        .collect::<Result<_, _>>()?;
    for gone in current.iter().filter(|c| !collection_ids.contains(c)) {
        let mut sql = Sql::new("DELETE FROM collection_products WHERE product_id = ");
        sql.bind(product_id)
            .push(" AND collection_id = ")
            .bind(gone);
        sql.query().execute(&mut *conn).await?;
    }
    for added in collection_ids.iter().filter(|c| !current.contains(c)) {
        let mut sql = Sql::new(
            "INSERT INTO collection_products (collection_id, product_id, position) \
             SELECT ",
        );
        sql.bind(added)
            .push(", ")
            .bind(product_id)
            .push(
                ", COALESCE(MAX(position) + 1, 0) FROM collection_products WHERE collection_id = ",
            )
            .bind(added);
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Category links (name = category name) and collection links (name = collection
/// title), each sorted by name.
pub(crate) async fn links(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<(Vec<Link>, Vec<Link>)> {
    let mut sql = Sql::new(
        "SELECT c.id, c.handle, c.name FROM product_categories pc \
         JOIN categories c ON c.id = pc.category_id WHERE pc.product_id = ",
    );
    sql.bind(product_id);
    let mut categories = link_rows(sql.query().fetch_all(&mut *conn).await?)?;
    let mut sql = Sql::new(
        "SELECT c.id, c.handle, c.title AS name FROM collection_products cp \
         JOIN collections c ON c.id = cp.collection_id WHERE cp.product_id = ",
    );
    sql.bind(product_id);
    let mut collections = link_rows(sql.query().fetch_all(&mut *conn).await?)?;
    // Sorted here rather than in SQL so the order is byte-wise on both databases.
    categories.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    collections.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok((categories, collections))
}

fn link_rows(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<Link>> {
    rows.iter()
        .map(|r| {
            Ok(Link {
                id: r.try_get("id")?,
                handle: r.try_get("handle")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

// ----- options -----

pub(crate) async fn insert_options(conn: &mut AnyConnection, options: &[OptionRow]) -> Result<()> {
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
pub(crate) async fn load_options(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<Vec<OptionRow>> {
    let mut sql = Sql::new("SELECT id, name, position FROM product_options WHERE product_id = ");
    sql.bind(product_id).push(" ORDER BY position, id");
    let mut options: Vec<OptionRow> = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(OptionRow {
                id: r.try_get("id")?,
                product_id: product_id.to_owned(),
                name: r.try_get("name")?,
                position: r.try_get("position")?,
                values: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    let mut sql = Sql::new(
        "SELECT v.option_id, v.value FROM product_option_values v \
         JOIN product_options o ON o.id = v.option_id WHERE o.product_id = ",
    );
    sql.bind(product_id)
        .push(" ORDER BY v.option_id, v.position, v.value");
    for row in sql.query().fetch_all(&mut *conn).await? {
        let option_id: String = row.try_get("option_id")?;
        if let Some(option) = options.iter_mut().find(|o| o.id == option_id) {
            option.values.push(row.try_get("value")?);
        }
    }
    Ok(options)
}

// ----- variants -----

pub(crate) async fn insert_variants(
    conn: &mut AnyConnection,
    variants: &[VariantRow],
) -> Result<()> {
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

async fn insert_variant_children(conn: &mut AnyConnection, variants: &[VariantRow]) -> Result<()> {
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
pub(crate) async fn update_variant(conn: &mut AnyConnection, v: &VariantRow) -> Result<()> {
    let mut sql = Sql::new("UPDATE variants SET sku = ");
    sql.bind(&v.sku)
        .push(", title = ")
        .bind(&v.title)
        .push(", weight_grams = ")
        .bind(v.weight_grams)
        .push(", updated_at = ")
        .bind(v.updated_at)
        .push(" WHERE id = ")
        .bind(&v.id);
    sql.query()
        .execute(&mut *conn)
        .await
        .map_err(unique_as_conflict)?;
    for table in ["variant_option_values", "variant_prices"] {
        let mut sql = Sql::new(&format!("DELETE FROM {table} WHERE variant_id = "));
        sql.bind(&v.id);
        sql.query().execute(&mut *conn).await?;
    }
    insert_variant_children(conn, std::slice::from_ref(v)).await
}

pub(crate) async fn delete_variant(
    conn: &mut AnyConnection,
    product_id: &str,
    variant_id: &str,
) -> Result<bool> {
    let mut sql = Sql::new("DELETE FROM variants WHERE id = ");
    sql.bind(variant_id)
        .push(" AND product_id = ")
        .bind(product_id);
    Ok(sql.query().execute(&mut *conn).await?.rows_affected() > 0)
}

/// The product's variants by position, with option values and prices.
pub(crate) async fn load_variants(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<Vec<VariantRow>> {
    let mut sql = Sql::new(
        "SELECT id, sku, title, weight_grams, position, created_at, updated_at \
         FROM variants WHERE product_id = ",
    );
    sql.bind(product_id).push(" ORDER BY position, id");
    let mut variants: Vec<VariantRow> = sql
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(VariantRow {
                id: r.try_get("id")?,
                product_id: product_id.to_owned(),
                sku: r.try_get("sku")?,
                title: r.try_get("title")?,
                weight_grams: r.try_get("weight_grams")?,
                position: r.try_get("position")?,
                option_values: Vec::new(),
                prices: Vec::new(),
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<_>>()?;
    let index: HashMap<String, usize> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.clone(), i))
        .collect();

    let mut sql = Sql::new(
        "SELECT ov.variant_id, ov.option_id, ov.value FROM variant_option_values ov \
         JOIN variants v ON v.id = ov.variant_id \
         JOIN product_options o ON o.id = ov.option_id WHERE v.product_id = ",
    );
    // In option order, so a variant's values line up with the product's options.
    sql.bind(product_id).push(" ORDER BY o.position, o.id");
    for row in sql.query().fetch_all(&mut *conn).await? {
        let variant_id: String = row.try_get("variant_id")?;
        if let Some(&i) = index.get(&variant_id) {
            variants[i]
                .option_values
                .push((row.try_get("option_id")?, row.try_get("value")?));
        }
    }

    let mut sql = Sql::new(
        "SELECT vp.variant_id, vp.currency, vp.amount FROM variant_prices vp \
         JOIN variants v ON v.id = vp.variant_id WHERE v.product_id = ",
    );
    sql.bind(product_id);
    for row in sql.query().fetch_all(&mut *conn).await? {
        let variant_id: String = row.try_get("variant_id")?;
        if let Some(&i) = index.get(&variant_id) {
            let currency = parse_currency(&row.try_get::<String, _>("currency")?)?;
            variants[i].prices.push(Price {
                currency,
                amount: row.try_get("amount")?,
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
    conn: &mut AnyConnection,
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
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("sku")?))
        .collect()
}

/// The position after the last variant or image of a product.
pub(crate) async fn next_position(
    conn: &mut AnyConnection,
    table: PositionTable,
    product_id: &str,
) -> Result<i64> {
    let table = match table {
        PositionTable::Variants => "variants",
        PositionTable::Images => "images",
    };
    let mut sql = Sql::new(&format!(
        "SELECT COALESCE(MAX(position) + 1, 0) AS next FROM {table} WHERE product_id = "
    ));
    sql.bind(product_id);
    let row = sql.query().fetch_one(&mut *conn).await?;
    Ok(row.try_get("next")?)
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum PositionTable {
    Variants,
    Images,
}

/// Recomputes `product_prices` for these products from their variants' prices. Called in
/// the transaction of every change to variants or prices.
pub(crate) async fn refresh_prices(conn: &mut AnyConnection, product_ids: &[String]) -> Result<()> {
    if product_ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("DELETE FROM product_prices WHERE product_id IN (");
    sql.bind_list(product_ids).push(")");
    sql.query().persistent(false).execute(&mut *conn).await?;
    let mut sql = Sql::new(
        "INSERT INTO product_prices (product_id, currency, min_amount, max_amount) \
         SELECT v.product_id, vp.currency, MIN(vp.amount), MAX(vp.amount) \
         FROM variant_prices vp JOIN variants v ON v.id = vp.variant_id \
         WHERE v.product_id IN (",
    );
    sql.bind_list(product_ids)
        .push(") GROUP BY v.product_id, vp.currency");
    sql.query().persistent(false).execute(&mut *conn).await?;
    Ok(())
}

// ----- images -----

pub(crate) async fn insert_images(conn: &mut AnyConnection, images: &[ImageRow]) -> Result<()> {
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

pub(crate) async fn load_images(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<Vec<ImageRow>> {
    let mut sql =
        Sql::new("SELECT id, product_id, url, alt, position FROM images WHERE product_id = ");
    sql.bind(product_id).push(" ORDER BY position, id");
    image_rows(sql.query().fetch_all(&mut *conn).await?)
}

pub(crate) fn image_rows(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<ImageRow>> {
    rows.iter()
        .map(|r| {
            Ok(ImageRow {
                id: r.try_get("id")?,
                product_id: r.try_get("product_id")?,
                url: r.try_get("url")?,
                alt: r.try_get("alt")?,
                position: r.try_get("position")?,
            })
        })
        .collect()
}

pub(crate) async fn delete_image(
    conn: &mut AnyConnection,
    product_id: &str,
    image_id: &str,
) -> Result<bool> {
    let mut sql = Sql::new("DELETE FROM images WHERE id = ");
    sql.bind(image_id)
        .push(" AND product_id = ")
        .bind(product_id);
    Ok(sql.query().execute(&mut *conn).await?.rows_affected() > 0)
}

// ----- assembly -----

/// The whole product: options, variants, images and links, in a handful of queries
/// whatever the number of variants.
pub(crate) async fn load_full(conn: &mut AnyConnection, row: ProductRow) -> Result<Product> {
    let options = load_options(conn, &row.id).await?;
    let variants = load_variants(conn, &row.id).await?;
    let images = load_images(conn, &row.id).await?;
    let (categories, collections) = links(conn, &row.id).await?;
    Ok(Product {
        variants: variants.into_iter().map(|v| variant(v, &options)).collect(),
        options: options
            .into_iter()
            .map(|o| ProductOption {
                id: o.id,
                name: o.name,
                values: o.values,
                position: o.position,
            })
            .collect(),
        images: images.into_iter().map(ImageRow::into_image).collect(),
        categories,
        collections,
        id: row.id,
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

/// A stored variant as the domain type: option values named and in option order.
pub(crate) fn variant(v: VariantRow, options: &[OptionRow]) -> Variant {
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
    Variant {
        id: v.id,
        product_id: v.product_id,
        sku: v.sku,
        title: v.title,
        options: named.into_iter().map(|(_, o)| o).collect(),
        weight_grams: v.weight_grams,
        prices: v.prices,
        position: v.position,
    }
}

// ----- bulk writes (the demo seed) -----

/// Links (product id, category id) pairs.
pub(crate) async fn insert_category_links(
    conn: &mut AnyConnection,
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
    conn: &mut AnyConnection,
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
