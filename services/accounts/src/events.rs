//! The events this service appends, each inside the write that makes its change (the
//! payloads are documented at the top of the crate). The aggregate id is the customer
//! id. The payload structs are `Serialize` only: no `Debug`, since two of them carry a
//! raw token.

use emporium_kernel::{clock::rfc3339, db::Conn, events::append};
use serde::Serialize;

use crate::{token::SecretToken, Customer, Result};

pub const REGISTERED: &str = "customer.registered";
pub const VERIFICATION_REQUESTED: &str = "customer.verification_requested";
pub const PASSWORD_RESET_REQUESTED: &str = "customer.password_reset_requested";
pub const REGISTRATION_ATTEMPTED_EXISTING: &str = "customer.registration_attempted_existing";
pub const PASSWORD_CHANGED: &str = "customer.password_changed";
pub const EMAIL_CHANGED: &str = "customer.email_changed";

/// Why a verification email is sent (`reason` in its payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VerificationReason {
    Registration,
    Requested,
    EmailChanged,
}

/// How a password was set (`via` in `customer.password_changed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PasswordVia {
    Change,
    Reset,
}

#[derive(Serialize)]
struct Registered<'a> {
    customer_id: &'a str,
    email: &'a str,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    registered_at: String,
}

#[derive(Serialize)]
struct WithToken<'a> {
    customer_id: &'a str,
    email: &'a str,
    first_name: Option<&'a str>,
    token: &'a str,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<VerificationReason>,
}

#[derive(Serialize)]
struct AttemptedExisting<'a> {
    customer_id: &'a str,
    email: &'a str,
    first_name: Option<&'a str>,
    attempted_at: String,
}

#[derive(Serialize)]
struct PasswordChanged<'a> {
    customer_id: &'a str,
    email: &'a str,
    first_name: Option<&'a str>,
    changed_at: String,
    via: PasswordVia,
}

#[derive(Serialize)]
struct EmailChanged<'a> {
    customer_id: &'a str,
    old_email: &'a str,
    new_email: &'a str,
    first_name: Option<&'a str>,
    changed_at: String,
}

async fn put<T: Serialize>(
    conn: &mut Conn<'_>,
    topic: &str,
    c: &Customer,
    payload: &T,
) -> Result<()> {
    append(conn, topic, c.id.as_str(), payload, None).await?;
    Ok(())
}

impl<'a> WithToken<'a> {
    /// The payload of a link mailed to `c.email`.
    fn new(
        c: &'a Customer,
        token: &'a SecretToken,
        expires_at: i64,
        reason: Option<VerificationReason>,
    ) -> Self {
        WithToken {
            customer_id: c.id.as_str(),
            email: c.email.as_str(),
            first_name: c.first_name.as_deref(),
            token: token.expose(),
            expires_at: rfc3339(expires_at),
            reason,
        }
    }
}

pub(crate) async fn registered(conn: &mut Conn<'_>, c: &Customer) -> Result<()> {
    let payload = Registered {
        customer_id: c.id.as_str(),
        email: c.email.as_str(),
        first_name: c.first_name.as_deref(),
        last_name: c.last_name.as_deref(),
        registered_at: rfc3339(c.created_at),
    };
    put(conn, REGISTERED, c, &payload).await
}

/// To `c.email`, which must be the address the token was made for.
pub(crate) async fn verification_requested(
    conn: &mut Conn<'_>,
    c: &Customer,
    token: &SecretToken,
    expires_at: i64,
    reason: VerificationReason,
) -> Result<()> {
    let payload = WithToken::new(c, token, expires_at, Some(reason));
    put(conn, VERIFICATION_REQUESTED, c, &payload).await
}

pub(crate) async fn password_reset_requested(
    conn: &mut Conn<'_>,
    c: &Customer,
    token: &SecretToken,
    expires_at: i64,
) -> Result<()> {
    let payload = WithToken::new(c, token, expires_at, None);
    put(conn, PASSWORD_RESET_REQUESTED, c, &payload).await
}

pub(crate) async fn registration_attempted_existing(
    conn: &mut Conn<'_>,
    c: &Customer,
    at: i64,
) -> Result<()> {
    let payload = AttemptedExisting {
        customer_id: c.id.as_str(),
        email: c.email.as_str(),
        first_name: c.first_name.as_deref(),
        attempted_at: rfc3339(at),
    };
    put(conn, REGISTRATION_ATTEMPTED_EXISTING, c, &payload).await
}

pub(crate) async fn password_changed(
    conn: &mut Conn<'_>,
    c: &Customer,
    at: i64,
    via: PasswordVia,
) -> Result<()> {
    let payload = PasswordChanged {
        customer_id: c.id.as_str(),
        email: c.email.as_str(),
        first_name: c.first_name.as_deref(),
        changed_at: rfc3339(at),
        via,
    };
    put(conn, PASSWORD_CHANGED, c, &payload).await
}

/// `c` as it now is (with the new email).
pub(crate) async fn email_changed(
    conn: &mut Conn<'_>,
    c: &Customer,
    old_email: &str,
    at: i64,
) -> Result<()> {
    let payload = EmailChanged {
        customer_id: c.id.as_str(),
        old_email,
        new_email: c.email.as_str(),
        first_name: c.first_name.as_deref(),
        changed_at: rfc3339(at),
    };
    put(conn, EMAIL_CHANGED, c, &payload).await
}
