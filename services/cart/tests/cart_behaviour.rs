//! Behaviour of the cart service against real databases: every scenario runs on a fresh
//! SQLite file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh
//! PostgreSQL database too. The catalog and inventory are honest in-memory fakes of the
//! traits the cart owns. Assertion messages name the database.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use emporium_cart::{
    Address, Cart, CartError, Carts, CheckoutDetails, DiscountKind, Freshness, LookupError,
    NewDiscount, StockCheck, VariantLookup, VariantSnapshot,
};
use emporium_kernel::{
    clock::now_ms,
    db::testing::{self, TestDatabase},
    events::EventBus,
    money::Currency,
};

// ----- fakes -----

#[derive(Clone)]
struct FakeVariant {
    product_id: String,
    title: String,
    sku: String,
    published: bool,
    prices: HashMap<Currency, i64>,
}

/// The catalog as a map from variant id to its product data and prices. Like the real
/// one, it answers `Recent` lookups from a memo that its own writes clear, and that
/// another process's writes ([`FakeCatalog::set_price_elsewhere`]) leave as it was.
#[derive(Default)]
struct FakeCatalog {
    variants: Mutex<HashMap<String, FakeVariant>>,
    memo: Mutex<HashMap<(String, Currency), Option<VariantSnapshot>>>,
}

impl FakeCatalog {
    fn put(&self, id: &str, eur: Option<i64>, usd: Option<i64>) {
        let mut prices = HashMap::new();
        if let Some(p) = eur {
            prices.insert(Currency::EUR, p);
        }
        if let Some(p) = usd {
            prices.insert(Currency::USD, p);
        }
        let variant = FakeVariant {
            product_id: format!("prod_{id}"),
            title: format!("Product {id}"),
            sku: id.to_ascii_uppercase(),
            published: true,
            prices,
        };
        self.lock().insert(id.to_owned(), variant);
        self.forget();
    }

    fn set_price(&self, id: &str, currency: Currency, amount: i64) {
        self.set_price_elsewhere(id, currency, amount);
        self.forget();
    }

    /// A price change this process does not hear of: `Recent` lookups keep the old one.
    fn set_price_elsewhere(&self, id: &str, currency: Currency, amount: i64) {
        if let Some(v) = self.lock().get_mut(id) {
            v.prices.insert(currency, amount);
        }
    }

    fn unpublish(&self, id: &str) {
        if let Some(v) = self.lock().get_mut(id) {
            v.published = false;
        }
        self.forget();
    }

    fn forget(&self) {
        self.memo.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn snapshot(&self, variant_id: &str, currency: Currency) -> Option<VariantSnapshot> {
        self.lock()
            .get(variant_id)
            .filter(|v| v.published)
            .map(|v| VariantSnapshot {
                variant_id: variant_id.to_owned(),
                product_id: v.product_id.clone(),
                product_handle: v.product_id.replace('_', "-"),
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
        variant_id: &str,
        currency: Currency,
        freshness: Freshness,
    ) -> Result<Option<VariantSnapshot>, LookupError> {
        if freshness == Freshness::Current {
            return Ok(self.snapshot(variant_id, currency));
        }
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        Ok(memo
            .entry((variant_id.to_owned(), currency))
            .or_insert_with(|| self.snapshot(variant_id, currency))
            .clone())
    }
}

/// Inventory as a map from variant id to available units (unknown: 0).
#[derive(Default)]
struct FakeStock {
    available: Mutex<HashMap<String, i64>>,
}

impl FakeStock {
    fn set(&self, id: &str, units: i64) {
        self.available
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), units);
    }
}

#[async_trait]
impl StockCheck for FakeStock {
    async fn available(&self, variant_id: &str) -> Result<i64, LookupError> {
        Ok(self
            .available
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(variant_id)
            .copied()
            .unwrap_or(0))
    }
}

// ----- environment -----

/// A migrated, seeded cart service on one test database, with its fakes.
struct Env {
    label: &'static str,
    carts: Carts,
    catalog: Arc<FakeCatalog>,
    stock: Arc<FakeStock>,
    _db: TestDatabase,
}

const SHIRT: &str = "var_shirt"; // EUR 45.00, USD 50.00, 10 in stock
const MUG: &str = "var_mug"; // EUR 12.00, USD 13.00, 100 in stock
const EU_ONLY: &str = "var_eu_only"; // EUR 9.99, no USD price

async fn envs() -> Vec<Env> {
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

trait Must<T> {
    fn must(self, label: &str, what: &str) -> T;
}

impl<T> Must<T> for Result<T, CartError> {
    fn must(self, label: &str, what: &str) -> T {
        self.unwrap_or_else(|e| panic!("[{label}] {what}: {e}"))
    }
}

/// The error of a call that must fail.
fn failure<T: std::fmt::Debug>(result: Result<T, CartError>, label: &str, what: &str) -> CartError {
    match result {
        Ok(v) => panic!("[{label}] {what} should fail, got {v:?}"),
        Err(e) => e,
    }
}

impl Env {
    async fn eu_cart(&self) -> Cart {
        self.carts
            .create_cart(None, None)
            .await
            .must(self.label, "create EU cart")
    }

    async fn us_cart(&self) -> Cart {
        self.carts
            .create_cart(Some("reg_us"), None)
            .await
            .must(self.label, "create US cart")
    }

    async fn add(&self, cart_id: &str, variant: &str, quantity: i64) -> Cart {
        self.carts
            .add_line(cart_id, variant, quantity)
            .await
            .must(self.label, &format!("add {quantity} × {variant}"))
    }

    async fn discount(&self, input: NewDiscount) {
        self.carts
            .create_discount(input)
            .await
            .must(self.label, "create discount");
    }
}

fn percentage(code: &str, rate_bp: i64) -> NewDiscount {
    NewDiscount {
        code: code.into(),
        kind: DiscountKind::Percentage { rate_bp },
        min_subtotal: None,
        starts_at: None,
        ends_at: None,
        usage_limit: None,
    }
}

fn address(country: &str) -> Address {
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

fn details(country: &str, shipping_option_id: &str) -> CheckoutDetails {
    CheckoutDetails {
        email: "ada@example.com".into(),
        shipping_address: address(country),
        billing_address: None,
        shipping_option_id: shipping_option_id.into(),
        payment_method: "manual".into(),
    }
}

fn field_of(err: &CartError) -> &str {
    match err {
        CartError::InvalidField { field, .. } | CartError::InvalidQuantity { field, .. } => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

// ----- carts and lines -----

#[tokio::test]
async fn carts_default_to_europe_or_follow_the_currency_and_refuse_unknown_ones() {
    for env in envs().await {
        let l = env.label;
        let eu = env.eu_cart().await;
        assert_eq!(
            (eu.region.id.as_str(), eu.currency),
            ("reg_eu", Currency::EUR),
            "[{l}]"
        );
        assert!(eu.region.tax_inclusive, "[{l}]");
        let us = env
            .carts
            .create_cart(None, Some(Currency::USD))
            .await
            .must(l, "USD cart");
        assert_eq!(
            (us.region.id.as_str(), us.region.tax_rate_bp),
            ("reg_us", 825),
            "[{l}]"
        );
        let gbp = Currency::parse("GBP").unwrap_or(Currency::EUR);
        let err = failure(env.carts.create_cart(None, Some(gbp)).await, l, "GBP cart");
        assert!(
            matches!(&err, CartError::UnsupportedCurrency { currency } if currency == "GBP"),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts.create_cart(Some("reg_xx"), None).await,
            l,
            "unknown region",
        );
        assert!(
            matches!(&err, CartError::RegionNotFound { region_id } if region_id == "reg_xx"),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts
                .create_cart(Some("reg_eu"), Some(Currency::USD))
                .await,
            l,
            "EU region in USD",
        );
        assert_eq!(field_of(&err), "currency", "[{l}]");
        let err = failure(env.carts.cart("cart_missing").await, l, "unknown cart");
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn seeding_twice_keeps_one_set_of_regions_shipping_options_and_codes() {
    for env in envs().await {
        let l = env.label;
        env.carts.seed_defaults().await.must(l, "seed again");
        let regions = env.carts.regions().await.must(l, "regions");
        let ids: Vec<&str> = regions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["reg_eu", "reg_us"],
            "[{l}] by name: Europe, United States"
        );
        assert_eq!(regions[0].countries.len(), 10, "[{l}]");
        assert_eq!(regions[1].countries, ["US"], "[{l}]");
        let codes: Vec<String> = env
            .carts
            .discounts()
            .await
            .must(l, "discounts")
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["WELCOME10"], "[{l}]");
        let cart = env.eu_cart().await;
        let options = env
            .carts
            .shipping_options(&cart.id)
            .await
            .must(l, "options");
        assert_eq!(options.len(), 2, "[{l}]");
    }
}

#[tokio::test]
async fn adding_a_variant_again_merges_into_its_line_and_lines_keep_their_price_snapshot() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let cart1 = env.add(&cart.id, SHIRT, 1).await;
        assert_eq!(cart1.lines.len(), 1, "[{l}]");
        let line = &cart1.lines[0];
        assert_eq!(
            (
                line.unit_price,
                line.quantity,
                line.sku.as_str(),
                line.title.as_str()
            ),
            (4500, 1, "VAR_SHIRT", "Product var_shirt"),
            "[{l}]"
        );

        // The catalog price changes: the cart keeps showing the price it was added at.
        env.catalog.set_price(SHIRT, Currency::EUR, 4800);
        let seen = env.carts.cart(&cart.id).await.must(l, "cart");
        assert_eq!(seen.lines[0].unit_price, 4500, "[{l}] snapshot");
        assert_eq!(seen.totals.subtotal, 4500, "[{l}]");

        // Adding again merges into the same line, at the price the shopper now sees.
        let merged = env.add(&cart.id, SHIRT, 2).await;
        assert_eq!(merged.lines.len(), 1, "[{l}] one line per variant");
        assert_eq!(merged.lines[0].id, line.id, "[{l}] same line");
        assert_eq!(
            (
                merged.lines[0].quantity,
                merged.lines[0].unit_price,
                merged.lines[0].line_total
            ),
            (3, 4800, 14_400),
            "[{l}]"
        );

        let both = env.add(&cart.id, MUG, 2).await;
        assert_eq!(both.lines.len(), 2, "[{l}]");
        assert_eq!(
            both.lines[1].variant_id, MUG,
            "[{l}] lines in order of adding"
        );
        assert_eq!(both.item_count, 5, "[{l}]");
        assert_eq!(both.totals.subtotal, 14_400 + 2400, "[{l}]");

        let removed = env
            .carts
            .remove_line(&cart.id, &both.lines[0].id)
            .await
            .must(l, "remove");
        assert_eq!(removed.item_count, 2, "[{l}]");
        let err = failure(
            env.carts.remove_line(&cart.id, &both.lines[0].id).await,
            l,
            "remove twice",
        );
        assert!(
            matches!(err, CartError::LineNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_to_one_cart_all_land_and_each_answer_shows_its_own() {
    for env in envs().await {
        let l = env.label;
        let env = Arc::new(env);
        let cart = env.eu_cart().await;
        let distinct: Vec<String> = (0..20).map(|i| format!("var_c{i:02}")).collect();
        for id in &distinct {
            env.catalog.put(id, Some(100), None);
            env.stock.set(id, 50);
        }
        // Twenty different variants and ten adds of the same one, all at once: most
        // read the cart before another's change lands, so their version check fails and
        // they read it again under the lock.
        let mut tasks = Vec::new();
        for variant in distinct
            .iter()
            .cloned()
            .chain((0..10).map(|_| MUG.to_owned()))
        {
            let (env, cart_id) = (env.clone(), cart.id.clone());
            tasks.push(tokio::spawn(async move {
                let seen = env.add(&cart_id, &variant, 1).await;
                (variant, seen)
            }));
        }
        for task in tasks {
            let (variant, seen) = task.await.unwrap_or_else(|e| panic!("[{l}] task: {e}"));
            assert!(
                seen.lines.iter().any(|line| line.variant_id == variant),
                "[{l}] the answer to adding {variant} shows its line"
            );
            assert_eq!(
                seen.item_count,
                seen.lines.iter().map(|line| line.quantity).sum::<i64>(),
                "[{l}]"
            );
        }
        let done = env.carts.cart(&cart.id).await.must(l, "cart");
        assert_eq!(done.lines.len(), 21, "[{l}] one line per variant");
        assert_eq!(done.item_count, 30, "[{l}] no add was lost");
        let mug = done.lines.iter().find(|line| line.variant_id == MUG);
        assert_eq!(mug.map(|line| line.quantity), Some(10), "[{l}] merged adds");
        assert_eq!(done.totals.subtotal, 20 * 100 + 10 * 1200, "[{l}]");
    }
}

#[tokio::test]
async fn quantities_outside_1_to_99_per_line_are_rejected_naming_the_quantity_field() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        for q in [0, -1, 100] {
            let err = failure(
                env.carts.add_line(&cart.id, MUG, q).await,
                l,
                &format!("add {q}"),
            );
            assert!(
                matches!(err, CartError::InvalidQuantity { .. }),
                "[{l}] {q}: {err:?}"
            );
            assert_eq!(field_of(&err), "quantity", "[{l}]");
        }
        let added = env.add(&cart.id, MUG, 60).await;
        let err = failure(
            env.carts.add_line(&cart.id, MUG, 40).await,
            l,
            "merge to 100",
        );
        assert!(
            matches!(err, CartError::InvalidQuantity { .. }),
            "[{l}] {err:?}"
        );
        let line_id = &added.lines[0].id;
        for q in [0, 100] {
            let err = failure(
                env.carts.update_line(&cart.id, line_id, q).await,
                l,
                "update",
            );
            assert!(
                matches!(err, CartError::InvalidQuantity { .. }),
                "[{l}] {q}: {err:?}"
            );
        }
        let ok = env.add(&cart.id, MUG, 39).await;
        assert_eq!(ok.lines[0].quantity, 99, "[{l}] 99 is allowed");
    }
}

#[tokio::test]
async fn unknown_or_unpublished_variants_are_not_found() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let err = failure(
            env.carts.add_line(&cart.id, "var_nope", 1).await,
            l,
            "unknown",
        );
        assert!(
            matches!(&err, CartError::VariantNotFound { variant_id } if variant_id == "var_nope"),
            "[{l}] {err:?}"
        );
        env.catalog.unpublish(MUG);
        let err = failure(env.carts.add_line(&cart.id, MUG, 1).await, l, "unpublished");
        assert!(
            matches!(err, CartError::VariantNotFound { .. }),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts.add_line("cart_nope", SHIRT, 1).await,
            l,
            "no cart",
        );
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_variant_without_a_price_in_the_carts_currency_is_refused() {
    for env in envs().await {
        let l = env.label;
        let cart = env.us_cart().await;
        let err = failure(
            env.carts.add_line(&cart.id, EU_ONLY, 1).await,
            l,
            "no USD price",
        );
        assert!(
            matches!(&err, CartError::PriceMissing { variant_id, currency } if variant_id == EU_ONLY && currency == "USD"),
            "[{l}] {err:?}"
        );
        let cart = env.carts.cart(&cart.id).await.must(l, "cart");
        assert!(cart.lines.is_empty(), "[{l}]");
        // The same variant is fine in a EUR cart.
        let eu = env.eu_cart().await;
        assert_eq!(
            env.add(&eu.id, EU_ONLY, 1).await.totals.subtotal,
            999,
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn stock_is_checked_on_add_including_merged_quantity_and_on_update() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let added = env.add(&cart.id, SHIRT, 8).await;
        let err = failure(
            env.carts.add_line(&cart.id, SHIRT, 3).await,
            l,
            "8 + 3 of 10",
        );
        assert!(
            matches!(&err, CartError::InsufficientStock { variant_id, requested: 11, available: 10 } if variant_id == SHIRT),
            "[{l}] {err:?}"
        );
        let line_id = added.lines[0].id.clone();
        let err = failure(
            env.carts.update_line(&cart.id, &line_id, 11).await,
            l,
            "update to 11",
        );
        assert!(
            matches!(
                err,
                CartError::InsufficientStock {
                    requested: 11,
                    available: 10,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );
        let updated = env
            .carts
            .update_line(&cart.id, &line_id, 10)
            .await
            .must(l, "update to 10");
        assert_eq!(updated.lines[0].quantity, 10, "[{l}]");
        env.stock.set(SHIRT, 0);
        let err = failure(
            env.carts.update_line(&cart.id, &line_id, 1).await,
            l,
            "sold out",
        );
        assert!(
            matches!(err, CartError::InsufficientStock { available: 0, .. }),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts.update_line(&cart.id, "cali_nope", 1).await,
            l,
            "no line",
        );
        assert!(
            matches!(err, CartError::LineNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_cart_holds_at_most_fifty_different_items() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        for i in 0..51 {
            let id = format!("var_item{i}");
            env.catalog.put(&id, Some(100), None);
            env.stock.set(&id, 5);
        }
        for i in 0..50 {
            env.add(&cart.id, &format!("var_item{i}"), 1).await;
        }
        let err = failure(
            env.carts.add_line(&cart.id, "var_item50", 1).await,
            l,
            "51st",
        );
        assert!(
            matches!(err, CartError::TooManyLines { max: 50 }),
            "[{l}] {err:?}"
        );
        // More of an item already in the cart is still fine.
        let cart = env.add(&cart.id, "var_item0", 1).await;
        assert_eq!((cart.lines.len(), cart.item_count), (50, 51), "[{l}]");
    }
}

// ----- totals -----

#[tokio::test]
async fn eu_totals_contain_20_percent_tax_and_us_totals_add_8_25_percent() {
    for env in envs().await {
        let l = env.label;
        // EU: 2 × 45.00 = 90.00, WELCOME10 -10 %, Express 14.95 (never free).
        // Gross 9000 - 900 + 1495 = 9595; contained tax 9595 × 2000 / 12000 = 1599.17.
        let eu = env.eu_cart().await;
        env.add(&eu.id, SHIRT, 2).await;
        env.carts
            .apply_discount(&eu.id, "WELCOME10")
            .await
            .must(l, "code");
        let eu = env
            .carts
            .set_checkout_details(&eu.id, details("DE", "ship_eu_express"))
            .await
            .must(l, "details");
        let t = eu.totals;
        assert_eq!(
            (
                t.subtotal,
                t.discount_total,
                t.shipping_total,
                t.tax_total,
                t.total
            ),
            (9000, 900, 1495, 1599, 9595),
            "[{l}] EU"
        );

        // US: 1 × 50.00, Standard 5.99 (free only from 75.00).
        // Tax (5000 + 599) × 8.25 % = 461.9175 -> 462, added: 6061.
        let us = env.us_cart().await;
        env.add(&us.id, SHIRT, 1).await;
        let us = env
            .carts
            .set_checkout_details(&us.id, details("US", "ship_us_standard"))
            .await
            .must(l, "details");
        let t = us.totals;
        assert_eq!(
            (
                t.subtotal,
                t.discount_total,
                t.shipping_total,
                t.tax_total,
                t.total
            ),
            (5000, 0, 599, 462, 6061),
            "[{l}] US"
        );
        let shipping = us
            .shipping_option
            .as_ref()
            .map(|s| (s.name.as_str(), s.amount));
        assert_eq!(shipping, Some(("Standard", 599)), "[{l}]");
    }
}

#[tokio::test]
async fn standard_shipping_becomes_free_when_the_subtotal_reaches_the_threshold() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, SHIRT, 1).await; // 45.00 < 50.00
        let quotes = env.carts.shipping_options(&cart.id).await.must(l, "quotes");
        let priced: Vec<(&str, i64, Option<i64>)> = quotes
            .iter()
            .map(|q| (q.name.as_str(), q.amount, q.free_above))
            .collect();
        assert_eq!(
            priced,
            [("Standard", 495, Some(5000)), ("Express", 1495, None)],
            "[{l}]"
        );
        let cart = env
            .carts
            .set_checkout_details(&cart.id, details("FR", "ship_eu_standard"))
            .await
            .must(l, "details");
        assert_eq!(cart.totals.shipping_total, 495, "[{l}]");
        assert_eq!(cart.totals.total, 4995, "[{l}] inclusive: tax not added");

        let cart = env.add(&cart.id, MUG, 1).await; // 57.00 >= 50.00
        assert_eq!(cart.totals.shipping_total, 0, "[{l}]");
        assert_eq!(cart.shipping_option.map(|s| s.amount), Some(0), "[{l}]");
        let quotes = env.carts.shipping_options(&cart.id).await.must(l, "quotes");
        assert_eq!((quotes[0].amount, quotes[1].amount), (0, 1495), "[{l}]");
    }
}

// ----- discounts -----

#[tokio::test]
async fn a_percentage_code_applies_in_any_case_and_can_be_removed() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await; // 1200: 10 % = 120
        let cart = env
            .carts
            .apply_discount(&cart.id, " welcome10 ")
            .await
            .must(l, "apply");
        let d = cart
            .discount
            .clone()
            .unwrap_or_else(|| panic!("[{l}] no discount"));
        assert_eq!(
            (d.code.as_str(), d.kind.as_str(), d.value, d.note),
            ("WELCOME10", "percentage", 1000, None),
            "[{l}]"
        );
        assert_eq!(
            (cart.totals.discount_total, cart.totals.subtotal),
            (120, 1200),
            "[{l}]"
        );
        let cart = env.carts.remove_discount(&cart.id).await.must(l, "remove");
        assert!(cart.discount.is_none(), "[{l}]");
        assert_eq!(cart.totals.discount_total, 0, "[{l}]");
        let err = failure(
            env.carts.apply_discount(&cart.id, "NOPE").await,
            l,
            "unknown code",
        );
        assert!(
            matches!(&err, CartError::DiscountNotFound { code } if code == "NOPE"),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_fixed_code_needs_its_minimum_and_its_currency_and_shows_a_note_when_it_stops_applying() {
    for env in envs().await {
        let l = env.label;
        env.discount(NewDiscount {
            code: "save5".into(),
            kind: DiscountKind::Fixed {
                amount: 500,
                currency: Currency::EUR,
            },
            min_subtotal: Some(5000),
            ..percentage("", 1)
        })
        .await;
        let cart = env.eu_cart().await;
        env.add(&cart.id, SHIRT, 1).await;
        let err = failure(
            env.carts.apply_discount(&cart.id, "SAVE5").await,
            l,
            "below minimum",
        );
        assert!(
            matches!(
                err,
                CartError::DiscountMinimumNotMet {
                    minimum: 5000,
                    subtotal: 4500,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );
        let with_mug = env.add(&cart.id, MUG, 1).await;
        let cart = env
            .carts
            .apply_discount(&cart.id, "save5")
            .await
            .must(l, "apply");
        assert_eq!(cart.totals.discount_total, 500, "[{l}]");
        assert_eq!(cart.totals.total, 5700 - 500, "[{l}]");

        // Taking the mug out drops the subtotal below the minimum: shown, not applied.
        let mug_line = &with_mug.lines[1].id;
        let cart = env
            .carts
            .remove_line(&cart.id, mug_line)
            .await
            .must(l, "remove");
        assert_eq!(cart.totals.discount_total, 0, "[{l}]");
        let note = cart.discount.and_then(|d| d.note).unwrap_or_default();
        assert!(note.contains("5000"), "[{l}] note says why: {note}");

        let us = env.us_cart().await;
        env.add(&us.id, SHIRT, 2).await;
        let err = failure(
            env.carts.apply_discount(&us.id, "SAVE5").await,
            l,
            "USD cart",
        );
        assert!(
            matches!(err, CartError::DiscountCurrencyMismatch { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn expired_and_not_yet_started_codes_are_refused_with_their_dates() {
    for env in envs().await {
        let l = env.label;
        let now = now_ms();
        let ended = now - 60_000;
        let starts = now + 3_600_000;
        env.discount(NewDiscount {
            starts_at: Some(now - 7_200_000),
            ends_at: Some(ended),
            ..percentage("OLD", 500)
        })
        .await;
        env.discount(NewDiscount {
            starts_at: Some(starts),
            ..percentage("SOON", 500)
        })
        .await;
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        let err = failure(
            env.carts.apply_discount(&cart.id, "old").await,
            l,
            "expired",
        );
        assert!(
            matches!(&err, CartError::DiscountExpired { ended_at, .. } if *ended_at == ended),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts.apply_discount(&cart.id, "soon").await,
            l,
            "not started",
        );
        assert!(
            matches!(&err, CartError::DiscountNotStarted { starts_at, .. } if *starts_at == starts),
            "[{l}] {err:?}"
        );
        let cart = env.carts.cart(&cart.id).await.must(l, "cart");
        assert!(
            cart.discount.is_none(),
            "[{l}] a refused code is not stored"
        );
    }
}

#[tokio::test]
async fn discount_codes_are_unique_regardless_of_case_and_deleting_one_leaves_a_note() {
    for env in envs().await {
        let l = env.label;
        env.discount(percentage("Summer", 1500)).await;
        let err = failure(
            env.carts.create_discount(percentage("SUMMER", 500)).await,
            l,
            "duplicate",
        );
        assert!(
            matches!(&err, CartError::DiscountCodeTaken { code } if code == "SUMMER"),
            "[{l}] {err:?}"
        );
        let err = failure(
            env.carts.create_discount(percentage("HALF", 0)).await,
            l,
            "0 bp",
        );
        assert_eq!(field_of(&err), "kind.rate_bp", "[{l}]");

        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .apply_discount(&cart.id, "summer")
            .await
            .must(l, "apply");
        let summer = env
            .carts
            .discounts()
            .await
            .must(l, "list")
            .into_iter()
            .find(|d| d.code == "SUMMER")
            .unwrap_or_else(|| panic!("[{l}] SUMMER listed"));
        env.carts
            .delete_discount(&summer.id)
            .await
            .must(l, "delete");
        let cart = env.carts.cart(&cart.id).await.must(l, "cart");
        assert_eq!(cart.totals.discount_total, 0, "[{l}]");
        let note = cart.discount.and_then(|d| d.note).unwrap_or_default();
        assert!(note.contains("no longer exists"), "[{l}] {note}");
        let err = failure(
            env.carts.delete_discount(&summer.id).await,
            l,
            "delete twice",
        );
        assert!(
            matches!(err, CartError::DiscountNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_code_with_one_use_goes_to_the_first_cart_completed_and_the_second_stays_open() {
    for env in envs().await {
        let l = env.label;
        env.discount(NewDiscount {
            usage_limit: Some(1),
            ..percentage("ONCE", 2000)
        })
        .await;
        let mut carts = Vec::new();
        for _ in 0..2 {
            let cart = env.eu_cart().await;
            env.add(&cart.id, MUG, 1).await;
            env.carts
                .apply_discount(&cart.id, "ONCE")
                .await
                .must(l, "apply");
            carts.push(cart.id);
        }
        env.carts
            .mark_completed(&carts[0], "ord_first")
            .await
            .must(l, "first completes");
        let err = failure(
            env.carts.mark_completed(&carts[1], "ord_second").await,
            l,
            "second",
        );
        assert!(
            matches!(&err, CartError::DiscountUsedUp { code } if code == "ONCE"),
            "[{l}] {err:?}"
        );

        let second = env.carts.cart(&carts[1]).await.must(l, "second cart");
        assert_eq!(
            (second.completed_at, second.order_id),
            (None, None),
            "[{l}] rolled back"
        );
        let note = second.discount.and_then(|d| d.note).unwrap_or_default();
        assert!(note.contains("used up"), "[{l}] {note}");
        let used = env
            .carts
            .discounts()
            .await
            .must(l, "list")
            .into_iter()
            .find(|d| d.code == "ONCE")
            .map(|d| d.used_count);
        assert_eq!(used, Some(1), "[{l}]");

        // The second cart can drop the code and complete without it.
        env.carts
            .remove_discount(&carts[1])
            .await
            .must(l, "drop code");
        env.carts
            .mark_completed(&carts[1], "ord_second")
            .await
            .must(l, "second completes");
        let third = env.eu_cart().await;
        env.add(&third.id, MUG, 1).await;
        let err = failure(
            env.carts.apply_discount(&third.id, "ONCE").await,
            l,
            "third",
        );
        assert!(
            matches!(err, CartError::DiscountUsedUp { .. }),
            "[{l}] {err:?}"
        );
    }
}

// ----- checkout -----

#[tokio::test]
async fn checkout_details_errors_name_the_offending_field() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let set = |d: CheckoutDetails| env.carts.set_checkout_details(&cart.id, d);
        let base = || details("DE", "ship_eu_standard");

        for bad in [
            "ada",
            "ada@example",
            "a@b@example.com",
            "@example.com",
            "ada@.com",
            "ada @example.com",
        ] {
            let err = failure(
                set(CheckoutDetails {
                    email: bad.into(),
                    ..base()
                })
                .await,
                l,
                bad,
            );
            assert_eq!(field_of(&err), "email", "[{l}] {bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        let err = failure(
            set(CheckoutDetails {
                email: long,
                ..base()
            })
            .await,
            l,
            "long email",
        );
        assert_eq!(field_of(&err), "email", "[{l}]");

        let mut d = base();
        d.shipping_address.postal_code = "  ".into();
        let err = failure(set(d).await, l, "blank postal code");
        assert_eq!(field_of(&err), "shipping_address.postal_code", "[{l}]");
        let mut d = base();
        d.shipping_address.name = "x".repeat(201);
        let err = failure(set(d).await, l, "long name");
        assert_eq!(field_of(&err), "shipping_address.name", "[{l}]");
        let err = failure(
            set(details("US", "ship_eu_standard")).await,
            l,
            "US from EU",
        );
        assert_eq!(field_of(&err), "shipping_address.country", "[{l}]");
        let err = failure(
            set(details("DEU", "ship_eu_standard")).await,
            l,
            "3 letters",
        );
        assert_eq!(field_of(&err), "shipping_address.country", "[{l}]");
        let err = failure(set(details("DE", "ship_us_standard")).await, l, "US option");
        assert_eq!(field_of(&err), "shipping_option_id", "[{l}]");
        let mut d = base();
        d.billing_address = Some(Address {
            city: String::new(),
            ..address("GB")
        });
        let err = failure(set(d).await, l, "billing city");
        assert_eq!(field_of(&err), "billing_address.city", "[{l}]");
        for bad in ["", "Stripe", "pay-later", &"x".repeat(33)] {
            let err = failure(
                set(CheckoutDetails {
                    payment_method: bad.into(),
                    ..base()
                })
                .await,
                l,
                "payment method",
            );
            assert_eq!(field_of(&err), "payment_method", "[{l}] {bad}");
        }

        // Valid details are stored; lower-case countries are normalised; billing outside
        // the region is fine.
        let mut d = details("de", "ship_eu_standard");
        d.billing_address = Some(address("GB"));
        let cart = set(d).await.must(l, "valid details");
        assert_eq!(cart.email.as_deref(), Some("ada@example.com"), "[{l}]");
        assert_eq!(
            cart.shipping_address.map(|a| a.country),
            Some("DE".into()),
            "[{l}]"
        );
        assert_eq!(
            cart.billing_address.map(|a| a.country),
            Some("GB".into()),
            "[{l}]"
        );
        assert_eq!(cart.payment_method.as_deref(), Some("manual"), "[{l}]");
        assert_eq!(
            cart.shipping_option.map(|s| s.id),
            Some("ship_eu_standard".into()),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn the_checkout_snapshot_needs_lines_and_every_detail() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let err = failure(env.carts.checkout_snapshot(&cart.id).await, l, "empty");
        assert!(matches!(err, CartError::CartEmpty), "[{l}] {err:?}");
        env.add(&cart.id, MUG, 1).await;
        let err = failure(env.carts.checkout_snapshot(&cart.id).await, l, "no details");
        match err {
            CartError::CheckoutIncomplete { missing } => assert_eq!(
                missing,
                [
                    "email",
                    "shipping_address",
                    "shipping_option_id",
                    "payment_method"
                ],
                "[{l}]"
            ),
            other => panic!("[{l}] expected CheckoutIncomplete, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_checkout_snapshot_reprices_every_line_and_flags_changed_prices() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, SHIRT, 2).await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .apply_discount(&cart.id, "WELCOME10")
            .await
            .must(l, "code");
        env.carts
            .set_checkout_details(&cart.id, details("NL", "ship_eu_standard"))
            .await
            .must(l, "details");
        // Even a change this process has not heard of: the order is priced from a
        // current lookup, not from the add-to-cart memo.
        env.catalog.set_price_elsewhere(SHIRT, Currency::EUR, 4000);

        let snap = env
            .carts
            .checkout_snapshot(&cart.id)
            .await
            .must(l, "snapshot");
        let lines: Vec<(&str, i64, i64, i64, bool)> = snap
            .lines
            .iter()
            .map(|x| {
                (
                    x.variant_id.as_str(),
                    x.quantity,
                    x.unit_price,
                    x.line_total,
                    x.price_changed,
                )
            })
            .collect();
        assert_eq!(
            lines,
            [(SHIRT, 2, 4000, 8000, true), (MUG, 1, 1200, 1200, false)],
            "[{l}]"
        );
        // 9200 - 920 (10 %) + 0 shipping (9200 >= 5000); contained tax 8280 / 6 = 1380.
        let t = snap.totals;
        assert_eq!(
            (
                t.subtotal,
                t.discount_total,
                t.shipping_total,
                t.tax_total,
                t.total
            ),
            (9200, 920, 0, 1380, 8280),
            "[{l}]"
        );
        assert_eq!(snap.discount_code.as_deref(), Some("WELCOME10"), "[{l}]");
        assert_eq!(
            (snap.currency, snap.region_id.as_str()),
            (Currency::EUR, "reg_eu"),
            "[{l}]"
        );
        assert_eq!(snap.email, "ada@example.com", "[{l}]");
        assert_eq!(
            snap.billing_address, snap.shipping_address,
            "[{l}] billing defaults to shipping"
        );
        assert_eq!(
            (
                snap.shipping_option_name.as_str(),
                snap.payment_method.as_str()
            ),
            ("Standard", "manual"),
            "[{l}]"
        );

        // A product that left the catalog stops the checkout, naming the variant.
        env.catalog.unpublish(MUG);
        let err = failure(
            env.carts.checkout_snapshot(&cart.id).await,
            l,
            "unpublished",
        );
        assert!(
            matches!(&err, CartError::VariantNotFound { variant_id } if variant_id == MUG),
            "[{l}] {err:?}"
        );
    }
}

/// Each line's variant and quantity, in the cart's order.
fn quantities(cart: &Cart) -> Vec<(&str, i64)> {
    cart.lines
        .iter()
        .map(|x| (x.variant_id.as_str(), x.quantity))
        .collect()
}

#[tokio::test]
async fn adds_through_two_cart_services_on_one_database_keep_every_line() {
    // A second `Carts` over the same database stands for another process: it never saw
    // the cart created through the first, so its first add reads the cart before its
    // write, and the later ones, like the first service's, do not.
    for env in envs().await {
        let l = env.label;
        let other = Carts::new(
            env.carts.database().clone(),
            EventBus::new(),
            env.catalog.clone(),
            env.stock.clone(),
        );
        let cart = env.eu_cart().await;
        let seen = other
            .add_line(&cart.id, SHIRT, 1)
            .await
            .must(l, "other add");
        assert_eq!(seen.lines.len(), 1, "[{l}]");
        env.add(&cart.id, MUG, 2).await;
        let seen = other
            .add_line(&cart.id, SHIRT, 2)
            .await
            .must(l, "other add again");
        let lines = quantities(&seen);
        assert_eq!(
            lines,
            [(SHIRT, 3), (MUG, 2)],
            "[{l}] each sees the other's lines"
        );
        assert_eq!(seen.totals.subtotal, 3 * 4500 + 2 * 1200, "[{l}]");

        let mut tasks = Vec::new();
        for i in 0..10 {
            let carts = if i % 2 == 0 {
                env.carts.clone()
            } else {
                other.clone()
            };
            let id = cart.id.clone();
            tasks.push(tokio::spawn(
                async move { carts.add_line(&id, MUG, 1).await },
            ));
        }
        for task in tasks {
            task.await
                .unwrap_or_else(|e| panic!("[{l}] task: {e}"))
                .must(l, "concurrent add");
        }
        let after = env.carts.cart(&cart.id).await.must(l, "cart");
        let mug = after.lines.iter().find(|x| x.variant_id == MUG);
        assert_eq!(mug.map(|x| x.quantity), Some(12), "[{l}] no add was lost");

        // Each service's next add builds on what it last wrote itself (a removal, a new
        // quantity) and on what the other wrote since.
        let shirt_line = after
            .lines
            .iter()
            .find(|x| x.variant_id == SHIRT)
            .map(|x| x.id.clone())
            .unwrap_or_else(|| panic!("[{l}] the shirt line is gone"));
        let mug_line = mug.map(|x| x.id.clone()).unwrap_or_default();
        env.carts
            .remove_line(&cart.id, &shirt_line)
            .await
            .must(l, "remove");
        let seen = env.add(&cart.id, SHIRT, 1).await;
        let shirt = seen.lines.iter().find(|x| x.variant_id == SHIRT);
        assert_eq!(shirt.map(|x| x.quantity), Some(1), "[{l}] a new shirt line");
        other
            .update_line(&cart.id, &mug_line, 5)
            .await
            .must(l, "other update");
        let seen = env.add(&cart.id, SHIRT, 1).await;
        let lines = quantities(&seen);
        assert_eq!(
            lines,
            [(MUG, 5), (SHIRT, 2)],
            "[{l}] after remove and update"
        );

        // A cart that does not exist is not found, even by a service with a warm memo.
        let err = failure(other.add_line("cart_nope", SHIRT, 1).await, l, "no cart");
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_completed_cart_refuses_every_change() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let cart = env.add(&cart.id, MUG, 1).await;
        let line_id = cart.lines[0].id.clone();
        env.carts
            .mark_completed(&cart.id, "ord_1")
            .await
            .must(l, "complete");
        let completed = |err: CartError, what: &str| {
            assert!(
                matches!(&err, CartError::CartCompleted { order_id } if order_id == "ord_1"),
                "[{l}] {what}: {err:?}"
            );
        };
        completed(
            failure(env.carts.add_line(&cart.id, MUG, 1).await, l, "add"),
            "add",
        );
        completed(
            failure(
                env.carts.update_line(&cart.id, &line_id, 2).await,
                l,
                "update",
            ),
            "update",
        );
        completed(
            failure(env.carts.remove_line(&cart.id, &line_id).await, l, "remove"),
            "remove",
        );
        completed(
            failure(
                env.carts.apply_discount(&cart.id, "WELCOME10").await,
                l,
                "code",
            ),
            "code",
        );
        completed(
            failure(env.carts.remove_discount(&cart.id).await, l, "no code"),
            "no code",
        );
        completed(
            failure(
                env.carts
                    .set_checkout_details(&cart.id, details("DE", "ship_eu_standard"))
                    .await,
                l,
                "details",
            ),
            "details",
        );
        completed(
            failure(env.carts.checkout_snapshot(&cart.id).await, l, "snapshot"),
            "snapshot",
        );
        let cart = env.carts.cart(&cart.id).await.must(l, "still readable");
        assert_eq!(cart.order_id.as_deref(), Some("ord_1"), "[{l}]");
        assert!(cart.completed_at.is_some(), "[{l}]");
        assert_eq!(cart.lines.len(), 1, "[{l}]");
    }
}

#[tokio::test]
async fn completing_again_for_the_same_order_is_a_no_op_and_redeems_the_code_once() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        env.add(&cart.id, MUG, 1).await;
        env.carts
            .apply_discount(&cart.id, "WELCOME10")
            .await
            .must(l, "code");
        env.carts
            .mark_completed(&cart.id, "ord_a")
            .await
            .must(l, "first");
        let first = env.carts.cart(&cart.id).await.must(l, "cart");
        env.carts
            .mark_completed(&cart.id, "ord_a")
            .await
            .must(l, "retry");
        let again = env.carts.cart(&cart.id).await.must(l, "cart");
        assert_eq!(again.completed_at, first.completed_at, "[{l}] unchanged");
        let used = env
            .carts
            .discounts()
            .await
            .must(l, "list")
            .into_iter()
            .find(|d| d.code == "WELCOME10")
            .map(|d| d.used_count);
        assert_eq!(used, Some(1), "[{l}] redeemed once");
        let err = failure(
            env.carts.mark_completed(&cart.id, "ord_b").await,
            l,
            "other order",
        );
        assert!(
            matches!(&err, CartError::CartCompleted { order_id } if order_id == "ord_a"),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test]
async fn a_change_moves_an_expiry_that_lags_more_than_a_day() {
    for env in envs().await {
        let l = env.label;
        let day = 24 * 60 * 60 * 1000;
        let cart = env.eu_cart().await;
        let set_expiry = |at: i64| {
            let db = env.carts.database().clone();
            let id = cart.id.clone();
            async move {
                sqlx::query("UPDATE carts SET expires_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(db.pool())
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] set expiry: {e}"));
            }
        };
        // Within a day of the full 30: left alone (no index write on every change).
        let recent = now_ms() + 29 * day + day / 2;
        set_expiry(recent).await;
        let seen = env.add(&cart.id, MUG, 1).await;
        assert_eq!(seen.expires_at, recent, "[{l}] a small lag stays");

        // Lagging by more: moved back to 30 days from now.
        let stale = now_ms() + 10 * day;
        set_expiry(stale).await;
        let before = now_ms();
        let seen = env.add(&cart.id, MUG, 1).await;
        assert!(
            seen.expires_at >= before + 30 * day,
            "[{l}] expiry moved: {} < {}",
            seen.expires_at,
            before + 30 * day
        );
        assert_eq!(
            env.carts
                .purge_idle(now_ms() + 20 * day)
                .await
                .must(l, "purge"),
            0,
            "[{l}] the moved expiry is stored"
        );
    }
}

#[tokio::test]
async fn idle_open_carts_are_purged_after_thirty_days_and_completed_ones_are_kept() {
    for env in envs().await {
        let l = env.label;
        let idle = env.eu_cart().await;
        env.add(&idle.id, MUG, 1).await;
        let done = env.eu_cart().await;
        env.add(&done.id, MUG, 1).await;
        env.carts
            .mark_completed(&done.id, "ord_x")
            .await
            .must(l, "complete");

        let day = 24 * 60 * 60 * 1000;
        assert_eq!(
            env.carts
                .purge_idle(now_ms() + 29 * day)
                .await
                .must(l, "purge"),
            0,
            "[{l}] 29 days"
        );
        assert_eq!(
            env.carts
                .purge_idle(now_ms() + 31 * day)
                .await
                .must(l, "purge"),
            1,
            "[{l}] 31 days"
        );
        let err = failure(env.carts.cart(&idle.id).await, l, "purged cart");
        assert!(
            matches!(err, CartError::CartNotFound { .. }),
            "[{l}] {err:?}"
        );
        env.carts
            .cart(&done.id)
            .await
            .must(l, "completed cart kept");
    }
}

#[tokio::test]
async fn the_cart_view_serialises_times_as_rfc3339_and_currencies_as_codes() {
    for env in envs().await {
        let l = env.label;
        let cart = env.eu_cart().await;
        let cart = env.add(&cart.id, MUG, 1).await;
        let json = serde_json::to_value(&cart).unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(json["currency"], "EUR", "[{l}]");
        assert_eq!(json["region"]["currency"], "EUR", "[{l}]");
        assert!(
            json["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "[{l}] {json}"
        );
        assert_eq!(json["totals"]["subtotal"], 1200, "[{l}]");
        assert_eq!(json["discount"], serde_json::Value::Null, "[{l}]");
    }
}
