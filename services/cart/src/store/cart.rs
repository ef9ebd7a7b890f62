//! Carts and their lines.

use std::sync::LazyLock;

use emporium_kernel::{db::conn::Conn, sql};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::Result;

/// A cart as stored; addresses are JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CartRow {
    pub id: String,
    pub region_id: String,
    pub currency: String,
    pub email: Option<String>,
    pub shipping_address: Option<String>,
    pub billing_address: Option<String>,
    pub shipping_option_id: Option<String>,
    pub payment_method: Option<String>,
    pub discount_code: Option<String>,
    pub completed_at: Option<i64>,
    pub order_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    /// Changes so far (see migration 3001).
    pub version: i64,
}

impl CartRow {
    /// A new open cart with nothing chosen yet, changed last at `now`.
    pub(crate) fn open(
        id: String,
        region_id: String,
        currency: String,
        now: i64,
        expires_at: i64,
    ) -> Self {
        CartRow {
            id,
            region_id,
            currency,
            email: None,
            shipping_address: None,
            billing_address: None,
            shipping_option_id: None,
            payment_method: None,
            discount_code: None,
            completed_at: None,
            order_id: None,
            created_at: now,
            updated_at: now,
            expires_at,
            version: 0,
        }
    }
}

const CART_COLUMNS: &str = "id, region_id, currency, email, shipping_address, billing_address, \
     shipping_option_id, payment_method, discount_code, completed_at, order_id, created_at, \
     updated_at, expires_at, version";

/// A [`CartRow`] from a row of either driver whose columns from `$at` on are
/// [`CART_COLUMNS`]: `$get` reads a column by index. By index, not by name: a lookup by
/// name compares the wanted name with every column's (perf put it at about 4 % of an add
/// to cart's CPU).
macro_rules! cart_row {
    ($r:ident . $get:ident, $at:expr) => {
        CartRow {
            id: $r.$get($at + 0)?,
            region_id: $r.$get($at + 1)?,
            currency: $r.$get($at + 2)?,
            email: $r.$get($at + 3)?,
            shipping_address: $r.$get($at + 4)?,
            billing_address: $r.$get($at + 5)?,
            shipping_option_id: $r.$get($at + 6)?,
            payment_method: $r.$get($at + 7)?,
            discount_code: $r.$get($at + 8)?,
            completed_at: $r.$get($at + 9)?,
            order_id: $r.$get($at + 10)?,
            created_at: $r.$get($at + 11)?,
            updated_at: $r.$get($at + 12)?,
            expires_at: $r.$get($at + 13)?,
            version: $r.$get($at + 14)?,
        }
    };
}

/// A [`LineRow`] from a row of either driver whose columns from `$at` on are
/// [`LINE_COLUMNS`] (see [`cart_row`]).
macro_rules! line_row {
    ($r:ident . $get:ident, $at:expr) => {
        LineRow {
            id: $r.$get($at + 0)?,
            cart_id: $r.$get($at + 1)?,
            variant_id: $r.$get($at + 2)?,
            product_id: $r.$get($at + 3)?,
            product_handle: $r.$get($at + 4)?,
            title: $r.$get($at + 5)?,
            variant_title: $r.$get($at + 6)?,
            sku: $r.$get($at + 7)?,
            image_url: $r.$get($at + 8)?,
            unit_price: $r.$get($at + 9)?,
            quantity: $r.$get($at + 10)?,
            created_at: $r.$get($at + 11)?,
            updated_at: $r.$get($at + 12)?,
        }
    };
}

/// Columns in [`CART_COLUMNS`]: where [`FIND_WITH_LINES`] puts the line's.
const CART_WIDTH: usize = 15;

fn cart_from_row(r: &AnyRow) -> Result<CartRow> {
    Ok(cart_row!(r.try_get, 0))
}

pub(crate) async fn insert(conn: &mut Conn<'_>, c: &CartRow) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO carts (id, region_id, currency, created_at, updated_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &c.id,
        &c.region_id,
        &c.currency,
        c.created_at,
        c.updated_at,
        c.expires_at
    ))
    .await?;
    Ok(())
}

static FIND: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {CART_COLUMNS} FROM carts WHERE id = $1"));

pub(crate) async fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<CartRow>> {
    let row = sqlx::query(&FIND)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(cart_from_row).transpose()
}

/// `$1` now, `$2` the cart id.
static TOUCH_OPEN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE carts SET updated_at = $1, version = version + 1 \
         WHERE id = $2 AND completed_at IS NULL RETURNING {CART_COLUMNS}"
    )
});

/// [`TOUCH_OPEN`] with `$3` the version the cart must still be at.
static TOUCH_OPEN_AT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE carts SET updated_at = $1, version = version + 1 \
         WHERE id = $2 AND completed_at IS NULL AND version = $3 RETURNING {CART_COLUMNS}"
    )
});

/// `$1` the new expiry, `$2` the cart id.
const EXTEND: &str = "UPDATE carts SET expires_at = $1 WHERE id = $2";

/// How far behind the wanted expiry a cart's may fall before a touch moves it. Moving it
/// on every change rewrote two pages of the `carts_expires` index per add to cart (one
/// of them random), in the WAL and again at the checkpoint; now an idle cart lives 29 to
/// 30 days instead of exactly 30.
const EXPIRY_SLACK_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether `row`'s expiry is far enough behind `expires_at` to be moved.
fn expiry_lags(row: &CartRow, expires_at: i64) -> bool {
    row.expires_at < expires_at - EXPIRY_SLACK_MS
}

/// Records activity on an open cart and returns the cart as it now is. Being the
/// transaction's first write, it also locks the cart row on PostgreSQL, so concurrent
/// changes to one cart run one after the other (SQLite's `BEGIN IMMEDIATE` already
/// serialises all writers). `None` when the cart does not exist or is completed. The
/// expiry moves to `expires_at` when it lags more than a day behind.
///
/// With a `version`, only if the cart is still at it, i.e. neither it nor its lines
/// changed since it was read: then what was read is still true (`None` otherwise).
pub(crate) async fn touch_open(
    conn: &mut AnyConnection,
    id: &str,
    version: Option<i64>,
    now: i64,
    expires_at: i64,
) -> Result<Option<CartRow>> {
    let sql = if version.is_some() {
        &TOUCH_OPEN_AT
    } else {
        &TOUCH_OPEN
    };
    let mut query = sqlx::query(sql).bind(now).bind(id);
    if let Some(version) = version {
        query = query.bind(version);
    }
    let row = query.fetch_optional(&mut *conn).await?;
    let Some(mut row) = row.as_ref().map(cart_from_row).transpose()? else {
        return Ok(None);
    };
    if expiry_lags(&row, expires_at) {
        sqlx::query(EXTEND)
            .bind(expires_at)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        row.expires_at = expires_at;
    }
    Ok(Some(row))
}

/// The cart and its lines (in the order they were first added) in one query; a cart
/// without lines comes back as one row whose line columns are NULL.
static FIND_WITH_LINES: LazyLock<String> = LazyLock::new(|| {
    let cart = CART_COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let lines = LINE_COLUMNS
        .split(", ")
        .map(|c| format!("l.{c} AS line_{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {cart}, {lines} FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id \
         WHERE c.id = $1 ORDER BY l.created_at, l.id"
    )
});

/// The cart and its lines (in the order they were first added) in one query.
pub(crate) async fn find_with_lines(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<(CartRow, Vec<LineRow>)>> {
    let rows = sqlx::query(&FIND_WITH_LINES)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let cart = cart_from_row(first)?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.try_get::<Option<String>, _>(CART_WIDTH)?.is_some() {
            lines.push(line_row!(r.try_get, CART_WIDTH));
        }
    }
    Ok(Some((cart, lines)))
}

pub(crate) async fn set_discount(
    conn: &mut AnyConnection,
    id: &str,
    code: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE carts SET discount_code = $1 WHERE id = $2")
        .bind(code)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The checkout fields, already validated; addresses as JSON text.
pub(crate) struct DetailsRow<'a> {
    pub email: &'a str,
    pub shipping_address: &'a str,
    pub billing_address: Option<&'a str>,
    pub shipping_option_id: &'a str,
    pub payment_method: &'a str,
}

const SET_DETAILS: &str = "UPDATE carts SET email = $1, shipping_address = $2, \
    billing_address = $3, shipping_option_id = $4, payment_method = $5 WHERE id = $6";

pub(crate) async fn set_details(
    conn: &mut AnyConnection,
    id: &str,
    d: &DetailsRow<'_>,
) -> Result<()> {
    sqlx::query(SET_DETAILS)
        .bind(d.email)
        .bind(d.shipping_address)
        .bind(d.billing_address)
        .bind(d.shipping_option_id)
        .bind(d.payment_method)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes open carts (and their lines) whose expiry passed before `now`. Completed carts
/// stay: orders and checkout idempotency refer to them.
pub(crate) async fn purge_expired(conn: &mut AnyConnection, now: i64) -> Result<u64> {
    // Lines first: no reliance on ON DELETE CASCADE being enforced by the connection.
    sqlx::query(
        "DELETE FROM cart_lines WHERE cart_id IN \
         (SELECT id FROM carts WHERE expires_at < $1 AND completed_at IS NULL)",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM carts WHERE expires_at < $1 AND completed_at IS NULL")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// A line as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineRow {
    pub id: String,
    pub cart_id: String,
    pub variant_id: String,
    pub product_id: String,
    pub product_handle: String,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub image_url: Option<String>,
    pub unit_price: i64,
    pub quantity: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const LINE_COLUMNS: &str = "id, cart_id, variant_id, product_id, product_handle, title, \
     variant_title, sku, image_url, unit_price, quantity, created_at, updated_at";

fn line_from_row(r: &AnyRow) -> Result<LineRow> {
    Ok(line_row!(r.try_get, 0))
}

static LINES: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {LINE_COLUMNS} FROM cart_lines WHERE cart_id = $1 ORDER BY created_at, id")
});

/// The cart's lines in the order they were first added.
pub(crate) async fn lines(conn: &mut AnyConnection, cart_id: &str) -> Result<Vec<LineRow>> {
    let rows = sqlx::query(&LINES)
        .bind(cart_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(line_from_row).collect()
}

/// `$1`…`$13`: the [`LINE_COLUMNS`] in order.
static INSERT_LINE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO cart_lines ({LINE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )
});

pub(crate) async fn insert_line(conn: &mut AnyConnection, l: &LineRow) -> Result<()> {
    sqlx::query(&INSERT_LINE)
        .bind(&l.id)
        .bind(&l.cart_id)
        .bind(&l.variant_id)
        .bind(&l.product_id)
        .bind(&l.product_handle)
        .bind(&l.title)
        .bind(&l.variant_title)
        .bind(&l.sku)
        .bind(&l.image_url)
        .bind(l.unit_price)
        .bind(l.quantity)
        .bind(l.created_at)
        .bind(l.updated_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const UPDATE_LINE: &str = "UPDATE cart_lines SET product_id = $1, product_handle = $2, \
     title = $3, variant_title = $4, sku = $5, image_url = $6, unit_price = $7, quantity = $8, \
     updated_at = $9 WHERE id = $10";

/// Rewrites a line's snapshot and quantity (a repeated add refreshes the snapshot).
pub(crate) async fn update_line(conn: &mut AnyConnection, l: &LineRow) -> Result<()> {
    sqlx::query(UPDATE_LINE)
        .bind(&l.product_id)
        .bind(&l.product_handle)
        .bind(&l.title)
        .bind(&l.variant_title)
        .bind(&l.sku)
        .bind(&l.image_url)
        .bind(l.unit_price)
        .bind(l.quantity)
        .bind(l.updated_at)
        .bind(&l.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const DELETE_LINE: &str = "DELETE FROM cart_lines WHERE id = $1 AND cart_id = $2";

/// Deletes a line of this cart; false when there was none.
pub(crate) async fn delete_line(
    conn: &mut AnyConnection,
    cart_id: &str,
    line_id: &str,
) -> Result<bool> {
    let done = sqlx::query(DELETE_LINE)
        .bind(line_id)
        .bind(cart_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The statements of a cart change on the calling thread (SQLite; see
/// `emporium_kernel::db::lite`): the same SQL texts as above, bound by name.
pub(crate) mod lite {
    use emporium_kernel::db::lite::rusqlite::{named_params, Connection};

    use super::{
        expiry_lags, CartRow, DetailsRow, LineRow, CART_WIDTH, DELETE_LINE, EXTEND, FIND,
        FIND_WITH_LINES, INSERT_LINE, LINES, SET_DETAILS, TOUCH_OPEN, TOUCH_OPEN_AT, UPDATE_LINE,
    };
    use crate::Result;

    pub(crate) fn find(conn: &Connection, id: &str) -> Result<Option<CartRow>> {
        let mut statement = conn.prepare_cached(&FIND)?;
        let mut rows = statement.query(named_params! {"$1": id})?;
        Ok(match rows.next()? {
            Some(r) => Some(cart_row!(r.get, 0)),
            None => None,
        })
    }

    /// See [`super::find_with_lines`].
    pub(crate) fn find_with_lines(
        conn: &Connection,
        id: &str,
    ) -> Result<Option<(CartRow, Vec<LineRow>)>> {
        let mut statement = conn.prepare_cached(&FIND_WITH_LINES)?;
        let mut rows = statement.query(named_params! {"$1": id})?;
        let mut found: Option<(CartRow, Vec<LineRow>)> = None;
        while let Some(r) = rows.next()? {
            let (_, lines) = match &mut found {
                Some(found) => found,
                None => found.insert((cart_row!(r.get, 0), Vec::new())),
            };
            if r.get::<_, Option<String>>(CART_WIDTH)?.is_some() {
                lines.push(line_row!(r.get, CART_WIDTH));
            }
        }
        Ok(found)
    }

    /// See [`super::touch_open`].
    pub(crate) fn touch_open(
        conn: &Connection,
        id: &str,
        version: Option<i64>,
        now: i64,
        expires_at: i64,
    ) -> Result<Option<CartRow>> {
        let mut statement;
        let mut rows = match version {
            Some(version) => {
                statement = conn.prepare_cached(&TOUCH_OPEN_AT)?;
                statement.query(named_params! {"$1": now, "$2": id, "$3": version})?
            }
            None => {
                statement = conn.prepare_cached(&TOUCH_OPEN)?;
                statement.query(named_params! {"$1": now, "$2": id})?
            }
        };
        let Some(mut row) = (match rows.next()? {
            Some(r) => Some(cart_row!(r.get, 0)),
            None => None,
        }) else {
            return Ok(None);
        };
        drop(rows);
        if expiry_lags(&row, expires_at) {
            conn.prepare_cached(EXTEND)?
                .execute(named_params! {"$1": expires_at, "$2": id})?;
            row.expires_at = expires_at;
        }
        Ok(Some(row))
    }

    pub(crate) fn lines(conn: &Connection, cart_id: &str) -> Result<Vec<LineRow>> {
        let mut statement = conn.prepare_cached(&LINES)?;
        let mut rows = statement.query(named_params! {"$1": cart_id})?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(line_row!(r.get, 0));
        }
        Ok(out)
    }

    pub(crate) fn insert_line(conn: &Connection, l: &LineRow) -> Result<()> {
        conn.prepare_cached(&INSERT_LINE)?.execute(named_params! {
            "$1": l.id, "$2": l.cart_id, "$3": l.variant_id, "$4": l.product_id,
            "$5": l.product_handle, "$6": l.title, "$7": l.variant_title, "$8": l.sku,
            "$9": l.image_url, "$10": l.unit_price, "$11": l.quantity,
            "$12": l.created_at, "$13": l.updated_at,
        })?;
        Ok(())
    }

    pub(crate) fn update_line(conn: &Connection, l: &LineRow) -> Result<()> {
        conn.prepare_cached(UPDATE_LINE)?.execute(named_params! {
            "$1": l.product_id, "$2": l.product_handle, "$3": l.title,
            "$4": l.variant_title, "$5": l.sku, "$6": l.image_url, "$7": l.unit_price,
            "$8": l.quantity, "$9": l.updated_at, "$10": l.id,
        })?;
        Ok(())
    }

    /// See [`super::set_details`].
    pub(crate) fn set_details(conn: &Connection, id: &str, d: &DetailsRow<'_>) -> Result<()> {
        conn.prepare_cached(SET_DETAILS)?.execute(named_params! {
            "$1": d.email, "$2": d.shipping_address, "$3": d.billing_address,
            "$4": d.shipping_option_id, "$5": d.payment_method, "$6": id,
        })?;
        Ok(())
    }

    /// See [`super::delete_line`].
    pub(crate) fn delete_line(conn: &Connection, cart_id: &str, line_id: &str) -> Result<bool> {
        let deleted = conn
            .prepare_cached(DELETE_LINE)?
            .execute(named_params! {"$1": line_id, "$2": cart_id})?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_lists_have_the_widths_the_row_macros_read() {
        assert_eq!(CART_COLUMNS.split(", ").count(), CART_WIDTH);
        assert_eq!(LINE_COLUMNS.split(", ").count(), 13);
    }
}
