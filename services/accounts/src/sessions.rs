//! Login, sessions, logout, and changing the password.

use emporium_kernel::contact::Email;

use crate::{
    error::AccountError,
    events::{self, PasswordVia},
    ids::{CustomerId, SessionId},
    ms,
    password::{self, Verdict},
    store::{
        customers::{self, normalize, WithHash},
        sessions,
        tokens::{self, Purpose},
    },
    token::{SecretToken, TokenHash},
    Accounts, LoggedIn, Result, Session,
};

pub(crate) async fn login(a: &Accounts, email: &str, password: &str) -> Result<LoggedIn> {
    // Input no account can match is refused at once: that depends on the input only,
    // never on whether an account exists.
    let Ok(email) = Email::parse("email", email) else {
        return Err(AccountError::InvalidCredentials);
    };
    if !password::could_be_valid(password) {
        return Err(AccountError::InvalidCredentials);
    }
    let normalized = normalize(&email);
    let found =
        a.db.read(async |conn| customers::find_by_email_with_hash(conn, &normalized).await)
            .await?;
    // One argon2 verification whether or not the email has an account (against the
    // dummy hash when it has none): the same work, the same time, the same error.
    let verdict = a
        .hasher
        .verify(password, found.as_ref().map(|f| f.password_hash.as_str()))
        .await?;
    let (
        WithHash {
            customer,
            password_hash,
        },
        outdated,
    ) = match (found, verdict) {
        (Some(found), Verdict::Match { outdated }) => (found, outdated),
        (found, _) => {
            match found {
                Some(f) => {
                    tracing::info!(customer_id = %f.customer.id, "login refused: wrong password")
                }
                None => tracing::info!("login refused: no account for this email"),
            }
            return Err(AccountError::InvalidCredentials);
        }
    };
    // A hash made with older parameters is upgraded while we have the password.
    let upgraded = if outdated {
        Some(a.hasher.hash(password).await?)
    } else {
        None
    };
    let now = a.now();
    let absolute_expires_at = now.saturating_add(ms(a.config.session_max_lifetime));
    let session = Session {
        id: SessionId::new(),
        customer_id: customer.id.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now
            .saturating_add(ms(a.config.session_idle_timeout))
            .min(absolute_expires_at),
        absolute_expires_at,
    };
    let token = SecretToken::generate();
    let (row, hash) = (session.clone(), token.hashed());
    let opened =
        a.db.write(async move |conn| {
            let still = customers::record_login(
                conn,
                &row.customer_id,
                &password_hash,
                upgraded.as_deref(),
                now,
            )
            .await?;
            if still {
                sessions::insert(conn, &row, &hash).await?;
            }
            Ok::<_, AccountError>(still)
        })
        .await?;
    if !opened {
        tracing::info!(customer_id = %customer.id, "login refused: the password changed meanwhile");
        return Err(AccountError::InvalidCredentials);
    }
    tracing::info!(customer_id = %customer.id, session_id = %session.id, "customer logged in");
    Ok(LoggedIn {
        token,
        session,
        customer,
    })
}

pub(crate) async fn authenticate(a: &Accounts, token: &str) -> Result<Option<Session>> {
    let Some(hash) = TokenHash::of_presented(token) else {
        return Ok(None);
    };
    let found =
        a.db.read(async |conn| sessions::find_by_token(conn, &hash).await)
            .await?;
    let now = a.now();
    let Some(session) = found.filter(|s| s.is_live(now)) else {
        return Ok(None);
    };
    if now.saturating_sub(session.last_seen_at) < ms(a.config.session_touch_interval) {
        return Ok(Some(session));
    }
    let expires_at = now
        .saturating_add(ms(a.config.session_idle_timeout))
        .min(session.absolute_expires_at);
    let id = session.id.clone();
    a.db.write(async move |conn| sessions::touch(conn, &id, now, expires_at).await)
        .await
}

pub(crate) async fn logout(a: &Accounts, token: &str) -> Result<()> {
    let Some(hash) = TokenHash::of_presented(token) else {
        return Ok(());
    };
    let ended =
        a.db.write(async move |conn| sessions::delete_by_token(conn, &hash).await)
            .await?;
    if ended > 0 {
        tracing::info!("customer logged out");
    }
    Ok(())
}

pub(crate) async fn logout_everywhere(a: &Accounts, customer_id: &CustomerId) -> Result<u64> {
    let id = customer_id.clone();
    let ended =
        a.db.write(async move |conn| sessions::delete_for_customer(conn, &id, None).await)
            .await?;
    tracing::info!(customer_id = %customer_id, sessions = ended, "customer logged out everywhere");
    Ok(ended)
}

pub(crate) async fn list(a: &Accounts, customer_id: &CustomerId) -> Result<Vec<Session>> {
    let now = a.now();
    a.db.read(async |conn| sessions::live_for_customer(conn, customer_id, now).await)
        .await
}

pub(crate) async fn change_password(
    a: &Accounts,
    customer_id: &CustomerId,
    keep: Option<&SessionId>,
    current: &str,
    new: &str,
) -> Result<()> {
    let found =
        a.db.read(async |conn| customers::find_with_hash(conn, customer_id).await)
            .await?
            .ok_or(AccountError::NotFound)?;
    password::check_new("new_password", new, &found.customer.email)?;
    if !password::could_be_valid(current) {
        return Err(AccountError::InvalidCredentials);
    }
    match a.hasher.verify(current, Some(&found.password_hash)).await? {
        Verdict::Match { .. } => {}
        Verdict::Mismatch => {
            tracing::info!(customer_id = %customer_id, "password change refused: wrong current password");
            return Err(AccountError::InvalidCredentials);
        }
    }
    let new_hash = a.hasher.hash(new).await?;
    let now = a.now();
    let (id, keep) = (customer_id.clone(), keep.cloned());
    let ended =
        a.db.write(async move |conn| {
            // Only if the password is still the one just checked: a concurrent change
            // or reset wins, and this one is refused like a wrong current password.
            let Some(c) =
                customers::change_password(conn, &id, &found.password_hash, &new_hash, now).await?
            else {
                return Err(AccountError::InvalidCredentials);
            };
            let ended = sessions::delete_for_customer(conn, &id, keep.as_ref()).await?;
            tokens::spend_all(conn, &id, Purpose::ResetPassword, now).await?;
            events::password_changed(conn, &c, now, PasswordVia::Change).await?;
            Ok(ended)
        })
        .await?;
    a.bus.wake();
    tracing::info!(customer_id = %customer_id, other_sessions_ended = ended, "password changed");
    Ok(())
}
