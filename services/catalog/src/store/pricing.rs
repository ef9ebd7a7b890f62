//! Price lists and their prices, and the narrow read that price resolution needs.

use std::collections::{HashMap, HashSet};

use emporium_kernel::{
    db::{sql::MAX_PARAMS, Conn, Row},
    id::VariantId,
    money::Currency,
    sql,
};

use super::{corrupt, insert_rows, parse_currency, Arg, Sql};
use crate::{
    pricing::{Candidate, ListPrice, PriceList, PriceListId},
    Result,
};

/// The `price_lists` row itself.
#[derive(Debug, Clone)]
pub(crate) struct PriceListRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub customer_group_id: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const LIST_COLUMNS: &str =
    "id, name, description, customer_group_id, starts_at, ends_at, created_at, updated_at";

/// A row whose columns are [`LIST_COLUMNS`].
fn list_row(row: &Row) -> Result<PriceListRow> {
    Ok(PriceListRow {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        customer_group_id: row.get(3)?,
        starts_at: row.get(4)?,
        ends_at: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

pub(crate) async fn find_row(conn: &mut Conn<'_>, id: &str) -> Result<Option<PriceListRow>> {
    conn.fetch_optional(&sql!(
        "SELECT id, name, description, customer_group_id, starts_at, ends_at, created_at, \
         updated_at FROM price_lists WHERE id = $1",
        id
    ))
    .await?
    .as_ref()
    .map(list_row)
    .transpose()
}

pub(crate) async fn insert(conn: &mut Conn<'_>, row: &PriceListRow) -> Result<()> {
    let values = vec![vec![
        Arg::from(&row.id),
        Arg::from(&row.name),
        Arg::from(&row.description),
        Arg::from(&row.customer_group_id),
        Arg::from(row.starts_at),
        Arg::from(row.ends_at),
        Arg::from(row.created_at),
        Arg::from(row.updated_at),
    ]];
    let columns: Vec<&str> = LIST_COLUMNS.split(", ").collect();
    insert_rows(conn, "price_lists", &columns, values).await
}

pub(crate) async fn update(conn: &mut Conn<'_>, row: &PriceListRow) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE price_lists SET name = $1, description = $2, customer_group_id = $3, \
         starts_at = $4, ends_at = $5, updated_at = $6 WHERE id = $7",
        &row.name,
        &row.description,
        &row.customer_group_id,
        row.starts_at,
        row.ends_at,
        row.updated_at,
        &row.id
    ))
    .await?;
    Ok(())
}

/// Deletes a price list; its prices go with it (ON DELETE CASCADE).
pub(crate) async fn delete(conn: &mut Conn<'_>, id: &str) -> Result<bool> {
    let deleted = conn
        .execute(&sql!("DELETE FROM price_lists WHERE id = $1", id))
        .await?;
    Ok(deleted > 0)
}

/// Makes the list's prices exactly `prices`.
pub(crate) async fn replace_prices(
    conn: &mut Conn<'_>,
    list_id: &str,
    prices: &[ListPrice],
) -> Result<()> {
    conn.execute(&sql!(
        "DELETE FROM price_list_prices WHERE price_list_id = $1",
        list_id
    ))
    .await?;
    let rows = prices
        .iter()
        .map(|p| {
            vec![
                Arg::from(list_id),
                Arg::from(p.variant_id.as_str()),
                Arg::from(p.currency.as_str()),
                Arg::from(p.amount),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "price_list_prices",
        &["price_list_id", "variant_id", "currency", "amount"],
        rows,
    )
    .await
}

/// Which of `ids` name a variant. In statements of at most [`MAX_PARAMS`] ids: a list
/// may price thousands of variants.
pub(crate) async fn existing_variants(
    conn: &mut Conn<'_>,
    ids: &[&str],
) -> Result<HashSet<String>> {
    let mut found = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        let mut sql = Sql::new("SELECT id FROM variants WHERE id IN (");
        sql.bind_list(chunk.iter().copied()).push(")").transient();
        for row in conn.fetch_all(&sql).await? {
            found.insert(row.get::<String>(0)?);
        }
    }
    Ok(found)
}

/// Every price list (or the one with id `only`), newest first, each with its prices
/// sorted by variant id then currency. Two statements whatever the number of lists.
pub(crate) async fn load(conn: &mut Conn<'_>, only: Option<&str>) -> Result<Vec<PriceList>> {
    let mut sql = Sql::new(format!("SELECT {LIST_COLUMNS} FROM price_lists"));
    if let Some(id) = only {
        sql.push(" WHERE id = ").bind(id);
    }
    sql.push(" ORDER BY created_at DESC, id DESC");
    let rows = conn
        .fetch_all(&sql)
        .await?
        .iter()
        .map(list_row)
        .collect::<Result<Vec<_>>>()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }

    let mut sql =
        Sql::new("SELECT price_list_id, variant_id, currency, amount FROM price_list_prices");
    if let Some(id) = only {
        sql.push(" WHERE price_list_id = ").bind(id);
    }
    let mut prices: HashMap<String, Vec<ListPrice>> = HashMap::new();
    for row in conn.fetch_all(&sql).await? {
        let (list_id, variant_id): (String, String) = (row.get(0)?, row.get(1)?);
        prices.entry(list_id).or_default().push(ListPrice {
            variant_id: VariantId::parse(&variant_id)
                .map_err(|_| corrupt("price_list_prices.variant_id", &variant_id))?,
            currency: parse_currency(&row.get::<String>(2)?)?,
            amount: row.get(3)?,
        });
    }

    rows.into_iter()
        .map(|row| {
            let mut list_prices = prices.remove(&row.id).unwrap_or_default();
            // Sorted here rather than in SQL so the order is byte-wise on both databases.
            list_prices.sort_by(|a, b| {
                (a.variant_id.as_str(), a.currency).cmp(&(b.variant_id.as_str(), b.currency))
            });
            Ok(PriceList {
                id: PriceListId::parse(&row.id).map_err(|_| corrupt("price_lists.id", &row.id))?,
                name: row.name,
                description: row.description,
                customer_group_id: row.customer_group_id,
                starts_at: row.starts_at,
                ends_at: row.ends_at,
                prices: list_prices,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}

/// Every list price of these variants in these currencies, with the audience and window
/// of its list, whether or not it applies now: [`crate::pricing`] picks. One statement
/// per [`MAX_PARAMS`] variants (a cart or a product page needs one).
pub(crate) async fn candidates(
    conn: &mut Conn<'_>,
    variant_ids: &[VariantId],
    currencies: &[Currency],
) -> Result<Vec<(VariantId, Currency, Candidate)>> {
    let mut out = Vec::new();
    if variant_ids.is_empty() || currencies.is_empty() {
        return Ok(out);
    }
    let per_statement = MAX_PARAMS.saturating_sub(currencies.len()).max(1);
    for chunk in variant_ids.chunks(per_statement) {
        let mut sql = Sql::new(
            "SELECT p.variant_id, p.currency, p.amount, l.customer_group_id, l.starts_at, \
             l.ends_at FROM price_list_prices p \
             JOIN price_lists l ON l.id = p.price_list_id WHERE p.variant_id IN (",
        );
        sql.bind_list(chunk.iter().map(VariantId::as_str))
            .push(") AND p.currency IN (")
            .bind_list(currencies.iter().map(Currency::as_str))
            .push(")")
            .transient();
        for row in conn.fetch_all(&sql).await? {
            let variant_id: String = row.get(0)?;
            out.push((
                VariantId::parse(&variant_id)
                    .map_err(|_| corrupt("price_list_prices.variant_id", &variant_id))?,
                parse_currency(&row.get::<String>(1)?)?,
                Candidate {
                    amount: row.get(2)?,
                    customer_group_id: row.get(3)?,
                    starts_at: row.get(4)?,
                    ends_at: row.get(5)?,
                },
            ));
        }
    }
    Ok(out)
}
