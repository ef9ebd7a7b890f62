//! What the accounts service takes and gives back. Times are Unix milliseconds (see
//! `emporium_kernel::clock`); the API crate owns the wire shapes.
//!
//! Nothing here holds a password hash or a token hash. The two values that hold a secret
//! ([`Registration`]'s password and [`LoggedIn`]'s token) print it as `<redacted>`.

use std::fmt;

use emporium_kernel::contact::{Address, Email};

use crate::{
    ids::{AddressId, CustomerId, GroupId, SessionId},
    token::SecretToken,
};

/// A group of customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerGroup {
    pub id: GroupId,
    pub name: String,
    pub member_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters and page of [`crate::Accounts::customers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Part of the email or of a name, in any case.
    pub q: Option<String>,
    /// Only members of this group.
    pub group_id: Option<GroupId>,
    /// 1..=100.
    pub limit: i64,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Default for CustomerQuery {
    fn default() -> Self {
        CustomerQuery {
            q: None,
            group_id: None,
            limit: 20,
            cursor: None,
        }
    }
}

/// Newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    pub next_cursor: Option<String>,
}

/// A customer account as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    /// As the customer typed it (trimmed); unique among accounts in any case.
    pub email: Email,
    /// When the customer proved they read mail at `email`; `None` until then and again
    /// after the email changes.
    pub email_verified_at: Option<i64>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Customer {
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// A sign-up. `Debug` leaves the password out.
#[derive(Clone, Default)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
}

/// What a registration did. The API must answer both the same way ("check your inbox"),
/// without a session: telling them apart would tell anyone whether an email has an
/// account. The owner of an existing account hears of the attempt by email (the
/// `customer.registration_attempted_existing` event) and can reset their password from
/// there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// A new account, unverified; a verification email is on its way.
    Created(Customer),
    /// The email already has an account: nothing changed, its owner is told.
    Existing,
}

/// A login session as stored (without its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub customer_id: CustomerId,
    pub created_at: i64,
    /// The last time [`Accounts::authenticate`](crate::Accounts::authenticate) recorded
    /// use of the session: at most once per touch interval (a minute by default), so up
    /// to that much behind the latest request.
    pub last_seen_at: i64,
    /// The session ends here unless it is used before: `last_seen_at` plus the idle
    /// timeout, but never after `absolute_expires_at`.
    pub expires_at: i64,
    /// The session ends here however much it is used: `created_at` plus the maximum
    /// lifetime.
    pub absolute_expires_at: i64,
}

impl Session {
    /// Whether the session is still valid at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        now < self.expires_at && now < self.absolute_expires_at
    }
}

/// A successful login: the token to hand to the browser (an `HttpOnly`, `Secure`,
/// `SameSite=Lax` cookie), the session it opens and whose it is. `Debug` hides the token.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub token: SecretToken,
    pub session: Session,
    pub customer: Customer,
}

/// New profile values: each replaces the stored one (`None` or blank clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// What asking for a new verification email did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationRequest {
    /// An email with a link valid until `expires_at` is on its way.
    Sent { expires_at: i64 },
    /// The email is verified already; nothing was sent.
    AlreadyVerified,
    /// One was sent less than the email interval ago; nothing was sent. Keeps a script
    /// from flooding an address (which may not be the account holder's: it is not
    /// verified) with mail.
    TooSoon,
}

/// An address to save: the kernel's [`Address`] (parsed here, fields named
/// `address.city` and so on), an optional label ("Home", "Office"), and whether it is
/// the customer's default for shipping and for billing. Saving it with a default flag
/// takes that default from any other address; saving it without takes the default from
/// this address if it had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressInput {
    pub label: Option<String>,
    pub address: Address,
    pub default_shipping: bool,
    pub default_billing: bool,
}

/// An address in a customer's address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAddress {
    pub id: AddressId,
    pub label: Option<String>,
    pub address: Address,
    pub default_shipping: bool,
    pub default_billing: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What [`Accounts::purge_expired`](crate::Accounts::purge_expired) deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub tokens: u64,
}
