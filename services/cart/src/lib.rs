//! Cart service: guest carts, line items with a unit-price snapshot in the cart's
//! currency, regions (currency + tax), shipping options, discount codes, and the totals —
//! all computed in one place. No HTTP here: the API crate calls [`Carts`].
//!
//! Layout:
//! - [`totals`]: the one pure function every amount comes from ([`compute_totals`]).
//! - [`lookup`]: the traits the cart needs from the catalog ([`VariantLookup`]) and the
//!   inventory ([`StockCheck`]); the API crate implements them, so this crate imports
//!   neither service.
//! - [`model`]: inputs and views (`Cart`, `CheckoutSnapshot`, …), serialisable in their
//!   wire shape.
//! - [`error`]: [`CartError`], one variant per distinct problem, with a stable code.
//! - `cart`, `discount`, `checkout`, `seed` (private): the rules of carts and lines,
//!   discount codes, the checkout hand-over, and the default regions.
//! - `store` (private): all SQL of this service, portable between SQLite and PostgreSQL.
//!
//! Every change to a cart runs in one write transaction whose first statement records
//! the activity on the cart row, which serialises changes to one cart on both databases.
//! Calls to the catalog and inventory happen before that transaction, never inside it.
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 3000–3999.

mod cart;
mod checkout;
mod discount;
pub mod error;
pub mod lookup;
pub mod model;
mod recent;
mod regions;
mod seed;
mod store;
pub mod totals;

use std::{sync::Arc, time::Duration};

pub use checkout::{redeem_discount_in, release_order_in};
pub use error::{CartError, Result};
pub use lookup::{Freshness, LookupError, StockCheck, VariantLookup, VariantSnapshot};
pub use model::*;
pub use totals::{compute_totals, DiscountRule, ShippingRule, TaxRule, Totals};

use emporium_kernel::{
    cache::Memo,
    db::Database,
    events::EventBus,
    id::{CartId, CustomerId, LineId, OrderId, VariantId},
    money::Currency,
};

/// Carts whose currency is remembered (about 100 bytes each).
const CURRENCIES_CAPACITY: usize = 100_000;
/// A cart's currency never changes; the ttl only lets idle carts' entries go.
const CURRENCIES_TTL: Duration = Duration::from_secs(3_600);

/// The cart service. Cheap to clone: a database handle, shared trait objects and memos.
#[derive(Clone)]
pub struct Carts {
    db: Database,
    /// Kept for the events the cart will publish (none yet: the checkout service
    /// announces orders).
    #[allow(dead_code)]
    bus: EventBus,
    variants: Arc<dyn VariantLookup>,
    stock: Arc<dyn StockCheck>,
    regions: Arc<regions::RegionCache>,
    /// The currency of each cart this process created or read: it never changes, so an
    /// add to a cart found here needs no read before its write (see `cart::add_line`).
    currencies: Arc<Memo<String, Currency>>,
    /// The lines of carts this process changed last, with the cart's version after that
    /// change. An add to cart hands them to its write, which only checks that the cart
    /// is still at that version instead of reading the lines first (see
    /// `cart::add_line`). A stale entry (another process, or a concurrent change, moved
    /// the cart on) fails the check and the lines are read under the lock. Kept compact:
    /// see [`recent`].
    lines: Arc<recent::RecentLines>,
}

impl std::fmt::Debug for Carts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Carts")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Carts {
    pub fn new(
        db: Database,
        bus: EventBus,
        variants: Arc<dyn VariantLookup>,
        stock: Arc<dyn StockCheck>,
    ) -> Self {
        Carts {
            db,
            bus,
            variants,
            stock,
            regions: Arc::default(),
            currencies: Arc::new(Memo::new(CURRENCIES_CAPACITY, CURRENCIES_TTL)),
            lines: Arc::new(recent::RecentLines::new()),
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates or upgrades the cart's tables.
    pub async fn migrate(&self) -> Result<()> {
        store::migrate(&self.db).await
    }

    /// Writes the default regions (`reg_eu`: EUR, 20 % inclusive; `reg_us`: USD, 8.25 %
    /// exclusive) and their Standard and Express shipping into a shop without regions.
    /// Runs at every start and writes nothing once any region exists.
    pub async fn seed_defaults(&self) -> Result<()> {
        seed::seed_defaults(&self.db).await
    }

    /// The demo shop's discount code `WELCOME10` (10 % off, unlimited). Only the demo
    /// seed calls this, so a real shop never gets it and a deleted one stays deleted.
    pub async fn seed_demo(&self) -> Result<()> {
        seed::seed_demo(&self.db).await
    }

    /// All regions by name.
    pub async fn regions(&self) -> Result<Vec<Region>> {
        self.db
            .read(async |conn| store::region::all(conn).await)
            .await
    }

    // ----- carts and lines -----

    /// A new empty cart. The region is `region_id`, else the first region selling in
    /// `currency`, else `reg_eu`. Errors: `RegionNotFound`; `UnsupportedCurrency` when
    /// no region sells in `currency`; `InvalidField { field: "currency" }` when both are
    /// given and the region sells in another currency.
    /// A signed-in `shopper`'s cart is theirs (see [`Shopper`]).
    pub async fn create_cart(
        &self,
        shopper: &Shopper,
        region_id: Option<&str>,
        currency: Option<Currency>,
    ) -> Result<Cart> {
        cart::create(self, shopper, region_id, currency).await
    }

    /// The cart with its totals. Errors: `CartNotFound` (also for another customer's
    /// cart: every method taking a [`Shopper`] answers so).
    pub async fn cart(&self, shopper: &Shopper, cart_id: &CartId) -> Result<Cart> {
        cart::get(self, shopper, cart_id.as_str()).await
    }

    /// What a sign-in does with the shopper's carts: the guest cart `guest` (the one
    /// they were using) becomes the customer's when they have no open cart; otherwise its
    /// lines are added to the customer's open cart (quantities add up, capped by the
    /// per-line maximum and the stock; the cart's line limit holds) and it is deleted.
    /// Another customer's or a completed cart is ignored. Returns the cart to continue
    /// with.
    pub async fn sign_in(
        &self,
        customer: &CustomerId,
        guest: Option<&CartId>,
    ) -> Result<SignInCart> {
        cart::sign_in(self, customer, guest).await
    }

    /// Adds `quantity` of a variant, merging with its line if there is one (which also
    /// refreshes the line's price snapshot). Errors: `InvalidQuantity` (outside 1..=99
    /// after merging), `TooManyLines` (50), `VariantNotFound`, `PriceMissing`,
    /// `InsufficientStock`, `CartCompleted`, `CartNotFound`, `Lookup`.
    pub async fn add_line(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
        variant_id: &VariantId,
        quantity: i64,
    ) -> Result<Cart> {
        cart::add_line(self, shopper, cart_id.as_str(), variant_id, quantity).await
    }

    /// Sets a line's quantity (1..=99; use [`Carts::remove_line`] to drop it), checking
    /// stock. The price snapshot stays. Errors: as `add_line`, plus `LineNotFound`.
    pub async fn update_line(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
        line_id: &LineId,
        quantity: i64,
    ) -> Result<Cart> {
        cart::update_line(self, shopper, cart_id.as_str(), line_id.as_str(), quantity).await
    }

    /// Errors: `LineNotFound`, `CartCompleted`, `CartNotFound`.
    pub async fn remove_line(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
        line_id: &LineId,
    ) -> Result<Cart> {
        cart::remove_line(self, shopper, cart_id.as_str(), line_id.as_str()).await
    }

    /// Idle open carts (no change for 30 days) whose expiry is before `now_ms` are
    /// deleted with their lines. Completed carts stay. Returns how many were deleted.
    pub async fn purge_idle(&self, now_ms: i64) -> Result<u64> {
        cart::purge_idle(&self.db, now_ms).await
    }

    // ----- discounts -----

    /// Puts a code (any case) on the cart, replacing any other. Errors say why it does
    /// not apply: `DiscountNotFound`, `DiscountNotStarted`, `DiscountExpired`,
    /// `DiscountUsedUp`, `DiscountCurrencyMismatch`, `DiscountMinimumNotMet`. A code that
    /// stops applying later stays on the cart with a `note` and a zero discount.
    pub async fn apply_discount(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
        code: &str,
    ) -> Result<Cart> {
        cart::apply_discount(self, shopper, cart_id.as_str(), code).await
    }

    pub async fn remove_discount(&self, shopper: &Shopper, cart_id: &CartId) -> Result<Cart> {
        cart::remove_discount(self, shopper, cart_id.as_str()).await
    }

    /// Creates a code (stored upper case). Errors: `InvalidField` (`code`,
    /// `kind.rate_bp`, `kind.amount`, `min_subtotal`, `usage_limit`, `ends_at`),
    /// `DiscountCodeTaken`.
    pub async fn create_discount(&self, input: NewDiscount) -> Result<Discount> {
        discount::create(&self.db, input).await
    }

    /// All codes, newest first.
    pub async fn discounts(&self) -> Result<Vec<Discount>> {
        discount::list(&self.db).await
    }

    /// Errors: `DiscountNotFound` (carrying the id).
    pub async fn delete_discount(&self, discount_id: &str) -> Result<()> {
        discount::delete(&self.db, discount_id).await
    }

    // ----- checkout -----

    /// The region's shipping options priced for this cart (free above the threshold).
    pub async fn shipping_options(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
    ) -> Result<Vec<ShippingQuote>> {
        cart::shipping_options(&self.db, shopper, cart_id.as_str()).await
    }

    /// Sets email, addresses, shipping option and payment method at once. The email is
    /// parsed by the caller (an [`Email`]); the addresses are parsed here, as only the
    /// cart knows where its region ships. Errors: `InvalidField` naming the field
    /// (`shipping_address.postal_code`, `billing_address.country`, `shipping_option_id`,
    /// `payment_method`, …).
    pub async fn set_checkout_details(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
        details: CheckoutDetails,
    ) -> Result<Cart> {
        checkout::set_details(self, shopper, cart_id.as_str(), details).await
    }

    /// What the checkout service places an order from: every line re-priced from the
    /// catalog (`price_changed` flags differences), the discount re-validated, the
    /// totals. Errors: `CartEmpty`, `CheckoutIncomplete { missing }`, `CartCompleted`,
    /// `VariantNotFound`, `PriceMissing`, `Lookup`, and the discount's reason when the
    /// cart's code stopped applying (`DiscountUsedUp`, `DiscountExpired`,
    /// `DiscountNotFound`, …): the order would cost more than the cart showed.
    pub async fn checkout_snapshot(
        &self,
        shopper: &Shopper,
        cart_id: &CartId,
    ) -> Result<CheckoutSnapshot> {
        checkout::snapshot(self, shopper, cart_id.as_str()).await
    }

    /// Marks the cart completed by `order_id`. Idempotent for the same order;
    /// `CartCompleted` for another order.
    pub async fn mark_completed(&self, cart_id: &CartId, order_id: &OrderId) -> Result<()> {
        checkout::mark_completed(&self.db, cart_id.as_str(), order_id.as_str()).await
    }
}
