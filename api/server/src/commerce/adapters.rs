//! The traits the cart and checkout services own, implemented over the other services.
//! This is the one place that knows two services at once; errors cross as boxed service
//! errors so [`super::errors`] can still map them precisely.

use std::time::Duration;

use async_trait::async_trait;
use emporium_accounts::Accounts;
use emporium_cart::{
    Carts, Freshness, LookupError, Shopper, StockCheck, VariantLookup, VariantSnapshot,
};
use emporium_catalog::Catalog;
use emporium_checkout::{
    CartSnapshot, CartSource, PaymentInfo, PaymentRequest, PaymentSessions, RefundInfo,
    ReserveError, SnapshotLine, SourceError, StockReservations,
};
use emporium_inventory::{Inventory, InventoryError, ReserveLine};
use emporium_kernel::{
    cache::Memo,
    clock::now_ms,
    db::{Conn, DbError},
    id::{CartId, CustomerId, OrderId, ReservationId, VariantId},
    money::Currency,
};
use emporium_payments::{NewPayment, Payments};

/// Customers whose groups are remembered (a few dozen bytes each).
const GROUPS_CAPACITY: usize = 100_000;
/// How long a customer's groups are trusted: a membership change reaches their next
/// add to cart within this, and the order's pricing (which reads them again) at once.
const GROUPS_TTL: Duration = Duration::from_secs(10);

/// Catalog variants as the cart sees them: published products only, price in the
/// cart's currency, the lowest of the regular price and the price lists that apply to
/// the shopper (everyone's, and their customer groups').
pub struct CatalogVariants {
    catalog: Catalog,
    accounts: Accounts,
    groups: Memo<CustomerId, Vec<String>>,
}

impl CatalogVariants {
    pub fn new(catalog: Catalog, accounts: Accounts) -> Self {
        CatalogVariants {
            catalog,
            accounts,
            groups: Memo::new(GROUPS_CAPACITY, GROUPS_TTL),
        }
    }

    /// The customer's groups as price lists name them.
    async fn groups(
        &self,
        customer: Option<&CustomerId>,
        freshness: Freshness,
    ) -> Result<Vec<String>, LookupError> {
        let Some(customer) = customer else {
            return Ok(Vec::new());
        };
        if freshness == Freshness::Recent {
            if let Some(groups) = self.groups.get(customer) {
                return Ok(groups);
            }
        }
        let stamp = self.groups.stamp();
        let groups: Vec<String> = self
            .accounts
            .groups_of(customer)
            .await
            .map_err(|e| LookupError(e.to_string()))?
            .into_iter()
            .map(String::from)
            .collect();
        self.groups.put(stamp, customer.clone(), groups.clone());
        Ok(groups)
    }
}

#[async_trait]
impl VariantLookup for CatalogVariants {
    async fn variant(
        &self,
        variant_id: &VariantId,
        currency: Currency,
        freshness: Freshness,
        customer: Option<&CustomerId>,
    ) -> Result<Option<VariantSnapshot>, LookupError> {
        let found = self
            .catalog
            .variant_for_cart(variant_id, currency, freshness)
            .await
            .map_err(|e| LookupError(e.to_string()))?;
        let Some(v) = found else {
            return Ok(None);
        };
        let groups = self.groups(customer, freshness).await?;
        let listed = self
            .catalog
            .best_prices(
                std::slice::from_ref(variant_id),
                currency,
                &groups,
                now_ms(),
                freshness,
            )
            .await
            .map_err(|e| LookupError(e.to_string()))?
            .get(variant_id)
            .copied();
        // A list price never invents a price where the variant has none in the currency.
        let unit_price = match (v.unit_price, listed) {
            (Some(regular), Some(listed)) => Some(regular.min(listed)),
            (regular, _) => regular,
        };
        Ok(Some(VariantSnapshot {
            variant_id: v.variant_id,
            product_id: v.product_id,
            product_handle: v.product_handle,
            product_title: v.product_title,
            variant_title: v.variant_title,
            sku: v.sku,
            unit_price,
            image_url: v.image_url,
        }))
    }
}

/// Stock levels for the cart's add-to-cart check.
pub struct InventoryStock {
    inventory: Inventory,
}

impl InventoryStock {
    pub fn new(inventory: Inventory) -> Self {
        InventoryStock { inventory }
    }
}

#[async_trait]
impl StockCheck for InventoryStock {
    async fn available(&self, variant_id: &VariantId) -> Result<i64, LookupError> {
        // Adding to a cart reserves nothing: checkout's reservation checks again, exactly.
        self.inventory
            .recent_level(variant_id)
            .await
            .map(|level| level.available)
            .map_err(|e| LookupError(e.to_string()))
    }
}

/// The cart as the checkout saga sees it.
pub struct CartsForCheckout {
    carts: Carts,
}

impl CartsForCheckout {
    pub fn new(carts: Carts) -> Self {
        CartsForCheckout { carts }
    }
}

#[async_trait]
impl CartSource for CartsForCheckout {
    async fn checkout_snapshot(
        &self,
        cart_id: &CartId,
        customer: Option<&CustomerId>,
    ) -> Result<CartSnapshot, SourceError> {
        let shopper = customer.map_or(Shopper::Guest, |c| Shopper::Customer(c.clone()));
        let s = self.carts.checkout_snapshot(&shopper, cart_id).await?;
        Ok(CartSnapshot {
            cart_id: s.cart_id,
            customer_id: s.customer_id,
            currency: s.currency,
            region_id: s.region_id,
            email: s.email,
            shipping_address: s.shipping_address,
            billing_address: s.billing_address,
            shipping_option_id: s.shipping_option_id,
            shipping_method_name: s.shipping_option_name,
            payment_method: s.payment_method,
            discount_code: s.discount_code,
            tax_inclusive: s.tax_inclusive,
            lines: s
                .lines
                .into_iter()
                .map(|l| SnapshotLine {
                    variant_id: l.variant_id,
                    product_id: l.product_id,
                    title: l.title,
                    variant_title: l.variant_title,
                    sku: l.sku,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                })
                .collect(),
            totals: s.totals,
        })
    }

    async fn mark_completed(
        &self,
        cart_id: &CartId,
        order_id: &OrderId,
    ) -> Result<(), SourceError> {
        Ok(self.carts.mark_completed(cart_id, order_id).await?)
    }

    async fn redeem_discount(&self, conn: &mut Conn<'_>, code: &str) -> Result<(), SourceError> {
        Ok(emporium_cart::redeem_discount_in(conn, code).await?)
    }

    async fn release_order(
        &self,
        conn: &mut Conn<'_>,
        cart_id: &CartId,
        order_id: &OrderId,
        code: Option<&str>,
    ) -> Result<(), SourceError> {
        Ok(emporium_cart::release_order_in(conn, cart_id, order_id, code).await?)
    }
}

/// A reservation id checkout stored from an earlier `reserve`. The inventory made it, so
/// one that does not parse is a corrupted row, reported as the database error it is.
fn stored_reservation_id(id: &str) -> Result<ReservationId, InventoryError> {
    ReservationId::parse(id)
        .map_err(|e| InventoryError::Database(DbError::Decode(format!("reservation_id: {e}"))))
}

/// Stock reservations for the saga.
pub struct InventoryReservations {
    inventory: Inventory,
}

impl InventoryReservations {
    pub fn new(inventory: Inventory) -> Self {
        InventoryReservations { inventory }
    }
}

#[async_trait]
impl StockReservations for InventoryReservations {
    async fn reserve(
        &self,
        order_id: &OrderId,
        lines: &[(VariantId, i64)],
        ttl: Duration,
    ) -> Result<String, ReserveError> {
        let lines: Vec<ReserveLine> = lines
            .iter()
            .map(|(variant_id, quantity)| ReserveLine {
                variant_id: variant_id.clone(),
                quantity: *quantity,
            })
            .collect();
        match self.inventory.reserve(order_id, &lines, ttl).await {
            Ok(reservation) => Ok(reservation.id.into()),
            Err(InventoryError::OutOfStock {
                variant_id,
                requested,
                available,
            }) => Err(ReserveError::OutOfStock {
                variant_id: variant_id.into(),
                requested,
                available,
            }),
            Err(e) => Err(ReserveError::Other(Box::new(e))),
        }
    }

    async fn commit(&self, reservation_id: &str) -> Result<(), ReserveError> {
        let reservation_id =
            stored_reservation_id(reservation_id).map_err(|e| ReserveError::Other(Box::new(e)))?;
        match self.inventory.commit(&reservation_id).await {
            Ok(_) => Ok(()),
            Err(InventoryError::ReservationLapsed { .. }) => Err(ReserveError::Lapsed),
            Err(e) => Err(ReserveError::Other(Box::new(e))),
        }
    }

    async fn release(&self, reservation_id: &str) -> Result<(), SourceError> {
        let reservation_id = stored_reservation_id(reservation_id)?;
        self.inventory.release(&reservation_id).await?;
        Ok(())
    }

    async fn restock(
        &self,
        order_id: &OrderId,
        lines: &[(VariantId, i64)],
        reason: &str,
    ) -> Result<(), SourceError> {
        for (variant_id, quantity) in lines {
            self.inventory
                .adjust_stock(variant_id, *quantity, reason, Some(order_id.as_str()))
                .await?;
        }
        Ok(())
    }
}

/// Payment sessions for the saga.
pub struct PaymentsForCheckout {
    payments: Payments,
}

impl PaymentsForCheckout {
    pub fn new(payments: Payments) -> Self {
        PaymentsForCheckout { payments }
    }
}

#[async_trait]
impl PaymentSessions for PaymentsForCheckout {
    async fn create(&self, req: &PaymentRequest) -> Result<PaymentInfo, SourceError> {
        let payment = self
            .payments
            .create_payment(NewPayment {
                order_id: req.order_id.clone(),
                order_number: req.order_number.clone(),
                provider: req.provider.clone(),
                amount: req.amount,
                currency: req.currency,
                email: Some(req.email.to_string()),
                idempotency_key: req.idempotency_key.clone(),
            })
            .await?;
        Ok(PaymentInfo {
            payment_id: payment.id.into(),
            provider: payment.provider,
            status: payment.status.as_str().to_owned(),
            client_secret: payment.client_secret,
        })
    }

    async fn cancel(&self, order_id: &OrderId) -> Result<(), SourceError> {
        self.payments.cancel_payment(order_id).await?;
        Ok(())
    }

    async fn refund(
        &self,
        order_id: &OrderId,
        amount: i64,
        reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<RefundInfo, SourceError> {
        let refund = self
            .payments
            .refund(order_id, amount, reason.map(str::to_owned), idempotency_key)
            .await?;
        // The running total comes from the payment the refund was booked against.
        let amount_refunded_total = self
            .payments
            .payment(&refund.payment_id)
            .await?
            .amount_refunded;
        Ok(RefundInfo {
            refund_id: refund.id.into(),
            amount: refund.amount,
            amount_refunded_total,
        })
    }
}
