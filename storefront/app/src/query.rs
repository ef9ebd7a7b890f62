//! The storefront's URL query parameters (`sort`, `cursor`, `currency`, `variant`):
//! parsing them leniently (a bad value falls back to the default rather than failing)
//! and writing links that keep them.
//!
//! The currency a catalog page shows prices in follows one rule: the URL's `?currency=`
//! when it names one (a shareable link), else the shopper's region's (see
//! [`crate::region`]), else [`DEFAULT_CURRENCY`].

use emporium_client::types::{ProductQuery, ProductSort};
use leptos_router::params::ParamsMap;

/// Currency shown when neither the URL nor the shopper's region names one (the region
/// list could not be read): the Store API's default region's.
pub const DEFAULT_CURRENCY: &str = "EUR";

/// Products per page on category and collection pages.
pub const PAGE_SIZE: u32 = 24;

/// The sort orders a shopper can choose, with their labels, in menu order.
pub const SORTS: [(ProductSort, &str); 4] = [
    (ProductSort::Newest, "Newest"),
    (ProductSort::PriceAsc, "Price: low to high"),
    (ProductSort::PriceDesc, "Price: high to low"),
    (ProductSort::Title, "Name: A to Z"),
];

/// The `sort` parameter value of an order.
pub fn sort_param(sort: ProductSort) -> &'static str {
    match sort {
        ProductSort::Newest => "newest",
        ProductSort::PriceAsc => "price_asc",
        ProductSort::PriceDesc => "price_desc",
        ProductSort::Title => "title",
    }
}

/// Reads a `sort` parameter; unknown values mean "not given".
pub fn parse_sort(value: &str) -> Option<ProductSort> {
    SORTS
        .iter()
        .map(|(sort, _)| *sort)
        .find(|sort| sort_param(*sort) == value)
}

/// Reads a `currency` parameter: three ASCII letters, any case.
pub fn parse_currency(value: &str) -> Option<String> {
    (value.len() == 3 && value.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| value.to_ascii_uppercase())
}

/// The currency a page shows prices in: the URL's when it names one, else `region`'s
/// (the shopper's region's currency).
pub fn currency_of(query: &ParamsMap, region: &str) -> String {
    currency_param(query).unwrap_or_else(|| region.to_owned())
}

/// The currency the URL asked for explicitly (links keep it only then).
pub fn currency_param(query: &ParamsMap) -> Option<String> {
    query.get_str("currency").and_then(parse_currency)
}

/// Appends `?currency=…` to a path when the shopper chose a currency.
pub fn with_currency(path: &str, currency: Option<&str>) -> String {
    match currency {
        Some(c) => format!("{path}?currency={}", encode(c)),
        None => path.to_owned(),
    }
}

/// Sort, page and currency of a category or collection page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub sort: Option<ProductSort>,
    pub cursor: Option<String>,
    pub currency: Option<String>,
}

impl Listing {
    pub fn from_query(query: &ParamsMap) -> Self {
        Listing {
            sort: query.get_str("sort").and_then(parse_sort),
            cursor: query
                .get_str("cursor")
                .filter(|c| !c.is_empty())
                .map(ToOwned::to_owned),
            currency: currency_param(query),
        }
    }

    /// The API query for this page of a category's products, priced in `currency`
    /// (this listing's when the URL named one, else the shopper's region's).
    pub fn category_query(&self, handle: &str, currency: &str) -> ProductQuery {
        ProductQuery {
            category: Some(handle.to_owned()),
            ..self.product_query(currency)
        }
    }

    /// The API query for this page of a collection's products, priced in `currency`.
    pub fn collection_query(&self, handle: &str, currency: &str) -> ProductQuery {
        ProductQuery {
            collection: Some(handle.to_owned()),
            ..self.product_query(currency)
        }
    }

    fn product_query(&self, currency: &str) -> ProductQuery {
        ProductQuery {
            currency: Some(currency.to_owned()),
            sort: self.sort,
            limit: Some(PAGE_SIZE),
            cursor: self.cursor.clone(),
            ..ProductQuery::default()
        }
    }

    /// A link to `path` with this listing's sort and currency, on the page `cursor`
    /// (`None`: the first page).
    pub fn href(&self, path: &str, cursor: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(sort) = self.sort {
            pairs.push(("sort", sort_param(sort)));
        }
        if let Some(currency) = &self.currency {
            pairs.push(("currency", currency));
        }
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        href(path, &pairs)
    }

    /// A link to `path` sorted by `sort`, back on the first page.
    pub fn sorted_href(&self, path: &str, sort: ProductSort) -> String {
        Listing {
            sort: Some(sort),
            cursor: None,
            currency: self.currency.clone(),
        }
        .href(path, None)
    }
}

/// `path?k=v&…` with the values percent-encoded (no `?` without pairs).
pub fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    for (i, (key, value)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(key);
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// `path` without the query parameters `names` (the rest kept as they were).
pub fn without_params(path: &str, names: &[&str]) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !pair.is_empty() && !names.contains(&key)
        })
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&'static str, &str)]) -> ParamsMap {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert(*k, (*v).to_owned());
        }
        map
    }

    #[test]
    fn every_sort_round_trips_through_its_parameter() {
        for (sort, _) in SORTS {
            assert_eq!(parse_sort(sort_param(sort)), Some(sort));
        }
        assert_eq!(parse_sort("cheapest"), None);
    }

    #[test]
    fn an_explicit_currency_overrides_the_regions_and_garbage_is_ignored() {
        assert_eq!(currency_of(&query(&[]), "EUR"), "EUR");
        assert_eq!(currency_of(&query(&[]), "USD"), "USD");
        assert_eq!(currency_of(&query(&[("currency", "usd")]), "EUR"), "USD");
        assert_eq!(currency_of(&query(&[("currency", "eur")]), "USD"), "EUR");
        assert_eq!(
            currency_of(&query(&[("currency", "dollars")]), "EUR"),
            "EUR"
        );
        assert_eq!(currency_of(&query(&[("currency", "U$D")]), "USD"), "USD");
    }

    #[test]
    fn without_params_drops_only_the_named_parameters() {
        assert_eq!(
            without_params("/p?variant=v1&currency=USD&error=x", &["currency", "error"]),
            "/p?variant=v1"
        );
        assert_eq!(without_params("/p?currency=USD", &["currency"]), "/p");
        assert_eq!(without_params("/p", &["currency"]), "/p");
        assert_eq!(
            without_params("/p?currencyx=1&&sort=title", &["currency"]),
            "/p?currencyx=1&sort=title"
        );
    }

    #[test]
    fn listing_links_keep_sort_and_currency_and_encode_the_cursor() {
        let listing = Listing::from_query(&query(&[
            ("sort", "price_asc"),
            ("currency", "USD"),
            ("cursor", "abc"),
        ]));
        assert_eq!(
            listing.href("/categories/shoes", Some("a+b/c=")),
            "/categories/shoes?sort=price_asc&currency=USD&cursor=a%2Bb%2Fc%3D"
        );
        assert_eq!(
            listing.href("/categories/shoes", None),
            "/categories/shoes?sort=price_asc&currency=USD"
        );
        assert_eq!(
            listing.sorted_href("/categories/shoes", ProductSort::Title),
            "/categories/shoes?sort=title&currency=USD"
        );
        assert_eq!(Listing::default().href("/c/x", None), "/c/x");
    }

    #[test]
    fn listing_builds_the_api_query() {
        let listing = Listing::from_query(&query(&[("sort", "title"), ("cursor", "next")]));
        let q = listing.category_query("shoes", "EUR");
        assert_eq!(q.category.as_deref(), Some("shoes"));
        assert_eq!(q.sort, Some(ProductSort::Title));
        assert_eq!(q.cursor.as_deref(), Some("next"));
        assert_eq!(q.currency.as_deref(), Some("EUR"));
        assert_eq!(q.limit, Some(PAGE_SIZE));
        let q = listing.collection_query("sale", "USD");
        assert_eq!(q.collection.as_deref(), Some("sale"));
        assert_eq!(q.currency.as_deref(), Some("USD"));
    }

    #[test]
    fn with_currency_only_adds_an_explicit_choice() {
        assert_eq!(with_currency("/products/x", None), "/products/x");
        assert_eq!(
            with_currency("/products/x", Some("USD")),
            "/products/x?currency=USD"
        );
    }
}
