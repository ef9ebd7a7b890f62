//! Wire types of the customer account endpoints (Store API): registration, login and
//! sessions, email verification, password reset, the profile and the address book.
//!
//! A session token is sent back as `Authorization: Bearer <token>` on the `/me` routes.
//! Bodies that carry a password or a token print it as `<redacted>` in `Debug`, so a
//! frontend that logs a request or a response never logs a secret.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::commerce::Address;

const REDACTED: &str = "<redacted>";

/// `POST /store/customers`
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegisterCustomer {
    pub email: String,
    /// Must meet the shop's password rules (long enough, not a common password, not the
    /// email); a refusal names `password` and says which rule.
    pub password: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

impl fmt::Debug for RegisterCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterCustomer")
            .field("email", &self.email)
            .field("password", &REDACTED)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
}

/// The answer to a registration and to a password-reset request: the same whether or
/// not the email has an account, so neither form tells a stranger who shops here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckYourInbox {
    /// Always `check_your_inbox`.
    pub status: String,
}

impl CheckYourInbox {
    pub const STATUS: &'static str = "check_your_inbox";

    pub fn new() -> Self {
        CheckYourInbox {
            status: Self::STATUS.to_owned(),
        }
    }
}

impl Default for CheckYourInbox {
    fn default() -> Self {
        Self::new()
    }
}

/// `POST /store/auth/login`
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Login {
    pub email: String,
    pub password: String,
    /// The guest cart the shopper was using: it becomes the customer's, or its lines
    /// are added to the customer's open cart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_id: Option<String>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("email", &self.email)
            .field("password", &REDACTED)
            .finish()
    }
}

/// A session opened by a login. Send `token` as `Authorization: Bearer <token>`; a
/// storefront keeps it in an `HttpOnly` cookie, never where scripts can read it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionToken {
    pub token: String,
    /// When the session ends unless it is used before (each use moves this later, up
    /// to `absolute_expires_at`). RFC 3339.
    pub expires_at: String,
    /// When the session ends however much it is used: a cookie holding the token can
    /// expire then. RFC 3339.
    pub absolute_expires_at: String,
    pub customer: Customer,
    /// The customer's cart to continue with (the guest cart sent at sign-in, merged or
    /// adopted, else their open cart); `None` when they have none.
    pub cart_id: Option<String>,
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("token", &REDACTED)
            .field("expires_at", &self.expires_at)
            .field("absolute_expires_at", &self.absolute_expires_at)
            .field("customer", &self.customer)
            .field("cart_id", &self.cart_id)
            .finish()
    }
}

/// A customer account as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Customer {
    pub id: String,
    pub email: String,
    /// Whether the customer opened the verification link sent to `email`.
    pub email_verified: bool,
    #[serde(default)]
    pub email_verified_at: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `PATCH /store/customers/me`: a field left out (or `null`) keeps its value; an empty
/// string clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProfilePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `POST /store/customers/me/password`
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

impl fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePassword")
            .field("current_password", &REDACTED)
            .field("new_password", &REDACTED)
            .finish()
    }
}

/// `POST /store/customers/me/email`
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChangeEmail {
    pub current_password: String,
    /// The new address; it is unverified until its verification link is opened.
    pub email: String,
}

impl fmt::Debug for ChangeEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeEmail")
            .field("current_password", &REDACTED)
            .field("email", &self.email)
            .finish()
    }
}

/// `POST /store/auth/password-reset`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RequestPasswordReset {
    pub email: String,
}

/// `POST /store/auth/password-reset/confirm`
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConfirmPasswordReset {
    /// The `token` of the link in the reset email.
    pub token: String,
    /// The new password.
    pub password: String,
}

impl fmt::Debug for ConfirmPasswordReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmPasswordReset")
            .field("token", &REDACTED)
            .field("password", &REDACTED)
            .finish()
    }
}

/// `POST /store/auth/verify-email`
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VerifyEmail {
    /// The `token` of the link in the verification email.
    pub token: String,
}

impl fmt::Debug for VerifyEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyEmail")
            .field("token", &REDACTED)
            .finish()
    }
}

/// `POST /store/customers/me/verification`: what asking for a new verification email
/// did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VerificationStatus {
    /// `sent` (a new link is on its way), `already_verified` (nothing to do) or
    /// `too_soon` (one was sent a moment ago: nothing sent, check the inbox).
    pub status: String,
    /// `sent` only: when the new link stops working. RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `POST /store/customers/me/addresses`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AddressInput {
    /// A short name such as "Home" or "Office".
    #[serde(default)]
    pub label: Option<String>,
    pub address: Address,
    /// Makes it the default shipping address (taking that from any other).
    #[serde(default)]
    pub default_shipping: bool,
    /// Makes it the default billing address (taking that from any other).
    #[serde(default)]
    pub default_billing: bool,
}

/// `PATCH /store/customers/me/addresses/{id}`: a field left out (or `null`) keeps its
/// value; `address` replaces the whole address; an empty `label` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AddressPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_shipping: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_billing: Option<bool>,
}

/// An address in the customer's address book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SavedAddress {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    pub address: Address,
    pub default_shipping: bool,
    pub default_billing: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Wire types of the merchant's customer endpoints (Admin API).
pub mod admin {
    use super::*;
    use crate::commerce::Order;

    /// A group of customers that price lists can target.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CustomerGroup {
        /// `cgrp_…`
        pub id: String,
        pub name: String,
        pub member_count: i64,
        /// RFC 3339.
        pub created_at: String,
        pub updated_at: String,
    }

    /// `POST /admin/customer-groups`, `PATCH /admin/customer-groups/{id}`
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CustomerGroupInput {
        pub name: String,
    }

    /// The query of `GET /admin/customers`.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    pub struct CustomerListQuery {
        /// Part of the email or a name, any case.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub q: Option<String>,
        /// `cgrp_…`: only its members.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub group_id: Option<String>,
        /// 1..=100 (default 20).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub limit: Option<i64>,
        /// `next_cursor` of the previous page.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cursor: Option<String>,
    }

    /// `POST /admin/customer-groups/{id}/customers`
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct GroupMember {
        /// `cus_…`
        pub customer_id: String,
    }

    /// `GET /admin/customers/{id}`: the account with what the merchant needs beside it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CustomerDetail {
        pub customer: Customer,
        pub addresses: Vec<SavedAddress>,
        pub groups: Vec<CustomerGroup>,
        /// The newest orders (up to 10); `GET /admin/orders?q=<email>` finds the rest.
        pub recent_orders: Vec<Order>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_with_a_password_or_a_token_never_show_it_in_debug() {
        let secret = "tide pool lantern";
        let shown = [
            format!(
                "{:?}",
                RegisterCustomer {
                    email: "ada@example.com".into(),
                    password: secret.into(),
                    ..RegisterCustomer::default()
                }
            ),
            format!(
                "{:?}",
                Login {
                    email: "ada@example.com".into(),
                    password: secret.into(),
                    cart_id: None,
                }
            ),
            format!(
                "{:?}",
                ChangePassword {
                    current_password: secret.into(),
                    new_password: secret.into(),
                }
            ),
            format!(
                "{:?}",
                ChangeEmail {
                    current_password: secret.into(),
                    email: "new@example.com".into(),
                }
            ),
            format!(
                "{:?}",
                ConfirmPasswordReset {
                    token: secret.into(),
                    password: secret.into(),
                }
            ),
            format!(
                "{:?}",
                VerifyEmail {
                    token: secret.into()
                }
            ),
            format!(
                "{:?}",
                SessionToken {
                    token: secret.into(),
                    cart_id: None,
                    expires_at: "2030-01-01T00:00:00Z".into(),
                    absolute_expires_at: "2030-01-01T00:00:00Z".into(),
                    customer: Customer {
                        id: "cus_1".into(),
                        email: "ada@example.com".into(),
                        email_verified: false,
                        email_verified_at: None,
                        first_name: None,
                        last_name: None,
                        phone: None,
                        created_at: "2030-01-01T00:00:00Z".into(),
                        updated_at: "2030-01-01T00:00:00Z".into(),
                    },
                }
            ),
        ];
        for text in shown {
            assert!(!text.contains(secret), "{text}");
            assert!(text.contains(REDACTED), "{text}");
        }
    }

    #[test]
    fn a_patch_sends_only_the_fields_it_sets() {
        let patch = ProfilePatch {
            phone: Some(String::new()),
            ..ProfilePatch::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).ok(),
            Some(serde_json::json!({"phone": ""}))
        );
    }
}
