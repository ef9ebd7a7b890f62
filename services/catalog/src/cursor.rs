//! Opaque keyset cursors for product lists: base64url of a small JSON object naming the
//! sort, the last row's sort key and id (and the currency for price sorts). A cursor only
//! continues the list it came from: one made for another sort or currency is refused
//! rather than silently skipping or repeating products.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use emporium_kernel::{id, money::Currency};
use serde::{Deserialize, Serialize};

use crate::{error::CatalogError, ProductSort, Result};

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub key: SortKey,
    pub id: String,
}

/// The sort column's value in the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SortKey {
    /// created_at or a price.
    Int(i64),
    /// A title.
    Text(String),
}

#[derive(Serialize, Deserialize)]
struct Wire {
    s: String,
    k: serde_json::Value,
    i: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    c: Option<String>,
}

pub(crate) fn sort_name(sort: ProductSort) -> &'static str {
    match sort {
        ProductSort::Newest => "newest",
        ProductSort::PriceAsc => "price_asc",
        ProductSort::PriceDesc => "price_desc",
        ProductSort::Title => "title",
    }
}

fn is_price_sort(sort: ProductSort) -> bool {
    matches!(sort, ProductSort::PriceAsc | ProductSort::PriceDesc)
}

pub(crate) fn encode(sort: ProductSort, currency: Currency, cursor: &Cursor) -> String {
    let wire = Wire {
        s: sort_name(sort).to_owned(),
        k: match &cursor.key {
            SortKey::Int(n) => serde_json::Value::from(*n),
            SortKey::Text(t) => serde_json::Value::from(t.as_str()),
        },
        i: cursor.id.clone(),
        c: is_price_sort(sort).then(|| currency.to_string()),
    };
    // Serialising a struct of strings and numbers cannot fail; an empty cursor would
    // only restart the list, never loop.
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

pub(crate) fn decode(text: &str, sort: ProductSort, currency: Currency) -> Result<Cursor> {
    let bad = |why: &str| {
        CatalogError::invalid(
            "cursor",
            format!(
                "{why}: pass the `next_cursor` of the previous page unchanged, with the same sort"
            ),
        )
    };
    if text.len() > 1024 {
        return Err(bad("the cursor is too long"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| bad("the cursor is not valid"))?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| bad("the cursor is not valid"))?;
    if wire.s != sort_name(sort) {
        return Err(bad(&format!(
            "the cursor belongs to sort `{}`, not `{}`",
            wire.s,
            sort_name(sort)
        )));
    }
    if is_price_sort(sort) && wire.c.as_deref() != Some(currency.as_str()) {
        return Err(bad(&format!(
            "the cursor belongs to another currency than {currency}"
        )));
    }
    if !id::has_prefix(&wire.i, id::ProductId::PREFIX) {
        return Err(bad("the cursor is not valid"));
    }
    let key = match (sort, wire.k) {
        (ProductSort::Title, serde_json::Value::String(t)) => SortKey::Text(t),
        (
            ProductSort::Newest | ProductSort::PriceAsc | ProductSort::PriceDesc,
            serde_json::Value::Number(n),
        ) => SortKey::Int(n.as_i64().ok_or_else(|| bad("the cursor is not valid"))?),
        _ => return Err(bad("the cursor is not valid")),
    };
    Ok(Cursor { key, id: wire.i })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some_id() -> String {
        id::id_from_parts("prod", 1_700_000_000_000, 42)
    }

    #[test]
    fn cursors_round_trip_for_every_sort() {
        let cases = [
            (ProductSort::Newest, SortKey::Int(1_700_000_000_000)),
            (ProductSort::PriceAsc, SortKey::Int(1999)),
            (ProductSort::PriceDesc, SortKey::Int(0)),
            (
                ProductSort::Title,
                SortKey::Text("Ünïcode \"quoted\" title".into()),
            ),
        ];
        for (sort, key) in cases {
            let cursor = Cursor { key, id: some_id() };
            let text = encode(sort, Currency::USD, &cursor);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text}"
            );
            assert_eq!(decode(&text, sort, Currency::USD).expect("decodes"), cursor);
        }
    }

    #[test]
    fn a_cursor_for_another_sort_or_currency_is_refused() {
        let cursor = Cursor {
            key: SortKey::Int(5),
            id: some_id(),
        };
        let text = encode(ProductSort::PriceAsc, Currency::EUR, &cursor);
        assert!(decode(&text, ProductSort::PriceDesc, Currency::EUR).is_err());
        assert!(decode(&text, ProductSort::Newest, Currency::EUR).is_err());
        assert!(decode(&text, ProductSort::PriceAsc, Currency::USD).is_err());
        let newest = encode(ProductSort::Newest, Currency::EUR, &cursor);
        // Newest does not depend on the currency.
        assert!(decode(&newest, ProductSort::Newest, Currency::USD).is_ok());
    }

    #[test]
    fn garbage_cursors_are_refused_as_invalid_cursor() {
        let wrong_key =
            URL_SAFE_NO_PAD.encode(br#"{"s":"title","k":5,"i":"prod_01hzzzzzzzzzzzzzzzzzzzzzzz"}"#);
        let wrong_id = URL_SAFE_NO_PAD.encode(br#"{"s":"newest","k":5,"i":"nope"}"#);
        for garbage in [
            "",
            "!!!",
            "bm90IGpzb24",
            &wrong_key,
            &wrong_id,
            &"a".repeat(2000),
        ] {
            let sort = if garbage == wrong_key {
                ProductSort::Title
            } else {
                ProductSort::Newest
            };
            match decode(garbage, sort, Currency::EUR) {
                Err(CatalogError::Invalid { field, .. }) => assert_eq!(field, "cursor"),
                other => panic!("{garbage:?} gave {other:?}"),
            }
        }
    }
}
