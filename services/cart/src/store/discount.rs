//! Discount codes, including the one conditional UPDATE that redeems a code.

use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{corrupt, parse_currency};
use crate::{error::CartError, Discount, DiscountKind, Result};

const COLUMNS: &str = "id, code, kind, value, currency, min_subtotal, starts_at, ends_at, \
                       usage_limit, used_count, created_at";

fn from_row(r: &AnyRow) -> Result<Discount> {
    let kind: String = r.try_get("kind")?;
    let value: i64 = r.try_get("value")?;
    let currency: Option<String> = r.try_get("currency")?;
    let kind = match (kind.as_str(), currency) {
        ("percentage", _) => DiscountKind::Percentage { rate_bp: value },
        ("fixed", Some(currency)) => DiscountKind::Fixed {
            amount: value,
            currency: parse_currency(&currency)?,
        },
        _ => return Err(corrupt("kind", &kind)),
    };
    Ok(Discount {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        kind,
        min_subtotal: r.try_get("min_subtotal")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        usage_limit: r.try_get("usage_limit")?,
        used_count: r.try_get("used_count")?,
        created_at: r.try_get("created_at")?,
    })
}

/// `code` must already be upper case.
pub(crate) async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Discount>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM discounts WHERE code = $1"))
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// All codes, newest first.
pub(crate) async fn all(conn: &mut AnyConnection) -> Result<Vec<Discount>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM discounts ORDER BY created_at DESC, id DESC"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Inserts `d`; with `if_absent` an existing code is left alone (seeding), otherwise a
/// taken code is `DiscountCodeTaken`. Returns whether a row was inserted.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    d: &Discount,
    if_absent: bool,
) -> Result<bool> {
    let currency = match d.kind {
        DiscountKind::Fixed { currency, .. } => Some(currency.as_str().to_owned()),
        DiscountKind::Percentage { .. } => None,
    };
    let conflict = if if_absent {
        " ON CONFLICT (code) DO NOTHING"
    } else {
        ""
    };
    let done = sqlx::query(&format!(
        "INSERT INTO discounts (id, code, kind, value, currency, min_subtotal, starts_at, ends_at, \
         usage_limit, used_count, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11){conflict}"
    ))
    .bind(&d.id)
    .bind(&d.code)
    .bind(d.kind.name())
    .bind(d.kind.value())
    .bind(currency)
    .bind(d.min_subtotal)
    .bind(d.starts_at)
    .bind(d.ends_at)
    .bind(d.usage_limit)
    .bind(d.used_count)
    .bind(d.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if emporium_kernel::db::is_unique_violation(&e) {
            CartError::DiscountCodeTaken {
                code: d.code.clone(),
            }
        } else {
            e.into()
        }
    })?;
    Ok(done.rows_affected() > 0)
}

/// Deletes by id; returns whether it existed.
pub(crate) async fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM discounts WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
