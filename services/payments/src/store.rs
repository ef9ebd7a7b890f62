//! All SQL of the payments service. One portable text per statement, run on SQLite and
//! PostgreSQL alike: `$n` placeholders, TEXT ids, BIGINT money and Unix-ms timestamps,
//! only i64 / String / NULL values. Functions take a [`Conn`] so that a service call can
//! run several of them in one read or one write.

use emporium_kernel::{
    db::{Conn, Database, DbError, Row, Sql},
    id::{OrderId, PaymentId, RefundId},
    money::Currency,
    sql,
};

use crate::{error::Result, Payment, PaymentError, PaymentStatus, Refund};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// The columns [`payment_from_row`] reads, in its order (a macro so that the statements
/// using them are `&'static str` literals).
macro_rules! payment_columns {
    () => {
        "id, order_id, order_number, provider, provider_ref, amount, currency, status, \
         amount_refunded, client_secret, failure_reason, email, idempotency_key, created_at, \
         updated_at"
    };
}

/// The columns [`refund_from_row`] reads, in its order.
macro_rules! refund_columns {
    () => {
        "id, payment_id, provider_ref, amount, reason, status, idempotency_key, created_at"
    };
}

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
fn corrupt(column: &str, value: &str) -> PaymentError {
    PaymentError::Database(DbError::Decode(format!(
        "{column}: unexpected stored value `{value}`"
    )))
}

/// A payment row with the idempotency key it was created with.
pub(crate) struct StoredPayment {
    pub payment: Payment,
    pub idempotency_key: String,
}

/// A row whose columns are [`payment_columns!`].
fn payment_from_row(row: &Row) -> Result<StoredPayment> {
    let id: String = row.get(0)?;
    let order_id: String = row.get(1)?;
    let currency: String = row.get(6)?;
    let status: String = row.get(7)?;
    Ok(StoredPayment {
        payment: Payment {
            id: PaymentId::parse(&id).map_err(|_| corrupt("id", &id))?,
            order_id: OrderId::parse(&order_id).map_err(|_| corrupt("order_id", &order_id))?,
            order_number: row.get(2)?,
            provider: row.get(3)?,
            provider_ref: row.get(4)?,
            amount: row.get(5)?,
            currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
            status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            amount_refunded: row.get(8)?,
            client_secret: row.get(9)?,
            failure_reason: row.get(10)?,
            email: row.get(11)?,
            created_at: row.get(13)?,
            updated_at: row.get(14)?,
        },
        idempotency_key: row.get(12)?,
    })
}

/// A row whose columns are [`refund_columns!`].
fn refund_from_row(row: &Row) -> Result<Refund> {
    let id: String = row.get(0)?;
    let payment_id: String = row.get(1)?;
    Ok(Refund {
        id: RefundId::parse(&id).map_err(|_| corrupt("refunds.id", &id))?,
        payment_id: PaymentId::parse(&payment_id)
            .map_err(|_| corrupt("refunds.payment_id", &payment_id))?,
        provider_ref: row.get(2)?,
        amount: row.get(3)?,
        reason: row.get(4)?,
        status: row.get(5)?,
        idempotency_key: row.get(6)?,
        created_at: row.get(7)?,
    })
}

/// Inserts a pending payment unless the order has one. Returns whether it inserted.
pub(crate) async fn insert_payment(
    conn: &mut Conn<'_>,
    payment: &Payment,
    idempotency_key: &str,
) -> Result<bool> {
    let done = conn
        .execute(&sql!(
            "INSERT INTO payments (id, order_id, order_number, provider, provider_ref, amount, \
               currency, status, amount_refunded, client_secret, failure_reason, email, \
               idempotency_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, 0, NULL, NULL, $8, $9, $10, $10) \
             ON CONFLICT (order_id) DO NOTHING",
            &payment.id,
            &payment.order_id,
            &payment.order_number,
            &payment.provider,
            payment.amount,
            payment.currency.as_str(),
            payment.status.as_str(),
            &payment.email,
            idempotency_key,
            payment.created_at
        ))
        .await?;
    Ok(done == 1)
}

pub(crate) async fn payment_by_id(
    conn: &mut Conn<'_>,
    id: &PaymentId,
) -> Result<Option<StoredPayment>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!(
                "SELECT ",
                payment_columns!(),
                " FROM payments WHERE id = $1"
            ),
            id
        ))
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

pub(crate) async fn payment_by_order(
    conn: &mut Conn<'_>,
    order_id: &OrderId,
) -> Result<Option<StoredPayment>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!(
                "SELECT ",
                payment_columns!(),
                " FROM payments WHERE order_id = $1"
            ),
            order_id
        ))
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

pub(crate) async fn payment_by_provider_ref(
    conn: &mut Conn<'_>,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<StoredPayment>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!(
                "SELECT ",
                payment_columns!(),
                " FROM payments WHERE provider = $1 AND provider_ref = $2"
            ),
            provider,
            provider_ref
        ))
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Stores the provider's session on a payment that has none yet (a concurrent creation
/// that got there first wins; the idempotency key made both see the same session).
pub(crate) async fn set_session(
    conn: &mut Conn<'_>,
    id: &PaymentId,
    provider_ref: &str,
    client_secret: Option<&str>,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE payments SET provider_ref = $1, client_secret = $2, failure_reason = NULL, \
           updated_at = $3 WHERE id = $4 AND provider_ref IS NULL",
        provider_ref,
        client_secret,
        now,
        id
    ))
    .await?;
    Ok(())
}

/// Notes why the provider could not open a session (the payment stays pending without a
/// session, and the next creation attempt retries the provider).
pub(crate) async fn note_session_failure(
    conn: &mut Conn<'_>,
    id: &PaymentId,
    reason: &str,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE payments SET failure_reason = $1, updated_at = $2 \
         WHERE id = $3 AND provider_ref IS NULL",
        reason,
        now,
        id
    ))
    .await?;
    Ok(())
}

/// Moves a payment to `to` if it is in one of `from`. Returns whether it moved; the guard
/// makes concurrent transitions safe on both databases.
pub(crate) async fn transition(
    conn: &mut Conn<'_>,
    id: &PaymentId,
    from: &[PaymentStatus],
    to: PaymentStatus,
    failure_reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let mut sql = Sql::new("UPDATE payments SET status = ");
    sql.bind(to.as_str())
        .push(", failure_reason = COALESCE(")
        .bind(failure_reason)
        .push(", failure_reason), updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND status IN (")
        .bind_list(from.iter().map(|s| s.as_str()))
        .push(")");
    Ok(conn.execute(&sql).await? == 1)
}

/// Adds a refund to the refunded amount if the balance allows. Returns whether it did.
pub(crate) async fn add_refunded(
    conn: &mut Conn<'_>,
    id: &PaymentId,
    amount: i64,
    now: i64,
) -> Result<bool> {
    let done = conn
        .execute(&sql!(
            "UPDATE payments SET amount_refunded = amount_refunded + $1, \
               status = CASE WHEN amount_refunded + $1 >= amount THEN 'refunded' \
                             ELSE 'partially_refunded' END, \
               updated_at = $2 \
             WHERE id = $3 AND amount_refunded + $1 <= amount \
               AND status IN ('succeeded', 'partially_refunded')",
            amount,
            now,
            id
        ))
        .await?;
    Ok(done == 1)
}

/// Raises the refunded amount to the provider's total (refunds made outside Emporium).
/// Returns whether it rose.
pub(crate) async fn raise_refunded_total(
    conn: &mut Conn<'_>,
    id: &PaymentId,
    total: i64,
    now: i64,
) -> Result<bool> {
    let done = conn
        .execute(&sql!(
            "UPDATE payments SET amount_refunded = $1, \
               status = CASE WHEN $1 >= amount THEN 'refunded' ELSE 'partially_refunded' END, \
               updated_at = $2 \
             WHERE id = $3 AND amount_refunded < $1 AND $1 <= amount \
               AND status IN ('succeeded', 'partially_refunded')",
            total,
            now,
            id
        ))
        .await?;
    Ok(done == 1)
}

/// Inserts a refund unless its id, provider ref or (payment, idempotency key) exists.
/// Returns whether it inserted.
pub(crate) async fn insert_refund(conn: &mut Conn<'_>, refund: &Refund) -> Result<bool> {
    let done = conn
        .execute(&sql!(
            "INSERT INTO refunds (id, payment_id, provider_ref, amount, reason, status, \
               idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT DO NOTHING",
            &refund.id,
            &refund.payment_id,
            &refund.provider_ref,
            refund.amount,
            &refund.reason,
            &refund.status,
            &refund.idempotency_key,
            refund.created_at
        ))
        .await?;
    Ok(done == 1)
}

pub(crate) async fn refund_by_key(
    conn: &mut Conn<'_>,
    payment_id: &PaymentId,
    idempotency_key: &str,
) -> Result<Option<Refund>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!(
                "SELECT ",
                refund_columns!(),
                " FROM refunds WHERE payment_id = $1 AND idempotency_key = $2"
            ),
            payment_id,
            idempotency_key
        ))
        .await?;
    row.as_ref().map(refund_from_row).transpose()
}

pub(crate) async fn refund_by_provider_ref(
    conn: &mut Conn<'_>,
    provider_ref: &str,
) -> Result<Option<Refund>> {
    let row = conn
        .fetch_optional(&sql!(
            concat!(
                "SELECT ",
                refund_columns!(),
                " FROM refunds WHERE provider_ref = $1"
            ),
            provider_ref
        ))
        .await?;
    row.as_ref().map(refund_from_row).transpose()
}

/// Gives a refund that a webhook recorded first the idempotency key of the API call that
/// made it, so that a retry of that call finds it.
pub(crate) async fn attach_refund_key(
    conn: &mut Conn<'_>,
    refund_id: &RefundId,
    idempotency_key: &str,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE refunds SET idempotency_key = $1 WHERE id = $2 AND idempotency_key IS NULL",
        idempotency_key,
        refund_id
    ))
    .await?;
    Ok(())
}

pub(crate) async fn refunds_for(
    conn: &mut Conn<'_>,
    payment_id: &PaymentId,
) -> Result<Vec<Refund>> {
    let rows = conn
        .fetch_all(&sql!(
            concat!(
                "SELECT ",
                refund_columns!(),
                " FROM refunds WHERE payment_id = $1 ORDER BY created_at, id"
            ),
            payment_id
        ))
        .await?;
    rows.iter().map(refund_from_row).collect()
}

/// Records a webhook event as seen. Returns false when it was seen before: the primary
/// key (provider, event id) is what applies each event exactly once.
pub(crate) async fn purge_webhook_events(conn: &mut Conn<'_>, before_ms: i64) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "DELETE FROM payment_webhook_events WHERE received_at < $1",
            before_ms
        ))
        .await?)
}

pub(crate) async fn record_webhook_event(
    conn: &mut Conn<'_>,
    provider: &str,
    event_id: &str,
    event_type: &str,
    now: i64,
) -> Result<bool> {
    let done = conn
        .execute(&sql!(
            "INSERT INTO payment_webhook_events (provider, event_id, type, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            provider,
            event_id,
            event_type,
            now
        ))
        .await?;
    Ok(done == 1)
}
