//! `stock_movements`: the log of every on_hand change.

use sqlx::{AnyConnection, Row};

use super::{insert_rows, Arg, Sql};
use crate::{Movement, Result};

const INSERT_COLUMNS: [&str; 9] = [
    "id",
    "variant_id",
    "location_id",
    "delta",
    "on_hand",
    "reason",
    "actor",
    "reference",
    "created_at",
];

fn to_args(m: Movement) -> Vec<Arg> {
    vec![
        m.id.into(),
        m.variant_id.into(),
        m.location_id.into(),
        m.delta.into(),
        m.on_hand.into(),
        m.reason.into(),
        m.actor.into(),
        m.reference.into(),
        m.created_at.into(),
    ]
}

pub(crate) async fn insert(conn: &mut AnyConnection, movement: Movement) -> Result<()> {
    insert_many(conn, vec![movement]).await
}

/// Inserts movements with multi-row statements, in order (so `seq` follows the input).
pub(crate) async fn insert_many(conn: &mut AnyConnection, movements: Vec<Movement>) -> Result<()> {
    let rows = movements.into_iter().map(to_args).collect();
    insert_rows(conn, "stock_movements", &INSERT_COLUMNS, rows).await
}

/// The newest `limit` movements of a variant (all locations), newest first.
pub(crate) async fn list(
    conn: &mut AnyConnection,
    variant_id: &str,
    limit: i64,
) -> Result<Vec<Movement>> {
    let mut sql = Sql::new(
        "SELECT id, variant_id, location_id, delta, on_hand, reason, actor, reference, created_at \
         FROM stock_movements WHERE variant_id = ",
    );
    sql.bind(variant_id)
        .push(" ORDER BY seq DESC LIMIT ")
        .bind(limit);
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(Movement {
                id: r.try_get("id")?,
                variant_id: r.try_get("variant_id")?,
                location_id: r.try_get("location_id")?,
                delta: r.try_get("delta")?,
                on_hand: r.try_get("on_hand")?,
                reason: r.try_get("reason")?,
                actor: r.try_get("actor")?,
                reference: r.try_get("reference")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
