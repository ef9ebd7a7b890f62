//! JSON wire types of the Store and Admin APIs. Money is always an integer amount of
//! minor units plus an ISO 4217 code; times are RFC 3339 UTC strings; ids are opaque.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// A page of a list: `items`, and the cursor for the next page (`null` on the last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An RFC 9457 problem document: every error the API returns has this shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to change.
    pub detail: String,
    /// Stable machine-readable code, e.g. `not_found`, `invalid_parameter`.
    pub code: String,
    /// The request parameter or body field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An amount in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Price {
    /// ISO 4217 code, upper case.
    #[cfg_attr(feature = "openapi", schema(example = "EUR"))]
    pub currency: String,
    /// Minor units (cents): 1999 means 19.99.
    #[cfg_attr(feature = "openapi", schema(example = 1999))]
    pub amount: i64,
}

impl Price {
    /// Human text such as `€19.99` or `$5.00`.
    pub fn display(&self) -> String {
        format_money(self.amount, &self.currency)
    }
}

/// Formats minor units for people: symbol for common currencies, code otherwise.
pub fn format_money(amount: i64, currency: &str) -> String {
    let number = format_decimal(amount, currency);
    let (sign, number) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number.as_str()),
    };
    match currency {
        "EUR" => format!("{sign}€{number}"),
        "USD" => format!("{sign}${number}"),
        "GBP" => format!("{sign}£{number}"),
        "JPY" => format!("{sign}¥{number}"),
        _ => format!("{sign}{number} {currency}"),
    }
}

/// Digits of a currency's minor unit (ISO 4217): 2 for EUR, 0 for JPY, 3 for KWD.
pub fn minor_unit_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "HUF" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// Minor units as a plain decimal number without symbol, e.g. `19.99` or `-2.50`
/// (what machines read: schema.org `price`, payment providers' major-unit fields).
pub fn format_decimal(amount: i64, currency: &str) -> String {
    let digits = minor_unit_digits(currency);
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let scale = 10u64.pow(digits);
    if digits == 0 {
        format!("{sign}{abs}")
    } else {
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = digits as usize
        )
    }
}

/// The lowest and highest variant price of a product in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PriceRange {
    pub currency: String,
    pub min_amount: i64,
    pub max_amount: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Published,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Image {
    pub id: String,
    pub url: String,
    pub alt: String,
    pub position: i64,
}

/// A product as it appears in lists: enough for a product card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProductSummary {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub status: ProductStatus,
    pub thumbnail: Option<Image>,
    /// One range per currency the product is priced in.
    pub prices: Vec<PriceRange>,
    pub variant_count: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProductOption {
    pub id: String,
    /// E.g. `Size`.
    pub name: String,
    /// The values in display order, e.g. `["S", "M", "L"]`.
    pub values: Vec<String>,
}

/// The value a variant has for one of its product's options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OptionValue {
    pub option: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Variant {
    pub id: String,
    pub sku: String,
    pub title: String,
    pub options: Vec<OptionValue>,
    pub weight_grams: Option<i64>,
    pub prices: Vec<Price>,
    pub position: i64,
}

impl Variant {
    pub fn price_in(&self, currency: &str) -> Option<&Price> {
        self.prices.iter().find(|p| p.currency == currency)
    }

    pub fn option_value(&self, option: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.option == option)
            .map(|o| o.value.as_str())
    }
}

/// A reference to a category or collection from a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Link {
    pub id: String,
    pub handle: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Seo {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// A whole product: options, variants with prices, images, categories, collections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Product {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub status: ProductStatus,
    pub seo: Seo,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    pub images: Vec<Image>,
    pub categories: Vec<Link>,
    pub collections: Vec<Link>,
    pub created_at: String,
    pub updated_at: String,
}

/// A node of the category tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Category {
    pub id: String,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub position: i64,
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Collection {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub product_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProductSort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    Title,
}

/// Filters, order and page of `GET /store/products`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ProductQuery {
    /// Category handle; products in its descendants are included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Collection handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// Currency for prices, price filters and price sorting (default EUR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Lowest price in minor units (inclusive), in `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub price_min: Option<i64>,
    /// Highest price in minor units (inclusive), in `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub price_max: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<ProductSort>,
    /// 1 to 100, default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Admin API request bodies.
pub mod admin {
    use super::*;

    /// One price of a price list.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct ListPrice {
        pub variant_id: String,
        /// ISO 4217 code.
        pub currency: String,
        /// Minor units.
        pub amount: i64,
    }

    /// Per-currency prices for some variants, for everyone or one customer group, in an
    /// optional date window. Carts and product pages use the lowest applicable price.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct PriceList {
        /// `plist_…`
        pub id: String,
        pub name: String,
        pub description: Option<String>,
        /// `cgrp_…`; `None`: every shopper.
        pub customer_group_id: Option<String>,
        /// RFC 3339; `None`: open.
        pub starts_at: Option<String>,
        pub ends_at: Option<String>,
        pub prices: Vec<ListPrice>,
        pub created_at: String,
        pub updated_at: String,
    }

    /// `POST /admin/price-lists`, `PUT /admin/price-lists/{id}` (replaces every field).
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct PriceListInput {
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        pub customer_group_id: Option<String>,
        #[serde(default)]
        pub starts_at: Option<String>,
        #[serde(default)]
        pub ends_at: Option<String>,
        #[serde(default)]
        pub prices: Vec<ListPrice>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct OptionInput {
        pub name: String,
        pub values: Vec<String>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct VariantInput {
        pub sku: String,
        #[serde(default)]
        pub title: Option<String>,
        /// One value per product option, by option name.
        #[serde(default)]
        pub options: Vec<OptionValue>,
        #[serde(default)]
        pub weight_grams: Option<i64>,
        pub prices: Vec<Price>,
    }

    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct VariantPatch {
        pub sku: Option<String>,
        pub title: Option<String>,
        pub options: Option<Vec<OptionValue>>,
        pub weight_grams: Option<i64>,
        /// Replaces all prices of the variant.
        pub prices: Option<Vec<Price>>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct ImageInput {
        pub url: String,
        #[serde(default)]
        pub alt: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct ProductInput {
        pub title: String,
        /// URL slug; derived from the title when absent.
        #[serde(default)]
        pub handle: Option<String>,
        #[serde(default)]
        pub description: String,
        #[serde(default)]
        pub status: Option<ProductStatus>,
        #[serde(default)]
        pub seo_title: Option<String>,
        #[serde(default)]
        pub seo_description: Option<String>,
        #[serde(default)]
        pub category_ids: Vec<String>,
        #[serde(default)]
        pub collection_ids: Vec<String>,
        #[serde(default)]
        pub options: Vec<OptionInput>,
        #[serde(default)]
        pub variants: Vec<VariantInput>,
        #[serde(default)]
        pub images: Vec<ImageInput>,
    }

    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct ProductPatch {
        pub title: Option<String>,
        pub handle: Option<String>,
        pub description: Option<String>,
        pub seo_title: Option<String>,
        pub seo_description: Option<String>,
        pub category_ids: Option<Vec<String>>,
        pub collection_ids: Option<Vec<String>>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CategoryInput {
        pub name: String,
        #[serde(default)]
        pub handle: Option<String>,
        #[serde(default)]
        pub description: String,
        #[serde(default)]
        pub parent_id: Option<String>,
        /// Order among siblings, 0 to 1000000; by default after the last sibling.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000))]
        pub position: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CategoryPatch {
        pub name: Option<String>,
        pub handle: Option<String>,
        pub description: Option<String>,
        /// `null` keeps the parent; use `move_to_root: true` to detach.
        pub parent_id: Option<String>,
        #[serde(default)]
        pub move_to_root: bool,
        /// Order among siblings, 0 to 1000000.
        #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000))]
        pub position: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CollectionInput {
        pub title: String,
        #[serde(default)]
        pub handle: Option<String>,
        #[serde(default)]
        pub description: String,
        /// Products in display order.
        #[serde(default)]
        pub product_ids: Vec<String>,
    }

    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CollectionPatch {
        pub title: Option<String>,
        pub handle: Option<String>,
        pub description: Option<String>,
        /// Replaces the collection's products, in display order.
        pub product_ids: Option<Vec<String>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_from_minor_units() {
        assert_eq!(format_money(1999, "EUR"), "€19.99");
        assert_eq!(format_money(5, "USD"), "$0.05");
        assert_eq!(format_money(-250, "GBP"), "-£2.50");
        assert_eq!(format_money(1200, "JPY"), "¥1200");
        assert_eq!(format_money(1234, "CHF"), "12.34 CHF");
    }

    #[test]
    fn decimal_amounts_have_the_currency_minor_digits_and_no_symbol() {
        assert_eq!(format_decimal(1999, "EUR"), "19.99");
        assert_eq!(format_decimal(-250, "GBP"), "-2.50");
        assert_eq!(format_decimal(1200, "JPY"), "1200");
        assert_eq!(format_decimal(1234, "KWD"), "1.234");
    }

    #[test]
    fn product_query_serialises_only_given_filters() {
        let q = ProductQuery {
            category: Some("shoes".into()),
            sort: Some(ProductSort::PriceAsc),
            limit: Some(10),
            ..Default::default()
        };
        assert_eq!(
            serde_urlencoded::to_string(&q).ok().as_deref(),
            Some("category=shoes&sort=price_asc&limit=10")
        );
    }
}
