//! Email verification and password reset: single-use links that expire.

use emporium_kernel::contact::Email;

use crate::{
    error::AccountError,
    events::{self, PasswordVia, VerificationReason},
    ids::CustomerId,
    ms, password,
    store::{
        customers::{self, normalize},
        sessions,
        tokens::{self, NewToken, Purpose},
    },
    token::{SecretToken, TokenHash},
    Accounts, Result, VerificationRequest,
};

/// Whether a link for `purpose` went to the customer less than `interval` ago.
async fn too_soon(
    conn: &mut emporium_kernel::db::Conn<'_>,
    customer_id: &CustomerId,
    purpose: Purpose,
    now: i64,
    interval: i64,
) -> Result<bool> {
    let latest = tokens::latest(conn, customer_id, purpose).await?;
    Ok(latest.is_some_and(|at| at > now.saturating_sub(interval)))
}

pub(crate) async fn request_verification(
    a: &Accounts,
    customer_id: &CustomerId,
) -> Result<VerificationRequest> {
    let now = a.now();
    let expires_at = now.saturating_add(ms(a.config.verification_ttl));
    let interval = ms(a.config.email_interval);
    let token = SecretToken::generate();
    let id = customer_id.clone();
    let outcome =
        a.db.write(async move |conn| {
            let Some(c) = customers::find(conn, &id).await? else {
                return Err(AccountError::NotFound);
            };
            if c.email_verified() {
                return Ok(VerificationRequest::AlreadyVerified);
            }
            if too_soon(conn, &c.id, Purpose::VerifyEmail, now, interval).await? {
                return Ok(VerificationRequest::TooSoon);
            }
            tokens::insert(
                conn,
                &NewToken {
                    hash: token.hashed(),
                    customer_id: c.id.clone(),
                    purpose: Purpose::VerifyEmail,
                    email_normalized: normalize(&c.email),
                    created_at: now,
                    expires_at,
                },
            )
            .await?;
            events::verification_requested(
                conn,
                &c,
                &token,
                expires_at,
                VerificationReason::Requested,
            )
            .await?;
            Ok(VerificationRequest::Sent { expires_at })
        })
        .await?;
    if let VerificationRequest::Sent { .. } = outcome {
        a.bus.wake();
        tracing::info!(customer_id = %customer_id, "email verification requested");
    }
    Ok(outcome)
}

pub(crate) async fn verify_email(a: &Accounts, token: &str) -> Result<CustomerId> {
    let Some(hash) = TokenHash::of_presented(token) else {
        return Err(AccountError::TokenInvalid);
    };
    let now = a.now();
    let customer_id =
        a.db.write(async move |conn| {
            let Some(holder) = tokens::spend(conn, &hash, Purpose::VerifyEmail, now).await? else {
                return Err(AccountError::TokenInvalid);
            };
            // The link verifies the address it was mailed to, not one set since.
            if !customers::mark_verified(conn, &holder.customer_id, &holder.email_normalized, now)
                .await?
            {
                return Err(AccountError::TokenInvalid);
            }
            Ok(holder.customer_id)
        })
        .await?;
    tracing::info!(customer_id = %customer_id, "email verified");
    Ok(customer_id)
}

pub(crate) async fn request_reset(a: &Accounts, email: &str) -> Result<()> {
    let email = Email::parse("email", email)?;
    let normalized = normalize(&email);
    let now = a.now();
    let expires_at = now.saturating_add(ms(a.config.password_reset_ttl));
    let interval = ms(a.config.email_interval);
    let token = SecretToken::generate();
    // The account is looked up inside the write, so an address without an account
    // costs a write like one with: the answer's timing does not say which it was.
    let sent =
        a.db.write(async move |conn| {
            let Some(c) = customers::find_by_email(conn, &normalized).await? else {
                return Ok(None);
            };
            if too_soon(conn, &c.id, Purpose::ResetPassword, now, interval).await? {
                return Ok(None);
            }
            tokens::insert(
                conn,
                &NewToken {
                    hash: token.hashed(),
                    customer_id: c.id.clone(),
                    purpose: Purpose::ResetPassword,
                    email_normalized: normalized,
                    created_at: now,
                    expires_at,
                },
            )
            .await?;
            events::password_reset_requested(conn, &c, &token, expires_at).await?;
            Ok::<_, AccountError>(Some(c.id))
        })
        .await?;
    match sent {
        Some(id) => {
            a.bus.wake();
            tracing::info!(customer_id = %id, "password reset requested");
        }
        None => tracing::info!(
            "password reset requested for an address without an account, or again within the email interval: nothing sent"
        ),
    }
    Ok(())
}

pub(crate) async fn confirm_reset(a: &Accounts, token: &str, new: &str) -> Result<CustomerId> {
    let Some(hash) = TokenHash::of_presented(token) else {
        return Err(AccountError::TokenInvalid);
    };
    // Read first, to check the new password against the account's email before
    // spending the link (a refused password leaves it usable) and before hashing.
    let now = a.now();
    let customer =
        a.db.read(async |conn| {
            let Some(holder) = tokens::find_live(conn, &hash, Purpose::ResetPassword, now).await?
            else {
                return Ok(None);
            };
            customers::find(conn, &holder.customer_id).await
        })
        .await?
        .ok_or(AccountError::TokenInvalid)?;
    password::check_new("new_password", new, &customer.email)?;
    let new_hash = a.hasher.hash(new).await?;
    let now = a.now();
    let customer_id =
        a.db.write(async move |conn| {
            // The one conditional UPDATE that decides which of two racing requests
            // gets the link; the loser finds it used and changes nothing.
            let Some(holder) = tokens::spend(conn, &hash, Purpose::ResetPassword, now).await?
            else {
                return Err(AccountError::TokenInvalid);
            };
            let Some(c) = customers::reset_password(
                conn,
                &holder.customer_id,
                &holder.email_normalized,
                &new_hash,
                now,
            )
            .await?
            else {
                return Err(AccountError::TokenInvalid);
            };
            tokens::spend_all(conn, &c.id, Purpose::ResetPassword, now).await?;
            sessions::delete_for_customer(conn, &c.id, None).await?;
            events::password_changed(conn, &c, now, PasswordVia::Reset).await?;
            Ok(c.id)
        })
        .await?;
    a.bus.wake();
    tracing::info!(customer_id = %customer_id, "password reset; every session ended");
    Ok(customer_id)
}
