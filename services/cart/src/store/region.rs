//! Regions and their shipping options.

use std::sync::LazyLock;

use emporium_kernel::{
    db::{Conn, Row},
    sql,
};

use super::{corrupt, parse_currency};
use crate::{CountryTaxRate, Region, Result};

const REGION_COLUMNS: &str = "id, name, currency, tax_rate_bp, tax_inclusive, countries, tax_rates";

/// A [`Region`] from a row whose columns are [`REGION_COLUMNS`].
fn region_from_row(r: &Row) -> Result<Region> {
    let currency: String = r.get(2)?;
    let countries: String = r.get(5)?;
    let rates: String = r.get(6)?;
    let tax_rates = rates
        .split_whitespace()
        .map(|pair| {
            let (country, rate) = pair
                .split_once(':')
                .ok_or_else(|| corrupt("tax_rates", &rates))?;
            Ok(CountryTaxRate {
                country: country.to_owned(),
                rate_bp: rate.parse().map_err(|_| corrupt("tax_rates", &rates))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Region {
        id: r.get(0)?,
        name: r.get(1)?,
        currency: parse_currency(&currency)?,
        tax_rate_bp: r.get(3)?,
        tax_inclusive: r.get(4)?,
        countries: countries.split_whitespace().map(str::to_owned).collect(),
        tax_rates,
    })
}

static ALL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {REGION_COLUMNS} FROM regions ORDER BY name, id"));

/// All regions by name.
pub(crate) async fn all(conn: &mut Conn<'_>) -> Result<Vec<Region>> {
    let rows = conn.fetch_all(&sql!(&*ALL)).await?;
    rows.iter().map(region_from_row).collect()
}

static FIND: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {REGION_COLUMNS} FROM regions WHERE id = $1"));

pub(crate) async fn find(conn: &mut Conn<'_>, id: &str) -> Result<Option<Region>> {
    let row = conn.fetch_optional(&sql!(&*FIND, id)).await?;
    row.as_ref().map(region_from_row).transpose()
}

static BY_CURRENCY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {REGION_COLUMNS} FROM regions WHERE currency = $1 ORDER BY created_at, id LIMIT 1"
    )
});

/// The first region (by creation, then id) that sells in `currency`.
pub(crate) async fn by_currency(conn: &mut Conn<'_>, currency: &str) -> Result<Option<Region>> {
    let row = conn.fetch_optional(&sql!(&*BY_CURRENCY, currency)).await?;
    row.as_ref().map(region_from_row).transpose()
}

/// Inserts a region unless one with its id exists (seeding is idempotent and never
/// overwrites what a merchant changed).
/// Whether the shop has any region (seeded or the merchant's).
pub(crate) async fn any(conn: &mut Conn<'_>) -> Result<bool> {
    let found = conn
        .fetch_optional(&sql!("SELECT id FROM regions LIMIT 1"))
        .await?;
    Ok(found.is_some())
}

pub(crate) async fn insert_if_absent(conn: &mut Conn<'_>, region: &Region, now: i64) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO regions (id, name, currency, tax_rate_bp, tax_inclusive, countries, \
           tax_rates, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
        &region.id,
        &region.name,
        region.currency.as_str(),
        region.tax_rate_bp,
        region.tax_inclusive,
        region.countries.join(" "),
        region
            .tax_rates
            .iter()
            .map(|r| format!("{}:{}", r.country, r.rate_bp))
            .collect::<Vec<_>>()
            .join(" "),
        now
    ))
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

const OPTION_COLUMNS: &str = "id, region_id, name, amount, free_above, position";

/// A [`ShippingOptionRow`] from a row whose columns are [`OPTION_COLUMNS`].
fn option_from_row(r: &Row) -> Result<ShippingOptionRow> {
    Ok(ShippingOptionRow {
        id: r.get(0)?,
        region_id: r.get(1)?,
        name: r.get(2)?,
        amount: r.get(3)?,
        free_above: r.get(4)?,
        position: r.get(5)?,
    })
}

static OPTIONS_OF_REGION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {OPTION_COLUMNS} FROM shipping_options WHERE region_id = $1 ORDER BY position, id"
    )
});

/// The region's shipping options in display order.
pub(crate) async fn shipping_options(
    conn: &mut Conn<'_>,
    region_id: &str,
) -> Result<Vec<ShippingOptionRow>> {
    let rows = conn
        .fetch_all(&sql!(&*OPTIONS_OF_REGION, region_id))
        .await?;
    rows.iter().map(option_from_row).collect()
}

static OPTION: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {OPTION_COLUMNS} FROM shipping_options WHERE id = $1"));

pub(crate) async fn shipping_option(
    conn: &mut Conn<'_>,
    id: &str,
) -> Result<Option<ShippingOptionRow>> {
    let row = conn.fetch_optional(&sql!(&*OPTION, id)).await?;
    row.as_ref().map(option_from_row).transpose()
}

pub(crate) async fn insert_option_if_absent(
    conn: &mut Conn<'_>,
    option: &ShippingOptionRow,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO shipping_options (id, region_id, name, amount, free_above, position, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        &option.id,
        &option.region_id,
        &option.name,
        option.amount,
        option.free_above,
        option.position,
        now
    ))
    .await?;
    Ok(())
}
