//! All SQL of the payments service. One portable text per query, run through sqlx's `Any`
//! driver on SQLite and PostgreSQL alike: `$n` placeholders, TEXT ids, BIGINT money and
//! Unix-ms timestamps, only i64 / String / NULL values. Functions take a connection so
//! that a service call can run several of them in one transaction.

use emporium_kernel::{
    db::{conn::Conn, sql::Sql, Database},
    money::Currency,
    sql,
};
use sqlx::{any::AnyRow, migrate::Migrator, AnyConnection, Row};

use crate::{error::Result, Payment, PaymentError, PaymentStatus, Refund};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

const PAYMENT_COLUMNS: &str = "id, order_id, order_number, provider, provider_ref, amount, \
     currency, status, amount_refunded, client_secret, failure_reason, email, \
     idempotency_key, created_at, updated_at";

const REFUND_COLUMNS: &str =
    "id, payment_id, provider_ref, amount, reason, status, idempotency_key, created_at";

/// A stored value that does not fit the domain: a corrupted row, not a caller's mistake.
fn corrupt(column: &str, value: &str) -> PaymentError {
    PaymentError::from(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unexpected stored value `{value}`").into(),
    })
}

/// A payment row with the idempotency key it was created with.
pub(crate) struct StoredPayment {
    pub payment: Payment,
    pub idempotency_key: String,
}

fn payment_from_row(row: &AnyRow) -> Result<StoredPayment> {
    let currency: String = row.try_get("currency")?;
    let status: String = row.try_get("status")?;
    Ok(StoredPayment {
        payment: Payment {
            id: row.try_get("id")?,
            order_id: row.try_get("order_id")?,
            order_number: row.try_get("order_number")?,
            provider: row.try_get("provider")?,
            provider_ref: row.try_get("provider_ref")?,
            amount: row.try_get("amount")?,
            currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
            status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            amount_refunded: row.try_get("amount_refunded")?,
            client_secret: row.try_get("client_secret")?,
            failure_reason: row.try_get("failure_reason")?,
            email: row.try_get("email")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
        idempotency_key: row.try_get("idempotency_key")?,
    })
}

fn refund_from_row(row: &AnyRow) -> Result<Refund> {
    Ok(Refund {
        id: row.try_get("id")?,
        payment_id: row.try_get("payment_id")?,
        provider_ref: row.try_get("provider_ref")?,
        amount: row.try_get("amount")?,
        reason: row.try_get("reason")?,
        status: row.try_get("status")?,
        idempotency_key: row.try_get("idempotency_key")?,
        created_at: row.try_get("created_at")?,
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
            payment.email.as_ref(),
            idempotency_key,
            payment.created_at
        ))
        .await?;
    Ok(done == 1)
}

pub(crate) async fn payment_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<StoredPayment>> {
    let row = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(payment_from_row).transpose()
}

pub(crate) async fn payment_by_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Option<StoredPayment>> {
    let row = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(payment_from_row).transpose()
}

pub(crate) async fn payment_by_provider_ref(
    conn: &mut AnyConnection,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<StoredPayment>> {
    let row = sqlx::query(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND provider_ref = $2"
    ))
    .bind(provider)
    .bind(provider_ref)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Stores the provider's session on a payment that has none yet (a concurrent creation
/// that got there first wins; the idempotency key made both see the same session).
pub(crate) async fn set_session(
    conn: &mut Conn<'_>,
    id: &str,
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
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE payments SET failure_reason = $1, updated_at = $2 \
         WHERE id = $3 AND provider_ref IS NULL",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a payment to `to` if it is in one of `from`. Returns whether it moved; the guard
/// makes concurrent transitions safe on both databases.
pub(crate) async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: &[PaymentStatus],
    to: PaymentStatus,
    failure_reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let mut sql = Sql::new("UPDATE payments SET status = ");
    sql.bind(to.as_str())
        .push(", failure_reason = COALESCE(")
        .bind(failure_reason.map(str::to_owned))
        .push(", failure_reason), updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND status IN (")
        .bind_list(from.iter().map(|s| s.as_str()))
        .push(")");
    let done = sql.query().execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Adds a refund to the refunded amount if the balance allows. Returns whether it did.
pub(crate) async fn add_refunded(
    conn: &mut AnyConnection,
    id: &str,
    amount: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET amount_refunded = amount_refunded + $1, \
           status = CASE WHEN amount_refunded + $1 >= amount THEN 'refunded' \
                         ELSE 'partially_refunded' END, \
           updated_at = $2 \
         WHERE id = $3 AND amount_refunded + $1 <= amount \
           AND status IN ('succeeded', 'partially_refunded')",
    )
    .bind(amount)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Raises the refunded amount to the provider's total (refunds made outside Emporium).
/// Returns whether it rose.
pub(crate) async fn raise_refunded_total(
    conn: &mut AnyConnection,
    id: &str,
    total: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payments SET amount_refunded = $1, \
           status = CASE WHEN $1 >= amount THEN 'refunded' ELSE 'partially_refunded' END, \
           updated_at = $2 \
         WHERE id = $3 AND amount_refunded < $1 AND $1 <= amount \
           AND status IN ('succeeded', 'partially_refunded')",
    )
    .bind(total)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Inserts a refund unless its id, provider ref or (payment, idempotency key) exists.
/// Returns whether it inserted.
pub(crate) async fn insert_refund(conn: &mut AnyConnection, refund: &Refund) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO refunds (id, payment_id, provider_ref, amount, reason, status, \
           idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&refund.id)
    .bind(&refund.payment_id)
    .bind(refund.provider_ref.as_deref())
    .bind(refund.amount)
    .bind(refund.reason.as_deref())
    .bind(&refund.status)
    .bind(refund.idempotency_key.as_deref())
    .bind(refund.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn refund_by_key(
    conn: &mut AnyConnection,
    payment_id: &str,
    idempotency_key: &str,
) -> Result<Option<Refund>> {
    let row = sqlx::query(&format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 AND idempotency_key = $2"
    ))
    .bind(payment_id)
    .bind(idempotency_key)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(refund_from_row).transpose()
}

pub(crate) async fn refund_by_provider_ref(
    conn: &mut AnyConnection,
    provider_ref: &str,
) -> Result<Option<Refund>> {
    let row = sqlx::query(&format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE provider_ref = $1"
    ))
    .bind(provider_ref)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(refund_from_row).transpose()
}

/// Gives a refund that a webhook recorded first the idempotency key of the API call that
/// made it, so that a retry of that call finds it.
pub(crate) async fn attach_refund_key(
    conn: &mut AnyConnection,
    refund_id: &str,
    idempotency_key: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE refunds SET idempotency_key = $1 WHERE id = $2 AND idempotency_key IS NULL",
    )
    .bind(idempotency_key)
    .bind(refund_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn refunds_for(conn: &mut AnyConnection, payment_id: &str) -> Result<Vec<Refund>> {
    let rows = sqlx::query(&format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at, id"
    ))
    .bind(payment_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(refund_from_row).collect()
}

/// Records a webhook event as seen. Returns false when it was seen before.
pub(crate) async fn record_webhook_event(
    conn: &mut AnyConnection,
    provider: &str,
    event_id: &str,
    event_type: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO payment_webhook_events (provider, event_id, type, received_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(provider)
    .bind(event_id)
    .bind(event_type)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
