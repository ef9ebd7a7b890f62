//! Accounts service: customer accounts with email and password, login sessions, email
//! verification, password reset, the profile and the address book. No HTTP here: the
//! API crate calls [`Accounts`] and turns its answers into responses.
//!
//! Layout:
//! - [`model`]: what the service takes and gives back ([`Customer`], [`Session`],
//!   [`LoggedIn`], [`SavedAddress`], …).
//! - [`error`]: [`AccountError`], one variant per answer the API gives.
//! - [`ids`]: [`CustomerId`] (`cus_…`), [`AddressId`] (`addr_…`), [`SessionId`]
//!   (`sess_…`).
//! - [`password`]: the password rules and argon2id hashing ([`PasswordHashing`]).
//! - [`token`]: [`SecretToken`], the random tokens handed out (sessions, links).
//! - [`clock`]: the [`Clock`] sessions and tokens expire by.
//! - [`events`]: the topics this service appends.
//! - `registration`, `sessions`, `recovery`, `profile`, `address_book`, `groups`
//!   (customer groups and the merchant's customer list) (private): the
//!   rules of each part; `store` (private): all SQL, portable between SQLite and
//!   PostgreSQL.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 7000–7999.
//!
//! # What a merchant and a customer can rely on
//!
//! - **Passwords** are stored only as argon2id PHC strings (OWASP's m = 19 MiB, t = 2,
//!   p = 1 by default; a hash with older parameters is upgraded at the next login).
//!   Hashing runs on the blocking pool, a bounded number at a time, never on the async
//!   workers and never inside a database write. A new password has 10 to 128
//!   characters, is not one character repeated, not the email address and not one of
//!   the ~500 most common passwords of 10+ characters (`src/common_passwords.txt`).
//! - **Tokens** (sessions, verification and reset links) are 32 bytes from a CSPRNG,
//!   URL-safe base64; only their SHA-256 is stored, so the tables alone let nobody in.
//! - **Nothing tells a stranger whether an email has an account.** Login answers
//!   [`AccountError::InvalidCredentials`] for a wrong password and an unknown email
//!   alike, and both verify one argon2 hash (an unknown email against a dummy hash with
//!   the same parameters), so both take as long. [`Accounts::request_password_reset`]
//!   answers `Ok(())` either way and does one write either way. Registering an email
//!   that has an account answers [`Registered::Existing`], which the API must render
//!   exactly like [`Registered::Created`] ("check your inbox", no session: so a
//!   registration never logs anyone in), and hashes the password either way; the owner
//!   gets a `customer.registration_attempted_existing` notice instead of a verification
//!   email. We chose this over an error ("email taken") because that error is an oracle
//!   for which emails shop here, which phishers and credential stuffers use.
//! - **Sessions** expire after an idle timeout (30 days) and, however active, after a
//!   maximum lifetime (90 days). [`Accounts::authenticate`] slides the idle expiry but
//!   writes at most once per touch interval (1 minute) per session, so most requests
//!   only read. Logout deletes the session; changing the password ends every other
//!   session; a password reset ends them all.
//! - **Links are single-use and expire** (verification 48 h, reset 1 h). A link is spent
//!   by one conditional `UPDATE`, so two requests racing with one link cannot both
//!   succeed. A link works only while the account still has the address it was mailed
//!   to; changing the email or the password spends the links already mailed. At most
//!   one reset, one verification and one "someone tried to register" email go to an
//!   account per email interval (1 minute), so the forms cannot be used to flood an
//!   inbox.
//! - **A customer only ever touches their own address book.** Every address function
//!   takes the customer id (from the authenticated session) and every statement is
//!   scoped to it; another customer's address id is [`AccountError::NotFound`], exactly
//!   like an id that never existed.
//! - **Secrets never reach a log.** No tracing field holds a password, a token, a hash or
//!   a link; [`Registration`], [`LoggedIn`] and [`SecretToken`] print `<redacted>`;
//!   errors carry no secret. Events are the one place a raw token goes (the email needs
//!   it): the outbox keeps it until the event is purged, by which time the link has
//!   expired.
//!
//! # Events
//!
//! Appended with `emporium_kernel::events::append` inside the write that makes the
//! change; aggregate id: the customer id; times are RFC 3339. Consumers (the
//! notifications service renders the emails) decode them with their own structs, so
//! these field names are the contract:
//!
//! - `customer.registered`: `{"customer_id": "cus_…", "email": "ada@example.com",
//!   "first_name": "Ada" | null, "last_name": "Lovelace" | null, "registered_at": "…"}`
//! - `customer.verification_requested`: `{"customer_id", "email" (the address to verify,
//!   to send to), "first_name", "token" (raw: the link is
//!   `{storefront}/account/verify?token={token}`), "expires_at", "reason":
//!   "registration" | "requested" | "email_changed"}`
//! - `customer.password_reset_requested`: `{"customer_id", "email", "first_name",
//!   "token" (raw: `{storefront}/account/reset?token={token}`), "expires_at"}`
//! - `customer.registration_attempted_existing`: `{"customer_id", "email", "first_name",
//!   "attempted_at"}`: someone tried to register with this address; the email says so
//!   and offers a password reset (no token: the owner asks for one).
//! - `customer.password_changed`: `{"customer_id", "email", "first_name", "changed_at",
//!   "via": "change" | "reset"}`: the "your password was changed" notice.
//! - `customer.email_changed`: `{"customer_id", "old_email", "new_email", "first_name",
//!   "changed_at"}`: a notice to the *old* address, so a hijacked account is noticed.

pub mod clock;
pub mod error;
pub mod events;
pub mod ids;
pub mod model;
pub mod password;
pub mod token;

mod address_book;
mod groups;
mod profile;
mod recovery;
mod registration;
mod sessions;
mod store;

use std::{fmt, sync::Arc, time::Duration};

use emporium_kernel::{db::Database, events::EventBus};

pub use clock::{Clock, SystemClock};
pub use emporium_kernel::contact::{Address, Email};
pub use error::{AccountError, Result};
pub use ids::{AddressId, CustomerId, GroupId, SessionId};
pub use model::*;
pub use password::{InvalidHashingParams, PasswordHashing};
pub use token::SecretToken;

/// Tunables of the accounts service. [`Default`] is what production runs.
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// Argon2id costs; [`PasswordHashing::OWASP`] by default.
    pub password_hashing: PasswordHashing,
    /// Most password hashes computed at once (each holds its memory cost while it
    /// runs); further logins wait their turn. Default: the number of CPUs.
    pub max_concurrent_hashes: usize,
    /// A session unused this long ends. Default 30 days.
    pub session_idle_timeout: Duration,
    /// A session ends this long after login however much it is used. Default 90 days.
    pub session_max_lifetime: Duration,
    /// [`Accounts::authenticate`] records use of a session (and slides its expiry) at
    /// most this often. Default 1 minute.
    pub session_touch_interval: Duration,
    /// How long an email-verification link works. Default 48 hours.
    pub verification_ttl: Duration,
    /// How long a password-reset link works. Default 1 hour.
    pub password_reset_ttl: Duration,
    /// At most one reset email, one verification email and one "someone tried to
    /// register" notice per account per interval. Default 1 minute.
    pub email_interval: Duration,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        const DAY: u64 = 24 * 60 * 60;
        AccountsConfig {
            password_hashing: PasswordHashing::OWASP,
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            session_idle_timeout: Duration::from_secs(30 * DAY),
            session_max_lifetime: Duration::from_secs(90 * DAY),
            session_touch_interval: Duration::from_secs(60),
            verification_ttl: Duration::from_secs(48 * 60 * 60),
            password_reset_ttl: Duration::from_secs(60 * 60),
            email_interval: Duration::from_secs(60),
        }
    }
}

/// A duration in milliseconds, saturating.
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The accounts service. Cheap to clone: a database handle and shared handles.
#[derive(Clone)]
pub struct Accounts {
    db: Database,
    bus: EventBus,
    config: Arc<AccountsConfig>,
    hasher: password::Hasher,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accounts")
            .field("backend", &self.db.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Accounts {
    pub fn new(db: Database, bus: EventBus, config: AccountsConfig) -> Self {
        Self::with_clock(db, bus, config, Arc::new(SystemClock))
    }

    /// With another clock (tests move time by hand).
    pub fn with_clock(
        db: Database,
        bus: EventBus,
        config: AccountsConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Accounts {
            hasher: password::Hasher::new(config.password_hashing, config.max_concurrent_hashes),
            db,
            bus,
            config: Arc::new(config),
            clock,
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn config(&self) -> &AccountsConfig {
        &self.config
    }

    /// Creates or upgrades the accounts' tables, and the kernel's outbox tables its
    /// events go to (running the kernel migrations again is a no-op).
    pub async fn migrate(&self) -> Result<()> {
        emporium_kernel::events::migrate(&self.db).await?;
        store::migrate(&self.db).await
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    // ----- registration -----

    /// Checks a registration against every input rule without touching the database
    /// (what [`Accounts::register`] refuses first), so a caller can count only
    /// well-formed attempts, e.g. against a per-email rate limit. Errors: `InvalidField`.
    pub fn check_registration(&self, registration: &Registration) -> Result<()> {
        registration::validate(registration).map(drop)
    }

    /// Opens an account (unverified) and mails a verification link, or, when the email
    /// (in any case) has an account, changes nothing and tells its owner (see the crate
    /// docs for why both answer alike). Errors: `InvalidField` on `email`, `password`,
    /// `first_name`, `last_name`.
    pub async fn register(&self, registration: Registration) -> Result<Registered> {
        registration::register(self, registration).await
    }

    // ----- sessions -----

    /// Checks the email and password and opens a session. Errors: `InvalidCredentials`
    /// for a wrong password, an unknown or malformed email, alike and in the same time.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoggedIn> {
        sessions::login(self, email, password).await
    }

    /// The live session of a token, sliding its idle expiry (written at most once per
    /// touch interval). `None` for an unknown, expired, revoked or malformed token.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Session>> {
        sessions::authenticate(self, token).await
    }

    /// Ends the session of a token. Idempotent: an unknown token is fine.
    pub async fn logout(&self, token: &str) -> Result<()> {
        sessions::logout(self, token).await
    }

    /// Ends every session of the customer; returns how many there were.
    pub async fn logout_everywhere(&self, customer_id: &CustomerId) -> Result<u64> {
        sessions::logout_everywhere(self, customer_id).await
    }

    /// The customer's live sessions, newest first (for a "where you're signed in" page).
    pub async fn sessions(&self, customer_id: &CustomerId) -> Result<Vec<Session>> {
        sessions::list(self, customer_id).await
    }

    /// Sets a new password after checking the current one, ends every session of the
    /// customer but `keep` (the one making the change), spends mailed reset links, and
    /// appends `customer.password_changed`. Errors: `InvalidField { field:
    /// "new_password" }`, `InvalidCredentials` (wrong current password), `NotFound`.
    pub async fn change_password(
        &self,
        customer_id: &CustomerId,
        keep: Option<&SessionId>,
        current_password: &str,
        new_password: &str,
    ) -> Result<()> {
        sessions::change_password(self, customer_id, keep, current_password, new_password).await
    }

    // ----- email verification and password reset -----

    /// Mails a new verification link. Errors: `NotFound`.
    pub async fn request_email_verification(
        &self,
        customer_id: &CustomerId,
    ) -> Result<VerificationRequest> {
        recovery::request_verification(self, customer_id).await
    }

    /// Spends a verification link and marks the email verified; returns whose it was.
    /// Errors: `TokenInvalid` (unknown, expired, used, or the email changed since).
    pub async fn verify_email(&self, token: &str) -> Result<CustomerId> {
        recovery::verify_email(self, token).await
    }

    /// Mails a reset link if `email` has an account (and none was mailed within the
    /// email interval). Answers `Ok(())` whether or not it has one. Errors:
    /// `InvalidField { field: "email" }` for a malformed address only.
    pub async fn request_password_reset(&self, email: &str) -> Result<()> {
        recovery::request_reset(self, email).await
    }

    /// Spends a reset link and sets the new password; ends every session (the API may
    /// log the customer in afresh), spends the other reset links, marks the email
    /// verified (the link proved it), appends `customer.password_changed`. Returns whose
    /// it was. Errors: `TokenInvalid`, `InvalidField { field: "new_password" }` (the link
    /// stays usable then).
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<CustomerId> {
        recovery::confirm_reset(self, token, new_password).await
    }

    // ----- profile -----

    /// Errors: `NotFound`.
    pub async fn customer(&self, customer_id: &CustomerId) -> Result<Customer> {
        profile::get(self, customer_id).await
    }

    /// Replaces the names and phone. Errors: `InvalidField` (`first_name`, `last_name`,
    /// `phone`), `NotFound`.
    pub async fn update_profile(
        &self,
        customer_id: &CustomerId,
        update: ProfileUpdate,
    ) -> Result<Customer> {
        profile::update(self, customer_id, update).await
    }

    /// Changes the email after checking the password (a stolen session alone cannot
    /// move the account, and with it the password reset, to another inbox). The new
    /// address is unverified and gets a verification link; the old one gets a
    /// `customer.email_changed` notice; links mailed to the old one stop working. The
    /// same address in another case only changes how it is written. Errors:
    /// `InvalidField { field: "email" }` (malformed, or another account has it),
    /// `InvalidCredentials`, `NotFound`.
    pub async fn change_email(
        &self,
        customer_id: &CustomerId,
        current_password: &str,
        new_email: &str,
    ) -> Result<Customer> {
        profile::change_email(self, customer_id, current_password, new_email).await
    }

    // ----- address book -----

    /// The customer's addresses in the order they were added. Errors: `NotFound` (no
    /// such customer).
    pub async fn addresses(&self, customer_id: &CustomerId) -> Result<Vec<SavedAddress>> {
        address_book::list(self, customer_id).await
    }

    /// Errors: `NotFound` (no such address in this customer's book).
    pub async fn address(
        &self,
        customer_id: &CustomerId,
        address_id: &AddressId,
    ) -> Result<SavedAddress> {
        address_book::get(self, customer_id, address_id).await
    }

    /// Errors: `InvalidField` (`address.city`, `label`, …; `address` when the book is
    /// full: 50 addresses), `NotFound` (no such customer).
    pub async fn add_address(
        &self,
        customer_id: &CustomerId,
        input: AddressInput,
    ) -> Result<SavedAddress> {
        address_book::add(self, customer_id, input).await
    }

    /// Replaces an address (fields and default flags). Errors: `InvalidField`,
    /// `NotFound`.
    pub async fn update_address(
        &self,
        customer_id: &CustomerId,
        address_id: &AddressId,
        input: AddressInput,
    ) -> Result<SavedAddress> {
        address_book::update(self, customer_id, address_id, input).await
    }

    /// Errors: `NotFound`. A default address deleted leaves no default of its kind.
    pub async fn delete_address(
        &self,
        customer_id: &CustomerId,
        address_id: &AddressId,
    ) -> Result<()> {
        address_book::delete(self, customer_id, address_id).await
    }

    // ----- the merchant's view: customers and groups -----

    /// Customers newest first, filtered by `q` (part of the email or a name, any case)
    /// and by group. Errors: `InvalidField` (`limit` outside 1..=100, `q`, `cursor`).
    pub async fn customers(&self, query: CustomerQuery) -> Result<CustomerPage> {
        groups::list_customers(self, query).await
    }

    /// The groups a customer is in (price lists for these groups apply to them).
    pub async fn groups_of(&self, customer_id: &CustomerId) -> Result<Vec<GroupId>> {
        self.db
            .read(async |conn| store::groups::of_customer(conn, customer_id).await)
            .await
    }

    /// All groups by name, with their member counts.
    pub async fn customer_groups(&self) -> Result<Vec<CustomerGroup>> {
        self.db
            .read(async |conn| store::groups::all(conn).await)
            .await
    }

    /// Errors: `NotFound`.
    pub async fn customer_group(&self, id: &GroupId) -> Result<CustomerGroup> {
        groups::get(self, id).await
    }

    /// Errors: `InvalidField { field: "name" }` (blank, too long, or taken in any case).
    pub async fn create_customer_group(&self, name: &str) -> Result<CustomerGroup> {
        groups::create(self, name).await
    }

    /// Errors: as [`Accounts::create_customer_group`], and `NotFound`.
    pub async fn rename_customer_group(&self, id: &GroupId, name: &str) -> Result<CustomerGroup> {
        groups::rename(self, id, name).await
    }

    /// Deletes the group and its memberships. Errors: `NotFound`.
    pub async fn delete_customer_group(&self, id: &GroupId) -> Result<()> {
        groups::delete(self, id).await
    }

    /// Makes the customer a member (nothing when they are one). Errors: `NotFound` (the
    /// group or the customer).
    pub async fn add_to_group(&self, group: &GroupId, customer: &CustomerId) -> Result<()> {
        groups::set_member(self, group, customer, true).await
    }

    /// Errors: `NotFound` (the group, the customer, or not a member).
    pub async fn remove_from_group(&self, group: &GroupId, customer: &CustomerId) -> Result<()> {
        groups::set_member(self, group, customer, false).await
    }

    // ----- housekeeping -----

    /// Deletes ended sessions and expired links (for the hourly housekeeping job).
    pub async fn purge_expired(&self) -> Result<Purged> {
        let now = self.now();
        self.db
            .write(async move |conn| {
                Ok(Purged {
                    sessions: store::sessions::purge(conn, now).await?,
                    tokens: store::tokens::purge(conn, now).await?,
                })
            })
            .await
    }
}
