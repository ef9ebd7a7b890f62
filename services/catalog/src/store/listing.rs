//! Product lists: one keyset query per page, then one query each for the page's
//! thumbnails, price ranges and variant counts (no query per product).

use std::collections::HashMap;

use emporium_kernel::db::Conn;

use super::{parse_currency, parse_status, product::image_rows, product::ImageRow, Sql};
use crate::{
    cursor::{Cursor, SortKey},
    PriceRange, ProductSort, ProductStatus, Result,
};

/// One page's worth of conditions, already validated.
#[derive(Debug)]
pub(crate) struct PageQuery<'a> {
    pub include_drafts: bool,
    /// Products in any of these categories.
    pub category_ids: Option<&'a [String]>,
    pub collection_id: Option<&'a str>,
    pub currency: &'a str,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub sort: ProductSort,
    pub after: Option<&'a Cursor>,
    /// Rows to fetch (the page size plus one, to learn whether another page follows).
    pub fetch: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct ListedRow {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub status: ProductStatus,
    pub created_at: i64,
    /// The lowest price in the filter's currency, for price sorts.
    pub min_price: Option<i64>,
}

pub(crate) async fn page(conn: &mut Conn<'_>, q: &PageQuery<'_>) -> Result<Vec<ListedRow>> {
    let by_price = matches!(q.sort, ProductSort::PriceAsc | ProductSort::PriceDesc)
        || q.price_min.is_some()
        || q.price_max.is_some();
    let mut sql = Sql::new("SELECT p.id, p.handle, p.title, p.status, p.created_at");
    if by_price {
        // The inner join leaves out products without a price in this currency.
        sql.push(", pp.min_amount AS min_price FROM products p JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = ")
            .bind(q.currency);
    } else {
        sql.push(" FROM products p");
    }
    sql.push(" WHERE 1 = 1");
    if !q.include_drafts {
        sql.push(" AND p.status = 'published'");
    }
    if let Some(ids) = q.category_ids {
        sql.push(" AND EXISTS (SELECT 1 FROM product_categories pc WHERE pc.product_id = p.id AND pc.category_id IN (")
            .bind_list(ids)
            .push("))")
            // The text grows with the category's subtree.
            .transient();
    }
    if let Some(id) = q.collection_id {
        sql.push(" AND EXISTS (SELECT 1 FROM collection_products cp WHERE cp.product_id = p.id AND cp.collection_id = ")
            .bind(id)
            .push(")");
    }
    if let Some(min) = q.price_min {
        sql.push(" AND pp.min_amount >= ").bind(min);
    }
    if let Some(max) = q.price_max {
        sql.push(" AND pp.min_amount <= ").bind(max);
    }
    // Row-value comparisons: one condition that both databases can answer from the
    // index of the sort.
    let (key_columns, op, order) = match q.sort {
        ProductSort::Newest => ("(p.created_at, p.id)", "<", "p.created_at DESC, p.id DESC"),
        ProductSort::PriceAsc => (
            "(pp.min_amount, pp.product_id)",
            ">",
            "pp.min_amount ASC, pp.product_id ASC",
        ),
        ProductSort::PriceDesc => (
            "(pp.min_amount, pp.product_id)",
            "<",
            "pp.min_amount DESC, pp.product_id DESC",
        ),
        ProductSort::Title => ("(p.title, p.id)", ">", "p.title ASC, p.id ASC"),
    };
    if let Some(after) = q.after {
        sql.push(&format!(" AND {key_columns} {op} ("));
        match &after.key {
            SortKey::Int(n) => sql.bind(*n),
            SortKey::Text(t) => sql.bind(t.as_str()),
        };
        sql.push(", ").bind(after.id.as_str()).push(")");
    }
    sql.push(&format!(" ORDER BY {order} LIMIT ")).bind(q.fetch);

    listed_rows(conn, &sql, by_price).await
}

/// Rows of `id, handle, title, status, created_at` and, `with_price`, the lowest price.
async fn listed_rows(
    conn: &mut Conn<'_>,
    sql: &Sql<'_>,
    with_price: bool,
) -> Result<Vec<ListedRow>> {
    conn.fetch_all(sql)
        .await?
        .iter()
        .map(|r| {
            Ok(ListedRow {
                id: r.get(0)?,
                handle: r.get(1)?,
                title: r.get(2)?,
                status: parse_status(&r.get::<String>(3)?)?,
                created_at: r.get(4)?,
                min_price: if with_price { Some(r.get(5)?) } else { None },
            })
        })
        .collect()
}

/// The published products among `ids`, in no particular order. The status is checked
/// here, not in SQL: with it in the WHERE clause SQLite walked the status index (every
/// published product) instead of looking the ids up by primary key.
pub(crate) async fn published_rows(conn: &mut Conn<'_>, ids: &[String]) -> Result<Vec<ListedRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        Sql::new("SELECT id, handle, title, status, created_at FROM products WHERE id IN (");
    sql.bind_list(ids).push(")").transient();
    let mut rows = listed_rows(conn, &sql, false).await?;
    rows.retain(|r| r.status == ProductStatus::Published);
    Ok(rows)
}

/// Ids of published products after `after`, in id order (for walking the catalog).
pub(crate) async fn published_ids_after(
    conn: &mut Conn<'_>,
    after: &str,
    limit: i64,
) -> Result<Vec<String>> {
    conn.fetch_all(&emporium_kernel::sql!(
        "SELECT id FROM products WHERE status = 'published' AND id > $1 ORDER BY id LIMIT $2",
        after,
        limit
    ))
    .await?
    .iter()
    .map(|r| Ok(r.get(0)?))
    .collect()
}

/// What a summary shows besides the product row, for a page of products.
#[derive(Debug, Default)]
pub(crate) struct PageExtras {
    pub thumbnails: HashMap<String, ImageRow>,
    /// Sorted by currency.
    pub prices: HashMap<String, Vec<PriceRange>>,
    pub variant_counts: HashMap<String, i64>,
}

pub(crate) async fn extras(conn: &mut Conn<'_>, ids: &[String]) -> Result<PageExtras> {
    let mut extras = PageExtras::default();
    if ids.is_empty() {
        return Ok(extras);
    }
    // Every image of the page's products, lowest position first: a few per product, so
    // this beats a per-product subquery.
    let mut sql =
        Sql::new("SELECT id, product_id, url, alt, position FROM images WHERE product_id IN (");
    sql.bind_list(ids)
        .push(") ORDER BY product_id, position, id")
        .transient();
    for image in image_rows(conn.fetch_all(&sql).await?)? {
        extras
            .thumbnails
            .entry(image.product_id.clone())
            .or_insert(image);
    }

    let mut sql =
        Sql::new("SELECT product_id, currency, min_amount, max_amount FROM product_prices WHERE product_id IN (");
    sql.bind_list(ids).push(")").transient();
    for row in conn.fetch_all(&sql).await? {
        let range = PriceRange {
            currency: parse_currency(&row.get::<String>(1)?)?,
            min_amount: row.get(2)?,
            max_amount: row.get(3)?,
        };
        extras.prices.entry(row.get(0)?).or_default().push(range);
    }
    for ranges in extras.prices.values_mut() {
        ranges.sort_by_key(|a| a.currency);
    }

    let mut sql = Sql::new("SELECT product_id, COUNT(*) FROM variants WHERE product_id IN (");
    sql.bind_list(ids).push(") GROUP BY product_id").transient();
    for row in conn.fetch_all(&sql).await? {
        extras.variant_counts.insert(row.get(0)?, row.get(1)?);
    }
    Ok(extras)
}
