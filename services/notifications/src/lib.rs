//! Notifications: customer emails rendered from order and customer-account events and
//! delivered through lettre with retries. No HTTP here: `api/` composes
//! [`Notifications`].
//!
//! Flow: order and `customer.*` events in the kernel outbox → the `notifications.emails`
//! consumer ([`Notifications::consumer`]) renders one email per event and queues it in
//! the `emails` table under the dedupe key `{event_id}:{template}` (a re-delivered event
//! never queues a second email), filed under the order or customer it is about
//! (`subject_id`) → the mailer ([`Notifications::deliver_due`],
//! [`Notifications::run_mailer`]) claims due rows, sends them, and marks them `sent`,
//! or retries with exponential backoff and finally parks them as `dead`. An email is
//! never lost on restart (it is a row) and never sent twice for one event.
//!
//! Layout:
//! - [`template`]: the templates as plain Rust functions (text + HTML, escaping, money
//!   formatting), order emails and account emails; pure and unit-tested.
//! - [`payload`]: this crate's decoding of the order event payloads (docs/COMMERCE.md)
//!   and of the `customer.*` payloads (the accounts crate's docs).
//!
//! The account emails carry links with secret tokens (verify, reset). The rendered
//! bodies are stored in the `emails` row (the mailer sends them from there); no log
//! line holds a body, a link or a token, and [`CustomerPayload`]'s `Debug` hides the
//! token.
//! - `consumer` (private): the event consumer that queues emails.
//! - [`mailer`]: claiming, sending through SMTP / `.eml` files / the log, retry policy.
//! - `store` (private): all SQL, portable between SQLite and PostgreSQL.
//! - [`error`]: [`NotificationsError`], one kind per HTTP status family.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 6000–6999.

mod consumer;
pub mod error;
pub mod mailer;
pub mod payload;
mod store;
pub mod template;

use std::{fmt, future::Future, path::PathBuf, sync::Arc, time::Duration};

use emporium_kernel::{clock::now_ms, db::Database, events::Consumer};
use lettre::message::Mailbox;

pub use consumer::CONSUMER_NAME;
pub use error::{NotificationsError, Result};
pub use mailer::DeliveryReport;
pub use payload::{CustomerPayload, OrderPayload};
pub use template::{render, render_account, Recipient, RenderedEmail, ShopDetails, Template};

use mailer::Transport;

/// Settings of the notifications service.
#[derive(Clone, Debug)]
pub struct NotificationsConfig {
    /// Shown in every email (`Emporium`).
    pub shop_name: String,
    /// Sender mailbox, `Emporium <shop@example.com>`.
    pub from: String,
    /// Base URL of the storefront for order and account links (`https://shop.example`).
    pub storefront_url: String,
    pub transport: TransportConfig,
    /// The merchant's address for "new order" notifications; none without it.
    pub merchant_email: Option<String>,
}

/// Where emails go.
#[derive(Clone)]
pub enum TransportConfig {
    /// An SMTP relay, `SMTP_URL`: `smtp://host:port` (plain), `smtp://host?tls=required`
    /// (STARTTLS), `smtps://user:pass@host` (implicit TLS); see lettre's
    /// `AsyncSmtpTransport::from_url`.
    Smtp { url: String },
    /// One `.eml` file per email in `dir` (the embedded default).
    File { dir: PathBuf },
    /// Only a log line per email (tests, demos).
    Log,
}

impl fmt::Debug for TransportConfig {
    // The SMTP URL may carry a password: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportConfig::Smtp { url } => f
                .debug_struct("Smtp")
                .field("url", &emporium_kernel::db::redact(url))
                .finish(),
            TransportConfig::File { dir } => f.debug_struct("File").field("dir", dir).finish(),
            TransportConfig::Log => f.write_str("Log"),
        }
    }
}

/// Delivery state of an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Claimed by a mailer right now (or by one that died; its lease then runs out).
    Sending,
    /// Accepted by the transport.
    Sent,
    /// Will not be sent: see `last_error`.
    Dead,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sending => "sending",
            EmailStatus::Sent => "sent",
            EmailStatus::Dead => "dead",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(EmailStatus::Pending),
            "sending" => Some(EmailStatus::Sending),
            "sent" => Some(EmailStatus::Sent),
            "dead" => Some(EmailStatus::Dead),
            _ => None,
        }
    }
}

/// One queued email as stored (without its bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRecord {
    /// `eml_…`
    pub id: String,
    /// What the email is about: the order (`ord_…`) or the customer (`cus_…`) whose
    /// event queued it.
    pub subject_id: String,
    /// Template name (`order_confirmation`, …).
    pub template: String,
    /// Recipient address as given by the event.
    pub to: String,
    pub subject: String,
    pub status: EmailStatus,
    /// Delivery attempts made so far.
    pub attempts: i64,
    /// Unix ms of the next attempt (meaningful while `pending`).
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    /// Unix ms when the transport accepted it.
    pub sent_at: Option<i64>,
    pub created_at: i64,
}

/// The notifications service. Cheap to clone.
#[derive(Clone)]
pub struct Notifications {
    db: Database,
    shop: ShopDetails,
    from: Mailbox,
    transport: Transport,
    merchant_email: Option<String>,
}

impl fmt::Debug for Notifications {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifications")
            .field("shop", &self.shop)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Notifications {
    /// Checks the configuration and prepares the transport (no connection is made yet;
    /// the file transport's directory is created).
    ///
    /// Errors: `Config` naming `from` (not a mailbox), `storefront_url` (not an http(s)
    /// URL), `shop_name` (empty), `transport.url` (not an SMTP URL) or `transport.dir`.
    pub fn new(db: Database, config: NotificationsConfig) -> Result<Self> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| NotificationsError::Config {
                field: "from",
                message: format!(
                    "`{}` is not a mailbox ({e}): use `Shop <shop@example.com>`",
                    config.from
                ),
            })?;
        let storefront_url = config
            .storefront_url
            .trim()
            .trim_end_matches('/')
            .to_owned();
        let lower = storefront_url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(NotificationsError::Config {
                field: "storefront_url",
                message: format!(
                    "`{}` is not an http(s) URL: use e.g. https://shop.example",
                    config.storefront_url
                ),
            });
        }
        if config.shop_name.trim().is_empty() {
            return Err(NotificationsError::Config {
                field: "shop_name",
                message: "must not be empty".to_owned(),
            });
        }
        let merchant_email = match config.merchant_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(address) => {
                let mailbox: Mailbox = address.parse().map_err(|e| NotificationsError::Config {
                    field: "merchant_email",
                    message: format!("`{address}` is not an email address ({e})"),
                })?;
                Some(mailbox.to_string())
            }
        };
        let transport = Transport::from_config(&config.transport)?;
        Ok(Notifications {
            db,
            shop: ShopDetails {
                shop_name: config.shop_name.trim().to_owned(),
                storefront_url,
            },
            from,
            transport,
            merchant_email,
        })
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades the `emails` table.
    pub async fn migrate(&self) -> Result<()> {
        store::migrate(&self.db).await
    }

    /// The event consumer `notifications.emails` to register with the dispatcher.
    pub fn consumer(&self) -> Arc<dyn Consumer> {
        Arc::new(consumer::EmailConsumer {
            db: self.db.clone(),
            shop: self.shop.clone(),
            merchant_email: self.merchant_email.clone(),
        })
    }

    /// Renders `template` for an order event payload with this shop's name and links.
    pub fn render(&self, template: Template, payload: &OrderPayload) -> Result<RenderedEmail> {
        render(template, payload, &self.shop)
    }

    /// Renders an account `template` for a `customer.*` event payload.
    pub fn render_account(
        &self,
        template: Template,
        payload: &CustomerPayload,
    ) -> Result<RenderedEmail> {
        render_account(template, payload, &self.shop)
    }

    /// Sends every email due at `now_ms` (injectable so tests can step over backoffs).
    /// Errors only when the database fails; delivery failures are counted and stored.
    pub async fn deliver_due(&self, now_ms: i64) -> Result<DeliveryReport> {
        mailer::deliver_due(&self.db, &self.transport, &self.from, now_ms).await
    }

    /// Delivers due emails every `every` until `shutdown` resolves (each pass drains
    /// everything due, batch after batch).
    pub async fn run_mailer(self, every: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.deliver_due(now_ms()).await {
                Ok(report) if report.sent + report.failed + report.dead > 0 => {
                    tracing::debug!(
                        sent = report.sent,
                        failed = report.failed,
                        dead = report.dead,
                        "mailer pass"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mailer pass failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// Every email queued about an order or a customer (by its id), oldest first: the
    /// admin's order timeline, a customer's account emails.
    pub async fn emails_for(&self, subject_id: &str) -> Result<Vec<EmailRecord>> {
        self.db
            .read(async |conn| store::emails_for(conn, subject_id).await)
            .await
    }

    /// The subject and bodies of a queued email (`None` for an unknown id), as the
    /// recipient gets them. An account email's body holds its link, token included:
    /// show it only to whoever may use that link.
    pub async fn email_content(&self, email_id: &str) -> Result<Option<RenderedEmail>> {
        self.db
            .read(async |conn| store::content(conn, email_id).await)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>(_: T) {}

    /// The API server awaits these in request handlers and spawned tasks, which must be
    /// `Send`: a database closure holding something that is not would only fail there.
    #[allow(dead_code)]
    fn service_futures_are_send(n: &Notifications, event: &emporium_kernel::events::Event) {
        send(n.deliver_due(0));
        send(n.emails_for("ord"));
        send(n.email_content("eml"));
        send(n.clone().run_mailer(Duration::from_secs(1), async {}));
        send(n.consumer().handle(event));
    }
}
