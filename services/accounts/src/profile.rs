//! The profile: names, phone, and the email.

use emporium_kernel::contact::Email;

use crate::{
    error::AccountError,
    events::{self, VerificationReason},
    ids::CustomerId,
    ms,
    password::{self, Verdict},
    store::{
        customers::{self, normalize},
        tokens::{self, NewToken, Purpose},
    },
    token::SecretToken,
    Accounts, Customer, ProfileUpdate, Result,
};

/// Most characters in a first or last name.
const MAX_NAME_CHARS: usize = 100;
/// Most characters in a phone number as typed.
const MAX_PHONE_CHARS: usize = 32;

/// A name field: trimmed, blank is `None`, at most 100 characters, no control
/// characters (names go into email headers).
pub(crate) fn name(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(AccountError::invalid(
            field,
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AccountError::invalid(
            field,
            "must not contain line breaks or control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// A phone number: trimmed, blank is `None`, digits with spaces and `+ - ( ) . /`, at
/// least 4 digits, at most 32 characters.
fn phone(value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let allowed = |c: char| c.is_ascii_digit() || " +-()./".contains(c);
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if value.chars().count() > MAX_PHONE_CHARS || !value.chars().all(allowed) || digits < 4 {
        return Err(AccountError::invalid(
            "phone",
            "give a phone number of digits, spaces and + - ( ) . /, e.g. +49 30 1234567",
        ));
    }
    Ok(Some(value.to_owned()))
}

pub(crate) async fn get(a: &Accounts, customer_id: &CustomerId) -> Result<Customer> {
    a.db.read(async |conn| customers::find(conn, customer_id).await)
        .await?
        .ok_or(AccountError::NotFound)
}

pub(crate) async fn update(
    a: &Accounts,
    customer_id: &CustomerId,
    update: ProfileUpdate,
) -> Result<Customer> {
    let checked = ProfileUpdate {
        first_name: name("first_name", update.first_name.as_deref())?,
        last_name: name("last_name", update.last_name.as_deref())?,
        phone: phone(update.phone.as_deref())?,
    };
    let now = a.now();
    let id = customer_id.clone();
    let customer =
        a.db.write(async move |conn| customers::update_profile(conn, &id, &checked, now).await)
            .await?
            .ok_or(AccountError::NotFound)?;
    tracing::info!(customer_id = %customer.id, "profile updated");
    Ok(customer)
}

pub(crate) async fn change_email(
    a: &Accounts,
    customer_id: &CustomerId,
    current_password: &str,
    new_email: &str,
) -> Result<Customer> {
    let email = Email::parse("email", new_email)?;
    let found =
        a.db.read(async |conn| customers::find_with_hash(conn, customer_id).await)
            .await?
            .ok_or(AccountError::NotFound)?;
    if !password::could_be_valid(current_password) {
        return Err(AccountError::InvalidCredentials);
    }
    if a.hasher
        .verify(current_password, Some(&found.password_hash))
        .await?
        == Verdict::Mismatch
    {
        tracing::info!(customer_id = %customer_id, "email change refused: wrong password");
        return Err(AccountError::InvalidCredentials);
    }
    if email == found.customer.email {
        return Ok(found.customer);
    }
    let same_address = normalize(&email) == normalize(&found.customer.email);
    let now = a.now();
    let expires_at = now.saturating_add(ms(a.config.verification_ttl));
    let token = SecretToken::generate();
    let id = customer_id.clone();
    let customer =
        a.db.write(async move |conn| {
            let old_email = found.customer.email;
            let Some(c) =
                customers::change_email(conn, &id, &email, &found.password_hash, now).await?
            else {
                // The password changed since it was checked.
                return Err(AccountError::InvalidCredentials);
            };
            if same_address {
                return Ok(c);
            }
            // Links mailed to the old address stop working.
            tokens::spend_all(conn, &id, Purpose::VerifyEmail, now).await?;
            tokens::spend_all(conn, &id, Purpose::ResetPassword, now).await?;
            tokens::insert(
                conn,
                &NewToken {
                    hash: token.hashed(),
                    customer_id: id.clone(),
                    purpose: Purpose::VerifyEmail,
                    email_normalized: normalize(&c.email),
                    created_at: now,
                    expires_at,
                },
            )
            .await?;
            events::email_changed(conn, &c, old_email.as_str(), now).await?;
            events::verification_requested(
                conn,
                &c,
                &token,
                expires_at,
                VerificationReason::EmailChanged,
            )
            .await?;
            Ok(c)
        })
        .await?;
    if !same_address {
        a.bus.wake();
    }
    tracing::info!(customer_id = %customer.id, "email changed");
    Ok(customer)
}
