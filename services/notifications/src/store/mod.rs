//! All SQL of the notifications service: the `emails` outbox. One portable text per
//! statement, run on SQLite and PostgreSQL alike (`$n` placeholders, TEXT ids, BIGINT
//! Unix-ms timestamps; only i64, String and NULL values).

use emporium_kernel::{
    db::{Conn, Database, DbError},
    sql,
};

use crate::{EmailRecord, EmailStatus, NotificationsError, RenderedEmail, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) async fn migrate(db: &Database) -> Result<()> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    Ok(())
}

/// A new email to queue. Owned: the write that inserts it owns what it uses.
pub(crate) struct NewEmail {
    pub id: String,
    pub dedupe_key: String,
    /// The order or customer the email is about.
    pub subject_id: String,
    pub template: &'static str,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub now: i64,
}

/// Queues an email unless one with the same dedupe key exists. Returns whether it
/// was inserted (false: the event was delivered before and its email is queued).
pub(crate) async fn insert_email(conn: &mut Conn<'_>, email: &NewEmail) -> Result<bool> {
    let done = conn
        .execute(&sql!(
            "INSERT INTO emails (id, dedupe_key, subject_id, template, to_address, subject, \
               text_body, html_body, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9) \
             ON CONFLICT (dedupe_key) DO NOTHING",
            &email.id,
            &email.dedupe_key,
            &email.subject_id,
            email.template,
            &email.to_address,
            &email.subject,
            &email.text_body,
            &email.html_body,
            email.now
        ))
        .await?;
    Ok(done == 1)
}

/// Ids of emails due at `now` and not leased by another mailer, oldest due first.
pub(crate) async fn due_ids(conn: &mut Conn<'_>, now: i64, limit: i64) -> Result<Vec<String>> {
    let rows = conn
        .fetch_all(&sql!(
            "SELECT id FROM emails \
             WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1 \
               AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT $2",
            now,
            limit
        ))
        .await?;
    rows.iter().map(|r| Ok(r.text(0)?)).collect()
}

/// What the mailer needs to send one claimed email.
pub(crate) struct ClaimedEmail {
    pub id: String,
    pub subject_id: String,
    pub template: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Attempts before this one.
    pub attempts: i64,
}

/// Claims one due email for this mailer until `lease_until`: one conditional UPDATE, so
/// of two mailers racing for a row exactly one wins. `None` when another mailer got it
/// first (or it is no longer due).
pub(crate) async fn claim(
    conn: &mut Conn<'_>,
    id: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<ClaimedEmail>> {
    let claimed = conn
        .fetch_optional(&sql!(
            "UPDATE emails SET status = 'sending', lease_until = $1 \
             WHERE id = $2 AND status IN ('pending', 'sending') AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING id, subject_id, template, to_address, subject, text_body, html_body, \
               attempts",
            lease_until,
            id,
            now
        ))
        .await?;
    let Some(row) = claimed else {
        return Ok(None);
    };
    Ok(Some(ClaimedEmail {
        id: row.text(0)?,
        subject_id: row.text(1)?,
        template: row.text(2)?,
        to_address: row.text(3)?,
        subject: row.text(4)?,
        text_body: row.text(5)?,
        html_body: row.text(6)?,
        attempts: row.int(7)?,
    }))
}

/// Records that the SMTP server (or file, or log) accepted the email.
pub(crate) async fn mark_sent(
    conn: &mut Conn<'_>,
    id: &str,
    attempts: i64,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE emails SET status = 'sent', attempts = $1, sent_at = $2, lease_until = NULL, \
               last_error = NULL \
             WHERE id = $3 AND status = 'sending'",
        attempts,
        now,
        id,
    ))
    .await?;
    Ok(())
}

/// Records a failed attempt: back to `pending` until `next_attempt_at`.
pub(crate) async fn mark_retry(
    conn: &mut Conn<'_>,
    id: &str,
    attempts: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE emails SET status = 'pending', attempts = $1, next_attempt_at = $2, \
               lease_until = NULL, last_error = $3 \
             WHERE id = $4 AND status = 'sending'",
        attempts,
        next_attempt_at,
        error,
        id,
    ))
    .await?;
    Ok(())
}

/// Parks an email that will never go out (bad address, permanent rejection, too many
/// attempts); it stays visible with the reason.
pub(crate) async fn mark_dead(
    conn: &mut Conn<'_>,
    id: &str,
    attempts: i64,
    error: &str,
) -> Result<()> {
    conn.execute(&sql!(
        "UPDATE emails SET status = 'dead', attempts = $1, lease_until = NULL, last_error = $2 \
             WHERE id = $3 AND status = 'sending'",
        attempts,
        error,
        id,
    ))
    .await?;
    Ok(())
}

/// Every email queued about an order or a customer, oldest first.
pub(crate) async fn emails_for(conn: &mut Conn<'_>, subject_id: &str) -> Result<Vec<EmailRecord>> {
    let rows = conn
        .fetch_all(&sql!(
            "SELECT id, subject_id, template, to_address, subject, status, attempts, \
               next_attempt_at, last_error, sent_at, created_at \
             FROM emails WHERE subject_id = $1 ORDER BY created_at, id",
            subject_id
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let status = r.text(5)?;
            Ok(EmailRecord {
                id: r.text(0)?,
                subject_id: r.text(1)?,
                template: r.text(2)?,
                to: r.text(3)?,
                subject: r.text(4)?,
                status: EmailStatus::parse(&status).ok_or_else(|| {
                    NotificationsError::Database(DbError::Decode(format!(
                        "status: unexpected stored value `{status}`"
                    )))
                })?,
                attempts: r.int(6)?,
                next_attempt_at: r.int(7)?,
                last_error: r.opt_text(8)?,
                sent_at: r.opt_int(9)?,
                created_at: r.int(10)?,
            })
        })
        .collect()
}

/// The subject and bodies of one email, as queued.
pub(crate) async fn content(conn: &mut Conn<'_>, id: &str) -> Result<Option<RenderedEmail>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT subject, text_body, html_body FROM emails WHERE id = $1",
            id
        ))
        .await?;
    row.map(|r| {
        Ok(RenderedEmail {
            subject: r.text(0)?,
            text: r.text(1)?,
            html: r.text(2)?,
        })
    })
    .transpose()
}
