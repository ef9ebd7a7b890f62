//! Regions and their shipping options.

use sqlx::{any::AnyRow, AnyConnection, Row};

use super::parse_currency;
use crate::{Region, Result};

const REGION_COLUMNS: &str = "id, name, currency, tax_rate_bp, tax_inclusive, countries";

fn region_from_row(r: &AnyRow) -> Result<Region> {
    let currency: String = r.try_get("currency")?;
    let countries: String = r.try_get("countries")?;
    Ok(Region {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        currency: parse_currency(&currency)?,
        tax_rate_bp: r.try_get("tax_rate_bp")?,
        tax_inclusive: r.try_get::<i64, _>("tax_inclusive")? != 0,
        countries: countries.split_whitespace().map(str::to_owned).collect(),
    })
}

/// All regions by name.
pub(crate) async fn all(conn: &mut AnyConnection) -> Result<Vec<Region>> {
    let rows = sqlx::query(&format!(
        "SELECT {REGION_COLUMNS} FROM regions ORDER BY name, id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(region_from_row).collect()
}

pub(crate) async fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Region>> {
    let row = sqlx::query(&format!(
        "SELECT {REGION_COLUMNS} FROM regions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(region_from_row).transpose()
}

/// The first region (by creation, then id) that sells in `currency`.
pub(crate) async fn by_currency(
    conn: &mut AnyConnection,
    currency: &str,
) -> Result<Option<Region>> {
    let row = sqlx::query(&format!(
        "SELECT {REGION_COLUMNS} FROM regions WHERE currency = $1 ORDER BY created_at, id LIMIT 1"
    ))
    .bind(currency)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(region_from_row).transpose()
}

/// Inserts a region unless one with its id exists (seeding is idempotent and never
/// overwrites what a merchant changed).
pub(crate) async fn insert_if_absent(
    conn: &mut AnyConnection,
    region: &Region,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO regions (id, name, currency, tax_rate_bp, tax_inclusive, countries, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&region.id)
    .bind(&region.name)
    .bind(region.currency.as_str())
    .bind(region.tax_rate_bp)
    .bind(i64::from(region.tax_inclusive))
    .bind(region.countries.join(" "))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A shipping option as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShippingOptionRow {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub amount: i64,
    pub free_above: Option<i64>,
    pub position: i64,
}

fn option_from_row(r: &AnyRow) -> Result<ShippingOptionRow> {
    Ok(ShippingOptionRow {
        id: r.try_get("id")?,
        region_id: r.try_get("region_id")?,
        name: r.try_get("name")?,
        amount: r.try_get("amount")?,
        free_above: r.try_get("free_above")?,
        position: r.try_get("position")?,
    })
}

const OPTION_COLUMNS: &str = "id, region_id, name, amount, free_above, position";

/// The region's shipping options in display order.
pub(crate) async fn shipping_options(
    conn: &mut AnyConnection,
    region_id: &str,
) -> Result<Vec<ShippingOptionRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {OPTION_COLUMNS} FROM shipping_options WHERE region_id = $1 ORDER BY position, id"
    ))
    .bind(region_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(option_from_row).collect()
}

pub(crate) async fn shipping_option(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<ShippingOptionRow>> {
    let row = sqlx::query(&format!(
        "SELECT {OPTION_COLUMNS} FROM shipping_options WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(option_from_row).transpose()
}

pub(crate) async fn insert_option_if_absent(
    conn: &mut AnyConnection,
    option: &ShippingOptionRow,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO shipping_options (id, region_id, name, amount, free_above, position, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&option.id)
    .bind(&option.region_id)
    .bind(&option.name)
    .bind(option.amount)
    .bind(option.free_above)
    .bind(option.position)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
