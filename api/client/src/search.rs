//! Wire types of `GET /store/search` and `GET /store/search/suggest`.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::types::ProductSummary;

/// How search hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Best match first; newest first when there is no query text.
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

impl SearchSort {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchSort::Relevance => "relevance",
            SearchSort::PriceAsc => "price_asc",
            SearchSort::PriceDesc => "price_desc",
            SearchSort::Newest => "newest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            SearchSort::Relevance,
            SearchSort::PriceAsc,
            SearchSort::PriceDesc,
            SearchSort::Newest,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What `GET /store/search` is asked. Option filters travel as `options[size]=M`
/// (every pair must match); [`SearchParams::to_query_string`] writes the whole query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    /// Words, with typos forgiven; the last word may be a prefix. Empty: browse.
    pub q: String,
    /// Category handle; its descendants' products are included.
    pub category: Option<String>,
    /// (option name, value), e.g. `("size", "M")`.
    pub options: Vec<(String, String)>,
    /// Currency of prices, price filters and price sorts (default EUR).
    pub currency: Option<String>,
    /// Minor units, inclusive.
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub in_stock: Option<bool>,
    pub sort: Option<SearchSort>,
    /// 1 to 100, default 20.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl SearchParams {
    /// `q=…&category=…&options[size]=M…`, percent-encoded, without the `?`.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(String, String)> = vec![("q".into(), self.q.clone())];
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                pairs.push((k.to_owned(), v));
            }
        };
        push("category", self.category.clone());
        push("currency", self.currency.clone());
        push("price_min", self.price_min.map(|v| v.to_string()));
        push("price_max", self.price_max.map(|v| v.to_string()));
        push("in_stock", self.in_stock.map(|v| v.to_string()));
        push("sort", self.sort.map(|s| s.as_str().to_owned()));
        push("limit", self.limit.map(|v| v.to_string()));
        push("cursor", self.cursor.clone());
        for (name, value) in &self.options {
            pairs.push((format!("options[{name}]"), value.clone()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// A piece of highlighted text: joined, the pieces are the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TextSpan {
    pub text: String,
    /// Whether a word of the query matched this piece (typos and prefixes included).
    pub matched: bool,
}

/// Where the query matched a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Highlight {
    /// The title, its matched words marked.
    pub title: Vec<TextSpan>,
    /// A few words of the description around its first match; empty when the
    /// description did not match.
    pub snippet: Vec<TextSpan>,
}

/// One search hit: the product as product lists show it, and where it matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchHit {
    pub product: ProductSummary,
    pub highlight: Highlight,
}

/// How many matching products have one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FacetValue {
    /// What a filter takes: a category handle, or an option value.
    pub value: String,
    /// What to show: the category's name, or the option value.
    pub label: String,
    pub count: u64,
}

/// The counts of one option's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OptionFacet {
    /// The option's name as the filter takes it (`options[size]=…`), lower case.
    pub name: String,
    /// The name to show (`Size`).
    pub label: String,
    pub values: Vec<FacetValue>,
}

/// Facet counts over every matching product.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchFacets {
    /// One level down: the filtered category's children, or the top-level categories.
    pub categories: Vec<FacetValue>,
    pub options: Vec<OptionFacet>,
}

/// A page of `GET /store/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchPage {
    /// The query text as searched (cut to 200 characters).
    pub q: String,
    pub hits: Vec<SearchHit>,
    /// Every matching product.
    pub total: u64,
    pub facets: SearchFacets,
    /// Cursor of the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A product suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProductSuggestion {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub highlight: Vec<TextSpan>,
}

/// A category suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CategorySuggestion {
    pub handle: String,
    pub name: String,
    /// Matching products in it (descendants included).
    pub count: u64,
}

/// What `GET /store/search/suggest` answers: a few products and categories.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Suggestions {
    pub q: String,
    pub products: Vec<ProductSuggestion>,
    pub categories: Vec<CategorySuggestion>,
}
