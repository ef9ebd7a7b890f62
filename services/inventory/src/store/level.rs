//! `inventory_levels`: on hand and reserved per variant and location.

use sqlx::{AnyConnection, Row};

use super::{Sql, MAX_PARAMS};
use crate::{Result, StockLevel};

const COLUMNS: &str = "variant_id, location_id, on_hand, reserved";

fn from_row(r: &sqlx::any::AnyRow) -> Result<StockLevel> {
    Ok(StockLevel::new(
        r.try_get("variant_id")?,
        r.try_get("location_id")?,
        r.try_get("on_hand")?,
        r.try_get("reserved")?,
    ))
}

pub(crate) async fn find(
    conn: &mut AnyConnection,
    variant_id: &str,
    location_id: &str,
) -> Result<Option<StockLevel>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM inventory_levels WHERE variant_id = "
    ));
    sql.bind(variant_id)
        .push(" AND location_id = ")
        .bind(location_id);
    let row = sql.query().fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// [`find`] on the calling thread (SQLite; see `emporium_kernel::db::lite`).
pub(crate) fn find_lite(
    conn: &emporium_kernel::db::lite::rusqlite::Connection,
    variant_id: &str,
    location_id: &str,
) -> Result<Option<StockLevel>> {
    use emporium_kernel::db::lite::rusqlite::named_params;
    let mut statement = conn.prepare_cached(
        "SELECT variant_id, location_id, on_hand, reserved FROM inventory_levels \
         WHERE variant_id = $1 AND location_id = $2",
    )?;
    let mut rows = statement.query(named_params! {"$1": variant_id, "$2": location_id})?;
    Ok(match rows.next()? {
        Some(r) => Some(StockLevel::new(
            r.get("variant_id")?,
            r.get("location_id")?,
            r.get("on_hand")?,
            r.get("reserved")?,
        )),
        None => None,
    })
}

/// The stored levels among `variant_ids` (one statement per 249 ids).
pub(crate) async fn find_many(
    conn: &mut AnyConnection,
    variant_ids: &[String],
    location_id: &str,
) -> Result<Vec<StockLevel>> {
    let mut out = Vec::new();
    for chunk in variant_ids.chunks(MAX_PARAMS - 1) {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM inventory_levels WHERE location_id = "
        ));
        sql.bind(location_id)
            .push(" AND variant_id IN (")
            .bind_list(chunk)
            .push(")");
        let rows = sql.query().persistent(false).fetch_all(&mut *conn).await?;
        for row in &rows {
            out.push(from_row(row)?);
        }
    }
    Ok(out)
}

/// Creates an empty level row unless one exists, and touches it either way: later
/// conditional UPDATEs always find their row, and on PostgreSQL the row stays locked
/// against other writers until the transaction ends.
pub(crate) async fn lock_or_create(
    conn: &mut AnyConnection,
    variant_id: &str,
    location_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inventory_levels (variant_id, location_id, on_hand, reserved, updated_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (variant_id, location_id) \
         DO UPDATE SET updated_at = excluded.updated_at",
    )
    .bind(variant_id)
    .bind(location_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds `delta` to on_hand unless the result would be negative or below what is
/// reserved; with `expected_on_hand`, only if on_hand still has that value (a compare
/// and set for `set_stock`). Returns the new level, or `None` when the row did not
/// qualify.
pub(crate) async fn add_on_hand(
    conn: &mut AnyConnection,
    variant_id: &str,
    location_id: &str,
    delta: i64,
    expected_on_hand: Option<i64>,
    now: i64,
) -> Result<Option<StockLevel>> {
    let mut sql = Sql::new("UPDATE inventory_levels SET on_hand = on_hand + ");
    sql.bind(delta)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE variant_id = ")
        .bind(variant_id)
        .push(" AND location_id = ")
        .bind(location_id)
        .push(" AND on_hand + ")
        .bind(delta)
        .push(" >= reserved AND on_hand + ")
        .bind(delta)
        .push(" >= 0");
    if let Some(expected) = expected_on_hand {
        sql.push(" AND on_hand = ").bind(expected);
    }
    sql.push(&format!(" RETURNING {COLUMNS}"));
    let row = sql.query().fetch_optional(&mut *conn).await?;
    row.as_ref().map(from_row).transpose()
}

/// Gives back `quantity` reserved units; false if fewer are reserved (corrupt state).
pub(crate) async fn unreserve_units(
    conn: &mut AnyConnection,
    variant_id: &str,
    location_id: &str,
    quantity: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inventory_levels SET reserved = reserved - $1, updated_at = $2 \
         WHERE variant_id = $3 AND location_id = $4 AND reserved >= $5",
    )
    .bind(quantity)
    .bind(now)
    .bind(variant_id)
    .bind(location_id)
    .bind(quantity)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sells `quantity` reserved units: on_hand and reserved both go down. Returns the new
/// on_hand, or `None` if fewer are reserved (corrupt state).
pub(crate) async fn sell_reserved(
    conn: &mut AnyConnection,
    variant_id: &str,
    location_id: &str,
    quantity: i64,
    now: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "UPDATE inventory_levels SET on_hand = on_hand - $1, reserved = reserved - $2, \
         updated_at = $3 WHERE variant_id = $4 AND location_id = $5 AND reserved >= $6 \
         RETURNING on_hand",
    )
    .bind(quantity)
    .bind(quantity)
    .bind(now)
    .bind(variant_id)
    .bind(location_id)
    .bind(quantity)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("on_hand")).transpose()?)
}

/// Sells `quantity` unreserved units if that many are available (a late commit of a
/// lapsed reservation). Returns the new on_hand, or `None` when not enough is available.
pub(crate) async fn sell_available(
    conn: &mut AnyConnection,
    variant_id: &str,
    location_id: &str,
    quantity: i64,
    now: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "UPDATE inventory_levels SET on_hand = on_hand - $1, updated_at = $2 \
         WHERE variant_id = $3 AND location_id = $4 AND on_hand - reserved >= $5 \
         RETURNING on_hand",
    )
    .bind(quantity)
    .bind(now)
    .bind(variant_id)
    .bind(location_id)
    .bind(quantity)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("on_hand")).transpose()?)
}
