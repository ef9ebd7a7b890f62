//! A product as the index sees it: the text to match, what to filter and facet on, and
//! what to sort by.

/// One published product.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductDocument {
    /// `prod_…`
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub skus: Vec<String>,
    /// The product's categories, each as its path of handles from the root
    /// (`["apparel", "jackets"]`): a filter on a category matches its descendants too.
    pub categories: Vec<Vec<String>>,
    /// Collection handles.
    pub collections: Vec<String>,
    /// Option values of the variants, as (option name, value): `("Size", "M")`.
    pub options: Vec<(String, String)>,
    /// Lowest variant price per currency, minor units: `("EUR", 1999)`.
    pub prices: Vec<(String, i64)>,
    pub in_stock: bool,
    /// Unix ms.
    pub created_at: i64,
    /// Units sold, or any measure where more is more popular.
    pub popularity: i64,
}

/// A handle, option name or option value as filters compare it: trimmed, lower case,
/// `/` replaced (tantivy's facet separator, and the Meilisearch engine's edge separator).
pub(crate) fn facet_segment(text: &str) -> String {
    text.trim().to_lowercase().replace('/', "-")
}

/// The upper-case ISO codes of `currencies`, each once. Codes that are not letters and
/// digits are left out: they become field names (`price_eur`) in both engines.
pub(crate) fn currency_codes(currencies: &[&str]) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for code in currencies {
        let code = code.trim().to_ascii_uppercase();
        let usable = !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric());
        if usable && !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}
