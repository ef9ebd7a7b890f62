//! Single-use tokens mailed to a customer: email verification and password reset.
//! Stored as the SHA-256 of the token with the address it was mailed to; spent by one
//! conditional `UPDATE`, so of two requests racing with one token exactly one gets it.

use emporium_kernel::{db::Conn, sql};

use super::corrupt;
use crate::{ids::CustomerId, token::TokenHash, Result};

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// A token as [`insert`] writes it.
#[derive(Debug)]
pub(crate) struct NewToken {
    pub hash: TokenHash,
    pub customer_id: CustomerId,
    pub purpose: Purpose,
    /// The normalised address it is mailed to.
    pub email_normalized: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub(crate) async fn insert(conn: &mut Conn<'_>, t: &NewToken) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO customer_tokens \
           (token_hash, customer_id, purpose, email_normalized, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        t.hash.as_str(),
        &t.customer_id,
        t.purpose.as_str(),
        &t.email_normalized,
        t.created_at,
        t.expires_at
    ))
    .await?;
    Ok(())
}

/// Whose a token is and the address it was mailed to.
#[derive(Debug)]
pub(crate) struct Holder {
    pub customer_id: CustomerId,
    pub email_normalized: String,
}

fn holder(r: &emporium_kernel::db::Row) -> Result<Holder> {
    let id: String = r.get(0)?;
    Ok(Holder {
        customer_id: CustomerId::try_from(id)
            .map_err(|_| corrupt("customer_tokens.customer_id"))?,
        email_normalized: r.get(1)?,
    })
}

/// The holder of an unused, unexpired token for `purpose` whose address is still the
/// account's, without spending it (to check a new password before hashing it).
pub(crate) async fn find_live(
    conn: &mut Conn<'_>,
    hash: &TokenHash,
    purpose: Purpose,
    now: i64,
) -> Result<Option<Holder>> {
    let row = conn
        .fetch_optional(&sql!(
            "SELECT t.customer_id, t.email_normalized FROM customer_tokens t \
             JOIN customers c ON c.id = t.customer_id AND c.email_normalized = t.email_normalized \
             WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > $3",
            hash.as_str(),
            purpose.as_str(),
            now
        ))
        .await?;
    row.map(|r| holder(&r)).transpose()
}

/// Spends an unused, unexpired token for `purpose`: one conditional `UPDATE`. On
/// PostgreSQL a second request with the same token waits for the first one's row lock,
/// then finds `used_at` set and changes nothing; SQLite runs writes one at a time.
/// `None`: unknown, expired, used, or lost the race.
pub(crate) async fn spend(
    conn: &mut Conn<'_>,
    hash: &TokenHash,
    purpose: Purpose,
    now: i64,
) -> Result<Option<Holder>> {
    let row = conn
        .fetch_optional(&sql!(
            "UPDATE customer_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
             RETURNING customer_id, email_normalized",
            now,
            hash.as_str(),
            purpose.as_str()
        ))
        .await?;
    row.map(|r| holder(&r)).transpose()
}

/// Spends every unused token of the customer for `purpose` (a password set, an email
/// changed: links already mailed stop working).
pub(crate) async fn spend_all(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    purpose: Purpose,
    now: i64,
) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "UPDATE customer_tokens SET used_at = $1 \
             WHERE customer_id = $2 AND purpose = $3 AND used_at IS NULL",
            now,
            customer_id,
            purpose.as_str()
        ))
        .await?)
}

/// When the customer's latest token for `purpose` was made, if any.
pub(crate) async fn latest(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    purpose: Purpose,
) -> Result<Option<i64>> {
    Ok(conn
        .fetch_scalar(&sql!(
            "SELECT MAX(created_at) FROM customer_tokens WHERE customer_id = $1 AND purpose = $2",
            customer_id,
            purpose.as_str()
        ))
        .await?)
}

/// Deletes tokens that expired before `now` (used ones included: they expire too).
pub(crate) async fn purge(conn: &mut Conn<'_>, now: i64) -> Result<u64> {
    Ok(conn
        .execute(&sql!(
            "DELETE FROM customer_tokens WHERE expires_at <= $1",
            now
        ))
        .await?)
}
