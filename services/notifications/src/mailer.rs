//! The mailer: drains due rows of the `emails` outbox through a lettre transport.
//!
//! Each row is claimed with one conditional UPDATE (status `sending` plus a lease)
//! before it is sent, so two mailers never send the same row; it is marked `sent` right
//! after the transport accepted it. A failed attempt goes back to `pending` with an
//! exponential backoff (2 s doubling, capped at 30 min); after [`MAX_ATTEMPTS`] the row
//! is parked as `dead` with the last error. Failures that no retry can fix (an
//! unparsable recipient, a permanent 5xx SMTP rejection) go `dead` at once.
//!
//! The one window left is a crash between the server's acceptance and the `sent` mark:
//! the lease then runs out and the email goes out again. Every email carries a
//! `Message-ID` derived from its row id, so mail clients fold such a repeat into one.

use std::path::Path;

use emporium_kernel::db::Database;
use lettre::{
    message::{Mailbox, MultiPart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::{
    error::{NotificationsError, Result},
    store::{self, ClaimedEmail},
    TransportConfig,
};

/// Attempts before an email is parked as `dead`.
pub const MAX_ATTEMPTS: i64 = 12;
/// Delay after the first failed attempt; doubles with each further failure.
pub const FIRST_RETRY_DELAY_MS: i64 = 2_000;
/// Longest delay between two attempts.
pub const MAX_RETRY_DELAY_MS: i64 = 30 * 60 * 1_000;
/// How long a claim holds: well above lettre's 60 s SMTP command timeout, so a slow
/// send is not taken over by a second mailer while it is still talking to the server.
pub const LEASE_MS: i64 = 5 * 60 * 1_000;
/// Emails claimed per batch.
const BATCH: i64 = 50;
/// Stored error texts are cut to this many characters.
const MAX_ERROR_LEN: usize = 1_000;

/// Delay before the next attempt after `attempts` failed ones: 2 s, 4 s, 8 s, … capped
/// at 30 minutes.
pub fn retry_delay_ms(attempts: i64) -> i64 {
    let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
    FIRST_RETRY_DELAY_MS
        .saturating_mul(1_i64 << exponent)
        .min(MAX_RETRY_DELAY_MS)
}

/// What one call of `deliver_due` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the transport and marked `sent`.
    pub sent: usize,
    /// Failed and scheduled for another attempt.
    pub failed: usize,
    /// Parked as `dead` (will not be retried).
    pub dead: usize,
}

/// A configured lettre transport.
#[derive(Clone)]
pub(crate) enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
    Log,
}

impl Transport {
    pub(crate) fn from_config(config: &TransportConfig) -> Result<Self> {
        match config {
            TransportConfig::Smtp { url } => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
                    NotificationsError::Config {
                        field: "transport.url",
                        message: format!(
                            "`{}` is not a usable SMTP URL ({e}): use smtp://host:port, smtps://host or smtp://host?tls=required",
                            emporium_kernel::db::redact(url)
                        ),
                    }
                })?;
                Ok(Transport::Smtp(builder.build()))
            }
            TransportConfig::File { dir } => {
                ensure_dir(dir)?;
                Ok(Transport::File(AsyncFileTransport::<Tokio1Executor>::new(
                    dir,
                )))
            }
            TransportConfig::Log => Ok(Transport::Log),
        }
    }

    /// Hands the message over. `Err((permanent, reason))` on failure.
    async fn send(&self, message: Message, email: &ClaimedEmail) -> Result<(), (bool, String)> {
        match self {
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(e) => Err((e.is_permanent(), format!("SMTP: {e}"))),
            },
            Transport::File(file) => match file.send(message).await {
                Ok(_) => Ok(()),
                Err(e) => Err((false, format!("file transport: {e}"))),
            },
            Transport::Log => {
                // Bodies and addresses stay out of logs; the row holds them.
                tracing::info!(
                    email_id = %email.id,
                    template = %email.template,
                    subject_id = %email.subject_id,
                    "email delivered to the log transport"
                );
                Ok(())
            }
        }
    }
}

fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| NotificationsError::Config {
        field: "transport.dir",
        message: format!("cannot create `{}`: {e}", dir.display()),
    })
}

/// The lettre message for a claimed row; `Err` is a reason that no retry can fix.
fn build_message(email: &ClaimedEmail, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = email
        .to_address
        .parse()
        .map_err(|e| format!("recipient address `{}` is invalid: {e}", email.to_address))?;
    // The row id makes the Message-ID stable across re-sends of the same email.
    let message_id = format!("<{}@{}>", email.id, from.email.domain());
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(message_id))
        .multipart(MultiPart::alternative_plain_html(
            email.text_body.clone(),
            email.html_body.clone(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

fn truncate(mut text: String) -> String {
    if let Some((cut, _)) = text.char_indices().nth(MAX_ERROR_LEN) {
        text.truncate(cut);
    }
    text
}

/// Sends every email due at `now`, in batches, and records each outcome.
pub(crate) async fn deliver_due(
    db: &Database,
    transport: &Transport,
    from: &Mailbox,
    now: i64,
) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    loop {
        let ids = db
            .read(async |conn| store::due_ids(conn, now, BATCH).await)
            .await?;
        let batch = ids.len() as i64;
        for id in ids {
            let claimed = db
                .write(async move |conn| store::claim(conn, &id, now, now + LEASE_MS).await)
                .await?;
            let Some(email) = claimed else {
                continue; // another mailer has it
            };
            deliver_one(db, transport, from, &email, now, &mut report).await?;
        }
        // Rows of this batch are now sent, leased or scheduled later, so the next query
        // only sees rows that were not in it.
        if batch < BATCH {
            return Ok(report);
        }
    }
}

async fn deliver_one(
    db: &Database,
    transport: &Transport,
    from: &Mailbox,
    email: &ClaimedEmail,
    now: i64,
    report: &mut DeliveryReport,
) -> Result<()> {
    let attempts = email.attempts + 1;
    let outcome = match build_message(email, from) {
        Ok(message) => transport.send(message, email).await,
        Err(reason) => Err((true, reason)),
    };
    let id = email.id.clone();
    match outcome {
        Ok(()) => {
            db.write(async move |conn| store::mark_sent(conn, &id, attempts, now).await)
                .await?;
            report.sent += 1;
            tracing::info!(email_id = %email.id, template = %email.template, subject_id = %email.subject_id, attempts, "email sent");
        }
        Err((permanent, reason)) if permanent || attempts >= MAX_ATTEMPTS => {
            let reason = truncate(reason);
            let why = reason.clone();
            db.write(async move |conn| store::mark_dead(conn, &id, attempts, &why).await)
                .await?;
            report.dead += 1;
            tracing::error!(
                email_id = %email.id,
                template = %email.template,
                subject_id = %email.subject_id,
                attempts,
                permanent,
                error = %reason,
                "email will not be sent; parked as dead"
            );
        }
        Err((_, reason)) => {
            let reason = truncate(reason);
            let next = now + retry_delay_ms(attempts);
            let why = reason.clone();
            db.write(async move |conn| store::mark_retry(conn, &id, attempts, next, &why).await)
                .await?;
            report.failed += 1;
            tracing::warn!(
                email_id = %email.id,
                template = %email.template,
                subject_id = %email.subject_id,
                attempts,
                next_attempt_at = next,
                error = %reason,
                "email delivery failed; will retry"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_from_two_seconds_and_stop_at_thirty_minutes() {
        assert_eq!(retry_delay_ms(1), 2_000);
        assert_eq!(retry_delay_ms(2), 4_000);
        assert_eq!(retry_delay_ms(3), 8_000);
        assert_eq!(retry_delay_ms(10), 1_024_000);
        assert_eq!(retry_delay_ms(11), MAX_RETRY_DELAY_MS);
        assert_eq!(retry_delay_ms(1_000), MAX_RETRY_DELAY_MS);
    }

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let cut = truncate("é".repeat(MAX_ERROR_LEN + 10));
        assert_eq!(cut.chars().count(), MAX_ERROR_LEN);
    }
}
