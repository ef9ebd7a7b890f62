//! `reservations` and `reservation_lines`.

use emporium_kernel::{db::conn::Conn, sql};
use sqlx::{AnyConnection, Row};

use super::{corrupt, Arg, Sql};
use crate::{InventoryError, Reservation, ReservationStatus, ReserveLine, Result};

const COLUMNS: &str = "id, reference, location_id, status, expires_at, created_at, updated_at";

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
    let mut sql = Sql::new(
        "INSERT INTO reservation_lines (reservation_id, variant_id, location_id, quantity) VALUES ",
    );
    for (i, line) in r.lines.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind_list::<Arg>([
                (&r.id).into(),
                (&line.variant_id).into(),
                (&r.location_id).into(),
                line.quantity.into(),
            ])
            .push(")");
    }
    conn.execute(sql.transient()).await?;
    Ok(None)
}

async fn with_lines(conn: &mut AnyConnection, row: &sqlx::any::AnyRow) -> Result<Reservation> {
    let id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let status = ReservationStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?;
    let mut lines =
        sqlx::query("SELECT variant_id, quantity FROM reservation_lines WHERE reservation_id = $1")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|l| {
                Ok(ReserveLine {
                    variant_id: l.try_get("variant_id")?,
                    quantity: l.try_get("quantity")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
    // Byte order, as `reserve` merged them (PostgreSQL's collation may order differently).
    lines.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    Ok(Reservation {
        id,
        reference: row.try_get("reference")?,
        location_id: row.try_get("location_id")?,
        status,
        lines,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) async fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Reservation>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM reservations WHERE id = "));
    sql.bind(id);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => Ok(Some(with_lines(conn, &row).await?)),
        None => Ok(None),
    }
}

/// The active or committed reservation for `reference`, if any (at most one exists).
pub(crate) async fn find_live(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Option<Reservation>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM reservations WHERE status IN ('active', 'committed') AND reference = "
    ));
    sql.bind(reference);
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => Ok(Some(with_lines(conn, &row).await?)),
        None => Ok(None),
    }
}

/// The reservation that speaks for `reference`: the live one, else the newest.
pub(crate) async fn find_for_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Option<Reservation>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM reservations WHERE reference = "
    ));
    sql.bind(reference).push(
        " ORDER BY CASE WHEN status IN ('active', 'committed') THEN 0 ELSE 1 END, \
         created_at DESC, id DESC LIMIT 1",
    );
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => Ok(Some(with_lines(conn, &row).await?)),
        None => Ok(None),
    }
}

/// Moves a reservation to `to` if its status is one of `from` (and, with `due_by`, if it
/// expires at or before that instant). The condition is what makes each transition
/// happen once even when two processes try it at the same time: true when this call
/// made it.
pub(crate) async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: &[ReservationStatus],
    to: ReservationStatus,
    due_by: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new("UPDATE reservations SET status = ");
    sql.bind(to.as_str())
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND status IN (")
        .bind_list(from.iter().map(|s| s.as_str()))
        .push(")");
    if let Some(due_by) = due_by {
        sql.push(" AND expires_at <= ").bind(due_by);
    }
    let done = sql.query().execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Ids of active reservations whose TTL ran out by `now`, oldest expiry first.
pub(crate) async fn due_for_expiry(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM reservations WHERE status = 'active' AND expires_at <= $1 \
         ORDER BY expires_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}
