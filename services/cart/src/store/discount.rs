//! Discount codes. (The conditional UPDATE that redeems a code is part of completing a
//! cart, in `checkout`.)

use std::sync::LazyLock;

use emporium_kernel::{
    db::{Conn, Row},
    sql,
};

use super::{corrupt, parse_currency};
use crate::{error::CartError, Discount, DiscountKind, Result};

const COLUMNS: &str = "id, code, kind, value, currency, min_subtotal, starts_at, ends_at, \
                       usage_limit, used_count, created_at";

/// A [`Discount`] from a row whose columns are [`COLUMNS`].
fn from_row(r: &Row) -> Result<Discount> {
    let kind: String = r.get(2)?;
    let value: i64 = r.get(3)?;
    let currency: Option<String> = r.get(4)?;
    let kind = match (kind.as_str(), currency) {
        ("percentage", _) => DiscountKind::Percentage { rate_bp: value },
        ("fixed", Some(currency)) => DiscountKind::Fixed {
            amount: value,
            currency: parse_currency(&currency)?,
        },
        _ => return Err(corrupt("kind", &kind)),
    };
    Ok(Discount {
        id: r.get(0)?,
        code: r.get(1)?,
        kind,
        min_subtotal: r.get(5)?,
        starts_at: r.get(6)?,
        ends_at: r.get(7)?,
        usage_limit: r.get(8)?,
        used_count: r.get(9)?,
        created_at: r.get(10)?,
    })
}

static BY_CODE: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM discounts WHERE code = $1"));

/// `code` must already be upper case.
pub(crate) async fn by_code(conn: &mut Conn<'_>, code: &str) -> Result<Option<Discount>> {
    let row = conn.fetch_optional(&sql!(&*BY_CODE, code)).await?;
    row.as_ref().map(from_row).transpose()
}

static ALL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM discounts ORDER BY created_at DESC, id DESC"));

/// All codes, newest first.
pub(crate) async fn all(conn: &mut Conn<'_>) -> Result<Vec<Discount>> {
    let rows = conn.fetch_all(&sql!(&*ALL)).await?;
    rows.iter().map(from_row).collect()
}

/// `$1`…`$11`: the [`COLUMNS`] in order.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO discounts ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )
});

/// [`INSERT`] leaving an existing code alone.
static INSERT_IF_ABSENT: LazyLock<String> =
    LazyLock::new(|| format!("{} ON CONFLICT (code) DO NOTHING", *INSERT));

/// Inserts `d`; with `if_absent` an existing code is left alone (seeding), otherwise a
/// taken code is `DiscountCodeTaken`. Returns whether a row was inserted.
pub(crate) async fn insert(conn: &mut Conn<'_>, d: &Discount, if_absent: bool) -> Result<bool> {
    let currency = match &d.kind {
        DiscountKind::Fixed { currency, .. } => Some(currency.as_str()),
        DiscountKind::Percentage { .. } => None,
    };
    let text = if if_absent {
        &*INSERT_IF_ABSENT
    } else {
        &*INSERT
    };
    let inserted = conn
        .execute(&sql!(
            text,
            &d.id,
            &d.code,
            d.kind.name(),
            d.kind.value(),
            currency,
            d.min_subtotal,
            d.starts_at,
            d.ends_at,
            d.usage_limit,
            d.used_count,
            d.created_at
        ))
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                CartError::DiscountCodeTaken {
                    code: d.code.clone(),
                }
            } else {
                e.into()
            }
        })?;
    Ok(inserted > 0)
}

/// Deletes by id; returns whether it existed.
pub(crate) async fn delete(conn: &mut Conn<'_>, id: &str) -> Result<bool> {
    let deleted = conn
        .execute(&sql!("DELETE FROM discounts WHERE id = $1", id))
        .await?;
    Ok(deleted > 0)
}
