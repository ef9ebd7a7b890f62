//! What every checkout behaviour suite shares. Every scenario runs on a fresh SQLite
//! file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL
//! database too. The cart, inventory and payment services are honest in-memory fakes:
//! the stock fake reserves all-or-nothing under one lock and never goes negative, the
//! payment fake is idempotent per order like the real one and records every call.

// Each suite uses its own part of this module.
#![allow(dead_code)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use emporium_checkout::{
    Address, CartSnapshot, CartSource, Checkout, CheckoutConfig, Email, Order,
    PaymentEventsConsumer, PaymentInfo, PaymentRequest, PaymentSessions, PlaceOrder, RefundInfo,
    ReserveError, SnapshotLine, SourceError, StockReservations, Totals,
};
use emporium_kernel::{
    db::{
        testing::{self, TestDatabase},
        Conn, Database,
    },
    events::{self, Dispatcher, EventBus},
    id::{id_from_parts, CartId, CustomerId, OrderId, ProductId, VariantId},
    money::Currency,
};
use serde_json::Value;

// ----- fakes -----

#[derive(Default)]
pub struct FakeCarts {
    pub carts: Mutex<HashMap<String, CartSnapshot>>,
    pub completed: Mutex<HashMap<String, String>>,
    /// Codes counted, in order (the real cart counts them in checkout's write).
    pub redeemed: Mutex<Vec<String>>,
    /// (cart, order, code) given back by unpaid cancellations.
    pub released: Mutex<Vec<(String, String, Option<String>)>>,
}

#[async_trait]
impl CartSource for FakeCarts {
    async fn checkout_snapshot(
        &self,
        cart_id: &CartId,
        customer: Option<&CustomerId>,
    ) -> Result<CartSnapshot, SourceError> {
        if let Some(order) = self.completed.lock().expect("lock").get(cart_id.as_str()) {
            return Err(format!("cart {cart_id} is completed (order {order})").into());
        }
        // Like the cart service: a customer's cart is not found by anyone else.
        self.carts
            .lock()
            .expect("lock")
            .get(cart_id.as_str())
            .filter(|s| s.customer_id.is_none() || s.customer_id.as_ref() == customer)
            .cloned()
            .ok_or_else(|| format!("no cart {cart_id}").into())
    }

    async fn mark_completed(
        &self,
        cart_id: &CartId,
        order_id: &OrderId,
    ) -> Result<(), SourceError> {
        self.completed
            .lock()
            .expect("lock")
            .insert(cart_id.to_string(), order_id.to_string());
        Ok(())
    }

    async fn redeem_discount(&self, _conn: &mut Conn<'_>, code: &str) -> Result<(), SourceError> {
        self.redeemed.lock().expect("lock").push(code.to_owned());
        Ok(())
    }

    async fn release_order(
        &self,
        _conn: &mut Conn<'_>,
        cart_id: &CartId,
        order_id: &OrderId,
        code: Option<&str>,
    ) -> Result<(), SourceError> {
        let mut completed = self.completed.lock().expect("lock");
        if completed.get(cart_id.as_str()) == Some(&order_id.to_string()) {
            completed.remove(cart_id.as_str());
        }
        self.released.lock().expect("lock").push((
            cart_id.to_string(),
            order_id.to_string(),
            code.map(str::to_owned),
        ));
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResState {
    Active,
    Released,
    Expired,
    Committed,
}

#[derive(Default)]
pub struct StockState {
    /// `reserve` never answers, as if the process died while asking.
    pub stalled: bool,
    pub available: HashMap<String, i64>,
    pub reservations: HashMap<String, (Vec<(String, i64)>, ResState)>,
    pub next: usize,
    pub commit_calls: usize,
    pub release_calls: usize,
    pub restocks: Vec<(String, Vec<(String, i64)>)>,
}

#[derive(Default)]
pub struct FakeStock {
    pub state: Mutex<StockState>,
}

impl FakeStock {
    pub fn stall(&self, stalled: bool) {
        self.state.lock().expect("lock").stalled = stalled;
    }

    pub fn set(&self, variant: &str, quantity: i64) {
        self.state
            .lock()
            .expect("lock")
            .available
            .insert(variant.to_owned(), quantity);
    }

    pub fn available(&self, variant: &str) -> i64 {
        self.state
            .lock()
            .expect("lock")
            .available
            .get(variant)
            .copied()
            .unwrap_or(0)
    }

    pub fn reservation_state(&self, id: &str) -> Option<ResState> {
        self.state
            .lock()
            .expect("lock")
            .reservations
            .get(id)
            .map(|r| r.1)
    }

    /// What the inventory's expiry job does: the stock goes back.
    pub fn expire(&self, id: &str) {
        let mut s = self.state.lock().expect("lock");
        let lines = match s.reservations.get_mut(id) {
            Some((lines, state)) if *state == ResState::Active => {
                *state = ResState::Expired;
                lines.clone()
            }
            _ => return,
        };
        for (v, q) in lines {
            *s.available.entry(v).or_default() += q;
        }
    }

    fn take(s: &mut StockState, lines: &[(String, i64)]) -> Result<(), ReserveError> {
        for (v, q) in lines {
            let have = s.available.get(v).copied().unwrap_or(0);
            if have < *q {
                return Err(ReserveError::OutOfStock {
                    variant_id: v.clone(),
                    requested: *q,
                    available: have,
                });
            }
        }
        for (v, q) in lines {
            *s.available.entry(v.clone()).or_default() -= q;
        }
        Ok(())
    }
}

/// The fake keeps its stock by the ids' text, as the suites name variants.
fn by_name(lines: &[(VariantId, i64)]) -> Vec<(String, i64)> {
    lines.iter().map(|(v, q)| (v.to_string(), *q)).collect()
}

#[async_trait]
impl StockReservations for FakeStock {
    async fn reserve(
        &self,
        _order_id: &OrderId,
        lines: &[(VariantId, i64)],
        _ttl: Duration,
    ) -> Result<String, ReserveError> {
        let lines = &by_name(lines);
        if self.state.lock().expect("lock").stalled {
            std::future::pending::<()>().await;
        }
        let mut s = self.state.lock().expect("lock");
        Self::take(&mut s, lines)?;
        s.next += 1;
        let id = format!("res_{}", s.next);
        s.reservations
            .insert(id.clone(), (lines.to_vec(), ResState::Active));
        Ok(id)
    }

    async fn commit(&self, reservation_id: &str) -> Result<(), ReserveError> {
        let mut s = self.state.lock().expect("lock");
        s.commit_calls += 1;
        let Some((lines, state)) = s.reservations.get(reservation_id).cloned() else {
            return Err(ReserveError::Other("unknown reservation".into()));
        };
        match state {
            ResState::Active | ResState::Committed => {}
            ResState::Released | ResState::Expired => {
                Self::take(&mut s, &lines).map_err(|_| ReserveError::Lapsed)?
            }
        }
        if let Some(r) = s.reservations.get_mut(reservation_id) {
            r.1 = ResState::Committed;
        }
        Ok(())
    }

    async fn release(&self, reservation_id: &str) -> Result<(), SourceError> {
        let mut s = self.state.lock().expect("lock");
        s.release_calls += 1;
        let lines = match s.reservations.get_mut(reservation_id) {
            Some((lines, state)) if *state == ResState::Active => {
                *state = ResState::Released;
                lines.clone()
            }
            _ => return Ok(()),
        };
        for (v, q) in lines {
            *s.available.entry(v).or_default() += q;
        }
        Ok(())
    }

    async fn restock(
        &self,
        order_id: &OrderId,
        lines: &[(VariantId, i64)],
        _reason: &str,
    ) -> Result<(), SourceError> {
        let lines = &by_name(lines);
        let mut s = self.state.lock().expect("lock");
        for (v, q) in lines {
            *s.available.entry(v.clone()).or_default() += q;
        }
        s.restocks.push((order_id.to_string(), lines.to_vec()));
        Ok(())
    }
}

#[derive(Default)]
pub struct PaymentState {
    pub fail_create: bool,
    pub creates: Vec<PaymentRequest>,
    pub cancels: Vec<String>,
    pub refunds: Vec<(String, i64, String)>,
    pub refunded: HashMap<String, i64>,
    pub refund_by_key: HashMap<String, RefundInfo>,
}

#[derive(Default)]
pub struct FakePayments {
    pub state: Mutex<PaymentState>,
}

impl FakePayments {
    pub fn fail(&self, fail: bool) {
        self.state.lock().expect("lock").fail_create = fail;
    }
    pub fn creates(&self) -> usize {
        self.state.lock().expect("lock").creates.len()
    }
}

pub fn payment_id_for(order_id: &str) -> String {
    format!("pay_for_{order_id}")
}

#[async_trait]
impl PaymentSessions for FakePayments {
    async fn create(&self, req: &PaymentRequest) -> Result<PaymentInfo, SourceError> {
        let mut s = self.state.lock().expect("lock");
        s.creates.push(req.clone());
        if s.fail_create {
            return Err("provider unreachable".into());
        }
        Ok(PaymentInfo {
            payment_id: payment_id_for(req.order_id.as_str()),
            provider: req.provider.clone(),
            status: "pending".into(),
            client_secret: Some(format!("secret_{}", req.order_id)),
        })
    }

    async fn cancel(&self, order_id: &OrderId) -> Result<(), SourceError> {
        self.state
            .lock()
            .expect("lock")
            .cancels
            .push(order_id.to_string());
        Ok(())
    }

    async fn refund(
        &self,
        order_id: &OrderId,
        amount: i64,
        _reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<RefundInfo, SourceError> {
        let mut s = self.state.lock().expect("lock");
        if let Some(done) = s.refund_by_key.get(idempotency_key) {
            return Ok(done.clone());
        }
        s.refunds
            .push((order_id.to_string(), amount, idempotency_key.to_owned()));
        let total = s.refunded.entry(order_id.to_string()).or_default();
        *total += amount;
        let info = RefundInfo {
            refund_id: format!("re_{}", s.refunds.len()),
            amount,
            amount_refunded_total: *s.refunded.get(order_id.as_str()).unwrap_or(&0),
        };
        s.refund_by_key
            .insert(idempotency_key.to_owned(), info.clone());
        Ok(info)
    }
}

// ----- environment -----

pub struct Env {
    pub label: &'static str,
    pub checkout: Checkout,
    pub db: Database,
    pub bus: EventBus,
    pub carts: Arc<FakeCarts>,
    pub stock: Arc<FakeStock>,
    pub payments: Arc<FakePayments>,
    _db: TestDatabase,
}

pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for test_db in testing::databases().await {
        let carts = Arc::new(FakeCarts::default());
        let stock = Arc::new(FakeStock::default());
        let payments = Arc::new(FakePayments::default());
        let bus = EventBus::new();
        let checkout = Checkout::new(
            test_db.db.clone(),
            bus.clone(),
            carts.clone(),
            stock.clone(),
            payments.clone(),
            CheckoutConfig {
                payment_methods: vec!["manual".to_owned(), "stripe".to_owned()],
                ..CheckoutConfig::default()
            },
        );
        checkout
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("[{}] migrate: {e}", test_db.label));
        stock.set("var_000000000000000000000shirt", 10);
        stock.set("var_000000000000000000000socks", 10);
        out.push(Env {
            label: test_db.label,
            checkout,
            db: test_db.db.clone(),
            bus,
            carts,
            stock,
            payments,
            _db: test_db,
        });
    }
    out
}

pub fn address() -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "1 Main St".into(),
        line2: None,
        city: "Berlin".into(),
        postal_code: "10115".into(),
        country: "DE".into(),
        phone: None,
    }
}

/// The cart a test calls `name` (`cart_a`): a real-shaped id, the same on every call, so
/// the suites can keep naming their carts.
pub fn cart_id(name: &str) -> CartId {
    // FNV-1a: a stable spread of the name over the id's random part.
    let random = name.bytes().fold(0xcbf2_9ce4_8422_2325_u128, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    CartId::parse(&id_from_parts("cart", 1, random & ((1 << 80) - 1)))
        .expect("a well-formed cart id")
}

/// The variants of [`Env::cart`], real-shaped as checkout only carries parsed ids.
pub const SHIRT: &str = "var_000000000000000000000shirt";
pub const SOCKS: &str = "var_000000000000000000000socks";

impl Env {
    /// A cart with 2 shirts (45.00) and 1 pair of socks (10.00), shipping 4.95.
    pub fn cart(&self, name: &str, email: &str) -> String {
        let cart_id = cart_id(name);
        let lines = vec![
            SnapshotLine {
                variant_id: VariantId::parse(SHIRT).expect("a well-formed variant id"),
                product_id: ProductId::parse(&format!("prod_{:0>26}", "shirt"))
                    .expect("a well-formed product id"),
                title: "Linen Shirt".into(),
                variant_title: "M / Blue".into(),
                sku: "LS-M-BLU".into(),
                quantity: 2,
                unit_price: 4500,
                line_total: 9000,
            },
            SnapshotLine {
                variant_id: VariantId::parse(SOCKS).expect("a well-formed variant id"),
                product_id: ProductId::parse(&format!("prod_{:0>26}", "socks"))
                    .expect("a well-formed product id"),
                title: "Wool Socks".into(),
                variant_title: "One size".into(),
                sku: "WS-1".into(),
                quantity: 1,
                unit_price: 1000,
                line_total: 1000,
            },
        ];
        let snapshot = CartSnapshot {
            cart_id: cart_id.clone(),
            customer_id: None,
            currency: Currency::EUR,
            region_id: "reg_eu".into(),
            email: Email::parse("email", email).unwrap_or_else(|e| panic!("{e}")),
            shipping_address: address(),
            billing_address: address(),
            shipping_option_id: "ship_std".into(),
            shipping_method_name: "Standard".into(),
            payment_method: "manual".into(),
            discount_code: None,
            tax_inclusive: true,
            lines,
            totals: Totals {
                subtotal: 10000,
                discount_total: 0,
                shipping_total: 495,
                tax_total: 1676,
                total: 10495,
            },
        };
        self.carts
            .carts
            .lock()
            .expect("lock")
            .insert(cart_id.to_string(), snapshot);
        name.to_owned()
    }

    /// Makes the cart `name` (see [`Env::cart`]) `customer`'s.
    pub fn own_cart(&self, name: &str, customer: &CustomerId) {
        if let Some(snapshot) = self
            .carts
            .carts
            .lock()
            .expect("lock")
            .get_mut(cart_id(name).as_str())
        {
            snapshot.customer_id = Some(customer.clone());
        }
    }

    pub fn request(&self, name: &str, key: &str) -> PlaceOrder {
        PlaceOrder {
            cart_id: cart_id(name),
            customer_id: None,
            idempotency_key: key.into(),
            request_hash: "hash-of-empty-body".into(),
            request_id: Some("req_test".into()),
        }
    }

    /// A placed order for a new cart.
    pub async fn placed(&self, cart_id: &str) -> Order {
        self.cart(cart_id, "ada@example.com");
        self.checkout
            .place_order(self.request(cart_id, &format!("key-{cart_id}")))
            .await
            .unwrap_or_else(|e| panic!("[{}] place {cart_id}: {e}", self.label))
            .order
    }

    pub async fn paid(&self, cart_id: &str) -> Order {
        let order = self.placed(cart_id).await;
        self.checkout
            .mark_paid(&order.id, &payment_id_for(order.id.as_str()))
            .await
            .unwrap_or_else(|e| panic!("[{}] mark_paid: {e}", self.label))
    }

    pub async fn topics(&self, order_id: &str) -> Vec<String> {
        events::events_for(&self.db, order_id)
            .await
            .unwrap_or_else(|e| panic!("[{}] events: {e}", self.label))
            .into_iter()
            .map(|e| e.topic)
            .collect()
    }

    pub async fn payload(&self, order_id: &str, topic: &str) -> Value {
        let all = events::events_for(&self.db, order_id)
            .await
            .expect("events");
        let event = all
            .iter()
            .rev()
            .find(|e| e.topic == topic)
            .unwrap_or_else(|| panic!("[{}] no {topic} event", self.label));
        serde_json::from_str(&event.payload).expect("JSON payload")
    }

    pub async fn dispatch(&self) {
        Dispatcher::new(self.db.clone(), self.bus.clone())
            .register(PaymentEventsConsumer::new(self.checkout.clone()))
            .run_until_idle()
            .await
            .unwrap_or_else(|e| panic!("[{}] dispatch: {e}", self.label));
    }

    /// Appends an event as another service would, in a write of its own.
    pub async fn publish(&self, topic: &str, aggregate: &str, payload: Value) {
        let (topic, aggregate) = (topic.to_owned(), aggregate.to_owned());
        self.db
            .write(async move |conn| events::append(conn, &topic, &aggregate, &payload, None).await)
            .await
            .unwrap_or_else(|e| panic!("[{}] append: {e}", self.label));
    }
}
