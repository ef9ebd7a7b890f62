//! The admin order list: newest first, filtered, in keyset pages. The cursor is opaque:
//! URL-safe base64 of the last row's `[created_at, id]`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use emporium_kernel::id::has_prefix;

use crate::{
    error::{CheckoutError, Result},
    model::{OrderPage, OrderQuery},
    store, Checkout,
};

pub(crate) async fn list(co: &Checkout, query: OrderQuery) -> Result<OrderPage> {
    if !(1..=100).contains(&query.limit) {
        return Err(CheckoutError::invalid("limit", "must be between 1 and 100"));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(CheckoutError::invalid(
            "q",
            "must be at most 200 characters",
        ));
    }
    let after = after.as_ref().map(|(at, id)| (*at, id.as_str()));
    // One row more than asked tells whether another page follows.
    let mut items = co
        .db
        .read(async |conn| {
            store::list_orders(
                conn,
                query.customer_id.as_ref().map(|c| c.as_str()),
                query.status,
                q,
                after,
                query.limit + 1,
            )
            .await
        })
        .await?;
    let next_cursor = if items.len() as i64 > query.limit {
        items.truncate(query.limit as usize);
        items
            .last()
            .map(|o| encode_cursor(o.created_at, o.id.as_str()))
    } else {
        None
    };
    Ok(OrderPage { items, next_cursor })
}

fn encode_cursor(created_at: i64, id: &str) -> String {
    let json = serde_json::json!([created_at, id]).to_string();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(text: &str) -> Result<(i64, String)> {
    if text.len() > 512 {
        return Err(CheckoutError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| CheckoutError::InvalidCursor)?;
    let (created_at, id): (i64, String) =
        serde_json::from_slice(&bytes).map_err(|_| CheckoutError::InvalidCursor)?;
    if !has_prefix(&id, "ord") {
        return Err(CheckoutError::InvalidCursor);
    }
    Ok((created_at, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = emporium_kernel::id::id_from_parts("ord", 1_700_000_000_000, 7);
        let text = encode_cursor(1_700_000_000_000, &id);
        assert_eq!(
            decode_cursor(&text).expect("decodes"),
            (1_700_000_000_000, id)
        );
        let not_an_order = URL_SAFE_NO_PAD.encode(br#"[5,"prod_01hzzzzzzzzzzzzzzzzzzzzzzz"]"#);
        for garbage in ["", "!!!", "bm90IGpzb24", &not_an_order, &"a".repeat(600)] {
            assert!(
                matches!(decode_cursor(garbage), Err(CheckoutError::InvalidCursor)),
                "{garbage:?}"
            );
        }
    }
}
