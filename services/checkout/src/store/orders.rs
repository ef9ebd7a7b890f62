//! Orders, their lines, fulfillments and refunds, the order-number counter and the
//! idempotency keys of placement.

use std::collections::HashMap;

use emporium_kernel::{
    db::{
        sql::{insert_rows, Arg},
        Conn, DbError, Row, Sql,
    },
    id::new_id,
    money::Currency,
    sql,
};

use super::corrupt;
use crate::{
    error::Result,
    model::{Fulfillment, Fulfilment, Order, OrderLine, OrderStatus},
    partners::{Address, CartSnapshot, PaymentInfo},
};
use emporium_kernel::{
    contact::Email,
    id::{CartId, CustomerId, OrderId, ProductId, VariantId},
};

/// The columns [`order_from_row`] reads, in its order. A macro so that the statements
/// that use it are `&'static str`.
macro_rules! order_columns {
    () => {
        "id, number, cart_id, status, email, currency, region_id, \
         subtotal, discount_total, shipping_total, tax_total, total, tax_inclusive, \
         refunded_total, shipping_address, billing_address, shipping_option_id, \
         shipping_method, payment_provider, payment_id, reservation_id, discount_code, \
         cancel_reason, cancelled_by, needs_attention, attention_note, access_token, \
         created_at, updated_at, paid_at, cancelled_at, confirmed_at, payment_error, customer_id"
    };
}

// ----- placement -----

/// The next order number, from the counter row. Run it in the placing transaction: the
/// row lock orders concurrent placements and a rollback gives the number back.
async fn next_order_number(conn: &mut Conn<'_>) -> Result<i64> {
    let row = conn
        .fetch_one(&sql!(
            "UPDATE order_counters SET value = value + 1 WHERE name = 'order' RETURNING value"
        ))
        .await?;
    Ok(row.int(0)?)
}

/// A new order as placement writes it, with the idempotency key that names it. Owned:
/// on SQLite it is written by the writer's batch, not the request's task.
pub(crate) struct NewOrder {
    pub id: OrderId,
    pub snapshot: CartSnapshot,
    pub access_token: String,
    pub request_id: Option<String>,
    pub idempotency_key: String,
    pub request_hash: String,
    pub now: i64,
}

impl NewOrder {
    /// The order exactly as [`insert_order`] stores it (the tests compare the two).
    fn order(&self, number: String) -> Order {
        let s = &self.snapshot;
        Order {
            id: self.id.clone(),
            number,
            cart_id: s.cart_id.clone(),
            customer_id: s.customer_id.clone(),
            status: OrderStatus::PendingPayment,
            email: s.email.clone(),
            currency: s.currency,
            region_id: s.region_id.clone(),
            lines: s
                .lines
                .iter()
                .map(|l| OrderLine {
                    variant_id: l.variant_id.clone(),
                    product_id: l.product_id.clone(),
                    title: l.title.clone(),
                    variant_title: l.variant_title.clone(),
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                })
                .collect(),
            subtotal: s.totals.subtotal,
            discount_total: s.totals.discount_total,
            shipping_total: s.totals.shipping_total,
            tax_total: s.totals.tax_total,
            total: s.totals.total,
            tax_inclusive: s.tax_inclusive,
            refunded_total: 0,
            shipping_address: s.shipping_address.clone(),
            billing_address: s.billing_address.clone(),
            shipping_option_id: s.shipping_option_id.clone(),
            shipping_method: s.shipping_method_name.clone(),
            payment_provider: s.payment_method.clone(),
            payment_id: None,
            reservation_id: None,
            discount_code: s.discount_code.clone(),
            fulfillments: Vec::new(),
            cancel_reason: None,
            cancelled_by: None,
            needs_attention: false,
            attention_note: None,
            access_token: self.access_token.clone(),
            created_at: self.now,
            updated_at: self.now,
            paid_at: None,
            cancelled_at: None,
            confirmed_at: None,
            payment_error: None,
        }
    }
}

/// Writes the order (status `pending_payment`, the next number), its lines and its
/// idempotency key, and returns the order as stored. A unique violation (the key or the
/// cart's one live order taken by a concurrent placement) comes back as the database
/// error, for the caller to tell a lost race from a failure.
pub(crate) async fn insert_order(conn: &mut Conn<'_>, new: &NewOrder) -> Result<Order> {
    let number = next_order_number(conn).await?.to_string();
    let s = &new.snapshot;
    conn.execute(&sql!(
        "INSERT INTO orders (id, number, cart_id, status, email, currency, region_id, \
           subtotal, discount_total, shipping_total, tax_total, total, tax_inclusive, \
           shipping_address, billing_address, shipping_option_id, shipping_method, \
           payment_provider, discount_code, access_token, request_id, created_at, updated_at, \
           customer_id) \
         VALUES ($1, $2, $3, 'pending_payment', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
           $14, $15, $16, $17, $18, $19, $20, $21, $21, $22)",
        &new.id,
        &number,
        &s.cart_id,
        s.email.as_str(),
        s.currency.as_str(),
        &s.region_id,
        s.totals.subtotal,
        s.totals.discount_total,
        s.totals.shipping_total,
        s.totals.tax_total,
        s.totals.total,
        s.tax_inclusive,
        encode_address(&s.shipping_address),
        encode_address(&s.billing_address),
        &s.shipping_option_id,
        &s.shipping_method_name,
        &s.payment_method,
        s.discount_code.as_ref(),
        &new.access_token,
        new.request_id.as_ref(),
        new.now,
        s.customer_id.as_ref().map(|c| c.as_str()),
    ))
    .await?;
    let lines = s
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            vec![
                Arg::from(new_id("oli")),
                Arg::from(&new.id),
                Arg::from(i as i64),
                Arg::from(&line.variant_id),
                Arg::from(&line.product_id),
                Arg::from(&line.title),
                Arg::from(&line.variant_title),
                Arg::from(&line.sku),
                Arg::from(line.quantity),
                Arg::from(line.unit_price),
                Arg::from(line.line_total),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "order_lines",
        &[
            "id",
            "order_id",
            "position",
            "variant_id",
            "product_id",
            "title",
            "variant_title",
            "sku",
            "quantity",
            "unit_price",
            "line_total",
        ],
        lines,
    )
    .await?;
    conn.execute(&sql!(
        "INSERT INTO idempotency_keys (scope, key, request_hash, order_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
        &s.cart_id,
        &new.idempotency_key,
        &new.request_hash,
        &new.id,
        new.now,
    ))
    .await?;
    Ok(new.order(number))
}

/// The id and the customer of the cart's live order (one whose placement did not fail),
/// if any.
pub(crate) async fn live_order_for_cart(
    conn: &mut Conn<'_>,
    cart_id: &str,
) -> Result<Option<(String, Option<String>)>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT id, customer_id FROM orders WHERE cart_id = $1 AND cart_released = 0",
            cart_id
        ))
        .await?;
    Ok(row
        .map(|r| Ok::<_, DbError>((r.text(0)?, r.opt_text(1)?)))
        .transpose()?)
}

/// Gives the guest orders placed with `email` to `customer_id`; how many.
pub(crate) async fn attach_guest_orders(
    conn: &mut Conn<'_>,
    customer_id: &str,
    email: &str,
) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "UPDATE orders SET customer_id = $1 WHERE customer_id IS NULL AND email = $2",
            customer_id,
            email
        ))
        .await?)
}

/// What an idempotency key remembers.
#[derive(Debug, Clone)]
pub(crate) struct IdempotencyRecord {
    pub request_hash: String,
    pub order_id: String,
    pub payment: Option<PaymentInfo>,
    pub completed: bool,
}

pub(crate) async fn idempotency_key(
    conn: &mut Conn<'_>,
    scope: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT request_hash, order_id, payment, completed_at FROM idempotency_keys \
             WHERE scope = $1 AND key = $2",
            scope,
            key
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let payment = match row.opt_text(2)? {
        Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("payment", &json))?),
        None => None,
    };
    Ok(Some(IdempotencyRecord {
        request_hash: row.text(0)?,
        order_id: row.text(1)?,
        payment,
        completed: row.opt_int(3)?.is_some(),
    }))
}

/// Marks the placement behind a key as finished: replays answer at once from now on.
pub(crate) async fn complete_idempotency_key(
    conn: &mut Conn<'_>,
    scope: &str,
    key: &str,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE idempotency_keys SET completed_at = $1 \
         WHERE scope = $2 AND key = $3 AND completed_at IS NULL",
        now,
        scope,
        key
    ))
    .await?;
    Ok(())
}

/// Forgets a key whose placement failed for a reason a retry may not meet again.
pub(crate) async fn forget_idempotency_key(
    conn: &mut Conn<'_>,
    scope: &str,
    key: &str,
) -> Result<()> {
    conn.execute(&sql!(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2",
        scope,
        key
    ))
    .await?;
    Ok(())
}

pub(crate) async fn cancel_detail(conn: &mut Conn<'_>, id: &str) -> Result<Option<String>> {
    let row = conn
        .fetch_optional(&sql!("SELECT cancel_detail FROM orders WHERE id = $1", id))
        .await?;
    Ok(match row {
        Some(row) => row.opt_text(0)?,
        None => None,
    })
}

// ----- reads -----

pub(crate) async fn order(conn: &mut Conn<'_>, id: &str) -> Result<Option<Order>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1"),
            id
        ))
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut orders = vec![order_from_row(&row)?];
    attach_children(conn, &mut orders).await?;
    Ok(orders.pop())
}

pub(crate) async fn order_id_for_reservation(
    conn: &mut Conn<'_>,
    reservation_id: &str,
) -> Result<Option<String>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT id FROM orders WHERE reservation_id = $1",
            reservation_id
        ))
        .await?;
    Ok(row.map(|r| r.text(0)).transpose()?)
}

/// A page of orders, newest first, after `after` (created_at, id) when given.
pub(crate) async fn list_orders(
    conn: &mut Conn<'_>,
    customer_id: Option<&str>,
    status: Option<OrderStatus>,
    q: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Order>> {
    let mut sql = Sql::new(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders WHERE 1 = 1"
    ));
    if let Some(customer_id) = customer_id {
        sql.push(" AND customer_id = ").bind(customer_id);
    }
    if let Some(status) = status {
        sql.push(" AND status = ").bind(status.as_str());
    }
    if let Some(q) = q {
        let number = q.strip_prefix('#').unwrap_or(q);
        sql.push(" AND (number = ")
            .bind(number)
            .push(" OR LOWER(email) LIKE ")
            .bind_contains(&q.to_lowercase())
            .push(")");
    }
    if let Some((created_at, id)) = after {
        sql.push(" AND (created_at < ")
            .bind(created_at)
            .push(" OR (created_at = ")
            .bind(created_at)
            .push(" AND id < ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .bind(limit);
    let rows = conn.fetch_all(sql.transient()).await?;
    let mut orders = rows
        .iter()
        .map(order_from_row)
        .collect::<Result<Vec<_>>>()?;
    attach_children(conn, &mut orders).await?;
    Ok(orders)
}

/// Loads the lines and fulfillments of `orders` with one query each.
async fn attach_children(conn: &mut Conn<'_>, orders: &mut [Order]) -> Result<()> {
    if orders.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    let mut sql = Sql::new(
        "SELECT order_id, variant_id, product_id, title, variant_title, sku, quantity, \
         unit_price, line_total FROM order_lines WHERE order_id IN (",
    );
    sql.bind_list(ids.iter().copied())
        .push(") ORDER BY order_id, position");
    let rows = conn.fetch_all(sql.transient()).await?;
    let mut lines: HashMap<String, Vec<OrderLine>> = HashMap::new();
    for row in &rows {
        let (variant_id, product_id) = (row.text(1)?, row.text(2)?);
        lines.entry(row.text(0)?).or_default().push(OrderLine {
            variant_id: VariantId::parse(&variant_id)
                .map_err(|_| corrupt("order_lines.variant_id", &variant_id))?,
            product_id: ProductId::parse(&product_id)
                .map_err(|_| corrupt("order_lines.product_id", &product_id))?,
            title: row.text(3)?,
            variant_title: row.text(4)?,
            sku: row.text(5)?,
            quantity: row.int(6)?,
            unit_price: row.int(7)?,
            line_total: row.int(8)?,
        });
    }
    let mut sql = Sql::new(
        "SELECT order_id, id, carrier, tracking_number, tracking_url, created_at \
         FROM fulfillments WHERE order_id IN (",
    );
    sql.bind_list(ids.iter().copied())
        .push(") ORDER BY order_id, created_at, id");
    let rows = conn.fetch_all(sql.transient()).await?;
    let mut fulfillments: HashMap<String, Vec<Fulfillment>> = HashMap::new();
    for row in &rows {
        fulfillments
            .entry(row.text(0)?)
            .or_default()
            .push(Fulfillment {
                id: row.text(1)?,
                carrier: row.text(2)?,
                tracking_number: row.text(3)?,
                tracking_url: row.opt_text(4)?,
                created_at: row.int(5)?,
            });
    }
    for order in orders.iter_mut() {
        order.lines = lines.remove(order.id.as_str()).unwrap_or_default();
        order.fulfillments = fulfillments.remove(order.id.as_str()).unwrap_or_default();
    }
    Ok(())
}

/// An order without its lines and fulfillments from a row of [`order_columns!`].
fn order_from_row(row: &Row) -> Result<Order> {
    let status = row.text(3)?;
    let currency = row.text(5)?;
    let shipping = row.text(14)?;
    let billing = row.text(15)?;
    let id = row.text(0)?;
    let cart_id = row.text(2)?;
    Ok(Order {
        id: OrderId::parse(&id).map_err(|_| corrupt("id", &id))?,
        number: row.text(1)?,
        cart_id: CartId::parse(&cart_id).map_err(|_| corrupt("cart_id", &cart_id))?,
        status: OrderStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        email: {
            let email = row.text(4)?;
            Email::parse("email", &email).map_err(|_| corrupt("email", &email))?
        },
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        region_id: row.text(6)?,
        lines: Vec::new(),
        subtotal: row.int(7)?,
        discount_total: row.int(8)?,
        shipping_total: row.int(9)?,
        tax_total: row.int(10)?,
        total: row.int(11)?,
        tax_inclusive: row.flag(12)?,
        refunded_total: row.int(13)?,
        shipping_address: decode_address("shipping_address", &shipping)?,
        billing_address: decode_address("billing_address", &billing)?,
        shipping_option_id: row.text(16)?,
        shipping_method: row.text(17)?,
        payment_provider: row.text(18)?,
        payment_id: row.opt_text(19)?,
        reservation_id: row.opt_text(20)?,
        discount_code: row.opt_text(21)?,
        fulfillments: Vec::new(),
        cancel_reason: row.opt_text(22)?,
        cancelled_by: row.opt_text(23)?,
        needs_attention: row.flag(24)?,
        attention_note: row.opt_text(25)?,
        access_token: row.text(26)?,
        created_at: row.int(27)?,
        updated_at: row.int(28)?,
        paid_at: row.opt_int(29)?,
        cancelled_at: row.opt_int(30)?,
        confirmed_at: row.opt_int(31)?,
        payment_error: row.opt_text(32)?,
        customer_id: row
            .opt_text(33)?
            .map(|c| CustomerId::parse(&c).map_err(|_| corrupt("orders.customer_id", &c)))
            .transpose()?,
    })
}

fn encode_address(address: &Address) -> String {
    // A struct of strings always serialises.
    serde_json::to_string(address).unwrap_or_default()
}

fn decode_address(column: &str, json: &str) -> Result<Address> {
    serde_json::from_str(json).map_err(|_| corrupt(column, json))
}

// ----- transitions -----
//
// Each is one conditional UPDATE on the status it leaves, so that two racing calls
// cannot both move the order: the one that changed no row knows it lost.

/// Records the placement's reservation and payment on the order, and the payment session
/// on the idempotency key (so that a replay answers with it), in one change.
pub(crate) async fn record_payment(
    conn: &mut Conn<'_>,
    order_id: &str,
    reservation_id: &str,
    scope: &str,
    key: &str,
    payment: Option<&PaymentInfo>,
    now: i64,
) -> Result<()> {
    let json = payment
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| DbError::Encode(format!("payment session of {scope}: {e}")))?;
    conn.execute(&sql!(
        "UPDATE orders SET reservation_id = $1, updated_at = $2, \
           payment_id = COALESCE(payment_id, $3) WHERE id = $4",
        reservation_id,
        now,
        payment.map(|p| p.payment_id.as_str()),
        order_id
    ))
    .await?;
    conn.execute(&sql!(
        "UPDATE idempotency_keys SET payment = $1 WHERE scope = $2 AND key = $3",
        json,
        scope,
        key
    ))
    .await?;
    Ok(())
}

/// How an order is cancelled. Owned: it travels into the write that applies it.
#[derive(Debug, Clone)]
pub(crate) struct Cancellation {
    pub reason: String,
    /// JSON details for a replay (the out-of-stock variant).
    pub detail: Option<String>,
    pub by: Option<String>,
}

/// The cancelling UPDATE, with `$cond` (constant SQL) added to its WHERE clause.
macro_rules! cancel_sql {
    ($cond:literal) => {
        concat!(
            "UPDATE orders SET status = 'cancelled', cancel_reason = $1, cancel_detail = $2, \
               cancelled_by = $3, cart_released = $4, cancelled_at = $5, updated_at = $5 \
             WHERE id = $6 AND status = $7",
            $cond
        )
    };
}

/// `from` -> `cancelled`. Whether this call changed the order.
pub(crate) async fn cancel(
    conn: &mut Conn<'_>,
    id: &str,
    from: OrderStatus,
    how: &Cancellation,
    now: i64,
) -> Result<bool> {
    cancel_where(conn, cancel_sql!(""), id, from, how, now).await
}

/// `from` -> `cancelled` with `text`, one of the [`cancel_sql!`] statements.
async fn cancel_where(
    conn: &mut Conn<'_>,
    text: &'static str,
    id: &str,
    from: OrderStatus,
    how: &Cancellation,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            text,
            &how.reason,
            &how.detail,
            &how.by,
            // An order cancelled before payment stops holding its cart.
            from == OrderStatus::PendingPayment,
            now,
            id,
            from.as_str()
        ))
        .await?;
    Ok(changed == 1)
}

/// Orders still `pending_payment` without a reservation, placed before `before_ms`
/// (oldest first): placements that stopped before reserving stock.
pub(crate) async fn interrupted_placements(
    conn: &mut Conn<'_>,
    before_ms: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = conn
        .fetch_all(&sql!(
            "SELECT id FROM orders WHERE status = 'pending_payment' AND reservation_id IS NULL \
               AND cart_released = 0 AND created_at < $1 ORDER BY created_at, id LIMIT $2",
            before_ms,
            limit
        ))
        .await?;
    rows.iter().map(|r| Ok(r.text(0)?)).collect()
}

/// [`cancel`] from `pending_payment`, only while the order holds no reservation.
pub(crate) async fn cancel_unreserved(
    conn: &mut Conn<'_>,
    id: &str,
    how: &Cancellation,
    now: i64,
) -> Result<bool> {
    cancel_where(
        conn,
        cancel_sql!(" AND reservation_id IS NULL"),
        id,
        OrderStatus::PendingPayment,
        how,
        now,
    )
    .await
}

/// Deletes the idempotency keys made before `before_ms`.
pub(crate) async fn purge_idempotency_keys(conn: &mut Conn<'_>, before_ms: i64) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            before_ms
        ))
        .await?)
}

/// Forgets the keys that name this order and never completed.
pub(crate) async fn forget_open_idempotency_keys(
    conn: &mut Conn<'_>,
    order_id: &str,
) -> Result<()> {
    conn.execute(&sql!(
        "DELETE FROM idempotency_keys WHERE order_id = $1 AND completed_at IS NULL",
        order_id
    ))
    .await?;
    Ok(())
}

/// `from` (pending_payment, or cancelled for a payment that arrived late) -> `paid`.
pub(crate) async fn mark_paid(
    conn: &mut Conn<'_>,
    id: &str,
    from: OrderStatus,
    payment_id: Option<&str>,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE orders SET status = 'paid', payment_id = $1, paid_at = $2, updated_at = $2, \
               payment_error = NULL, \
               cancel_reason = NULL, cancel_detail = NULL, cancelled_by = NULL, \
               cancelled_at = NULL \
             WHERE id = $3 AND status = $4",
            payment_id,
            now,
            id,
            from.as_str()
        ))
        .await?;
    Ok(changed == 1)
}

/// Records why the last payment attempt of a pending order failed. Whether it changed.
pub(crate) async fn record_payment_error(
    conn: &mut Conn<'_>,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE orders SET payment_error = $1, updated_at = $2 \
             WHERE id = $3 AND status = 'pending_payment'",
            reason,
            now,
            id
        ))
        .await?;
    Ok(changed == 1)
}

/// Marks the order confirmed to the shopper, once. Whether this call confirmed it (the
/// caller then appends `order.confirmed` in the same write).
pub(crate) async fn confirm(conn: &mut Conn<'_>, id: &str, now: i64) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE orders SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL",
            now,
            id
        ))
        .await?;
    Ok(changed == 1)
}

/// Flags the order for the merchant. Whether this call raised the flag.
pub(crate) async fn flag_attention(
    conn: &mut Conn<'_>,
    id: &str,
    payment_id: &str,
    note: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE orders SET needs_attention = 1, attention_note = $1, \
               payment_id = COALESCE(payment_id, $2), updated_at = $3 \
             WHERE id = $4 AND needs_attention = 0",
            note,
            payment_id,
            now,
            id
        ))
        .await?;
    Ok(changed == 1)
}

/// `from` -> `to` with no other change. Whether this call changed the order.
pub(crate) async fn move_status(
    conn: &mut Conn<'_>,
    id: &str,
    from: OrderStatus,
    to: OrderStatus,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            to.as_str(),
            now,
            id,
            from.as_str()
        ))
        .await?;
    Ok(changed == 1)
}

pub(crate) async fn insert_fulfillment(
    conn: &mut Conn<'_>,
    order_id: &str,
    input: &Fulfilment,
    now: i64,
) -> Result<Fulfillment> {
    let id = new_id("ful");
    conn.execute(&sql!(
        "INSERT INTO fulfillments (id, order_id, carrier, tracking_number, tracking_url, \
           created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &id,
        order_id,
        &input.carrier,
        &input.tracking_number,
        &input.tracking_url,
        now
    ))
    .await?;
    Ok(Fulfillment {
        id,
        carrier: input.carrier.clone(),
        tracking_number: input.tracking_number.clone(),
        tracking_url: input.tracking_url.clone(),
        created_at: now,
    })
}

// ----- refunds -----

/// Records a refund once per refund id. Whether it is new.
pub(crate) async fn insert_refund(
    conn: &mut Conn<'_>,
    refund_id: &str,
    order_id: &str,
    amount: i64,
    amount_refunded_total: i64,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let inserted = conn
        .execute(&sql!(
            "INSERT INTO order_refunds (refund_id, order_id, amount, amount_refunded_total, \
               reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (refund_id) DO NOTHING",
            refund_id,
            order_id,
            amount,
            amount_refunded_total,
            reason,
            now
        ))
        .await?;
    Ok(inserted == 1)
}

/// Raises `refunded_total` to the payment's cumulative refunded amount (never lowers it:
/// refunds can be reported out of order; never above the total), then moves a paid order
/// to `refunded` or `partially_refunded`. One UPDATE each, so concurrent refunds of one
/// order serialise on its row.
pub(crate) async fn apply_refunded_total(
    conn: &mut Conn<'_>,
    order_id: &str,
    amount_refunded_total: i64,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE orders SET refunded_total = CASE \
             WHEN refunded_total >= $1 THEN refunded_total \
             WHEN total <= $1 THEN total ELSE $1 END, \
           updated_at = $2 WHERE id = $3",
        amount_refunded_total,
        now,
        order_id
    ))
    .await?;
    conn.execute(&sql!(
        "UPDATE orders SET status = CASE WHEN refunded_total = total THEN 'refunded' \
             ELSE 'partially_refunded' END \
         WHERE id = $1 \
           AND status IN ('paid', 'fulfilled', 'delivered', 'partially_refunded', 'refunded')",
        order_id
    ))
    .await?;
    // A flagged order (money taken for stock that was gone) is settled once fully refunded.
    conn.execute(&sql!(
        "UPDATE orders SET needs_attention = 0 \
         WHERE id = $1 AND needs_attention = 1 AND refunded_total = total",
        order_id
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use emporium_kernel::db::testing;

    use super::*;
    use crate::{
        error::CheckoutError,
        partners::{Email, SnapshotLine, Totals},
    };

    fn snapshot(cart_id: CartId) -> CartSnapshot {
        let address = Address {
            name: "Ada Lovelace".into(),
            line1: "Unter den Linden 1".into(),
            line2: None,
            city: "Berlin".into(),
            postal_code: "10117".into(),
            country: "DE".into(),
            phone: Some("+49 30 1234".into()),
        };
        let line = |n: i64| SnapshotLine {
            variant_id: VariantId::parse(&format!("var_{n:0>26}"))
                .unwrap_or_else(|e| panic!("{e}")),
            product_id: ProductId::parse(&format!("prod_{n:0>26}"))
                .unwrap_or_else(|e| panic!("{e}")),
            title: format!("Mug {n}"),
            variant_title: "Blue".into(),
            sku: format!("MUG-{n}"),
            quantity: n,
            unit_price: 1250,
            line_total: 1250 * n,
        };
        CartSnapshot {
            cart_id,
            customer_id: None,
            currency: Currency::parse("EUR").unwrap_or_else(|e| panic!("{e:?}")),
            region_id: "reg_eu".into(),
            email: Email::parse("email", "ada@example.com").unwrap_or_else(|e| panic!("{e}")),
            billing_address: Address {
                line2: Some("Hinterhaus".into()),
                ..address.clone()
            },
            shipping_address: address,
            shipping_option_id: "ship_eu_standard".into(),
            shipping_method_name: "Standard".into(),
            payment_method: "manual".into(),
            discount_code: Some("WELCOME10".into()),
            tax_inclusive: true,
            lines: vec![line(1), line(2), line(3)],
            totals: Totals {
                subtotal: 7500,
                discount_total: 750,
                shipping_total: 495,
                tax_total: 1156,
                total: 7245,
            },
        }
    }

    fn new_order(cart_id: &CartId, key: &str) -> NewOrder {
        NewOrder {
            id: OrderId::new(),
            snapshot: snapshot(cart_id.clone()),
            access_token: "token".into(),
            request_id: Some("req_1".into()),
            idempotency_key: key.into(),
            request_hash: "hash".into(),
            now: 1_700_000_000_123,
        }
    }

    /// Placement answers (and emits `order.placed`) with the order it built, not one read
    /// back: it must be exactly the stored one.
    #[tokio::test]
    async fn the_order_placement_returns_is_the_order_it_stored() {
        let (cart_1, cart_2) = (CartId::new(), CartId::new());
        for t in testing::databases().await {
            let db = &t.db;
            crate::store::migrate(db)
                .await
                .unwrap_or_else(|e| panic!("{}: migrate: {e}", t.label));
            let new = new_order(&cart_1, "key_1");
            let id = new.id.clone();
            let placed = db
                .write(async move |conn| insert_order(conn, &new).await)
                .await
                .unwrap_or_else(|e: CheckoutError| panic!("{}: place: {e}", t.label));
            let stored = db
                .read(async |conn| order(conn, id.as_str()).await)
                .await
                .unwrap_or_else(|e| panic!("{}: load: {e}", t.label))
                .unwrap_or_else(|| panic!("{}: the order was not stored", t.label));
            assert_eq!(placed, stored, "{}", t.label);
            assert_eq!(
                placed.number, "1001",
                "{}: numbers follow the counter",
                t.label
            );

            // The cart's second live order is refused by the database, and the failed
            // change gives its order number back.
            let second = new_order(&cart_1, "key_2");
            let again = db
                .write(async move |conn| insert_order(conn, &second).await)
                .await;
            match again {
                Err(CheckoutError::Database(e)) if e.is_unique_violation() => {}
                other => panic!(
                    "{}: a second live order was not refused: {other:?}",
                    t.label
                ),
            }
            let other = new_order(&cart_2, "key_1");
            let next = db
                .write(async move |conn| insert_order(conn, &other).await)
                .await
                .unwrap_or_else(|e: CheckoutError| panic!("{}: next: {e}", t.label));
            assert_eq!(next.number, "1002", "{}", t.label);
        }
    }
}
