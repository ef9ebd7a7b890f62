//! Field rules shared by products, categories and collections: names, handles, URLs and
//! prices. Every check returns `CatalogError::Invalid` naming the field and saying what
//! to change, so the API can pass the message straight to the caller.

use emporium_kernel::money::Currency;

use crate::{error::CatalogError, model::NewPrice, Price, Result};

/// Longest title, name or option value, in characters.
pub(crate) const MAX_TITLE: usize = 200;
/// Longest handle, in bytes (handles are ASCII).
pub(crate) const MAX_HANDLE: usize = 100;
/// Longest description, in characters.
pub(crate) const MAX_DESCRIPTION: usize = 20_000;
/// Largest price in minor units: ten billion in major units is beyond any real price and
/// keeps sums of many lines far from i64 overflow.
pub(crate) const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// A required single-line text: trimmed, non-empty, at most `max` characters.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CatalogError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(CatalogError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(CatalogError::invalid(
            field,
            "must be a single line without control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A free text that may be empty (descriptions): trimmed, at most `max` characters.
pub(crate) fn free_text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(CatalogError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An optional text: blank means absent.
pub(crate) fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => free_text(field, text, max).map(Some),
    }
}

/// An explicit handle: lowercase ASCII letters and digits in words joined by single
/// hyphens, 1..=100 characters.
pub(crate) fn handle(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let well_formed = !value.is_empty()
        && value.len() <= MAX_HANDLE
        && value.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(CatalogError::invalid(
            field,
            format!(
                "`{value}` is not a handle: use 1 to {MAX_HANDLE} lowercase letters a-z and digits, \
                 words joined by single hyphens (e.g. `linen-shirt`)"
            ),
        ))
    }
}

/// A handle made from a title: `"Café Crème — 2 Cups"` becomes `cafe-creme-2-cups`.
/// Leaves room for a `-NN` suffix so a derived handle can always be made unique. Returns
/// `fallback` when the title has no letters or digits at all.
pub fn slugify(title: &str, fallback: &str) -> String {
    // Room for "-9999" when the derived handle must be made unique.
    const MAX_BASE: usize = MAX_HANDLE - 6;
    let mut slug = String::with_capacity(title.len());
    let mut pending_hyphen = false;
    for c in title.chars().flat_map(|c| c.to_lowercase()) {
        let folded = fold_latin(c);
        let mut emitted = false;
        for f in folded.chars() {
            if f.is_ascii_alphanumeric() {
                if pending_hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                pending_hyphen = false;
                slug.push(f.to_ascii_lowercase());
                emitted = true;
            }
        }
        if !emitted && c != '\'' && c != '’' {
            // Apostrophes join words ("men's" -> "mens"); anything else separates them.
            pending_hyphen = true;
        }
        if slug.len() >= MAX_BASE {
            break;
        }
    }
    slug.truncate(MAX_BASE);
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        fallback.to_owned()
    } else {
        slug
    }
}

/// ASCII spelling of common Latin letters with diacritics; other characters unchanged.
fn fold_latin(c: char) -> String {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' | 'ŕ' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        '&' => "and",
        other => return other.to_string(),
    };
    s.to_owned()
}

/// The first of `base`, `base-2`, `base-3`, … that is not in `taken`.
pub fn first_free_handle(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_owned();
    }
    let mut n = 2u64;
    loop {
        let candidate = format!("{base}-{n}");
        if !taken.contains(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// An image URL: absolute http(s) or a path on this site.
pub(crate) fn image_url(field: &str, value: &str) -> Result<String> {
    let url = value.trim();
    let lower = url.to_ascii_lowercase();
    let shaped = (lower.starts_with("https://") && url.len() > 8)
        || (lower.starts_with("http://") && url.len() > 7)
        || (url.starts_with('/') && !url.starts_with("//"));
    if !shaped || url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CatalogError::invalid(
            field,
            "must be an http(s) URL or a path starting with `/`, without spaces, at most 2048 characters",
        ));
    }
    Ok(url.to_owned())
}

/// A variant's prices: valid currencies, amounts 0..=10^12 minor units, one price per
/// currency; returned sorted by currency code.
pub(crate) fn prices(field: &str, input: &[NewPrice]) -> Result<Vec<Price>> {
    let mut out: Vec<Price> = Vec::with_capacity(input.len());
    for (i, price) in input.iter().enumerate() {
        let currency = Currency::parse(price.currency.trim())
            .map_err(|e| CatalogError::invalid(format!("{field}[{i}].currency"), e.to_string()))?;
        let price = Price {
            currency,
            amount: price.amount,
        };
        check_price(&price, &out).map_err(|e| under(|| format!("{field}[{i}]"), e))?;
        out.push(price);
    }
    out.sort_by_key(|a| a.currency);
    Ok(out)
}

/// A price with an amount in 0..=10^12 minor units, in a currency not in `earlier`.
/// Errors name `amount` or `currency` (see [`under`]).
pub(crate) fn check_price(price: &Price, earlier: &[Price]) -> Result<()> {
    if price.amount < 0 {
        return Err(CatalogError::invalid(
            "amount",
            "must be zero or more (minor units, e.g. 1999 for 19.99)",
        ));
    }
    if price.amount > MAX_AMOUNT {
        return Err(CatalogError::invalid(
            "amount",
            format!("must be at most {MAX_AMOUNT} minor units"),
        ));
    }
    if earlier.iter().any(|p| p.currency == price.currency) {
        return Err(CatalogError::invalid(
            "currency",
            format!(
                "{} is listed twice: give one price per currency",
                price.currency
            ),
        ));
    }
    Ok(())
}

/// `err` with its field placed under `parent` (`sku` under `variants[1]` is
/// `variants[1].sku`; an empty field becomes `parent` itself). Checks of a part of an
/// input name fields relative to that part and the caller says where the part is, only
/// when a check fails: a bulk import checks too many fields to format every path.
pub(crate) fn under(parent: impl FnOnce() -> String, err: CatalogError) -> CatalogError {
    let join = |field: String| {
        let parent = parent();
        if field.is_empty() {
            parent
        } else {
            format!("{parent}.{field}")
        }
    };
    match err {
        CatalogError::Invalid { field, message } => CatalogError::Invalid {
            field: join(field),
            message,
        },
        CatalogError::Conflict { field, message } => CatalogError::Conflict {
            field: join(field),
            message,
        },
        other => other,
    }
}

/// Ids listed at most once each.
pub(crate) fn distinct_ids(field: &str, ids: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let id = id.trim();
        if out.iter().any(|seen| seen == id) {
            return Err(CatalogError::invalid(
                format!("{field}[{i}]"),
                format!("`{id}` is listed twice"),
            ));
        }
        out.push(id.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_lowercases_and_joins_words_with_single_hyphens() {
        assert_eq!(
            slugify("Classic Linen Shirt", "product"),
            "classic-linen-shirt"
        );
        assert_eq!(slugify("  --Hello,   World!!  ", "product"), "hello-world");
        assert_eq!(
            slugify("Café Crème & Spoon", "product"),
            "cafe-creme-and-spoon"
        );
        assert_eq!(slugify("Men's Shirts", "x"), "mens-shirts");
        assert_eq!(slugify("Größe 42", "x"), "grosse-42");
    }

    #[test]
    fn slugify_falls_back_when_nothing_is_left() {
        assert_eq!(slugify("!!! ???", "product"), "product");
        assert_eq!(slugify("日本", "category"), "category");
    }

    #[test]
    fn slugify_leaves_room_for_a_suffix_and_makes_valid_handles() {
        let long = "word ".repeat(60);
        let slug = slugify(&long, "p");
        assert!(slug.len() <= MAX_HANDLE - 6, "{slug}");
        assert!(!slug.ends_with('-'));
        assert!(handle("h", &format!("{slug}-9999")).is_ok());
    }

    #[test]
    fn handles_are_lowercase_words_joined_by_single_hyphens() {
        assert!(handle("handle", "linen-shirt-2").is_ok());
        for bad in [
            "",
            "Linen",
            "linen--shirt",
            "-linen",
            "linen-",
            "linen shirt",
            "lin_en",
            "é",
        ] {
            assert!(handle("handle", bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(handle("handle", &"a".repeat(101)).is_err());
    }

    #[test]
    fn derived_handles_take_the_first_free_suffix() {
        let taken = vec![
            "shirt".to_owned(),
            "shirt-2".to_owned(),
            "shirt-4".to_owned(),
        ];
        assert_eq!(first_free_handle("shirt", &taken), "shirt-3");
        assert_eq!(first_free_handle("hat", &taken), "hat");
    }

    #[test]
    fn prices_are_checked_and_sorted_by_currency() {
        let input = vec![
            NewPrice {
                currency: "usd".into(),
                amount: 1099,
            },
            NewPrice {
                currency: "EUR".into(),
                amount: 999,
            },
        ];
        let out = prices("prices", &input).expect("valid prices");
        assert_eq!(out[0].currency, Currency::EUR);
        assert_eq!(out[1].currency, Currency::USD);
        let dup = vec![
            NewPrice {
                currency: "EUR".into(),
                amount: 1,
            },
            NewPrice {
                currency: "eur".into(),
                amount: 2,
            },
        ];
        assert!(prices("prices", &dup).is_err());
        let negative = vec![NewPrice {
            currency: "EUR".into(),
            amount: -1,
        }];
        assert!(prices("prices", &negative).is_err());
    }

    #[test]
    fn image_urls_are_http_or_local_paths() {
        assert!(image_url("url", "https://cdn.example.com/a.jpg").is_ok());
        assert!(image_url("url", "/media/demo/a-1.svg").is_ok());
        for bad in [
            "ftp://x/a.jpg",
            "javascript:alert(1)",
            "//evil.example/a.png",
            "a.jpg",
            "/a b.png",
        ] {
            assert!(image_url("url", bad).is_err(), "{bad}");
        }
    }
}
