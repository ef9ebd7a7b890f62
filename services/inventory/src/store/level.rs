//! `inventory_levels`: on hand and reserved per variant and location.

use emporium_kernel::{
    db::{
        sql::{insert_rows, MAX_PARAMS},
        Arg, Conn, Row, Sql,
    },
    id::VariantId,
    sql,
};

use super::corrupt;
use crate::{Result, StockLevel};

/// The columns `from_row` reads, in its order.
macro_rules! columns {
    () => {
        "variant_id, location_id, on_hand, reserved"
    };
}

fn from_row(r: &Row) -> Result<StockLevel> {
    let variant_id: String = r.get(0)?;
    let variant_id = VariantId::parse(&variant_id)
        .map_err(|_| corrupt("inventory_levels.variant_id", &variant_id))?;
    Ok(StockLevel::new(variant_id, r.get(1)?, r.get(2)?, r.get(3)?))
}

pub(crate) async fn find(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    location_id: &str,
) -> Result<Option<StockLevel>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!(
                "SELECT ",
                columns!(),
                " FROM inventory_levels WHERE variant_id = $1 AND location_id = $2"
            ),
            variant_id,
            location_id
        ))
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The stored levels among `variant_ids` (one statement per 249 ids).
pub(crate) async fn find_many(
    conn: &mut Conn<'_>,
    variant_ids: &[VariantId],
    location_id: &str,
) -> Result<Vec<StockLevel>> {
    let mut out = Vec::new();
    for chunk in variant_ids.chunks(MAX_PARAMS - 1) {
        let mut sql = sql!(
            concat!(
                "SELECT ",
                columns!(),
                " FROM inventory_levels WHERE location_id = $1 AND variant_id IN ("
            ),
            location_id
        );
        sql.bind_list(chunk).push(")").transient();
        for row in &conn.fetch_all(&sql).await? {
            out.push(from_row(row)?);
        }
    }
    Ok(out)
}

/// Inserts new levels with multi-row statements (the demo seed).
pub(crate) async fn insert_many(
    conn: &mut Conn<'_>,
    levels: &[StockLevel],
    now: i64,
) -> Result<()> {
    let rows = levels
        .iter()
        .map(|l| {
            vec![
                Arg::from(&l.variant_id),
                Arg::from(&l.location_id),
                Arg::from(l.on_hand),
                Arg::from(l.reserved),
                Arg::from(now),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "inventory_levels",
        &[
            "variant_id",
            "location_id",
            "on_hand",
            "reserved",
            "updated_at",
        ],
        rows,
    )
    .await?;
    Ok(())
}

/// Creates an empty level row unless one exists, and touches it either way: later
/// conditional UPDATEs always find their row, and on PostgreSQL the row stays locked
/// against other writers until the transaction ends.
pub(crate) async fn lock_or_create(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    location_id: &str,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO inventory_levels (variant_id, location_id, on_hand, reserved, updated_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (variant_id, location_id) \
         DO UPDATE SET updated_at = excluded.updated_at",
        variant_id,
        location_id,
        now
    ))
    .await?;
    Ok(())
}

/// Adds `delta` to on_hand unless the result would be negative or below what is
/// reserved; with `expected_on_hand`, only if on_hand still has that value (a compare
/// and set for `set_stock`). Returns the new level, or `None` when the row did not
/// qualify.
pub(crate) async fn add_on_hand(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    location_id: &str,
    delta: i64,
    expected_on_hand: Option<i64>,
    now: i64,
) -> Result<Option<StockLevel>> {
    let mut sql: Sql = sql!(
        "UPDATE inventory_levels SET on_hand = on_hand + $1, updated_at = $2 \
         WHERE variant_id = $3 AND location_id = $4 \
         AND on_hand + $1 >= reserved AND on_hand + $1 >= 0",
        delta,
        now,
        variant_id,
        location_id
    );
    if let Some(expected) = expected_on_hand {
        sql.push(" AND on_hand = ").bind(expected);
    }
    sql.push(concat!(" RETURNING ", columns!()));
    let row = conn.fetch_optional(&sql).await?;
    row.as_ref().map(from_row).transpose()
}

/// Gives back `quantity` reserved units; false if fewer are reserved (corrupt state).
pub(crate) async fn unreserve_units(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    location_id: &str,
    quantity: i64,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE inventory_levels SET reserved = reserved - $1, updated_at = $2 \
             WHERE variant_id = $3 AND location_id = $4 AND reserved >= $1",
            quantity,
            now,
            variant_id,
            location_id
        ))
        .await?;
    Ok(changed == 1)
}

/// Sells `quantity` reserved units: on_hand and reserved both go down. Returns the new
/// on_hand, or `None` if fewer are reserved (corrupt state).
pub(crate) async fn sell_reserved(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    location_id: &str,
    quantity: i64,
    now: i64,
) -> Result<Option<i64>> {
    let row = conn
        .fetch_optional(&sql!(
            "UPDATE inventory_levels SET on_hand = on_hand - $1, reserved = reserved - $1, \
             updated_at = $2 WHERE variant_id = $3 AND location_id = $4 AND reserved >= $1 \
             RETURNING on_hand",
            quantity,
            now,
            variant_id,
            location_id
        ))
        .await?;
    Ok(row.map(|r| r.get(0)).transpose()?)
}

/// Sells `quantity` unreserved units if that many are available (a late commit of a
/// lapsed reservation). Returns the new on_hand, or `None` when not enough is available.
pub(crate) async fn sell_available(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    location_id: &str,
    quantity: i64,
    now: i64,
) -> Result<Option<i64>> {
    let row = conn
        .fetch_optional(&sql!(
            "UPDATE inventory_levels SET on_hand = on_hand - $1, updated_at = $2 \
             WHERE variant_id = $3 AND location_id = $4 AND on_hand - reserved >= $1 \
             RETURNING on_hand",
            quantity,
            now,
            variant_id,
            location_id
        ))
        .await?;
    Ok(row.map(|r| r.get(0)).transpose()?)
}
