//! `reservations` and `reservation_lines`.

use sqlx::{AnyConnection, Row};

use super::{corrupt, insert_rows, Arg, Sql};
use crate::{Reservation, ReservationStatus, ReserveLine, Result};

const COLUMNS: &str = "id, reference, location_id, status, expires_at, created_at, updated_at";

/// Inserts the reservation row. Returns the raw sqlx error so the caller can tell a
/// unique violation (another live reservation for the reference) from other failures.
pub(crate) async fn insert(conn: &mut AnyConnection, r: &Reservation) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reservations \
           (id, reference, location_id, status, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.id)
    .bind(&r.reference)
    .bind(&r.location_id)
    .bind(r.status.as_str())
    .bind(r.expires_at)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn insert_lines(conn: &mut AnyConnection, r: &Reservation) -> Result<()> {
    let rows = r
        .lines
        .iter()
        .map(|l| {
            vec![
                Arg::from(&r.id),
                Arg::from(&l.variant_id),
                Arg::from(&r.location_id),
                Arg::from(l.quantity),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "reservation_lines",
        &["reservation_id", "variant_id", "location_id", "quantity"],
        rows,
    )
    .await
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
