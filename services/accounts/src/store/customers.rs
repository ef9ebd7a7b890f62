//! Customers.
//!
//! `password_hash` is read only by the two functions that need it for a verification
//! ([`find_by_email_with_hash`], [`find_with_hash`]) and travels in a [`WithHash`],
//! whose `Debug` hides it.

use std::{fmt, sync::LazyLock};

use emporium_kernel::{
    contact::Email,
    db::{Conn, Row},
    sql,
};

use super::corrupt;
use crate::{error::AccountError, ids::CustomerId, Customer, ProfileUpdate, Result};

pub(crate) const COLUMNS: &str =
    "id, email, email_verified_at, first_name, last_name, phone, created_at, updated_at";

/// A [`Customer`] from a row whose columns from `at` on are [`COLUMNS`].
pub(crate) fn customer(r: &Row, at: usize) -> Result<Customer> {
    let id: String = r.get(at)?;
    let email: String = r.get(at + 1)?;
    Ok(Customer {
        id: CustomerId::try_from(id).map_err(|_| corrupt("customers.id"))?,
        email: Email::parse("email", &email).map_err(|_| corrupt("customers.email"))?,
        email_verified_at: r.get(at + 2)?,
        first_name: r.get(at + 3)?,
        last_name: r.get(at + 4)?,
        phone: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
        updated_at: r.get(at + 7)?,
    })
}

/// A customer with their stored password hash.
pub(crate) struct WithHash {
    pub customer: Customer,
    pub password_hash: String,
}

impl fmt::Debug for WithHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithHash")
            .field("customer", &self.customer)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

fn with_hash(r: &Row) -> Result<WithHash> {
    Ok(WithHash {
        customer: customer(r, 0)?,
        password_hash: r.get(8)?,
    })
}

/// The lower-case form of an email, which is what makes accounts unique.
pub(crate) fn normalize(email: &Email) -> String {
    email.as_str().to_lowercase()
}

/// A new account as [`insert_if_new`] writes it.
pub(crate) struct NewCustomer {
    pub customer: Customer,
    pub password_hash: String,
}

/// Inserts the account unless its email (in any case) has one already: `false` then,
/// and nothing changed. `ON CONFLICT DO NOTHING` keeps the write usable on PostgreSQL
/// (a unique violation would abort its transaction), and two registrations racing for
/// one address end with one account and one `false`.
pub(crate) async fn insert_if_new(conn: &mut Conn<'_>, new: &NewCustomer) -> Result<bool> {
    let c = &new.customer;
    let row = conn
        .fetch_optional(&sql!(
            "INSERT INTO customers (id, email, email_normalized, email_verified_at, \
               password_hash, password_changed_at, first_name, last_name, phone, created_at, \
               updated_at) \
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, NULL, $5, $5) \
             ON CONFLICT (email_normalized) DO NOTHING RETURNING id",
            &c.id,
            c.email.as_str(),
            normalize(&c.email),
            &new.password_hash,
            c.created_at,
            &c.first_name,
            &c.last_name
        ))
        .await?;
    Ok(row.is_some())
}

static FIND: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM customers WHERE id = $1"));

pub(crate) async fn find(conn: &mut Conn<'_>, id: &CustomerId) -> Result<Option<Customer>> {
    let row = conn.fetch_optional(&sql!(&*FIND, id)).await?;
    row.map(|r| customer(&r, 0)).transpose()
}

static FIND_WITH_HASH: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS}, password_hash FROM customers WHERE id = $1"));

pub(crate) async fn find_with_hash(
    conn: &mut Conn<'_>,
    id: &CustomerId,
) -> Result<Option<WithHash>> {
    let row = conn.fetch_optional(&sql!(&*FIND_WITH_HASH, id)).await?;
    row.map(|r| with_hash(&r)).transpose()
}

static FIND_BY_EMAIL_WITH_HASH: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {COLUMNS}, password_hash FROM customers WHERE email_normalized = $1")
});

pub(crate) async fn find_by_email_with_hash(
    conn: &mut Conn<'_>,
    normalized: &str,
) -> Result<Option<WithHash>> {
    let row = conn
        .fetch_optional(&sql!(&*FIND_BY_EMAIL_WITH_HASH, normalized))
        .await?;
    row.map(|r| with_hash(&r)).transpose()
}

static FIND_BY_EMAIL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM customers WHERE email_normalized = $1"));

pub(crate) async fn find_by_email(
    conn: &mut Conn<'_>,
    normalized: &str,
) -> Result<Option<Customer>> {
    let row = conn
        .fetch_optional(&sql!(&*FIND_BY_EMAIL, normalized))
        .await?;
    row.map(|r| customer(&r, 0)).transpose()
}

/// `$1` now, `$2` the normalised email, `$3` the earliest time of the last notice that
/// still holds a new one back.
static NOTE_EXISTING_ATTEMPT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customers SET existing_attempt_noticed_at = $1 \
         WHERE email_normalized = $2 \
           AND (existing_attempt_noticed_at IS NULL OR existing_attempt_noticed_at <= $3) \
         RETURNING {COLUMNS}"
    )
});

/// Records that someone tried to register with this email and returns its account,
/// unless a notice went out less than an interval ago (`None` then: no new notice).
pub(crate) async fn note_existing_attempt(
    conn: &mut Conn<'_>,
    normalized: &str,
    now: i64,
    interval_ms: i64,
) -> Result<Option<Customer>> {
    let row = conn
        .fetch_optional(&sql!(
            &*NOTE_EXISTING_ATTEMPT,
            now,
            normalized,
            now.saturating_sub(interval_ms)
        ))
        .await?;
    row.map(|r| customer(&r, 0)).transpose()
}

/// `$1` the new hash, `$2` now, `$3` the customer, `$4` the hash it must still have.
static CHANGE_PASSWORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customers SET password_hash = $1, password_changed_at = $2, updated_at = $2 \
         WHERE id = $3 AND password_hash = $4 RETURNING {COLUMNS}"
    )
});

/// Sets a new password hash if the stored one is still `expected` (what the current
/// password was verified against): `None` when it changed meanwhile.
pub(crate) async fn change_password(
    conn: &mut Conn<'_>,
    id: &CustomerId,
    expected: &str,
    new_hash: &str,
    now: i64,
) -> Result<Option<Customer>> {
    let row = conn
        .fetch_optional(&sql!(&*CHANGE_PASSWORD, new_hash, now, id, expected))
        .await?;
    row.map(|r| customer(&r, 0)).transpose()
}

/// `$1` the new hash, `$2` now, `$3` the customer, `$4` the normalised email the reset
/// token was mailed to.
static RESET_PASSWORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customers SET password_hash = $1, password_changed_at = $2, updated_at = $2, \
           email_verified_at = COALESCE(email_verified_at, $2) \
         WHERE id = $3 AND email_normalized = $4 RETURNING {COLUMNS}"
    )
});

/// Sets the password from a reset link mailed to `normalized`, if that is still the
/// account's email. Opening the link proved the customer reads that mail, so an
/// unverified email becomes verified.
pub(crate) async fn reset_password(
    conn: &mut Conn<'_>,
    id: &CustomerId,
    normalized: &str,
    new_hash: &str,
    now: i64,
) -> Result<Option<Customer>> {
    let row = conn
        .fetch_optional(&sql!(&*RESET_PASSWORD, new_hash, now, id, normalized))
        .await?;
    row.map(|r| customer(&r, 0)).transpose()
}

/// Marks the email verified if `normalized` is still the account's: `false` otherwise.
pub(crate) async fn mark_verified(
    conn: &mut Conn<'_>,
    id: &CustomerId,
    normalized: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE customers SET email_verified_at = COALESCE(email_verified_at, $1), \
               updated_at = $1 \
             WHERE id = $2 AND email_normalized = $3",
            now,
            id,
            normalized
        ))
        .await?;
    Ok(changed > 0)
}

static UPDATE_PROFILE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customers SET first_name = $1, last_name = $2, phone = $3, updated_at = $4 \
         WHERE id = $5 RETURNING {COLUMNS}"
    )
});

/// Replaces the names and phone (already checked).
pub(crate) async fn update_profile(
    conn: &mut Conn<'_>,
    id: &CustomerId,
    profile: &ProfileUpdate,
    now: i64,
) -> Result<Option<Customer>> {
    let row = conn
        .fetch_optional(&sql!(
            &*UPDATE_PROFILE,
            &profile.first_name,
            &profile.last_name,
            &profile.phone,
            now,
            id
        ))
        .await?;
    row.map(|r| customer(&r, 0)).transpose()
}

/// `$1` the email as typed, `$2` its normalised form, `$3` now, `$4` the customer, `$5`
/// the hash the current password was verified against.
static CHANGE_EMAIL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customers SET email = $1, email_normalized = $2, \
           email_verified_at = CASE WHEN email_normalized = $2 THEN email_verified_at END, \
           updated_at = $3 \
         WHERE id = $4 AND password_hash = $5 RETURNING {COLUMNS}"
    )
});

/// Sets a new email; the verification stays only when the address is the same in
/// another case. `None` when the password changed since it was verified. An address that
/// has another account is an `InvalidField` on `email`: only a signed-in customer who
/// also gave their password gets that far, so it tells nothing to a stranger.
pub(crate) async fn change_email(
    conn: &mut Conn<'_>,
    id: &CustomerId,
    email: &Email,
    expected_hash: &str,
    now: i64,
) -> Result<Option<Customer>> {
    let changed = conn
        .fetch_optional(&sql!(
            &*CHANGE_EMAIL,
            email.as_str(),
            normalize(email),
            now,
            id,
            expected_hash
        ))
        .await;
    let row = match changed {
        Ok(row) => row,
        Err(e) if e.is_unique_violation() => {
            return Err(AccountError::invalid(
                "email",
                "another account uses this email address",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    row.map(|r| customer(&r, 0)).transpose()
}

/// Records a change to the customer's address book. As a write's first statement it
/// locks the customer row on PostgreSQL, so changes to one address book (and its
/// defaults) run one after the other. `false` when there is no such customer.
pub(crate) async fn lock(conn: &mut Conn<'_>, id: &CustomerId, now: i64) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE customers SET updated_at = $1 WHERE id = $2",
            now,
            id
        ))
        .await?;
    Ok(changed > 0)
}

/// Records a login in the login's write, if the password hash is still `expected` (the
/// one the password was verified against), upgrading it to `upgraded` when given.
/// `false` when the password changed meanwhile: the login must fail, or a session
/// opened with the old password could outlive the reset that ended all sessions. As the
/// write's first statement it locks the customer row, so a concurrent password change
/// either waits for this login (and then ends its session) or runs first (and this
/// finds the hash changed).
pub(crate) async fn record_login(
    conn: &mut Conn<'_>,
    id: &CustomerId,
    expected: &str,
    upgraded: Option<&str>,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(&sql!(
            "UPDATE customers SET last_login_at = $1, password_hash = COALESCE($2, password_hash) \
             WHERE id = $3 AND password_hash = $4",
            now,
            upgraded,
            id,
            expected
        ))
        .await?;
    Ok(changed > 0)
}
