//! Identifiers are `<prefix>_<ulid>` in lower case: opaque to callers, sortable by
//! creation time, and the prefix tells a human which kind of thing an id names.

use std::sync::Mutex;

use ulid::{Generator, Ulid};

/// Monotonic within the process: two ids made in the same millisecond still sort in the
/// order they were made (a plain ULID orders them by its random part), so "ORDER BY
/// created_at, id" lists rows written in one millisecond in the order they were written.
static GENERATOR: Mutex<Generator> = Mutex::new(Generator::new());

/// A new id for `prefix` (for example `"prod"`), unique and time-sortable.
pub fn new_id(prefix: &str) -> String {
    let next = GENERATOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .generate();
    // An overflow needs 2^80 ids in one millisecond; a plain ULID is still unique.
    format_id(prefix, next.unwrap_or_else(|_| Ulid::new()))
}

/// A new id for `prefix` whose 128 bits all come from the thread's CSPRNG, for ids that
/// act as credentials (a cart id is the only key to the cart and its order) and for ids
/// that are shown to everyone (request ids). Nothing in it follows from an earlier id:
/// the monotonic generator behind [`new_id`] makes the next id the last one plus one, so
/// an id made by it right after one a caller has seen can be guessed. Same shape as
/// [`new_id`]'s ids (a ULID is any 128 bits), so parsing and storage do not change; the
/// price is that these ids do not sort by creation time.
pub fn new_secret_id(prefix: &str) -> String {
    format_id(prefix, Ulid(rand::random::<u128>()))
}

/// An id built from explicit parts, for deterministic fixtures such as the demo catalog.
pub fn id_from_parts(prefix: &str, timestamp_ms: u64, random: u128) -> String {
    format_id(prefix, Ulid::from_parts(timestamp_ms, random))
}

fn format_id(prefix: &str, ulid: Ulid) -> String {
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    id.push_str(&ulid.to_string().to_ascii_lowercase());
    id
}

/// Whether `id` has the shape of an id with this prefix. Used to tell an id from a
/// handle in routes such as `/store/products/{id_or_handle}`.
pub fn has_prefix(id: &str, prefix: &str) -> bool {
    id.len() == prefix.len() + 27
        && id.starts_with(prefix)
        && id.as_bytes()[prefix.len()] == b'_'
        && id[prefix.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// An id that does not have the shape its kind needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind} id: {kind} ids look like {prefix}_01j9z3…")]
pub struct InvalidId {
    pub kind: &'static str,
    pub prefix: &'static str,
    pub value: String,
}

/// Defines an id type for one kind of thing: a `String` that is known to be
/// `<prefix>_<ulid>`, so a cart id can never be passed where a variant id is wanted.
/// Exported so a service defines its own kinds the same way (the kernel knows none of
/// theirs); `secret` makes ids from 128 random bits (ids that act as credentials).
#[macro_export]
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $crate::typed_id!(@define $(#[$doc])* $name, $prefix, $kind, new_id);
    };
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal, secret) => {
        $crate::typed_id!(@define $(#[$doc])* $name, $prefix, $kind, new_secret_id);
    };
    (@define $(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal, $make:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique id.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $name($crate::id::$make($prefix))
            }

            /// Parses input (a path segment, a JSON field).
            pub fn parse(value: &str) -> Result<Self, $crate::id::InvalidId> {
                if $crate::id::has_prefix(value, $prefix) {
                    Ok($name(value.to_owned()))
                } else {
                    Err($crate::id::InvalidId {
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
            type Error = $crate::id::InvalidId;

            fn try_from(value: String) -> Result<Self, $crate::id::InvalidId> {
                if $crate::id::has_prefix(&value, $prefix) {
                    Ok($name(value))
                } else {
                    Err($crate::id::InvalidId {
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

        impl<'a> From<&'a $name> for $crate::db::Arg<'a> {
            fn from(id: &'a $name) -> Self {
                $crate::db::Arg::from(id.as_str())
            }
        }
    };
}

typed_id!(
    /// A product (`prod_…`).
    ProductId, "prod", "product"
);
typed_id!(
    /// A variant of a product (`var_…`): what a cart line and a stock level refer to.
    VariantId, "var", "variant"
);
typed_id!(
    /// A cart (`cart_…`). Random, not time-sortable: whoever holds a cart id can read its
    /// email and addresses and place its order.
    CartId, "cart", "cart", secret
);
typed_id!(
    /// A line of a cart (`cali_…`).
    LineId, "cali", "cart line"
);
typed_id!(
    /// An order (`ord_…`).
    OrderId, "ord", "order"
);
typed_id!(
    /// Stock held for an order (`res_…`).
    ReservationId, "res", "reservation"
);
typed_id!(
    /// One logged change of a variant's stock (`mov_…`).
    MovementId, "mov", "stock movement"
);
typed_id!(
    /// A category of the catalog's tree (`pcat_…`).
    CategoryId, "pcat", "category"
);
typed_id!(
    /// A hand-picked collection of products (`pcol_…`).
    CollectionId, "pcol", "collection"
);
typed_id!(
    /// An option of a product, such as its size (`opt_…`).
    OptionId, "opt", "product option"
);
typed_id!(
    /// An image of a product (`img_…`).
    ImageId, "img", "image"
);
typed_id!(
    /// A customer account (`cus_…`). Defined here, not in the accounts service, because
    /// carts and orders record whose they are.
    CustomerId, "cus", "customer"
);
typed_id!(
    /// The payment of an order (`pay_…`).
    PaymentId, "pay", "payment"
);
typed_id!(
    /// A refund of (part of) a payment (`re_…`); the provider's own refund id is
    /// another thing.
    RefundId, "re", "refund"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_id_parses_only_its_own_kind() {
        let cart = CartId::new();
        assert!(cart.as_str().starts_with("cart_"));
        assert_eq!(CartId::parse(cart.as_str()), Ok(cart.clone()));
        let refused = VariantId::parse(cart.as_str()).expect_err("a cart id is no variant id");
        assert_eq!(refused.kind, "variant");
        assert!(CartId::parse("cart_").is_err());
        assert!(
            CartId::parse("cart_01J9Z3AAAAAAAAAAAAAAAAAAAA").is_err(),
            "ids are lower case"
        );
        let json = serde_json::to_string(&cart).expect("serialize");
        assert_eq!(serde_json::from_str::<CartId>(&json).ok(), Some(cart));
        assert!(serde_json::from_str::<CartId>("\"ord_01j9z3aaaaaaaaaaaaaaaaaaaa\"").is_err());
    }

    #[test]
    fn a_prefix_that_begins_another_does_not_make_its_ids_parse() {
        // `re` (refunds) begins `res` (reservations): the separator's place tells them apart.
        let reservation = ReservationId::new();
        assert!(RefundId::parse(reservation.as_str()).is_err());
        let refund = RefundId::new();
        assert!(ReservationId::parse(refund.as_str()).is_err());
    }

    #[test]
    fn ids_carry_their_prefix_and_sort_by_creation_time() {
        let a = id_from_parts("prod", 1_000, 5);
        let b = id_from_parts("prod", 2_000, 1);
        assert!(a.starts_with("prod_"));
        assert!(a < b, "{a} should sort before {b}");
        assert!(has_prefix(&a, "prod"));
        assert!(!has_prefix(&a, "var"));
        assert!(!has_prefix("prod_short", "prod"));
        assert!(!has_prefix("blue-shirt", "prod"));
    }

    #[test]
    fn new_ids_are_unique() {
        assert_ne!(new_id("var"), new_id("var"));
    }

    #[test]
    fn ids_made_one_after_another_sort_in_that_order() {
        let ids: Vec<String> = (0..1_000).map(|_| new_id("eml")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            ids, sorted,
            "ids made within one millisecond keep their order"
        );
    }

    /// The 128 bits of an id, to measure how far apart two ids are.
    fn bits(id: &str) -> u128 {
        let (_, ulid) = id.split_once('_').expect("prefix");
        Ulid::from_string(ulid).expect("a ULID").0
    }

    #[test]
    fn a_cart_id_made_right_after_a_request_id_cannot_be_guessed_from_it() {
        for _ in 0..1_000 {
            let request = new_secret_id("req");
            let counter = new_id("ord");
            let cart = CartId::new();
            // The monotonic generator makes the next id the last one plus one; random
            // ids land anywhere in 2^128, so a gap under 2^100 would be a relation.
            for (a, b) in [(&request, cart.as_str()), (&counter, cart.as_str())] {
                let gap = bits(a).abs_diff(bits(b));
                assert!(gap > 1 << 100, "{a} and {b} are {gap} apart");
            }
            assert_ne!(
                bits(&request) >> 80,
                bits(cart.as_str()) >> 80,
                "a cart id does not reveal when it was made"
            );
        }
    }

    #[test]
    fn monotonic_ids_are_guessable_which_is_why_carts_do_not_use_them() {
        let a = new_id("ord");
        let b = new_id("ord");
        assert!(bits(&b) - bits(&a) < 1 << 10, "{a} then {b}");
    }
}
