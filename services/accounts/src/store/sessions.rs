//! Login sessions, found by the SHA-256 of their token.

use std::sync::LazyLock;

use emporium_kernel::{
    db::{Conn, Row},
    sql,
};

use super::corrupt;
use crate::{
    ids::{CustomerId, SessionId},
    token::TokenHash,
    Result, Session,
};

const COLUMNS: &str = "id, customer_id, created_at, last_seen_at, expires_at, absolute_expires_at";

fn session(r: &Row) -> Result<Session> {
    let id: String = r.get(0)?;
    let customer_id: String = r.get(1)?;
    Ok(Session {
        id: SessionId::try_from(id).map_err(|_| corrupt("customer_sessions.id"))?,
        customer_id: CustomerId::try_from(customer_id)
            .map_err(|_| corrupt("customer_sessions.customer_id"))?,
        created_at: r.get(2)?,
        last_seen_at: r.get(3)?,
        expires_at: r.get(4)?,
        absolute_expires_at: r.get(5)?,
    })
}

pub(crate) async fn insert(conn: &mut Conn<'_>, s: &Session, token: &TokenHash) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO customer_sessions \
           (id, customer_id, token_hash, created_at, last_seen_at, expires_at, absolute_expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &s.id,
        &s.customer_id,
        token.as_str(),
        s.created_at,
        s.last_seen_at,
        s.expires_at,
        s.absolute_expires_at
    ))
    .await?;
    Ok(())
}

static FIND_BY_TOKEN: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM customer_sessions WHERE token_hash = $1"));

/// The session of a token, live or not.
pub(crate) async fn find_by_token(
    conn: &mut Conn<'_>,
    token: &TokenHash,
) -> Result<Option<Session>> {
    let row = conn
        .fetch_optional(&sql!(&*FIND_BY_TOKEN, token.as_str()))
        .await?;
    row.map(|r| session(&r)).transpose()
}

/// `$1` now, `$2` the new expiry, `$3` the session.
static TOUCH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customer_sessions SET last_seen_at = $1, expires_at = $2 \
         WHERE id = $3 AND expires_at > $1 AND absolute_expires_at > $1 \
         RETURNING {COLUMNS}"
    )
});

/// Records use of a live session and moves its expiry to `expires_at`. `None` when the
/// session was revoked or expired meanwhile.
pub(crate) async fn touch(
    conn: &mut Conn<'_>,
    id: &SessionId,
    now: i64,
    expires_at: i64,
) -> Result<Option<Session>> {
    let row = conn
        .fetch_optional(&sql!(&*TOUCH, now, expires_at, id))
        .await?;
    row.map(|r| session(&r)).transpose()
}

pub(crate) async fn delete_by_token(conn: &mut Conn<'_>, token: &TokenHash) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "DELETE FROM customer_sessions WHERE token_hash = $1",
            token.as_str()
        ))
        .await?)
}

/// Deletes the customer's sessions but `keep` (if it is theirs); returns how many went.
pub(crate) async fn delete_for_customer(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    keep: Option<&SessionId>,
) -> Result<u64> {
    let deleted = match keep {
        Some(keep) => {
            conn.execute(&sql!(
                "DELETE FROM customer_sessions WHERE customer_id = $1 AND id <> $2",
                customer_id,
                keep
            ))
            .await?
        }
        None => {
            conn.execute(&sql!(
                "DELETE FROM customer_sessions WHERE customer_id = $1",
                customer_id
            ))
            .await?
        }
    };
    Ok(deleted)
}

/// The customer's live sessions, newest first.
pub(crate) async fn live_for_customer(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    now: i64,
) -> Result<Vec<Session>> {
    conn.fetch_all(&sql!(
        format!(
            "SELECT {COLUMNS} FROM customer_sessions \
             WHERE customer_id = $1 AND expires_at > $2 AND absolute_expires_at > $2 \
             ORDER BY created_at DESC, id DESC"
        ),
        customer_id,
        now
    ))
    .await?
    .iter()
    .map(session)
    .collect()
}

/// Deletes sessions that ended before `now`. `expires_at` is never after
/// `absolute_expires_at` (a CHECK), so it alone says which, and its index finds them.
pub(crate) async fn purge(conn: &mut Conn<'_>, now: i64) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "DELETE FROM customer_sessions WHERE expires_at <= $1",
            now
        ))
        .await?)
}
