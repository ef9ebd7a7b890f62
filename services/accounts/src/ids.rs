//! The accounts' ids, made with the kernel's `typed_id!` (`<prefix>_<ulid>`, lower case)
//! but defined here: the kernel is shared and knows no service's kinds of things. The
//! exception is [`CustomerId`], the kernel's, as carts and orders record their owner.
//!
//! None of them is a credential: a session is found by its token (never by its id), and
//! every address function is scoped to the customer the caller authenticated, so a
//! guessed id grants nothing. They come from the kernel's monotonic generator.

pub use emporium_kernel::id::CustomerId;

emporium_kernel::typed_id!(
    /// A customer group (`cgrp_…`), which price lists target.
    GroupId, "cgrp", "customer group"
);

emporium_kernel::typed_id!(
    /// An address in a customer's address book (`addr_…`).
    AddressId, "addr", "address"
);
emporium_kernel::typed_id!(
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
