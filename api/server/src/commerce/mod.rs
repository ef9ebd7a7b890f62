//! The commerce core composed: inventory, cart, payments, checkout, customer accounts
//! and notifications, wired to each other through the traits the calling services own
//! ([`adapters`]) and through the kernel's outbox events (the dispatcher and its
//! consumers).
//!
//! Layout:
//! - [`adapters`]: implementations of the cart's and checkout's traits over the other
//!   services (the only place that knows two services at once).
//! - [`store_routes`]: carts, checkout, order placement and guest order reads.
//! - [`account_routes`]: registration, login and sessions, email verification, password
//!   reset, the profile and the address book.
//! - [`auth`]: [`auth::CurrentCustomer`], the customer a bearer token signs in.
//! - [`admin_routes`]: orders (list, fulfil, cancel, refund, mark paid), stock, discounts.
//! - [`webhooks`]: `POST /webhooks/stripe`.
//! - [`errors`]: each service's errors mapped to problem documents.
//! - [`wire`]: service views to wire types.

pub mod account_routes;
pub mod adapters;
pub mod admin_routes;
pub mod auth;
pub mod customer_admin_routes;
pub mod errors;
pub mod store_routes;
pub mod webhooks;
mod wire;

use std::{future::Future, path::PathBuf, sync::Arc, time::Duration};

use emporium_accounts::{Accounts, AccountsConfig};
use emporium_cart::Carts;
use emporium_catalog::Catalog;
use emporium_checkout::{Checkout, CheckoutConfig, PaymentEventsConsumer};
use emporium_inventory::Inventory;
use emporium_kernel::{
    clock::now_ms,
    db::{Database, DbError},
    events::{self, Dispatcher, EventBus},
};
use emporium_notifications::{Notifications, NotificationsConfig, TransportConfig};
use emporium_payments::{Payments, StripeConfig, StripeProvider};

/// Stripe keys; all three are needed to take card payments.
#[derive(Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub publishable_key: String,
    pub webhook_secret: String,
    /// Overrides Stripe's API origin (tests point it at a local fake).
    pub base_url: Option<String>,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("secret_key", &"***")
            .field("publishable_key", &self.publishable_key)
            .field("webhook_secret", &"***")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// How the commerce core is set up.
#[derive(Debug, Clone)]
pub struct CommerceConfig {
    pub shop_name: String,
    /// Sender of customer emails, e.g. `Emporium <shop@example.com>`.
    pub email_from: String,
    /// Where links in emails point, e.g. `http://127.0.0.1:3000`.
    pub storefront_url: String,
    /// `smtp://…` to send through a relay; `None` writes .eml files to `email_dir`.
    pub smtp_url: Option<String>,
    pub email_dir: PathBuf,
    pub stripe: Option<StripeSettings>,
    /// How long stock stays reserved for an unpaid order.
    pub reservation_ttl: Duration,
    /// What a shopper paying manually is told to do.
    pub manual_payment_instructions: String,
    /// Where "new order" notifications go; none without it.
    pub merchant_email: Option<String>,
    /// How long finished records are kept before housekeeping deletes them.
    pub retention: Retention,
    /// Whether shoppers may choose the manual payment (bank transfer, on delivery).
    /// `None`: only when Stripe is not configured, so a card shop does not let anyone
    /// hold stock for the reservation's length without paying.
    pub manual_payments: Option<bool>,
    /// Customer accounts: password hashing costs, session lifetimes, link lifetimes.
    pub accounts: AccountsConfig,
}

impl CommerceConfig {
    /// Embedded defaults: emails as files under `data_dir/emails`, manual payments only.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        CommerceConfig {
            shop_name: "Emporium Demo Shop".to_owned(),
            email_from: "Emporium Demo Shop <shop@emporium.invalid>".to_owned(),
            storefront_url: "http://127.0.0.1:3000".to_owned(),
            smtp_url: None,
            email_dir: data_dir.into().join("emails"),
            stripe: None,
            reservation_ttl: Duration::from_secs(15 * 60),
            manual_payment_instructions:
                "Pay by bank transfer or on delivery; we ship as soon as the payment is in."
                    .to_owned(),
            merchant_email: None,
            manual_payments: None,
            retention: Retention::default(),
            accounts: AccountsConfig::default(),
        }
    }

    /// The payment methods shoppers may choose, by id.
    pub fn payment_methods(&self) -> Vec<&'static str> {
        let mut methods = Vec::new();
        if self.stripe.is_some() {
            methods.push("stripe");
        }
        if self.manual_payments.unwrap_or(self.stripe.is_none()) {
            methods.push("manual");
        }
        methods
    }
}

/// How long finished records are kept; the housekeeping job deletes older ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Outbox events every consumer has settled.
    pub events: Duration,
    /// Checkout idempotency keys.
    pub idempotency_keys: Duration,
    /// Stripe webhook event ids (kept to drop repeated deliveries).
    pub webhook_events: Duration,
    /// How often the job runs.
    pub every: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        const DAY: u64 = 24 * 60 * 60;
        Retention {
            events: Duration::from_secs(30 * DAY),
            idempotency_keys: Duration::from_secs(7 * DAY),
            webhook_events: Duration::from_secs(30 * DAY),
            every: Duration::from_secs(60 * 60),
        }
    }
}

/// What one housekeeping run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HousekeepingReport {
    pub idle_carts: u64,
    pub events: u64,
    pub idempotency_keys: u64,
    pub webhook_events: u64,
    /// Customer sessions past their idle or absolute expiry.
    pub sessions: u64,
    /// Verification and password-reset links past their expiry.
    pub account_links: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CommerceSetupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("{service}: {message}")]
    Service {
        service: &'static str,
        message: String,
    },
}

fn setup_error(service: &'static str, err: impl std::fmt::Display) -> CommerceSetupError {
    CommerceSetupError::Service {
        service,
        message: err.to_string(),
    }
}

/// Every commerce service, cheap to clone.
#[derive(Clone)]
pub struct Commerce {
    pub db: Database,
    pub bus: EventBus,
    pub inventory: Inventory,
    pub carts: Carts,
    pub payments: Payments,
    pub checkout: Checkout,
    pub accounts: Accounts,
    pub notifications: Notifications,
    /// Product search, once [`Commerce::with_search`] set it up.
    pub search: Option<crate::search::Search>,
    pub config: Arc<CommerceConfig>,
}

impl Commerce {
    pub fn new(
        db: Database,
        catalog: Catalog,
        config: CommerceConfig,
    ) -> Result<Self, CommerceSetupError> {
        let bus = EventBus::new();
        let inventory = Inventory::new(db.clone(), bus.clone());
        let accounts = Accounts::new(db.clone(), bus.clone(), config.accounts.clone());
        let carts = Carts::new(
            db.clone(),
            bus.clone(),
            Arc::new(adapters::CatalogVariants::new(catalog, accounts.clone())),
            Arc::new(adapters::InventoryStock::new(inventory.clone())),
        );
        let mut payments = Payments::new(db.clone(), bus.clone());
        if let Some(stripe) = &config.stripe {
            let provider = StripeProvider::new(StripeConfig {
                secret_key: stripe.secret_key.clone(),
                base_url: stripe.base_url.clone(),
            })
            .map_err(|e| setup_error("payments", e))?;
            payments = payments
                .with_provider(Arc::new(provider))
                .with_stripe_webhook_secret(stripe.webhook_secret.clone());
        }
        let checkout = Checkout::new(
            db.clone(),
            bus.clone(),
            Arc::new(adapters::CartsForCheckout::new(carts.clone())),
            Arc::new(adapters::InventoryReservations::new(inventory.clone())),
            Arc::new(adapters::PaymentsForCheckout::new(payments.clone())),
            CheckoutConfig {
                reservation_ttl: config.reservation_ttl,
                payment_methods: config
                    .payment_methods()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            },
        );
        let transport = match &config.smtp_url {
            Some(url) => TransportConfig::Smtp { url: url.clone() },
            None => TransportConfig::File {
                dir: config.email_dir.clone(),
            },
        };
        let notifications = Notifications::new(
            db.clone(),
            NotificationsConfig {
                shop_name: config.shop_name.clone(),
                from: config.email_from.clone(),
                storefront_url: config.storefront_url.clone(),
                transport,
                merchant_email: config.merchant_email.clone(),
            },
        )
        .map_err(|e| setup_error("notifications", e))?;
        Ok(Commerce {
            db,
            bus,
            inventory,
            carts,
            payments,
            checkout,
            accounts,
            notifications,
            search: None,
            config: Arc::new(config),
        })
    }

    /// Adds product search: its consumer follows the outbox, and the workers build the
    /// index when it is empty.
    pub fn with_search(mut self, search: crate::search::Search) -> Self {
        self.search = Some(search);
        self
    }

    /// Creates every commerce table and the default regions, shipping options and
    /// demo discount (idempotent).
    pub async fn migrate(&self) -> Result<(), CommerceSetupError> {
        events::migrate(&self.db).await?;
        self.inventory
            .migrate()
            .await
            .map_err(|e| setup_error("inventory", e))?;
        self.carts
            .migrate()
            .await
            .map_err(|e| setup_error("cart", e))?;
        self.carts
            .seed_defaults()
            .await
            .map_err(|e| setup_error("cart", e))?;
        self.payments
            .migrate()
            .await
            .map_err(|e| setup_error("payments", e))?;
        self.checkout
            .migrate()
            .await
            .map_err(|e| setup_error("checkout", e))?;
        self.accounts
            .migrate()
            .await
            .map_err(|e| setup_error("accounts", e))?;
        self.notifications
            .migrate()
            .await
            .map_err(|e| setup_error("notifications", e))?;
        Ok(())
    }

    /// The payment methods a shopper can choose (see [`CommerceConfig::payment_methods`]).
    pub fn payment_methods(&self) -> Vec<&'static str> {
        self.config.payment_methods()
    }

    /// Deletes what outlived its use, as of `now_ms`: idle carts past their expiry,
    /// settled events, idempotency keys and webhook ids older than their retention;
    /// and ended customer sessions and expired account links, as of the accounts
    /// service's own clock (sessions and links expire by it, so purging by another
    /// time could delete a session it still accepts). Each step runs even when another
    /// fails; the first error is returned.
    pub async fn housekeeping(&self, now_ms: i64) -> Result<HousekeepingReport, String> {
        let keep = self.config.retention;
        let before = |age: Duration| now_ms - i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
        let mut report = HousekeepingReport::default();
        let mut first_error = None;
        let mut note = |step: &str, e: String| {
            tracing::warn!(step, error = %e, "housekeeping step failed");
            first_error.get_or_insert(format!("{step}: {e}"));
        };
        match self.carts.purge_idle(now_ms).await {
            Ok(n) => report.idle_carts = n,
            Err(e) => note("idle carts", e.to_string()),
        }
        match events::purge_settled(&self.db, before(keep.events)).await {
            Ok(n) => report.events = n,
            Err(e) => note("events", e.to_string()),
        }
        match self
            .checkout
            .purge_idempotency_keys(before(keep.idempotency_keys))
            .await
        {
            Ok(n) => report.idempotency_keys = n,
            Err(e) => note("idempotency keys", e.to_string()),
        }
        match self
            .payments
            .purge_webhook_events(before(keep.webhook_events))
            .await
        {
            Ok(n) => report.webhook_events = n,
            Err(e) => note("webhook events", e.to_string()),
        }
        match self.accounts.purge_expired().await {
            Ok(purged) => {
                report.sessions = purged.sessions;
                report.account_links = purged.tokens;
            }
            Err(e) => note("accounts", e.to_string()),
        }
        tracing::info!(
            idle_carts = report.idle_carts,
            events = report.events,
            idempotency_keys = report.idempotency_keys,
            webhook_events = report.webhook_events,
            sessions = report.sessions,
            account_links = report.account_links,
            "housekeeping done"
        );
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// The dispatcher with every consumer registered.
    pub fn dispatcher(&self) -> Dispatcher {
        let dispatcher = Dispatcher::new(self.db.clone(), self.bus.clone())
            .register(PaymentEventsConsumer::new(self.checkout.clone()))
            .register(self.notifications.consumer());
        match &self.search {
            Some(search) => dispatcher.register(search.consumer()),
            None => dispatcher,
        }
    }

    /// Runs everything in the background until `shutdown` resolves: the event
    /// dispatcher, the reservation expiry job, the recovery of interrupted placements
    /// and the mailer.
    pub fn spawn_workers<F>(&self, shutdown: F) -> Vec<tokio::task::JoinHandle<()>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let dispatcher = self.dispatcher();
        let inventory = self.inventory.clone();
        let checkout = self.checkout.clone();
        let notifications = self.notifications.clone();
        let housekeeper = self.clone();
        let mut housekeeping_stopped = Box::pin(stopped());
        let search = self.search.clone();
        let mut workers = vec![
            tokio::spawn(async move {
                shutdown.await;
                let _ = tx.send(true);
            }),
            tokio::spawn(dispatcher.run(Duration::from_millis(500), stopped())),
            tokio::spawn(inventory.run_expiry_job(Duration::from_secs(30), stopped())),
            tokio::spawn(checkout.run_recovery_job(Duration::from_secs(60), stopped())),
            tokio::spawn(notifications.run_mailer(Duration::from_secs(2), stopped())),
            tokio::spawn(async move {
                let every = housekeeper.config.retention.every;
                loop {
                    // Errors are logged per step; the next run tries again.
                    let _ = housekeeper.housekeeping(now_ms()).await;
                    tokio::select! {
                        _ = &mut housekeeping_stopped => return,
                        _ = tokio::time::sleep(every) => {}
                    }
                }
            }),
        ];
        if let Some(search) = search {
            // A new shop, a lost index or one built for other currencies starts empty:
            // fill it from the database (searches answer from what is there meanwhile).
            workers.push(tokio::spawn(async move {
                match search.is_empty().await {
                    Ok(false) => {}
                    Ok(true) | Err(_) => match search.rebuild(&|_, _| {}).await {
                        Ok(report) => tracing::info!(
                            products = report.products,
                            replayed = report.replayed,
                            "search index built"
                        ),
                        Err(e) => tracing::error!(error = %e, "building the search index failed"),
                    },
                }
            }));
        }
        workers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe() -> StripeSettings {
        StripeSettings {
            secret_key: "sk_test".into(),
            publishable_key: "pk_test".into(),
            webhook_secret: "whsec".into(),
            base_url: None,
        }
    }

    #[test]
    fn manual_payment_is_offered_without_stripe_and_with_it_only_when_enabled() {
        let mut config = CommerceConfig::embedded("/tmp/emporium-test");
        assert_eq!(config.payment_methods(), ["manual"]);
        config.stripe = Some(stripe());
        assert_eq!(config.payment_methods(), ["stripe"]);
        config.manual_payments = Some(true);
        assert_eq!(config.payment_methods(), ["stripe", "manual"]);
        config.stripe = None;
        config.manual_payments = Some(false);
        assert!(config.payment_methods().is_empty());
    }
}
