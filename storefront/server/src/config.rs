//! Configuration from the environment (each variable also a flag), with defaults that
//! run on one machine with nothing installed.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;
use emporium_api::commerce::{CommerceConfig, StripeSettings};

#[derive(Args, Clone)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "EMPORIUM_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory for the SQLite file, the generated admin token and other local state.
    #[arg(long, env = "EMPORIUM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// `sqlite://…` or `postgres://…`; default: SQLite file `emporium.db` in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Bearer token for the Admin API; default: generated once into `<data dir>/admin-token`.
    #[arg(long, env = "EMPORIUM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Where the storefront finds the API; default: in process (no socket).
    #[arg(long, env = "EMPORIUM_API_URL")]
    pub api_url: Option<String>,

    /// Seed the demo catalog when `serve` finds the catalog empty.
    #[arg(long, env = "EMPORIUM_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// Directory holding the browser bundle (`pkg/`) and public files.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Seconds an anonymous catalog page (no cart cookie) stays rendered in this process
    /// before it is rendered again; 0 renders every request.
    #[arg(long, env = "EMPORIUM_PAGE_CACHE_TTL", default_value_t = 2)]
    pub page_cache_ttl: u64,

    /// Serve `/bench/static`, the ceiling route for benchmarks.
    #[arg(long, env = "EMPORIUM_BENCH_ROUTES", default_value_t = false, action = clap::ArgAction::Set)]
    pub bench_routes: bool,

    /// The shop's name in emails and page titles.
    #[arg(long, env = "EMPORIUM_SHOP_NAME", default_value = "Emporium Demo Shop")]
    pub shop_name: String,

    /// The storefront's public origin, for links in emails.
    #[arg(long, env = "EMPORIUM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Sender of customer emails.
    #[arg(
        long,
        env = "EMPORIUM_EMAIL_FROM",
        default_value = "Emporium Demo Shop <shop@emporium.invalid>"
    )]
    pub email_from: String,

    /// The merchant's address for "new order" notifications; none when unset.
    #[arg(long, env = "EMPORIUM_MERCHANT_EMAIL")]
    pub merchant_email: Option<String>,

    /// `smtp://host:port`, `smtps://user:pass@host` or `smtp://host?tls=required`;
    /// default: emails are written as .eml files to `<data dir>/emails`.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// `smtp` refuses to start without `SMTP_URL`, so a shop cannot quietly write its
    /// customers' emails to files; `files` is the embedded default without it.
    #[arg(long, env = "EMPORIUM_EMAIL_TRANSPORT", value_enum)]
    pub email_transport: Option<EmailTransport>,

    /// Stripe secret key (`sk_…`); with the two below, enables card payments.
    #[arg(long, env = "STRIPE_SECRET_KEY", hide_env_values = true)]
    pub stripe_secret_key: Option<String>,

    /// Stripe publishable key (`pk_…`) for the Payment Element.
    #[arg(long, env = "STRIPE_PUBLISHABLE_KEY")]
    pub stripe_publishable_key: Option<String>,

    /// Signing secret of the Stripe webhook endpoint (`whsec_…`).
    #[arg(long, env = "STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<String>,

    /// Overrides Stripe's API origin (tests and Stripe's mock servers).
    #[arg(long, env = "STRIPE_API_BASE")]
    pub stripe_api_base: Option<String>,

    /// Offer the manual payment (bank transfer, on delivery); default: only when Stripe
    /// is not configured.
    #[arg(long, env = "EMPORIUM_MANUAL_PAYMENTS", action = clap::ArgAction::Set)]
    pub manual_payments: Option<bool>,

    /// Days settled events (and Stripe webhook ids) are kept before housekeeping deletes
    /// them.
    #[arg(long, env = "EMPORIUM_EVENT_RETENTION_DAYS", default_value_t = 30)]
    pub event_retention_days: u64,

    /// Days checkout idempotency keys are kept.
    #[arg(long, env = "EMPORIUM_IDEMPOTENCY_RETENTION_DAYS", default_value_t = 7)]
    pub idempotency_retention_days: u64,

    /// The header the proxy in front puts the client's address in (e.g. `fly-client-ip`
    /// on Fly.io), trusted for rate limits; unset: the peer's address.
    #[arg(long, env = "EMPORIUM_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<String>,

    /// Origins (`https://shop.example`, comma-separated) of other frontends whose
    /// browser scripts may call the API; unset: none.
    #[arg(long, env = "EMPORIUM_CORS_ORIGINS")]
    pub cors_origins: Option<String>,

    /// Minutes an unpaid order holds its stock.
    #[arg(long, env = "EMPORIUM_RESERVATION_MINUTES", default_value_t = 15)]
    pub reservation_minutes: u64,

    /// Days a customer session lasts without being used (each use starts it again).
    #[arg(long, env = "EMPORIUM_SESSION_IDLE_DAYS", default_value_t = 30)]
    pub session_idle_days: u64,

    /// Days a customer session lasts at most, however much it is used; then the
    /// customer signs in again.
    #[arg(long, env = "EMPORIUM_SESSION_MAX_DAYS", default_value_t = 90)]
    pub session_max_days: u64,

    /// A Meilisearch server (`http://host:7700`) for product search; default: the
    /// embedded engine in `<data dir>/search`.
    #[arg(long, env = "MEILI_URL")]
    pub meili_url: Option<String>,

    /// The Meilisearch API key (a key allowed to manage the index, or the master key).
    #[arg(long, env = "MEILI_API_KEY", hide_env_values = true)]
    pub meili_api_key: Option<String>,

    /// The Meilisearch index holding the products.
    #[arg(long, env = "MEILI_INDEX", default_value = "products")]
    pub meili_index: String,

    /// Log format: `text` or `json`.
    #[arg(long, env = "EMPORIUM_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

/// Where customer emails go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EmailTransport {
    /// Through the SMTP relay of `SMTP_URL`.
    Smtp,
    /// As .eml files under `<data dir>/emails` (development).
    Files,
}

impl Config {
    /// The commerce settings; Stripe only when all three keys are set.
    pub fn commerce(&self) -> anyhow::Result<CommerceConfig> {
        let mut commerce = CommerceConfig::embedded(&self.data_dir);
        commerce.shop_name = self.shop_name.clone();
        commerce.email_from = self.email_from.clone();
        commerce.merchant_email = self.merchant_email.clone();
        commerce.manual_payments = self.manual_payments;
        const DAY: u64 = 24 * 60 * 60;
        commerce.retention.events = Duration::from_secs(self.event_retention_days.max(1) * DAY);
        commerce.retention.webhook_events = commerce.retention.events;
        commerce.retention.idempotency_keys =
            Duration::from_secs(self.idempotency_retention_days.max(1) * DAY);
        commerce.storefront_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr));
        commerce.smtp_url = match (self.email_transport, &self.smtp_url) {
            (Some(EmailTransport::Smtp), None) => anyhow::bail!(
                "EMPORIUM_EMAIL_TRANSPORT=smtp needs SMTP_URL (smtp://host:port or \
                 smtps://user:pass@host)"
            ),
            (Some(EmailTransport::Files), _) => None,
            (_, url) => url.clone(),
        };
        commerce.reservation_ttl = Duration::from_secs(self.reservation_minutes.max(1) * 60);
        commerce.accounts.session_idle_timeout =
            Duration::from_secs(self.session_idle_days.max(1).saturating_mul(DAY));
        commerce.accounts.session_max_lifetime =
            Duration::from_secs(self.session_max_days.max(1).saturating_mul(DAY));
        commerce.stripe = match (
            &self.stripe_secret_key,
            &self.stripe_publishable_key,
            &self.stripe_webhook_secret,
        ) {
            (Some(secret_key), Some(publishable_key), Some(webhook_secret)) => {
                Some(StripeSettings {
                    secret_key: secret_key.clone(),
                    publishable_key: publishable_key.clone(),
                    webhook_secret: webhook_secret.clone(),
                    base_url: self.stripe_api_base.clone(),
                })
            }
            (None, None, None) => None,
            _ => anyhow::bail!(
                "Stripe needs all of STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and \
                 STRIPE_WEBHOOK_SECRET (or none of them for manual payments only)"
            ),
        };
        if commerce.payment_methods().is_empty() {
            anyhow::bail!(
                "no payment method is offered: configure Stripe or leave \
                 EMPORIUM_MANUAL_PAYMENTS unset (or true)"
            );
        }
        Ok(commerce)
    }

    /// [`Config::trusted_proxy_header`] as a header name.
    pub fn trusted_proxy_header(&self) -> anyhow::Result<Option<axum::http::HeaderName>> {
        self.trusted_proxy_header
            .as_deref()
            .map(|name| {
                axum::http::HeaderName::try_from(name.trim()).map_err(|_| {
                    anyhow::anyhow!("EMPORIUM_TRUSTED_PROXY_HEADER `{name}` is not a header name")
                })
            })
            .transpose()
    }

    /// [`Config::cors_origins`], each an origin without a path.
    pub fn cors_origins(&self) -> anyhow::Result<Vec<axum::http::HeaderValue>> {
        let Some(list) = self.cors_origins.as_deref() else {
            return Ok(Vec::new());
        };
        list.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|origin| {
                let url = url::Url::parse(origin).map_err(|e| {
                    anyhow::anyhow!("EMPORIUM_CORS_ORIGINS: `{origin}` is not an origin: {e}")
                })?;
                if !matches!(url.scheme(), "http" | "https")
                    || url.host_str().is_none()
                    || url.path() != "/"
                    || origin.ends_with('/')
                    || url.query().is_some()
                {
                    anyhow::bail!(
                        "EMPORIUM_CORS_ORIGINS: `{origin}` must be scheme://host[:port], \
                         without a path or a trailing slash"
                    );
                }
                axum::http::HeaderValue::from_str(origin)
                    .map_err(|e| anyhow::anyhow!("EMPORIUM_CORS_ORIGINS: `{origin}`: {e}"))
            })
            .collect()
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("emporium.db").display()),
        }
    }
}

/// Secrets stay out of logs and panics.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &emporium_kernel::db::redact(&self.database_url()),
            )
            .field("admin_token", &self.admin_token.as_ref().map(|_| "***"))
            .field("api_url", &self.api_url)
            .field("seed_demo", &self.seed_demo)
            .field("site_root", &self.site_root)
            .field("page_cache_ttl", &self.page_cache_ttl)
            .field("bench_routes", &self.bench_routes)
            .field("shop_name", &self.shop_name)
            .field("public_url", &self.public_url)
            .field("merchant_email", &self.merchant_email)
            .field("email_transport", &self.email_transport)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(emporium_kernel::db::redact),
            )
            .field(
                "stripe",
                &self.stripe_secret_key.as_ref().map(|_| "configured"),
            )
            .field("stripe_api_base", &self.stripe_api_base)
            .field("meili_url", &self.meili_url)
            .field("meili_api_key", &self.meili_api_key.as_ref().map(|_| "***"))
            .field("meili_index", &self.meili_index)
            .field("manual_payments", &self.manual_payments)
            .field("trusted_proxy_header", &self.trusted_proxy_header)
            .field("cors_origins", &self.cors_origins)
            .field("event_retention_days", &self.event_retention_days)
            .field(
                "idempotency_retention_days",
                &self.idempotency_retention_days,
            )
            .field("reservation_minutes", &self.reservation_minutes)
            .field("session_idle_days", &self.session_idle_days)
            .field("session_max_days", &self.session_max_days)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn config(args: &[&str]) -> Config {
        let mut argv = vec!["emporium"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect("valid flags").config
    }

    #[test]
    fn smtp_transport_without_a_relay_refuses_to_start() {
        let err = config(&["--email-transport", "smtp"])
            .commerce()
            .expect_err("no SMTP_URL");
        assert!(err.to_string().contains("SMTP_URL"), "{err}");
        let relayed = config(&["--email-transport", "smtp", "--smtp-url", "smtp://mx:25"])
            .commerce()
            .expect("relay given");
        assert_eq!(relayed.smtp_url.as_deref(), Some("smtp://mx:25"));
    }

    #[test]
    fn customer_sessions_last_the_configured_days_and_at_least_one() {
        const DAY: Duration = Duration::from_secs(24 * 60 * 60);
        let default = config(&[]).commerce().expect("defaults");
        assert_eq!(default.accounts.session_idle_timeout, 30 * DAY);
        assert_eq!(default.accounts.session_max_lifetime, 90 * DAY);
        let set = config(&["--session-idle-days", "7", "--session-max-days", "0"])
            .commerce()
            .expect("set");
        assert_eq!(set.accounts.session_idle_timeout, 7 * DAY);
        assert_eq!(set.accounts.session_max_lifetime, DAY);
    }

    #[test]
    fn cors_origins_are_bare_origins() {
        assert!(config(&[]).cors_origins().expect("unset").is_empty());
        let set = config(&["--cors-origins", "https://a.example, http://localhost:3000"])
            .cors_origins()
            .expect("two origins");
        assert_eq!(set, ["https://a.example", "http://localhost:3000"]);
        for bad in [
            "https://a.example/",
            "https://a.example/app",
            "a.example",
            "ftp://a.example",
        ] {
            assert!(
                config(&["--cors-origins", bad]).cors_origins().is_err(),
                "{bad} accepted"
            );
        }
    }

    /// The shipped deployment is a real shop: no demo catalog or demo code, links in
    /// emails that customers can open, and mail that leaves through a relay.
    #[test]
    fn the_shipped_fly_toml_runs_a_real_shop() {
        let text = include_str!("../../../fly.toml");
        let fly: toml::Table = text.parse().expect("fly.toml parses");
        let env = fly
            .get("env")
            .and_then(toml::Value::as_table)
            .expect("[env]");
        let var = |name: &str| env.get(name).and_then(toml::Value::as_str);
        assert_eq!(var("EMPORIUM_SEED_DEMO"), Some("false"));
        let url = var("EMPORIUM_PUBLIC_URL").expect("EMPORIUM_PUBLIC_URL");
        assert!(url.starts_with("https://"), "{url}");
        assert_eq!(var("EMPORIUM_EMAIL_TRANSPORT"), Some("smtp"));
    }
}
