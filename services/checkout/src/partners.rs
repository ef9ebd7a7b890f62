//! The narrow views checkout needs of the cart, inventory and payment services. Checkout
//! owns these traits; the composition root (`api/`) implements them with adapters over
//! the real services, so this crate never imports them.

use std::time::Duration;

use async_trait::async_trait;
pub use emporium_kernel::{
    contact::{Address, Email},
    money::Totals,
};
use emporium_kernel::{
    db::Conn,
    id::{CartId, CustomerId, OrderId, ProductId, VariantId},
    money::Currency,
};
use serde::{Deserialize, Serialize};

use crate::error::SourceError;

/// The cart side of the saga.
#[async_trait]
pub trait CartSource: Send + Sync + 'static {
    /// Everything an order needs, validated by the cart service (lines, totals, contact,
    /// addresses, shipping, payment method). A cart that is already completed is an
    /// error of the cart service.
    /// `customer`: who is placing it (`None`: a guest); another customer's cart is not
    /// found.
    async fn checkout_snapshot(
        &self,
        cart_id: &CartId,
        customer: Option<&CustomerId>,
    ) -> Result<CartSnapshot, SourceError>;
    /// Closes the cart for `order_id` and redeems its discount code. Must be idempotent:
    /// a replayed placement calls it again when the first call failed.
    async fn mark_completed(&self, cart_id: &CartId, order_id: &OrderId)
        -> Result<(), SourceError>;
    /// Counts one use of discount `code` inside checkout's write that inserts the order
    /// (`conn`), so both commit or neither does. An error (the code is used up) rolls the
    /// order back.
    async fn redeem_discount(&self, conn: &mut Conn<'_>, code: &str) -> Result<(), SourceError>;
    /// Inside checkout's write that cancels an order before it was paid: gives back the
    /// order's discount use and reopens the cart if this order completed it.
    async fn release_order(
        &self,
        conn: &mut Conn<'_>,
        cart_id: &CartId,
        order_id: &OrderId,
        code: Option<&str>,
    ) -> Result<(), SourceError>;
}

/// Why stock could not be reserved or committed.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    #[error("variant {variant_id} is out of stock: {requested} requested, {available} available")]
    OutOfStock {
        variant_id: String,
        requested: i64,
        available: i64,
    },
    /// The reservation is gone (expired or released) and its stock could not be taken
    /// again.
    #[error("the reservation lapsed and its stock is no longer available")]
    Lapsed,
    #[error(transparent)]
    Other(SourceError),
}

/// The inventory side of the saga. Every call must be idempotent for the same arguments.
#[async_trait]
pub trait StockReservations: Send + Sync + 'static {
    /// Reserves every line (variant id, quantity) for the order, all or nothing, for
    /// `ttl`. Returns the reservation id.
    async fn reserve(
        &self,
        order_id: &OrderId,
        lines: &[(VariantId, i64)],
        ttl: Duration,
    ) -> Result<String, ReserveError>;
    /// Turns the reservation into a sale. A reservation that expired or was released is
    /// reserved again when the stock is there, else [`ReserveError::Lapsed`].
    async fn commit(&self, reservation_id: &str) -> Result<(), ReserveError>;
    async fn release(&self, reservation_id: &str) -> Result<(), SourceError>;
    /// Puts sold stock back (an order cancelled after payment).
    async fn restock(
        &self,
        order_id: &OrderId,
        lines: &[(VariantId, i64)],
        reason: &str,
    ) -> Result<(), SourceError>;
}

/// The payment side of the saga.
#[async_trait]
pub trait PaymentSessions: Send + Sync + 'static {
    /// Opens (or returns the already opened) payment for the order: idempotent per order.
    async fn create(&self, req: &PaymentRequest) -> Result<PaymentInfo, SourceError>;
    /// Cancels the order's open payment, if any.
    async fn cancel(&self, order_id: &OrderId) -> Result<(), SourceError>;
    /// Refunds `amount` of the order's payment; idempotent per `idempotency_key`.
    async fn refund(
        &self,
        order_id: &OrderId,
        amount: i64,
        reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<RefundInfo, SourceError>;
}

/// A cart ready to become an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartSnapshot {
    pub cart_id: CartId,
    /// The cart's owner; the order is theirs. `None` for a guest cart.
    pub customer_id: Option<CustomerId>,
    pub currency: Currency,
    pub region_id: String,
    pub email: Email,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub shipping_option_id: String,
    pub shipping_method_name: String,
    /// The payment provider, e.g. `manual` or `stripe`.
    pub payment_method: String,
    pub discount_code: Option<String>,
    pub tax_inclusive: bool,
    pub lines: Vec<SnapshotLine>,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotLine {
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
}

/// What checkout asks the payment service to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub order_id: OrderId,
    pub order_number: String,
    pub provider: String,
    pub amount: i64,
    pub currency: Currency,
    pub email: Email,
    pub idempotency_key: String,
}

/// The payment session the shopper continues with (`client_secret` for Stripe).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    pub payment_id: String,
    pub provider: String,
    pub status: String,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInfo {
    pub refund_id: String,
    pub amount: i64,
    /// Everything refunded on the payment so far, this refund included.
    pub amount_refunded_total: i64,
}
