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

#[cfg(test)]
mod tests {
    use super::*;

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
}
