//! `stock_movements`: the log of every on_hand change.

use emporium_kernel::{
    db::{sql::insert_rows, Arg, Conn},
    id::{MovementId, OrderId, VariantId},
    sql,
};

use super::corrupt;
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

fn to_args(m: &Movement) -> Vec<Arg<'_>> {
    vec![
        Arg::from(&m.id),
        Arg::from(&m.variant_id),
        Arg::from(&m.location_id),
        Arg::from(m.delta),
        Arg::from(m.on_hand),
        Arg::from(&m.reason),
        Arg::from(&m.actor),
        Arg::from(m.reference.as_ref().map(OrderId::as_str)),
        Arg::from(m.created_at),
    ]
}

/// Inserts movements with multi-row statements, in order (so `seq` follows the input).
pub(crate) async fn insert_many(conn: &mut Conn<'_>, movements: &[Movement]) -> Result<()> {
    let rows = movements.iter().map(to_args).collect();
    insert_rows(conn, "stock_movements", &INSERT_COLUMNS, rows).await?;
    Ok(())
}

/// Units sold (committed reservations) per variant, for the variants of `variant_ids`
/// that sold any.
pub(crate) async fn units_sold(
    conn: &mut Conn<'_>,
    variant_ids: &[VariantId],
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for chunk in variant_ids.chunks(500) {
        let mut sql = emporium_kernel::db::Sql::new(
            "SELECT variant_id, CAST(SUM(-delta) AS BIGINT) FROM stock_movements \
             WHERE reason = 'sale' AND variant_id IN (",
        );
        sql.bind_list(chunk.iter().map(VariantId::as_str))
            .push(") GROUP BY variant_id")
            .transient();
        for row in conn.fetch_all(&sql).await? {
            out.push((row.get(0)?, row.get(1)?));
        }
    }
    Ok(out)
}

/// The newest `limit` movements of a variant (all locations), newest first.
pub(crate) async fn list(
    conn: &mut Conn<'_>,
    variant_id: &VariantId,
    limit: i64,
) -> Result<Vec<Movement>> {
    let rows = conn
        .fetch_all(&sql!(
            "SELECT id, variant_id, location_id, delta, on_hand, reason, actor, reference, \
             created_at FROM stock_movements WHERE variant_id = $1 ORDER BY seq DESC LIMIT $2",
            variant_id,
            limit
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.get(0)?;
            let variant_id: String = r.get(1)?;
            let reference: Option<String> = r.get(7)?;
            Ok(Movement {
                id: MovementId::parse(&id).map_err(|_| corrupt("stock_movements.id", &id))?,
                variant_id: VariantId::parse(&variant_id)
                    .map_err(|_| corrupt("stock_movements.variant_id", &variant_id))?,
                location_id: r.get(2)?,
                delta: r.get(3)?,
                on_hand: r.get(4)?,
                reason: r.get(5)?,
                actor: r.get(6)?,
                reference: reference
                    .map(|text| {
                        OrderId::parse(&text)
                            .map_err(|_| corrupt("stock_movements.reference", &text))
                    })
                    .transpose()?,
                created_at: r.get(8)?,
            })
        })
        .collect()
}
