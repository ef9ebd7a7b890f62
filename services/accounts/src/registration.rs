//! Registration: a new account, or a notice to the owner of an existing one.

use emporium_kernel::contact::Email;

use crate::{
    error::AccountError,
    events::{self, VerificationReason},
    ids::CustomerId,
    ms, password, profile,
    store::{
        customers::{self, normalize, NewCustomer},
        tokens::{self, NewToken, Purpose},
    },
    token::SecretToken,
    Accounts, Customer, Registered, Registration, Result,
};

/// What the write found.
enum Outcome {
    Created,
    /// `noticed`: the account whose owner is told (`None` when a notice went out within
    /// the email interval).
    Existing {
        noticed: Option<CustomerId>,
    },
}

/// The registration's fields as they would be stored, or the first rule it breaks.
pub(crate) fn validate(input: &Registration) -> Result<(Email, Option<String>, Option<String>)> {
    let email = Email::parse("email", &input.email)?;
    let first_name = profile::name("first_name", input.first_name.as_deref())?;
    let last_name = profile::name("last_name", input.last_name.as_deref())?;
    password::check_new("password", &input.password, &email)?;
    Ok((email, first_name, last_name))
}

pub(crate) async fn register(a: &Accounts, input: Registration) -> Result<Registered> {
    let (email, first_name, last_name) = validate(&input)?;
    // Hashed before we know whether the email has an account, so that both answers
    // cost the same; and before the write, which must only run statements.
    let password_hash = a.hasher.hash(&input.password).await?;
    let now = a.now();
    let customer = Customer {
        id: CustomerId::new(),
        email,
        email_verified_at: None,
        first_name,
        last_name,
        phone: None,
        created_at: now,
        updated_at: now,
    };
    let token = SecretToken::generate();
    let expires_at = now.saturating_add(ms(a.config.verification_ttl));
    let interval = ms(a.config.email_interval);
    let new = NewCustomer {
        customer: customer.clone(),
        password_hash,
    };
    let outcome =
        a.db.write(async move |conn| {
            let c = &new.customer;
            let normalized = normalize(&c.email);
            if customers::insert_if_new(conn, &new).await? {
                tokens::insert(
                    conn,
                    &NewToken {
                        hash: token.hashed(),
                        customer_id: c.id.clone(),
                        purpose: Purpose::VerifyEmail,
                        email_normalized: normalized,
                        created_at: now,
                        expires_at,
                    },
                )
                .await?;
                events::registered(conn, c).await?;
                events::verification_requested(
                    conn,
                    c,
                    &token,
                    expires_at,
                    VerificationReason::Registration,
                )
                .await?;
                return Ok(Outcome::Created);
            }
            let noticed =
                customers::note_existing_attempt(conn, &normalized, now, interval).await?;
            if let Some(existing) = &noticed {
                events::registration_attempted_existing(conn, existing, now).await?;
            }
            Ok::<_, AccountError>(Outcome::Existing {
                noticed: noticed.map(|c| c.id),
            })
        })
        .await?;
    match outcome {
        Outcome::Created => {
            a.bus.wake();
            tracing::info!(customer_id = %customer.id, "customer registered");
            Ok(Registered::Created(customer))
        }
        Outcome::Existing { noticed } => {
            match noticed {
                Some(id) => {
                    a.bus.wake();
                    tracing::info!(customer_id = %id, "registration with an existing account's email: its owner is told");
                }
                None => tracing::info!(
                    "registration with an existing account's email: its owner was told less than an interval ago"
                ),
            }
            Ok(Registered::Existing)
        }
    }
}
