//! `reservations` and `reservation_lines`.

use emporium_kernel::{
    db::{sql::insert_rows, Arg, Conn, DbError, Row, Sql},
    id::{OrderId, ReservationId, VariantId},
    sql,
};

use super::corrupt;
use crate::{InventoryError, Reservation, ReservationStatus, ReserveLine, Result};

/// Places a new reservation in one change: unless a live one for its reference exists
/// (then its id comes back and nothing is written), inserts it and its lines and holds
/// each line's units with one conditional UPDATE. A line short of stock ends the change
/// with `OutOfStock` (and what is available, read in the same change), which rolls back
/// the lines held before it. A unique violation (a concurrent call's reservation for the
/// reference, PostgreSQL) comes back as the database error.
pub(crate) async fn place(conn: &mut Conn<'_>, r: &Reservation) -> Result<Option<String>> {
    let live = conn
        .fetch_optional(&sql!(
            "SELECT id FROM reservations WHERE status IN ('active', 'committed') \
             AND reference = $1",
            &r.reference
        ))
        .await?;
    if let Some(row) = live {
        return Ok(Some(row.text(0)?));
    }
    conn.execute(&sql!(
        "INSERT INTO reservations \
           (id, reference, location_id, status, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &r.id,
        &r.reference,
        &r.location_id,
        r.status.as_str(),
        r.expires_at,
        r.created_at,
        r.updated_at
    ))
    .await?;
    for line in &r.lines {
        // The one statement that decides whether an order gets its stock.
        let held = conn
            .execute(&sql!(
                "UPDATE inventory_levels SET reserved = reserved + $1, updated_at = $2 \
                 WHERE variant_id = $3 AND location_id = $4 AND on_hand - reserved >= $1",
                line.quantity,
                r.created_at,
                &line.variant_id,
                &r.location_id
            ))
            .await?;
        if held != 1 {
            let available = conn
                .fetch_optional(&sql!(
                    "SELECT on_hand - reserved FROM inventory_levels \
                     WHERE variant_id = $1 AND location_id = $2",
                    &line.variant_id,
                    &r.location_id
                ))
                .await?
                .map(|row| row.int(0))
                .transpose()?
                .unwrap_or(0);
            return Err(InventoryError::OutOfStock {
                variant_id: line.variant_id.clone(),
                requested: line.quantity,
                available: available.max(0),
            });
        }
    }
    let lines = r
        .lines
        .iter()
        .map(|line| {
            vec![
                Arg::from(&r.id),
                Arg::from(&line.variant_id),
                Arg::from(&r.location_id),
                Arg::from(line.quantity),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "reservation_lines",
        &["reservation_id", "variant_id", "location_id", "quantity"],
        lines,
    )
    .await?;
    Ok(None)
}

/// The columns `from_row` reads, in its order.
macro_rules! columns {
    () => {
        "id, reference, location_id, status, expires_at, created_at, updated_at"
    };
}

/// The reservation in `row` (its `columns!()`), with its lines.
async fn from_row(conn: &mut Conn<'_>, row: &Row) -> Result<Reservation> {
    let id: String = row.get(0)?;
    let id = ReservationId::parse(&id).map_err(|_| corrupt("reservations.id", &id))?;
    let reference: String = row.get(1)?;
    let reference =
        OrderId::parse(&reference).map_err(|_| corrupt("reservations.reference", &reference))?;
    let status: String = row.get(3)?;
    let status = ReservationStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?;
    let mut lines = conn
        .fetch_all(&sql!(
            "SELECT variant_id, quantity FROM reservation_lines WHERE reservation_id = $1",
            &id
        ))
        .await?
        .iter()
        .map(|l| {
            let variant_id: String = l.get(0)?;
            Ok(ReserveLine {
                variant_id: VariantId::parse(&variant_id)
                    .map_err(|_| corrupt("reservation_lines.variant_id", &variant_id))?,
                quantity: l.get(1)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Byte order, as `reserve` merged them (PostgreSQL's collation may order differently).
    lines.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    Ok(Reservation {
        id,
        reference,
        location_id: row.get(2)?,
        status,
        lines,
        expires_at: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

/// The reservation `sql` selects (its `columns!()`), if any.
async fn fetch(conn: &mut Conn<'_>, sql: &Sql<'_>) -> Result<Option<Reservation>> {
    match conn.fetch_optional(sql).await? {
        Some(row) => Ok(Some(from_row(conn, &row).await?)),
        None => Ok(None),
    }
}

pub(crate) async fn find(conn: &mut Conn<'_>, id: &ReservationId) -> Result<Option<Reservation>> {
    let sql = sql!(
        concat!("SELECT ", columns!(), " FROM reservations WHERE id = $1"),
        id
    );
    fetch(conn, &sql).await
}

/// The active or committed reservation for `reference`, if any (at most one exists).
pub(crate) async fn find_live(
    conn: &mut Conn<'_>,
    reference: &OrderId,
) -> Result<Option<Reservation>> {
    let sql = sql!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM reservations WHERE status IN ('active', 'committed') AND reference = $1"
        ),
        reference
    );
    fetch(conn, &sql).await
}

/// The reservation that speaks for `reference`: the live one, else the newest.
pub(crate) async fn find_for_reference(
    conn: &mut Conn<'_>,
    reference: &OrderId,
) -> Result<Option<Reservation>> {
    let sql = sql!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM reservations WHERE reference = $1 \
             ORDER BY CASE WHEN status IN ('active', 'committed') THEN 0 ELSE 1 END, \
             created_at DESC, id DESC LIMIT 1"
        ),
        reference
    );
    fetch(conn, &sql).await
}

/// Moves a reservation to `to` if its status is one of `from` (and, with `due_by`, if it
/// expires at or before that instant). The condition is what makes each transition
/// happen once even when two processes try it at the same time: true when this call
/// made it. The error is the database's, for the caller to tell a unique violation (a
/// newer live reservation for the reference) from other failures.
pub(crate) async fn transition(
    conn: &mut Conn<'_>,
    id: &ReservationId,
    from: &[ReservationStatus],
    to: ReservationStatus,
    due_by: Option<i64>,
    now: i64,
) -> Result<bool, DbError> {
    // A few shapes only (one or two `from` statuses, with or without `due_by`): each
    // stays prepared.
    let mut sql = sql!(
        "UPDATE reservations SET status = $1, updated_at = $2 WHERE id = $3 AND status IN (",
        to.as_str(),
        now,
        id
    );
    sql.bind_list(from.iter().map(|s| s.as_str())).push(")");
    if let Some(due_by) = due_by {
        sql.push(" AND expires_at <= ").bind(due_by);
    }
    Ok(conn.execute(&sql).await? == 1)
}

/// Ids of active reservations whose TTL ran out by `now`, oldest expiry first.
pub(crate) async fn due_for_expiry(
    conn: &mut Conn<'_>,
    now: i64,
    limit: i64,
) -> Result<Vec<ReservationId>> {
    let rows = conn
        .fetch_all(&sql!(
            "SELECT id FROM reservations WHERE status = 'active' AND expires_at <= $1 \
             ORDER BY expires_at, id LIMIT $2",
            now,
            limit
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.get(0)?;
            ReservationId::parse(&id).map_err(|_| corrupt("reservations.id", &id))
        })
        .collect()
}
