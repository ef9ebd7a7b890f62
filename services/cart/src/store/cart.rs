//! Carts and their lines.

use std::sync::LazyLock;

use emporium_kernel::{
    db::{Conn, Row},
    sql,
};

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
    /// The owner; `None` for a guest cart (see migration 3003).
    pub customer_id: Option<String>,
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
            customer_id: None,
        }
    }
}

const CART_COLUMNS: &str = "id, region_id, currency, email, shipping_address, billing_address, \
     shipping_option_id, payment_method, discount_code, completed_at, order_id, created_at, \
     updated_at, expires_at, version, customer_id";

/// Columns in [`CART_COLUMNS`]: where [`FIND_WITH_LINES`] puts the line's.
const CART_WIDTH: usize = 16;

/// A [`CartRow`] from a row whose columns from `at` on are [`CART_COLUMNS`]. By index,
/// not by name: a lookup by name compares the wanted name with every column's.
fn cart_row(r: &Row, at: usize) -> Result<CartRow> {
    Ok(CartRow {
        id: r.get(at)?,
        region_id: r.get(at + 1)?,
        currency: r.get(at + 2)?,
        email: r.get(at + 3)?,
        shipping_address: r.get(at + 4)?,
        billing_address: r.get(at + 5)?,
        shipping_option_id: r.get(at + 6)?,
        payment_method: r.get(at + 7)?,
        discount_code: r.get(at + 8)?,
        completed_at: r.get(at + 9)?,
        order_id: r.get(at + 10)?,
        created_at: r.get(at + 11)?,
        updated_at: r.get(at + 12)?,
        expires_at: r.get(at + 13)?,
        version: r.get(at + 14)?,
        customer_id: r.get(at + 15)?,
    })
}

/// A [`LineRow`] from a row whose columns from `at` on are [`LINE_COLUMNS`] (see
/// [`cart_row`]).
fn line_row(r: &Row, at: usize) -> Result<LineRow> {
    Ok(LineRow {
        id: r.get(at)?,
        cart_id: r.get(at + 1)?,
        variant_id: r.get(at + 2)?,
        product_id: r.get(at + 3)?,
        product_handle: r.get(at + 4)?,
        title: r.get(at + 5)?,
        variant_title: r.get(at + 6)?,
        sku: r.get(at + 7)?,
        image_url: r.get(at + 8)?,
        unit_price: r.get(at + 9)?,
        quantity: r.get(at + 10)?,
        created_at: r.get(at + 11)?,
        updated_at: r.get(at + 12)?,
    })
}

pub(crate) async fn insert(conn: &mut Conn<'_>, c: &CartRow) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO carts (id, region_id, currency, created_at, updated_at, expires_at, \
         customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &c.id,
        &c.region_id,
        &c.currency,
        c.created_at,
        c.updated_at,
        c.expires_at,
        &c.customer_id
    ))
    .await?;
    Ok(())
}

static FIND: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {CART_COLUMNS} FROM carts WHERE id = $1"));

pub(crate) async fn find(conn: &mut Conn<'_>, id: &str) -> Result<Option<CartRow>> {
    let row = conn.fetch_optional(&sql!(&*FIND, id)).await?;
    row.map(|r| cart_row(&r, 0)).transpose()
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

/// How far behind the wanted expiry a cart's may fall before a touch moves it. Moving it
/// on every change would rewrite two pages of the `carts_expires` index per add to cart
/// (one of them random), in the WAL and again at the checkpoint; so an idle cart lives
/// 29 to 30 days instead of exactly 30.
const EXPIRY_SLACK_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether `row`'s expiry is far enough behind `expires_at` to be moved.
fn expiry_lags(row: &CartRow, expires_at: i64) -> bool {
    row.expires_at < expires_at - EXPIRY_SLACK_MS
}

/// Records activity on an open cart and returns the cart as it now is. Being the
/// write's first statement, it also locks the cart row on PostgreSQL, so concurrent
/// changes to one cart run one after the other (SQLite's writer already serialises all
/// writes). `None` when the cart does not exist or is completed. The expiry moves to
/// `expires_at` when it lags more than a day behind.
///
/// With a `version`, only if the cart is still at it, i.e. neither it nor its lines
/// changed since it was read: then what was read is still true (`None` otherwise).
pub(crate) async fn touch_open(
    conn: &mut Conn<'_>,
    id: &str,
    version: Option<i64>,
    now: i64,
    expires_at: i64,
) -> Result<Option<CartRow>> {
    let touched = match version {
        Some(version) => {
            conn.fetch_optional(&sql!(&*TOUCH_OPEN_AT, now, id, version))
                .await?
        }
        None => conn.fetch_optional(&sql!(&*TOUCH_OPEN, now, id)).await?,
    };
    let Some(mut row) = touched.map(|r| cart_row(&r, 0)).transpose()? else {
        return Ok(None);
    };
    if expiry_lags(&row, expires_at) {
        conn.execute(&sql!(
            "UPDATE carts SET expires_at = $1 WHERE id = $2",
            expires_at,
            id
        ))
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
    conn: &mut Conn<'_>,
    id: &str,
) -> Result<Option<(CartRow, Vec<LineRow>)>> {
    let rows = conn.fetch_all(&sql!(&*FIND_WITH_LINES, id)).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let cart = cart_row(first, 0)?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.get::<Option<String>>(CART_WIDTH)?.is_some() {
            lines.push(line_row(r, CART_WIDTH)?);
        }
    }
    Ok(Some((cart, lines)))
}

pub(crate) async fn set_discount(conn: &mut Conn<'_>, id: &str, code: Option<&str>) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE carts SET discount_code = $1 WHERE id = $2",
        code,
        id
    ))
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

pub(crate) async fn set_details(conn: &mut Conn<'_>, id: &str, d: &DetailsRow<'_>) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE carts SET email = $1, shipping_address = $2, billing_address = $3, \
         shipping_option_id = $4, payment_method = $5 WHERE id = $6",
        d.email,
        d.shipping_address,
        d.billing_address,
        d.shipping_option_id,
        d.payment_method,
        id
    ))
    .await?;
    Ok(())
}

/// The customer's open cart changed last, if any.
static OPEN_OF_CUSTOMER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {CART_COLUMNS} FROM carts WHERE customer_id = $1 AND completed_at IS NULL \
         ORDER BY updated_at DESC, id DESC LIMIT 1"
    )
});

pub(crate) async fn open_of_customer(
    conn: &mut Conn<'_>,
    customer_id: &str,
) -> Result<Option<CartRow>> {
    let row = conn
        .fetch_optional(&sql!(&*OPEN_OF_CUSTOMER, customer_id))
        .await?;
    row.map(|r| cart_row(&r, 0)).transpose()
}

/// Gives an open guest cart to a customer; false when it is no longer an open guest cart.
pub(crate) async fn adopt(conn: &mut Conn<'_>, id: &str, customer_id: &str) -> Result<bool> {
    let adopted = conn
        .execute(&sql!(
            "UPDATE carts SET customer_id = $1, version = version + 1 \
             WHERE id = $2 AND customer_id IS NULL AND completed_at IS NULL",
            customer_id,
            id
        ))
        .await?;
    Ok(adopted > 0)
}

/// Deletes an open guest cart and its lines (merged into another); false when it is no
/// longer an open guest cart.
pub(crate) async fn delete_open(conn: &mut Conn<'_>, id: &str) -> Result<bool> {
    let deleted = conn
        .execute(&sql!(
            "DELETE FROM carts WHERE id = $1 AND completed_at IS NULL AND customer_id IS NULL",
            id
        ))
        .await?;
    if deleted > 0 {
        conn.execute(&sql!("DELETE FROM cart_lines WHERE cart_id = $1", id))
            .await?;
    }
    Ok(deleted > 0)
}

/// Deletes open carts (and their lines) whose expiry passed before `now`. Completed carts
/// stay: orders and checkout idempotency refer to them.
pub(crate) async fn purge_expired(conn: &mut Conn<'_>, now: i64) -> Result<u64> {
    // Lines first: no reliance on ON DELETE CASCADE being enforced by the connection.
    conn.execute(&sql!(
        "DELETE FROM cart_lines WHERE cart_id IN \
         (SELECT id FROM carts WHERE expires_at < $1 AND completed_at IS NULL)",
        now
    ))
    .await?;
    let purged = conn
        .execute(&sql!(
            "DELETE FROM carts WHERE expires_at < $1 AND completed_at IS NULL",
            now
        ))
        .await?;
    Ok(purged)
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

static LINES: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {LINE_COLUMNS} FROM cart_lines WHERE cart_id = $1 ORDER BY created_at, id")
});

/// The cart's lines in the order they were first added.
pub(crate) async fn lines(conn: &mut Conn<'_>, cart_id: &str) -> Result<Vec<LineRow>> {
    let rows = conn.fetch_all(&sql!(&*LINES, cart_id)).await?;
    rows.iter().map(|r| line_row(r, 0)).collect()
}

/// `$1`…`$13`: the [`LINE_COLUMNS`] in order.
static INSERT_LINE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO cart_lines ({LINE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )
});

pub(crate) async fn insert_line(conn: &mut Conn<'_>, l: &LineRow) -> Result<()> {
    conn.execute(&sql!(
        &*INSERT_LINE,
        &l.id,
        &l.cart_id,
        &l.variant_id,
        &l.product_id,
        &l.product_handle,
        &l.title,
        &l.variant_title,
        &l.sku,
        &l.image_url,
        l.unit_price,
        l.quantity,
        l.created_at,
        l.updated_at
    ))
    .await?;
    Ok(())
}

/// Rewrites a line's snapshot and quantity (a repeated add refreshes the snapshot).
pub(crate) async fn update_line(conn: &mut Conn<'_>, l: &LineRow) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE cart_lines SET product_id = $1, product_handle = $2, title = $3, \
         variant_title = $4, sku = $5, image_url = $6, unit_price = $7, quantity = $8, \
         updated_at = $9 WHERE id = $10",
        &l.product_id,
        &l.product_handle,
        &l.title,
        &l.variant_title,
        &l.sku,
        &l.image_url,
        l.unit_price,
        l.quantity,
        l.updated_at,
        &l.id
    ))
    .await?;
    Ok(())
}

/// Deletes a line of this cart; false when there was none.
pub(crate) async fn delete_line(conn: &mut Conn<'_>, cart_id: &str, line_id: &str) -> Result<bool> {
    let deleted = conn
        .execute(&sql!(
            "DELETE FROM cart_lines WHERE id = $1 AND cart_id = $2",
            line_id,
            cart_id
        ))
        .await?;
    Ok(deleted > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_lists_have_the_widths_the_row_readers_read() {
        assert_eq!(CART_COLUMNS.split(", ").count(), CART_WIDTH);
        assert_eq!(LINE_COLUMNS.split(", ").count(), 13);
    }
}
