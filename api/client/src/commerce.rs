//! Wire types of the cart, checkout and order endpoints (Store API) and of the order,
//! stock and discount endpoints (Admin API). Money is minor units plus an ISO 4217 code.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A region: the currency a cart is priced in, its tax rule and where it ships.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Region {
    pub id: String,
    pub name: String,
    pub currency: String,
    /// Tax rate in basis points: 2000 is 20 %.
    pub tax_rate_bp: i64,
    /// Whether prices already contain the tax (EU) or it is added on top (US).
    pub tax_inclusive: bool,
    /// ISO 3166-1 alpha-2 codes this region ships to.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Countries whose tax rate differs from `tax_rate_bp`; a cart pays its shipping
    /// country's rate.
    #[serde(default)]
    pub tax_rates: Vec<CountryTaxRate>,
}

/// One country's tax rate within a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CountryTaxRate {
    pub country: String,
    /// Basis points: 1900 is 19 %.
    pub rate_bp: i64,
}

/// How many units of a variant can be bought now (on hand minus reserved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VariantAvailability {
    pub variant_id: String,
    pub available: i64,
    pub in_stock: bool,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Totals of a cart or an order, all computed on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Totals {
    pub subtotal: i64,
    pub discount_total: i64,
    pub shipping_total: i64,
    /// Tax contained in (inclusive regions) or added to (exclusive regions) the total.
    pub tax_total: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CartLine {
    pub id: String,
    pub variant_id: String,
    pub product_id: String,
    pub product_handle: String,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    #[serde(default)]
    pub image_url: Option<String>,
    /// Price per unit when the line was added or last changed, in the cart's currency.
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppliedDiscount {
    pub code: String,
    /// `percentage` (value in basis points) or `fixed` (value in minor units).
    pub kind: String,
    pub value: i64,
    /// Why the code currently takes nothing off (e.g. minimum no longer met).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ShippingOption {
    pub id: String,
    pub name: String,
    /// What this option costs for the cart as it is now (0 above the free threshold).
    pub amount: i64,
    #[serde(default)]
    pub free_above: Option<i64>,
}

/// A way the shop takes payment, as `payment_method` in checkout details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PaymentMethod {
    /// `stripe` (card, through Stripe's Payment Element) or `manual` (bank transfer or
    /// on delivery, confirmed by the merchant).
    pub id: String,
    /// Stripe: the publishable key for Stripe.js.
    #[serde(default)]
    pub publishable_key: Option<String>,
    /// Manual: what the shopper is told to do.
    #[serde(default)]
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Cart {
    pub id: String,
    pub region: Region,
    pub currency: String,
    pub lines: Vec<CartLine>,
    /// Units in the cart (the mini-cart badge).
    pub item_count: i64,
    #[serde(default)]
    pub discount: Option<AppliedDiscount>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub shipping_address: Option<Address>,
    #[serde(default)]
    pub billing_address: Option<Address>,
    #[serde(default)]
    pub shipping_option: Option<ShippingOption>,
    #[serde(default)]
    pub payment_method: Option<String>,
    pub totals: Totals,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /store/carts`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateCart {
    /// A region id from `GET /store/regions`; defaults to the first region.
    #[serde(default)]
    pub region_id: Option<String>,
    /// Picks the region that uses this currency when no region is given.
    #[serde(default)]
    pub currency: Option<String>,
}

/// `POST /store/carts/{id}/line-items`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AddLine {
    pub variant_id: String,
    pub quantity: i64,
}

/// `PATCH /store/carts/{id}/line-items/{line_id}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UpdateLine {
    pub quantity: i64,
}

/// `POST /store/carts/{id}/discounts`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApplyDiscount {
    pub code: String,
}

/// `POST /store/carts/{id}/checkout`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckoutDetails {
    pub email: String,
    pub shipping_address: Address,
    /// Absent: the same as the shipping address.
    #[serde(default)]
    pub billing_address: Option<Address>,
    pub shipping_option_id: String,
    /// `manual` (always available) or `stripe` (when configured).
    pub payment_method: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrderLine {
    pub variant_id: String,
    pub product_id: String,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Fulfillment {
    pub id: String,
    pub carrier: String,
    pub tracking_number: String,
    #[serde(default)]
    pub tracking_url: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Order {
    pub id: String,
    /// Human-friendly number, e.g. `1001`.
    pub number: String,
    /// `pending_payment`, `paid`, `fulfilled`, `delivered`, `cancelled`, `refunded` or
    /// `partially_refunded`.
    pub status: String,
    pub email: String,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub tax_inclusive: bool,
    pub refunded_total: i64,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub shipping_method: String,
    pub payment_provider: String,
    #[serde(default)]
    pub discount_code: Option<String>,
    #[serde(default)]
    pub fulfillments: Vec<Fulfillment>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// Set when something needs a person (a payment arrived for stock that is gone).
    #[serde(default)]
    pub needs_attention: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub paid_at: Option<String>,
    /// Why the last payment attempt failed (`card_declined`, …) while the order still
    /// awaits payment: the shopper may try another card.
    #[serde(default)]
    pub payment_error: Option<String>,
}

/// How the shopper pays for a just-placed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PaymentSession {
    pub payment_id: String,
    pub provider: String,
    pub status: String,
    /// Stripe: the PaymentIntent's client secret for the Payment Element.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Stripe: the publishable key to initialise Stripe.js with.
    #[serde(default)]
    pub publishable_key: Option<String>,
    /// Manual: what the shopper should do (bank transfer details, pay on delivery).
    #[serde(default)]
    pub instructions: Option<String>,
}

/// `POST /store/carts/{id}/complete`: the order, how to pay it, and the token that
/// lets a guest read it later (`GET /store/orders/{id}?token=…`). Keep the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PlacedOrder {
    pub order: Order,
    pub access_token: String,
    #[serde(default)]
    pub payment: Option<PaymentSession>,
}

/// Admin API request and response bodies for orders, stock and discounts.
pub mod admin {
    use super::*;

    /// `POST /admin/orders/{id}/fulfil`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct FulfilOrder {
        pub carrier: String,
        pub tracking_number: String,
        #[serde(default)]
        pub tracking_url: Option<String>,
    }

    /// `POST /admin/orders/{id}/refund`
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct RefundOrder {
        /// Minor units; absent refunds the whole remaining balance.
        #[serde(default)]
        pub amount: Option<i64>,
        #[serde(default)]
        pub reason: Option<String>,
    }

    /// `POST /admin/orders/{id}/cancel`
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct CancelOrder {
        #[serde(default)]
        pub reason: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct StockLevel {
        pub variant_id: String,
        pub location_id: String,
        pub on_hand: i64,
        pub reserved: i64,
        pub available: i64,
    }

    /// `POST /admin/inventory/{variant_id}/adjustments`: exactly one of `delta` and
    /// `set_on_hand`.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct AdjustStock {
        #[serde(default)]
        pub delta: Option<i64>,
        #[serde(default)]
        pub set_on_hand: Option<i64>,
        /// Why (kept in the movement log): `recount`, `damaged`, `restock`, …
        pub reason: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct StockMovement {
        pub id: String,
        pub variant_id: String,
        pub delta: i64,
        pub on_hand_after: i64,
        pub reason: String,
        #[serde(default)]
        pub reference: Option<String>,
        #[serde(default)]
        pub actor: Option<String>,
        pub created_at: String,
    }

    /// `POST /admin/discounts`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct DiscountInput {
        pub code: String,
        /// `percentage` or `fixed`.
        pub kind: String,
        /// Basis points for `percentage` (1000 = 10 %), minor units for `fixed`.
        pub value: i64,
        /// Required for `fixed`.
        #[serde(default)]
        pub currency: Option<String>,
        #[serde(default)]
        pub min_subtotal: Option<i64>,
        /// RFC 3339.
        #[serde(default)]
        pub starts_at: Option<String>,
        /// RFC 3339.
        #[serde(default)]
        pub ends_at: Option<String>,
        #[serde(default)]
        pub usage_limit: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    pub struct Discount {
        pub id: String,
        pub code: String,
        pub kind: String,
        pub value: i64,
        #[serde(default)]
        pub currency: Option<String>,
        #[serde(default)]
        pub min_subtotal: Option<i64>,
        #[serde(default)]
        pub starts_at: Option<String>,
        #[serde(default)]
        pub ends_at: Option<String>,
        #[serde(default)]
        pub usage_limit: Option<i64>,
        pub used_count: i64,
    }
}
