//! What the accounts' behaviour suites share. Every scenario runs on a fresh SQLite file
//! and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL database
//! too. Time is a [`ManualClock`] the tests move by hand. Assertion messages name the
//! database.
//!
//! Password hashing uses cheap argon2 parameters, chosen explicitly here through
//! [`test_config`]: the production default ([`PasswordHashing::OWASP`]) is what
//! `AccountsConfig::default()` gives and is tested in the crate's unit tests.

// Each suite uses part of this.
#![allow(dead_code)]

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use emporium_accounts::{
    AccountError, Accounts, AccountsConfig, Address, Clock, Customer, CustomerId, LoggedIn,
    PasswordHashing, Registered, Registration,
};
use emporium_kernel::{
    clock::now_ms,
    db::{testing, testing::TestDatabase, DbError},
    events::{self, EventBus},
    sql,
};

/// A password every rule accepts.
pub const PASSWORD: &str = "tide pool lantern";
/// Another one.
pub const OTHER_PASSWORD: &str = "copper kettle morning";

pub const MINUTE: Duration = Duration::from_secs(60);
pub const HOUR: Duration = Duration::from_secs(60 * 60);
pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A clock that only moves when told.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn starting_now() -> Self {
        ManualClock(AtomicI64::new(now_ms()))
    }

    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The default configuration with cheap hashing (tests only).
pub fn test_config() -> AccountsConfig {
    AccountsConfig {
        password_hashing: PasswordHashing::custom(64, 1, 1).expect("valid test parameters"),
        ..AccountsConfig::default()
    }
}

/// A migrated accounts service on one test database, with its clock.
pub struct Env {
    pub label: &'static str,
    pub accounts: Accounts,
    pub clock: Arc<ManualClock>,
    pub db: TestDatabase,
}

pub async fn envs() -> Vec<Env> {
    envs_with(test_config()).await
}

pub async fn envs_with(config: AccountsConfig) -> Vec<Env> {
    let mut out = Vec::new();
    for db in testing::databases().await {
        let clock = Arc::new(ManualClock::starting_now());
        let accounts = Accounts::with_clock(
            db.db.clone(),
            EventBus::new(),
            config.clone(),
            clock.clone(),
        );
        accounts.migrate().await.must(db.label, "migrate");
        out.push(Env {
            label: db.label,
            accounts,
            clock,
            db,
        });
    }
    out
}

pub trait Must<T> {
    fn must(self, label: &str, what: &str) -> T;
}

impl<T> Must<T> for Result<T, AccountError> {
    fn must(self, label: &str, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("[{label}] {what}: {e}"))
    }
}

/// The error of a call that must fail.
pub fn failure<T: std::fmt::Debug>(
    result: Result<T, AccountError>,
    label: &str,
    what: &str,
) -> AccountError {
    match result {
        Ok(v) => panic!("[{label}] {what} should fail, got {v:?}"),
        Err(e) => e,
    }
}

pub fn field_of(err: &AccountError) -> &str {
    match err {
        AccountError::InvalidField { field, .. } => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

pub fn registration(email: &str, password: &str) -> Registration {
    Registration {
        email: email.to_owned(),
        password: password.to_owned(),
        first_name: Some("Ada".to_owned()),
        last_name: Some("Lovelace".to_owned()),
    }
}

pub fn address(city: &str) -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "Unter den Linden 1".into(),
        line2: None,
        city: city.into(),
        postal_code: "10117".into(),
        country: "DE".into(),
        phone: None,
    }
}

impl Env {
    /// Registers `email` with [`PASSWORD`]; it must be new.
    pub async fn register(&self, email: &str) -> Customer {
        match self
            .accounts
            .register(registration(email, PASSWORD))
            .await
            .must(self.label, &format!("register {email}"))
        {
            Registered::Created(c) => c,
            Registered::Existing => panic!("[{}] {email} should be new", self.label),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> LoggedIn {
        self.accounts
            .login(email, password)
            .await
            .must(self.label, &format!("log in as {email}"))
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The customer's events as `(topic, payload)`, oldest first.
    pub async fn events(&self, customer_id: &CustomerId) -> Vec<(String, serde_json::Value)> {
        events::events_for(&self.db.db, customer_id.as_str())
            .await
            .unwrap_or_else(|e| panic!("[{}] events: {e}", self.label))
            .into_iter()
            .map(|e| {
                let payload = serde_json::from_str(&e.payload)
                    .unwrap_or_else(|err| panic!("[{}] payload of {}: {err}", self.label, e.topic));
                (e.topic, payload)
            })
            .collect()
    }

    pub async fn topics(&self, customer_id: &CustomerId) -> Vec<String> {
        self.events(customer_id)
            .await
            .into_iter()
            .map(|(topic, _)| topic)
            .collect()
    }

    /// The payload of the customer's latest event of `topic`.
    pub async fn last_event(&self, customer_id: &CustomerId, topic: &str) -> serde_json::Value {
        self.events(customer_id)
            .await
            .into_iter()
            .rev()
            .find(|(t, _)| t == topic)
            .map(|(_, payload)| payload)
            .unwrap_or_else(|| panic!("[{}] no {topic} event", self.label))
    }

    /// The raw token of the customer's latest event of `topic` (what the email carries).
    pub async fn mailed_token(&self, customer_id: &CustomerId, topic: &str) -> String {
        self.last_event(customer_id, topic)
            .await
            .get("token")
            .and_then(|t| t.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("[{}] {topic} carries no token", self.label))
    }

    /// The reset token mailed to `email` by a new reset request.
    pub async fn reset_token(&self, customer: &Customer) -> String {
        self.accounts
            .request_password_reset(customer.email.as_str())
            .await
            .must(self.label, "request a reset");
        self.mailed_token(&customer.id, "customer.password_reset_requested")
            .await
    }

    /// The stored password hash.
    pub async fn stored_hash(&self, customer_id: &CustomerId) -> String {
        let sql = sql!(
            "SELECT password_hash FROM customers WHERE id = $1",
            customer_id
        );
        self.db
            .db
            .read(async |conn| conn.fetch_scalar::<String>(&sql).await)
            .await
            .unwrap_or_else(|e: DbError| panic!("[{}] stored hash: {e}", self.label))
    }

    /// A count from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        let sql = sql!(sql);
        self.db
            .db
            .read(async |conn| conn.fetch_scalar::<i64>(&sql).await)
            .await
            .unwrap_or_else(|e: DbError| panic!("[{}] count: {e}", self.label))
    }
}
