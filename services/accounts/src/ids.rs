//! The accounts' ids, the same shape as the kernel's (`<prefix>_<ulid>`, lower case) but
//! defined here: the kernel is shared and knows no service's kinds of things.
//!
//! None of them is a credential: a session is found by its token (never by its id), and
//! every address function is scoped to the customer the caller authenticated, so a
//! guessed id grants nothing. They come from the kernel's monotonic generator.

use emporium_kernel::{
    db::Arg,
    id::{has_prefix, new_id, InvalidId},
};

/// Defines an id type like the kernel's `typed_id!`: a `String` known to be
/// `<prefix>_<ulid>`, so an address id can never be passed where a customer id is wanted.
macro_rules! account_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique id.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $name(new_id($prefix))
            }

            /// Parses input (a path segment, a JSON field).
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                if has_prefix(value, $prefix) {
                    Ok($name(value.to_owned()))
                } else {
                    Err(InvalidId {
                        kind: $kind,
                        prefix: $prefix,
                        value: value.to_owned(),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(value: String) -> Result<Self, InvalidId> {
                if has_prefix(&value, $prefix) {
                    Ok($name(value))
                } else {
                    Err(InvalidId {
                        kind: $kind,
                        prefix: $prefix,
                        value,
                    })
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl<'a> From<&'a $name> for Arg<'a> {
            fn from(id: &'a $name) -> Self {
                Arg::from(id.as_str())
            }
        }
    };
}

account_id!(
    /// A customer account (`cus_…`).
    CustomerId, "cus", "customer"
);
account_id!(
    /// An address in a customer's address book (`addr_…`).
    AddressId, "addr", "address"
);
account_id!(
    /// A login session (`sess_…`). Names the session (to keep it when the others are
    /// revoked); the token, not the id, is what authenticates.
    SessionId, "sess", "session"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_id_parses_only_its_own_kind() {
        let customer = CustomerId::new();
        assert!(customer.as_str().starts_with("cus_"));
        assert_eq!(CustomerId::parse(customer.as_str()), Ok(customer.clone()));
        assert!(AddressId::parse(customer.as_str()).is_err());
        assert!(CustomerId::parse("cus_").is_err());
        let json = serde_json::to_string(&customer).expect("serialize");
        assert_eq!(
            serde_json::from_str::<CustomerId>(&json).ok(),
            Some(customer)
        );
        assert!(serde_json::from_str::<CustomerId>("\"addr_01j9z3aaaaaaaaaaaaaaaaaaaa\"").is_err());
    }
}
