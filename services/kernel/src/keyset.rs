//! Keyset pages, newest first, for the lists the merchant reads (orders, customers):
//! the cursor is the last row's `(created_at, id)`, opaque to callers (URL-safe base64
//! of `[created_at, "id"]`), and a page is read with one row more than asked to tell
//! whether another follows.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

use crate::id::has_prefix;

/// The cursor after the row `(created_at, id)`.
pub fn encode(created_at: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([created_at, id]).to_string())
}

/// The row a cursor names, when [`encode`] made it for an id with `prefix`; `None` for
/// anything else (a cursor of another list, garbage, a hand-edited one).
pub fn decode(text: &str, prefix: &str) -> Option<(i64, String)> {
    if text.len() > 512 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    let (created_at, id): (i64, String) = serde_json::from_slice(&bytes).ok()?;
    has_prefix(&id, prefix).then_some((created_at, id))
}

/// Cuts `rows` (read with `limit + 1`) to `limit` and returns the cursor of the next
/// page, when there is one.
pub fn next_cursor<T>(
    rows: &mut Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (i64, &str),
) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(|row| {
        let (created_at, id) = key(row);
        encode(created_at, id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::id_from_parts;

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        let id = id_from_parts("ord", 1_700_000_000_000, 7);
        let text = encode(1_700_000_000_000, &id);
        assert_eq!(decode(&text, "ord"), Some((1_700_000_000_000, id.clone())));
        assert_eq!(decode(&text, "cus"), None, "another list's cursor");
        let not_json = URL_SAFE_NO_PAD.encode("5.ord_1");
        for garbage in ["", "!!!", &not_json, &"a".repeat(600)] {
            assert_eq!(decode(garbage, "ord"), None, "{garbage:?}");
        }
    }

    #[test]
    fn a_page_read_with_one_row_more_tells_whether_another_follows() {
        let ids: Vec<String> = (0..4)
            .map(|n| id_from_parts("ord", 10 - n, n as u128))
            .collect();
        let rows = |n: usize| -> Vec<(i64, String)> {
            ids.iter()
                .take(n)
                .enumerate()
                .map(|(i, id)| (10 - i as i64, id.clone()))
                .collect()
        };
        let mut full = rows(4);
        let cursor = next_cursor(&mut full, 3, |r| (r.0, r.1.as_str()));
        assert_eq!(full.len(), 3);
        assert_eq!(
            cursor.and_then(|c| decode(&c, "ord")),
            Some((8, ids[2].clone()))
        );
        let mut last = rows(2);
        assert_eq!(next_cursor(&mut last, 3, |r| (r.0, r.1.as_str())), None);
        assert_eq!(last.len(), 2);
    }
}
