//! What the cart's behaviour suites share. Every scenario runs on a fresh SQLite file
//! and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL database
//! too. The catalog and inventory are honest in-memory fakes of the traits the cart owns.
//! Assertion messages name the database.

// Each suite uses part of this.
#![allow(dead_code)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
pub use emporium_cart::Shopper;
use emporium_cart::{
    Address, Cart, CartError, Carts, CheckoutDetails, DiscountKind, Email, Freshness, LookupError,
    NewDiscount, StockCheck, VariantLookup, VariantSnapshot,
};
use emporium_kernel::{
    db::testing::{self, TestDatabase},
    events::EventBus,
    id::{id_from_parts, CartId, CustomerId, OrderId, ProductId, VariantId},
    money::Currency,
};

// ----- fakes -----

#[derive(Clone)]
struct FakeVariant {
    product_id: ProductId,
    title: String,
    sku: String,
    published: bool,
    prices: HashMap<Currency, i64>,
}

/// The catalog as a map from variant id to its product data and prices. Like the real
/// one, it answers `Recent` lookups from a memo that its own writes clear, and that
/// another process's writes ([`FakeCatalog::set_price_elsewhere`]) leave as it was.
#[derive(Default)]
pub struct FakeCatalog {
    variants: Mutex<HashMap<String, FakeVariant>>,
    memo: Mutex<HashMap<(String, Currency), Option<VariantSnapshot>>>,
    /// A customer's own price of a variant (as a price list for their group gives it).
    customer_prices: Mutex<HashMap<(String, String), i64>>,
}

impl FakeCatalog {
    pub fn put(&self, id: &str, eur: Option<i64>, usd: Option<i64>) {
        let mut prices = HashMap::new();
        if let Some(p) = eur {
            prices.insert(Currency::EUR, p);
        }
        if let Some(p) = usd {
            prices.insert(Currency::USD, p);
        }
        let variant = FakeVariant {
            // The product of `var_<x>` is `prod_<x>`: real-shaped, as the cart parses it.
            product_id: ProductId::parse(&format!("prod_{}", id.trim_start_matches("var_")))
                .unwrap_or_else(|e| panic!("{e}")),
            title: format!("Product {id}"),
            sku: id.to_ascii_uppercase(),
            published: true,
            prices,
        };
        self.lock().insert(id.to_owned(), variant);
        self.forget();
    }

    pub fn set_price(&self, id: &str, currency: Currency, amount: i64) {
        self.set_price_elsewhere(id, currency, amount);
        self.forget();
    }

    /// A price change this process does not hear of: `Recent` lookups keep the old one.
    pub fn set_price_elsewhere(&self, id: &str, currency: Currency, amount: i64) {
        if let Some(v) = self.lock().get_mut(id) {
            v.prices.insert(currency, amount);
        }
    }

    /// `customer` pays `amount` (in any currency) for variant `id`, as a price list for
    /// their group would make it.
    pub fn set_customer_price(&self, id: &str, customer: &CustomerId, amount: i64) {
        self.customer_prices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((id.to_owned(), customer.to_string()), amount);
    }

    pub fn unpublish(&self, id: &str) {
        if let Some(v) = self.lock().get_mut(id) {
            v.published = false;
        }
        self.forget();
    }

    fn forget(&self) {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn snapshot(&self, variant_id: &VariantId, currency: Currency) -> Option<VariantSnapshot> {
        self.lock()
            .get(variant_id.as_str())
            .filter(|v| v.published)
            .map(|v| VariantSnapshot {
                variant_id: variant_id.clone(),
                product_id: v.product_id.clone(),
                product_handle: v.product_id.as_str().replace('_', "-"),
                product_title: v.title.clone(),
                variant_title: "Default".to_owned(),
                sku: v.sku.clone(),
                unit_price: v.prices.get(&currency).copied(),
                image_url: None,
            })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, FakeVariant>> {
        self.variants.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl VariantLookup for FakeCatalog {
    async fn variant(
        &self,
        variant_id: &VariantId,
        currency: Currency,
        freshness: Freshness,
        customer: Option<&CustomerId>,
    ) -> Result<Option<VariantSnapshot>, LookupError> {
        let found = if freshness == Freshness::Current {
            self.snapshot(variant_id, currency)
        } else {
            let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            memo.entry((variant_id.to_string(), currency))
                .or_insert_with(|| self.snapshot(variant_id, currency))
                .clone()
        };
        let own = customer.and_then(|c| {
            self.customer_prices
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&(variant_id.to_string(), c.to_string()))
                .copied()
        });
        Ok(found.map(|mut v| {
            if let (Some(own), Some(regular)) = (own, v.unit_price) {
                v.unit_price = Some(own.min(regular));
            }
            v
        }))
    }
}

/// Inventory as a map from variant id to available units (unknown: 0).
#[derive(Default)]
pub struct FakeStock {
    available: Mutex<HashMap<String, i64>>,
}

impl FakeStock {
    pub fn set(&self, id: &str, units: i64) {
        self.available
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), units);
    }
}

#[async_trait]
impl StockCheck for FakeStock {
    async fn available(&self, variant_id: &VariantId) -> Result<i64, LookupError> {
        Ok(self
            .available
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(variant_id.as_str())
            .copied()
            .unwrap_or(0))
    }
}

// ----- environment -----

/// A migrated, seeded cart service on one test database, with its fakes.
pub struct Env {
    pub label: &'static str,
    pub carts: Carts,
    pub catalog: Arc<FakeCatalog>,
    pub stock: Arc<FakeStock>,
    _db: TestDatabase,
}

pub const SHIRT: &str = "var_000000000000000000000shirt"; // EUR 45.00, USD 50.00, 10 in stock
pub const MUG: &str = "var_00000000000000000000000mug"; // EUR 12.00, USD 13.00, 100 in stock
pub const EU_ONLY: &str = "var_00000000000000000000euonly"; // EUR 9.99, no USD price

/// A variant id the fake catalog knows by `name` (`shirt`): real-shaped, as the cart
/// only takes parsed ids.
pub fn var(name: &str) -> String {
    format!("var_{name:0>26}")
}

pub fn variant_id(id: &str) -> VariantId {
    VariantId::parse(id).unwrap_or_else(|e| panic!("{e}"))
}

pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in testing::databases().await {
        let catalog = Arc::new(FakeCatalog::default());
        let stock = Arc::new(FakeStock::default());
        catalog.put(SHIRT, Some(4500), Some(5000));
        catalog.put(MUG, Some(1200), Some(1300));
        catalog.put(EU_ONLY, Some(999), None);
        stock.set(SHIRT, 10);
        stock.set(MUG, 100);
        stock.set(EU_ONLY, 100);
        let carts = Carts::new(
            db.db.clone(),
            EventBus::new(),
            catalog.clone(),
            stock.clone(),
        );
        carts.migrate().await.must(db.label, "migrate");
        carts.seed_defaults().await.must(db.label, "seed");
        carts.seed_demo().await.must(db.label, "seed demo");
        out.push(Env {
            label: db.label,
            carts,
            catalog,
            stock,
            _db: db,
        });
    }
    out
}

pub trait Must<T> {
    fn must(self, label: &str, what: &str) -> T;
}

impl<T> Must<T> for Result<T, CartError> {
    fn must(self, label: &str, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("[{label}] {what}: {e}"))
    }
}

/// The error of a call that must fail.
pub fn failure<T: std::fmt::Debug>(
    result: Result<T, CartError>,
    label: &str,
    what: &str,
) -> CartError {
    match result {
        Ok(v) => panic!("[{label}] {what} should fail, got {v:?}"),
        Err(e) => e,
    }
}

impl Env {
    pub async fn eu_cart(&self) -> Cart {
        self.carts
            .create_cart(&Shopper::Guest, None, None)
            .await
            .must(self.label, "create EU cart")
    }

    pub async fn us_cart(&self) -> Cart {
        self.carts
            .create_cart(&Shopper::Guest, Some("reg_us"), None)
            .await
            .must(self.label, "create US cart")
    }

    pub async fn add(&self, cart_id: &CartId, variant: &str, quantity: i64) -> Cart {
        self.carts
            .add_line(&Shopper::Guest, cart_id, &variant_id(variant), quantity)
            .await
            .must(self.label, &format!("add {quantity} × {variant}"))
    }

    pub async fn discount(&self, input: NewDiscount) {
        self.carts
            .create_discount(input)
            .await
            .must(self.label, "create discount");
    }
}

pub fn percentage(code: &str, rate_bp: i64) -> NewDiscount {
    NewDiscount {
        code: code.into(),
        kind: DiscountKind::Percentage { rate_bp },
        min_subtotal: None,
        starts_at: None,
        ends_at: None,
        usage_limit: None,
    }
}

pub fn address(country: &str) -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "1 Main St".into(),
        line2: None,
        city: "Berlin".into(),
        postal_code: "10115".into(),
        country: country.into(),
        phone: None,
    }
}

pub fn details(country: &str, shipping_option_id: &str) -> CheckoutDetails {
    CheckoutDetails {
        email: Email::parse("email", "ada@example.com").expect("a valid email"),
        shipping_address: address(country),
        billing_address: None,
        shipping_option_id: shipping_option_id.into(),
        payment_method: "manual".into(),
    }
}

/// The `n`th order id of a test: real-shaped, so it parses, and the same on every call.
pub fn ord(n: u128) -> OrderId {
    OrderId::parse(&id_from_parts("ord", 1, n)).expect("a well-formed order id")
}

pub fn field_of(err: &CartError) -> &str {
    match err {
        CartError::InvalidField { field, .. } | CartError::InvalidQuantity { field, .. } => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// Each line's variant and quantity, in the cart's order.
pub fn quantities(cart: &Cart) -> Vec<(&str, i64)> {
    cart.lines
        .iter()
        .map(|x| (x.variant_id.as_str(), x.quantity))
        .collect()
}
