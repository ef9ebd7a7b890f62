//! Behaviour of checkout against real databases: every scenario runs on a fresh SQLite
//! file and, when `TEST_POSTGRES_URL` is set (or `CI=true`), on a fresh PostgreSQL
//! database too. The cart, inventory and payment services are honest in-memory fakes:
//! the stock fake reserves all-or-nothing under one lock and never goes negative, the
//! payment fake is idempotent per order like the real one and records every call.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use emporium_checkout::{
    Address, CartSnapshot, CartSource, Checkout, CheckoutConfig, CheckoutError, Fulfilment, Order,
    OrderQuery, OrderStatus, PaymentEventsConsumer, PaymentInfo, PaymentRequest, PaymentSessions,
    PlaceOrder, RefundInfo, ReserveError, SnapshotLine, SourceError, StockReservations, Totals,
};
use emporium_kernel::{
    db::{
        testing::{self, TestDatabase},
        Database,
    },
    events::{self, Dispatcher, EventBus},
    money::Currency,
};
use serde_json::{json, Value};

// ----- fakes -----

#[derive(Default)]
struct FakeCarts {
    carts: Mutex<HashMap<String, CartSnapshot>>,
    completed: Mutex<HashMap<String, String>>,
}

#[async_trait]
impl CartSource for FakeCarts {
    async fn checkout_snapshot(&self, cart_id: &str) -> Result<CartSnapshot, SourceError> {
        if let Some(order) = self.completed.lock().expect("lock").get(cart_id) {
            return Err(format!("cart {cart_id} is completed (order {order})").into());
        }
        self.carts
            .lock()
            .expect("lock")
            .get(cart_id)
            .cloned()
            .ok_or_else(|| format!("no cart {cart_id}").into())
    }

    async fn mark_completed(&self, cart_id: &str, order_id: &str) -> Result<(), SourceError> {
        self.completed
            .lock()
            .expect("lock")
            .insert(cart_id.to_owned(), order_id.to_owned());
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResState {
    Active,
    Released,
    Expired,
    Committed,
}

#[derive(Default)]
struct StockState {
    /// `reserve` never answers, as if the process died while asking.
    stalled: bool,
    available: HashMap<String, i64>,
    reservations: HashMap<String, (Vec<(String, i64)>, ResState)>,
    next: usize,
    commit_calls: usize,
    release_calls: usize,
    restocks: Vec<(String, Vec<(String, i64)>)>,
}

#[derive(Default)]
struct FakeStock {
    state: Mutex<StockState>,
}

impl FakeStock {
    fn stall(&self, stalled: bool) {
        self.state.lock().expect("lock").stalled = stalled;
    }

    fn set(&self, variant: &str, quantity: i64) {
        self.state
            .lock()
            .expect("lock")
            .available
            .insert(variant.to_owned(), quantity);
    }

    fn available(&self, variant: &str) -> i64 {
        self.state
            .lock()
            .expect("lock")
            .available
            .get(variant)
            .copied()
            .unwrap_or(0)
    }

    fn reservation_state(&self, id: &str) -> Option<ResState> {
        self.state
            .lock()
            .expect("lock")
            .reservations
            .get(id)
            .map(|r| r.1)
    }

    /// What the inventory's expiry job does: the stock goes back.
    fn expire(&self, id: &str) {
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

#[async_trait]
impl StockReservations for FakeStock {
    async fn reserve(
        &self,
        _reference: &str,
        lines: &[(String, i64)],
        _ttl: Duration,
    ) -> Result<String, ReserveError> {
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
        reference: &str,
        lines: &[(String, i64)],
        _reason: &str,
    ) -> Result<(), SourceError> {
        let mut s = self.state.lock().expect("lock");
        for (v, q) in lines {
            *s.available.entry(v.clone()).or_default() += q;
        }
        s.restocks.push((reference.to_owned(), lines.to_vec()));
        Ok(())
    }
}

#[derive(Default)]
struct PaymentState {
    fail_create: bool,
    creates: Vec<PaymentRequest>,
    cancels: Vec<String>,
    refunds: Vec<(String, i64, String)>,
    refunded: HashMap<String, i64>,
    refund_by_key: HashMap<String, RefundInfo>,
}

#[derive(Default)]
struct FakePayments {
    state: Mutex<PaymentState>,
}

impl FakePayments {
    fn fail(&self, fail: bool) {
        self.state.lock().expect("lock").fail_create = fail;
    }
    fn creates(&self) -> usize {
        self.state.lock().expect("lock").creates.len()
    }
}

fn payment_id_for(order_id: &str) -> String {
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
            payment_id: payment_id_for(&req.order_id),
            provider: req.provider.clone(),
            status: "pending".into(),
            client_secret: Some(format!("secret_{}", req.order_id)),
        })
    }

    async fn cancel(&self, order_id: &str) -> Result<(), SourceError> {
        self.state
            .lock()
            .expect("lock")
            .cancels
            .push(order_id.to_owned());
        Ok(())
    }

    async fn refund(
        &self,
        order_id: &str,
        amount: i64,
        _reason: Option<&str>,
        idempotency_key: &str,
    ) -> Result<RefundInfo, SourceError> {
        let mut s = self.state.lock().expect("lock");
        if let Some(done) = s.refund_by_key.get(idempotency_key) {
            return Ok(done.clone());
        }
        s.refunds
            .push((order_id.to_owned(), amount, idempotency_key.to_owned()));
        let total = s.refunded.entry(order_id.to_owned()).or_default();
        *total += amount;
        let info = RefundInfo {
            refund_id: format!("re_{}", s.refunds.len()),
            amount,
            amount_refunded_total: *s.refunded.get(order_id).unwrap_or(&0),
        };
        s.refund_by_key
            .insert(idempotency_key.to_owned(), info.clone());
        Ok(info)
    }
}

// ----- environment -----

struct Env {
    label: &'static str,
    checkout: Checkout,
    db: Database,
    bus: EventBus,
    carts: Arc<FakeCarts>,
    stock: Arc<FakeStock>,
    payments: Arc<FakePayments>,
    _db: TestDatabase,
}

async fn envs() -> Vec<Env> {
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
            CheckoutConfig::default(),
        );
        checkout
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("[{}] migrate: {e}", test_db.label));
        stock.set("var_shirt", 10);
        stock.set("var_socks", 10);
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

fn address() -> Address {
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

impl Env {
    /// A cart with 2 shirts (45.00) and 1 pair of socks (10.00), shipping 4.95.
    fn cart(&self, cart_id: &str, email: &str) -> String {
        let lines = vec![
            SnapshotLine {
                variant_id: "var_shirt".into(),
                product_id: "prod_shirt".into(),
                title: "Linen Shirt".into(),
                variant_title: "M / Blue".into(),
                sku: "LS-M-BLU".into(),
                quantity: 2,
                unit_price: 4500,
                line_total: 9000,
            },
            SnapshotLine {
                variant_id: "var_socks".into(),
                product_id: "prod_socks".into(),
                title: "Wool Socks".into(),
                variant_title: "One size".into(),
                sku: "WS-1".into(),
                quantity: 1,
                unit_price: 1000,
                line_total: 1000,
            },
        ];
        let snapshot = CartSnapshot {
            cart_id: cart_id.into(),
            currency: Currency::EUR,
            region_id: "reg_eu".into(),
            email: email.into(),
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
            .insert(cart_id.into(), snapshot);
        cart_id.to_owned()
    }

    fn request(&self, cart_id: &str, key: &str) -> PlaceOrder {
        PlaceOrder {
            cart_id: cart_id.into(),
            idempotency_key: key.into(),
            request_hash: "hash-of-empty-body".into(),
            request_id: Some("req_test".into()),
        }
    }

    /// A placed order for a new cart.
    async fn placed(&self, cart_id: &str) -> Order {
        self.cart(cart_id, "ada@example.com");
        self.checkout
            .place_order(self.request(cart_id, &format!("key-{cart_id}")))
            .await
            .unwrap_or_else(|e| panic!("[{}] place {cart_id}: {e}", self.label))
            .order
    }

    async fn paid(&self, cart_id: &str) -> Order {
        let order = self.placed(cart_id).await;
        self.checkout
            .mark_paid(&order.id, &payment_id_for(&order.id))
            .await
            .unwrap_or_else(|e| panic!("[{}] mark_paid: {e}", self.label))
    }

    async fn topics(&self, order_id: &str) -> Vec<String> {
        events::events_for(&self.db, order_id)
            .await
            .unwrap_or_else(|e| panic!("[{}] events: {e}", self.label))
            .into_iter()
            .map(|e| e.topic)
            .collect()
    }

    async fn payload(&self, order_id: &str, topic: &str) -> Value {
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

    async fn dispatch(&self) {
        Dispatcher::new(self.db.clone(), self.bus.clone())
            .register(PaymentEventsConsumer::new(self.checkout.clone()))
            .run_until_idle()
            .await
            .unwrap_or_else(|e| panic!("[{}] dispatch: {e}", self.label));
    }

    async fn publish(&self, topic: &str, aggregate: &str, payload: Value) {
        let mut conn = self.db.pool().acquire().await.expect("connection");
        events::append(&mut conn, topic, aggregate, &payload, None)
            .await
            .expect("append");
    }
}

// ----- placement -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placing_orders_creates_pending_payment_orders_numbered_from_1001() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        let order = &placed.order;
        assert!(!placed.replayed, "[{l}]");
        assert_eq!(order.number, "1001", "[{l}]");
        assert_eq!(order.status, OrderStatus::PendingPayment, "[{l}]");
        assert_eq!(order.total, 10495, "[{l}]");
        assert_eq!(order.lines.len(), 2, "[{l}]");
        assert_eq!(order.lines[0].sku, "LS-M-BLU", "[{l}]");
        assert_eq!(order.shipping_address, address(), "[{l}]");
        assert!(order.reservation_id.is_some(), "[{l}] reservation recorded");
        assert_eq!(order.payment_id, Some(payment_id_for(&order.id)), "[{l}]");
        let payment = placed.payment.as_ref().expect("payment session");
        assert_eq!(
            payment.client_secret,
            Some(format!("secret_{}", order.id)),
            "[{l}]"
        );
        assert_eq!(
            env.stock.available("var_shirt"),
            8,
            "[{l}] 2 shirts reserved"
        );
        assert_eq!(
            env.carts.completed.lock().expect("lock").get("cart_a"),
            Some(&order.id),
            "[{l}] cart completed"
        );
        let request = env.payments.state.lock().expect("lock").creates[0].clone();
        assert_eq!(
            (request.amount, request.currency),
            (10495, Currency::EUR),
            "[{l}]"
        );
        assert_eq!(request.order_number, "1001", "[{l}]");
        // 32 random bytes, URL-safe base64 without padding.
        assert_eq!(order.access_token.len(), 43, "[{l}]");

        let second = env.placed("cart_b").await;
        assert_eq!(second.number, "1002", "[{l}]");
        assert_ne!(second.access_token, order.access_token, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_placed_event_carries_the_documented_payload() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        assert_eq!(env.topics(&order.id).await, ["order.placed"], "[{l}]");
        let p = env.payload(&order.id, "order.placed").await;
        let o = &p["order"];
        assert_eq!(o["id"], json!(order.id), "[{l}]");
        assert_eq!(o["number"], json!("1001"), "[{l}]");
        assert_eq!(o["email"], json!("ada@example.com"), "[{l}]");
        assert_eq!(o["status"], json!("pending_payment"), "[{l}]");
        assert_eq!(o["currency"], json!("EUR"), "[{l}]");
        assert_eq!(o["locale"], json!("en"), "[{l}]");
        assert_eq!(
            o["lines"][0],
            json!({"title": "Linen Shirt", "variant_title": "M / Blue", "sku": "LS-M-BLU",
                   "quantity": 2, "unit_price": 4500, "line_total": 9000}),
            "[{l}]"
        );
        for (field, value) in [
            ("subtotal", 10000),
            ("discount_total", 0),
            ("shipping_total", 495),
            ("tax_total", 1676),
            ("total", 10495),
        ] {
            assert_eq!(o[field], json!(value), "[{l}] {field}");
        }
        assert_eq!(o["tax_inclusive"], json!(true), "[{l}]");
        assert_eq!(
            o["shipping_address"],
            json!({"name": "Ada Lovelace", "line1": "1 Main St", "line2": null, "city": "Berlin",
                   "postal_code": "10115", "country": "DE", "phone": null}),
            "[{l}]"
        );
        assert_eq!(o["shipping_method"], json!("Standard"), "[{l}]");
        assert_eq!(o["payment_provider"], json!("manual"), "[{l}]");
        assert_eq!(o["access_token"], json!(order.access_token), "[{l}]");
        assert!(
            o["created_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "[{l}]"
        );
        for absent in ["fulfillment", "refund", "reason"] {
            assert!(p.get(absent).is_none(), "[{l}] {absent} only on its topic");
        }
        let stored = events::events_for(&env.db, &order.id)
            .await
            .expect("events");
        assert_eq!(stored[0].request_id.as_deref(), Some("req_test"), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_key_with_the_same_body_returns_the_same_order_and_opens_one_payment() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        let first = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect("first");
        let again = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] replay: {e}"));
        assert!(again.replayed, "[{l}]");
        assert_eq!(again.order.id, first.order.id, "[{l}]");
        assert_eq!(
            again.payment, first.payment,
            "[{l}] the same payment session"
        );
        assert_eq!(env.payments.creates(), 1, "[{l}] payments.create once");
        assert_eq!(env.stock.available("var_shirt"), 8, "[{l}] reserved once");
        assert_eq!(env.topics(&first.order.id).await.len(), 1, "[{l}]");

        // The replay shows the current state.
        env.checkout
            .mark_paid(&first.order.id, &payment_id_for(&first.order.id))
            .await
            .expect("paid");
        let later = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect("replay");
        assert_eq!(later.order.status, OrderStatus::Paid, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_key_with_another_body_is_refused() {
    for env in envs().await {
        let l = env.label;
        env.placed("cart_a").await;
        let mut other = env.request("cart_a", "key-cart_a");
        other.request_hash = "another body".into();
        let err = env.checkout.place_order(other).await.expect_err("refused");
        assert!(
            matches!(err, CheckoutError::IdempotencyKeyReused),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_must_be_visible_ascii_of_at_most_255_characters() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        for key in ["", "has space", "ünïcode", &"k".repeat(256)] {
            let err = env
                .checkout
                .place_order(env.request("cart_a", key))
                .await
                .expect_err("refused");
            assert!(
                matches!(err, CheckoutError::InvalidIdempotencyKey),
                "[{l}] {key:?}: {err:?}"
            );
        }
        let ok = env
            .checkout
            .place_order(env.request("cart_a", &"k".repeat(255)))
            .await;
        assert!(ok.is_ok(), "[{l}] a 255-character key is fine: {ok:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_placements_with_one_key_make_one_order() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        let (a, b) = tokio::join!(
            env.checkout.place_order(env.request("cart_a", "key-a")),
            env.checkout.place_order(env.request("cart_a", "key-a")),
        );
        let a = a.unwrap_or_else(|e| panic!("[{l}] a: {e}"));
        let b = b.unwrap_or_else(|e| panic!("[{l}] b: {e}"));
        assert_eq!(a.order.id, b.order.id, "[{l}] one order");
        assert!(a.replayed != b.replayed, "[{l}] exactly one replay");
        assert_eq!(a.payment, b.payment, "[{l}]");
        assert_eq!(env.payments.creates(), 1, "[{l}]");
        let page = env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list");
        assert_eq!(page.items.len(), 1, "[{l}]");
        assert_eq!(env.stock.available("var_shirt"), 8, "[{l}]");
        // The loser's rolled-back number is given back.
        assert_eq!(env.placed("cart_b").await.number, "1002", "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_ordered_under_another_key_is_already_completed() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        // Even if the cart service had not recorded it yet, the orders table knows.
        env.carts.completed.lock().expect("lock").clear();
        let err = env
            .checkout
            .place_order(env.request("cart_a", "another-key"))
            .await
            .expect_err("completed");
        match err {
            CheckoutError::CartAlreadyCompleted { order_id } => {
                assert_eq!(order_id, order.id, "[{l}]")
            }
            other => panic!("[{l}] {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_stock_cancels_the_order_and_leaves_stock_untouched() {
    for env in envs().await {
        let l = env.label;
        env.stock.set("var_socks", 0);
        env.cart("cart_a", "ada@example.com");
        let err = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect_err("out of stock");
        match &err {
            CheckoutError::OutOfStock {
                variant_id,
                requested,
                available,
            } => assert_eq!(
                (variant_id.as_str(), *requested, *available),
                ("var_socks", 1, 0),
                "[{l}]"
            ),
            other => panic!("[{l}] {other:?}"),
        }
        assert_eq!(
            env.stock.available("var_shirt"),
            10,
            "[{l}] nothing reserved"
        );
        assert_eq!(env.payments.creates(), 0, "[{l}] no payment opened");
        let page = env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list");
        let order = &page.items[0];
        assert_eq!(order.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            order.cancel_reason.as_deref(),
            Some("out_of_stock"),
            "[{l}]"
        );
        assert_eq!(
            env.topics(&order.id).await,
            ["order.placed", "order.cancelled"],
            "[{l}]"
        );
        assert_eq!(
            env.payload(&order.id, "order.cancelled").await["reason"],
            json!("out_of_stock"),
            "[{l}]"
        );
        assert!(
            env.carts.completed.lock().expect("lock").is_empty(),
            "[{l}] cart still open"
        );

        // The same request answers the same.
        let again = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect_err("same answer");
        assert!(
            matches!(again, CheckoutError::OutOfStock { .. }),
            "[{l}] {again:?}"
        );

        // After a restock the cart can be checked out with a new key.
        env.stock.set("var_socks", 5);
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-b"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] {e}"));
        assert_eq!(placed.order.status, OrderStatus::PendingPayment, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_session_failure_releases_the_reservation_and_cancels_the_order() {
    for env in envs().await {
        let l = env.label;
        env.payments.fail(true);
        env.cart("cart_a", "ada@example.com");
        let err = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .expect_err("payment down");
        assert!(
            matches!(err, CheckoutError::PaymentUnavailable(_)),
            "[{l}] {err:?}"
        );
        assert_eq!(env.stock.available("var_shirt"), 10, "[{l}] released");
        assert_eq!(
            env.stock.reservation_state("res_1"),
            Some(ResState::Released),
            "[{l}]"
        );
        let failed = &env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list")
            .items[0];
        assert_eq!(failed.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            failed.cancel_reason.as_deref(),
            Some("payment_unavailable"),
            "[{l}]"
        );
        assert!(
            env.carts.completed.lock().expect("lock").is_empty(),
            "[{l}]"
        );

        // The client's retry with the same key starts over once the provider is back.
        env.payments.fail(false);
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] retry: {e}"));
        assert!(!placed.replayed, "[{l}]");
        assert_ne!(placed.order.id, failed.id, "[{l}]");
        assert_eq!(placed.order.status, OrderStatus::PendingPayment, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_interrupted_before_reserving_is_cancelled_and_its_key_places_again() {
    for env in envs().await {
        let l = env.label;
        env.cart("cart_a", "ada@example.com");
        env.stock.stall(true);
        let checkout = env.checkout.clone();
        let request = env.request("cart_a", "key-a");
        let placing = tokio::spawn(async move { checkout.place_order(request).await });
        // Once the order is written, stop the placement where a crash would.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let order = loop {
            let page = env
                .checkout
                .list_orders(OrderQuery::default())
                .await
                .unwrap_or_else(|e| panic!("[{l}] list: {e}"));
            if let Some(order) = page.items.into_iter().next() {
                break order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{l}] no order written"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        placing.abort();
        let _ = placing.await;
        env.stock.stall(false);
        assert_eq!(order.status, OrderStatus::PendingPayment, "[{l}]");
        tokio::time::sleep(Duration::from_millis(5)).await;

        let recover = |age: Duration| {
            let checkout = env.checkout.clone();
            async move {
                checkout
                    .recover_interrupted_placements(age)
                    .await
                    .unwrap_or_else(|e| panic!("[{l}] recover: {e}"))
            }
        };
        assert_eq!(
            recover(Duration::from_secs(300)).await,
            0,
            "[{l}] a young order is left alone"
        );
        assert_eq!(recover(Duration::ZERO).await, 1, "[{l}]");
        let cancelled = env.checkout.order(&order.id).await.expect("order");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            cancelled.cancel_reason.as_deref(),
            Some("placement_interrupted"),
            "[{l}]"
        );
        assert!(
            env.topics(&order.id)
                .await
                .contains(&"order.cancelled".to_owned()),
            "[{l}]"
        );
        assert_eq!(recover(Duration::ZERO).await, 0, "[{l}] once");

        // The shopper's retry with the same key places the cart again.
        let placed = env
            .checkout
            .place_order(env.request("cart_a", "key-a"))
            .await
            .unwrap_or_else(|e| panic!("[{l}] retry: {e}"));
        assert!(!placed.replayed, "[{l}]");
        assert_ne!(placed.order.id, order.id, "[{l}]");
        assert_eq!(placed.order.status, OrderStatus::PendingPayment, "[{l}]");
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            recover(Duration::ZERO).await,
            0,
            "[{l}] an order that reserved its stock is not an interrupted one"
        );
    }
}

// ----- payments and reservations -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_an_order_paid_twice_commits_once_and_emits_one_paid_event() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let pay = payment_id_for(&order.id);
        let first = env.checkout.mark_paid(&order.id, &pay).await.expect("paid");
        assert_eq!(first.status, OrderStatus::Paid, "[{l}]");
        assert!(first.paid_at.is_some(), "[{l}]");
        let second = env
            .checkout
            .mark_paid(&order.id, &pay)
            .await
            .expect("again");
        assert_eq!(second.status, OrderStatus::Paid, "[{l}]");
        assert_eq!(
            env.stock.state.lock().expect("lock").commit_calls,
            1,
            "[{l}]"
        );
        let reservation = first.reservation_id.expect("reservation");
        assert_eq!(
            env.stock.reservation_state(&reservation),
            Some(ResState::Committed),
            "[{l}]"
        );
        let topics = env.topics(&order.id).await;
        assert_eq!(topics, ["order.placed", "order.paid"], "[{l}]");
        assert_eq!(
            env.payload(&order.id, "order.paid").await["order"]["status"],
            json!("paid"),
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_payment_cancels_a_pending_order_and_is_ignored_once_paid() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_a").await;
        let cancelled = env
            .checkout
            .payment_failed(&pending.id, "card_declined")
            .await
            .expect("failed");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            cancelled.cancel_reason.as_deref(),
            Some("payment_failed"),
            "[{l}]"
        );
        assert_eq!(env.stock.available("var_shirt"), 10, "[{l}] released");
        env.checkout
            .payment_failed(&pending.id, "card_declined")
            .await
            .expect("idempotent");
        assert_eq!(
            env.topics(&pending.id).await,
            ["order.placed", "order.cancelled"],
            "[{l}]"
        );

        let paid = env.paid("cart_b").await;
        let still = env
            .checkout
            .payment_failed(&paid.id, "late failure")
            .await
            .expect("ignored");
        assert_eq!(still.status, OrderStatus::Paid, "[{l}]");
        assert_eq!(
            env.topics(&paid.id).await,
            ["order.placed", "order.paid"],
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_reservation_cancels_the_order_and_a_late_payment_commits_it_again() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let reservation = order.reservation_id.clone().expect("reservation");
        env.stock.expire(&reservation);
        env.checkout
            .reservation_expired(&reservation, &order.id)
            .await
            .expect("expired");
        let cancelled = env.checkout.order(&order.id).await.expect("order");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(
            cancelled.cancel_reason.as_deref(),
            Some("reservation_expired"),
            "[{l}]"
        );
        assert_eq!(
            env.payments.state.lock().expect("lock").cancels,
            vec![order.id.clone()],
            "[{l}]"
        );

        // The stock is still there: the late payment takes it again.
        let paid = env
            .checkout
            .mark_paid(&order.id, &payment_id_for(&order.id))
            .await
            .expect("late payment");
        assert_eq!(paid.status, OrderStatus::Paid, "[{l}]");
        assert!(!paid.needs_attention, "[{l}]");
        assert_eq!(paid.cancel_reason, None, "[{l}]");
        assert_eq!(
            env.stock.available("var_shirt"),
            8,
            "[{l}] re-reserved and sold"
        );
        assert_eq!(
            env.topics(&order.id).await,
            ["order.placed", "order.cancelled", "order.paid"],
            "[{l}]"
        );

        // An expiry of a paid order's reservation changes nothing.
        env.checkout
            .reservation_expired(&reservation, &order.id)
            .await
            .expect("no-op");
        assert_eq!(
            env.checkout.order(&order.id).await.expect("order").status,
            OrderStatus::Paid,
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_payment_for_stock_that_is_gone_flags_the_order_for_attention() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let reservation = order.reservation_id.clone().expect("reservation");
        env.stock.expire(&reservation);
        env.checkout
            .reservation_expired(&reservation, &order.id)
            .await
            .expect("expired");
        env.stock.set("var_shirt", 0); // somebody else bought the shirts
        let pay = payment_id_for(&order.id);
        let flagged = env
            .checkout
            .mark_paid(&order.id, &pay)
            .await
            .expect("flagged");
        assert_eq!(flagged.status, OrderStatus::Cancelled, "[{l}]");
        assert!(flagged.needs_attention, "[{l}]");
        assert!(
            flagged
                .attention_note
                .as_deref()
                .is_some_and(|n| n.contains("refund")),
            "[{l}] {:?}",
            flagged.attention_note
        );
        assert_eq!(flagged.payment_id.as_deref(), Some(pay.as_str()), "[{l}]");
        // Still in the list, findable by the merchant.
        let page = env
            .checkout
            .list_orders(OrderQuery::default())
            .await
            .expect("list");
        assert!(
            page.items
                .iter()
                .any(|o| o.id == order.id && o.needs_attention),
            "[{l}]"
        );
        let again = env
            .checkout
            .mark_paid(&order.id, &pay)
            .await
            .expect("again");
        assert!(again.needs_attention, "[{l}]");
        assert!(
            !env.topics(&order.id)
                .await
                .contains(&"order.paid".to_owned()),
            "[{l}]"
        );
    }
}

// ----- admin -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fulfilment_and_delivery_move_a_paid_order_and_refuse_other_statuses() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_p").await;
        let shipment = || Fulfilment {
            carrier: "DHL".into(),
            tracking_number: "JD0123".into(),
            tracking_url: Some("https://dhl.example/JD0123".into()),
        };
        let err = env
            .checkout
            .fulfil_order(&pending.id, shipment())
            .await
            .expect_err("unpaid");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::PendingPayment,
                    action: "fulfil"
                }
            ),
            "[{l}] {err:?}"
        );
        let err = env
            .checkout
            .mark_delivered(&pending.id)
            .await
            .expect_err("unshipped");
        assert!(
            matches!(err, CheckoutError::InvalidTransition { .. }),
            "[{l}] {err:?}"
        );

        let paid = env.paid("cart_a").await;
        for (bad, field) in [
            (
                Fulfilment {
                    carrier: " ".into(),
                    ..shipment()
                },
                "carrier",
            ),
            (
                Fulfilment {
                    tracking_number: "".into(),
                    ..shipment()
                },
                "tracking_number",
            ),
            (
                Fulfilment {
                    tracking_url: Some("ftp://x".into()),
                    ..shipment()
                },
                "tracking_url",
            ),
        ] {
            match env.checkout.fulfil_order(&paid.id, bad).await {
                Err(CheckoutError::InvalidField { field: f, .. }) => assert_eq!(f, field, "[{l}]"),
                other => panic!("[{l}] {field}: {other:?}"),
            }
        }
        let fulfilled = env
            .checkout
            .fulfil_order(&paid.id, shipment())
            .await
            .expect("fulfil");
        assert_eq!(fulfilled.status, OrderStatus::Fulfilled, "[{l}]");
        assert_eq!(fulfilled.fulfillments.len(), 1, "[{l}]");
        assert_eq!(fulfilled.fulfillments[0].carrier, "DHL", "[{l}]");
        let p = env.payload(&paid.id, "order.fulfilled").await;
        assert_eq!(
            p["fulfillment"],
            json!({"carrier": "DHL", "tracking_number": "JD0123", "tracking_url": "https://dhl.example/JD0123"}),
            "[{l}]"
        );
        let err = env
            .checkout
            .fulfil_order(&paid.id, shipment())
            .await
            .expect_err("twice");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Fulfilled,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );

        let delivered = env
            .checkout
            .mark_delivered(&paid.id)
            .await
            .expect("delivered");
        assert_eq!(delivered.status, OrderStatus::Delivered, "[{l}]");
        assert_eq!(delivered.fulfillments.len(), 1, "[{l}]");
        assert_eq!(
            env.topics(&paid.id).await,
            [
                "order.placed",
                "order.paid",
                "order.fulfilled",
                "order.delivered"
            ],
            "[{l}]"
        );
        let err = env
            .checkout
            .cancel_order(&paid.id, "changed mind", "staff_1")
            .await
            .expect_err("delivered");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Delivered,
                    action: "cancel"
                }
            ),
            "[{l}] {err:?}"
        );
        let err = env
            .checkout
            .order("ord_missing")
            .await
            .expect_err("missing");
        assert!(matches!(err, CheckoutError::OrderNotFound), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_then_full_refunds_track_the_balance_and_overdrafts_are_refused() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_p").await;
        let err = env
            .checkout
            .refund_order(&pending.id, Some(100), None, "r-0")
            .await
            .expect_err("unpaid");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    action: "refund",
                    ..
                }
            ),
            "[{l}] {err:?}"
        );

        let order = env.paid("cart_a").await;
        let partial = env
            .checkout
            .refund_order(&order.id, Some(1000), Some("damaged"), "r-1")
            .await
            .expect("partial");
        assert_eq!(partial.status, OrderStatus::PartiallyRefunded, "[{l}]");
        assert_eq!(partial.refunded_total, 1000, "[{l}]");
        let p = env.payload(&order.id, "order.refunded").await;
        assert_eq!(
            p["refund"],
            json!({"amount": 1000, "total_refunded": 1000}),
            "[{l}]"
        );

        let err = env
            .checkout
            .refund_order(&order.id, Some(9496), None, "r-2")
            .await
            .expect_err("too much");
        assert!(
            matches!(err, CheckoutError::RefundExceedsBalance { available: 9495 }),
            "[{l}] {err:?}"
        );
        let err = env
            .checkout
            .refund_order(&order.id, Some(0), None, "r-2")
            .await
            .expect_err("zero");
        assert!(
            matches!(err, CheckoutError::InvalidField { ref field, .. } if field == "amount"),
            "[{l}] {err:?}"
        );

        let full = env
            .checkout
            .refund_order(&order.id, None, None, "r-3")
            .await
            .expect("rest");
        assert_eq!(full.status, OrderStatus::Refunded, "[{l}]");
        assert_eq!(full.refunded_total, 10495, "[{l}]");
        assert_eq!(
            env.payments.state.lock().expect("lock").refunds.len(),
            2,
            "[{l}]"
        );
        let err = env
            .checkout
            .refund_order(&order.id, None, None, "r-4")
            .await
            .expect_err("nothing left");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Refunded,
                    ..
                }
            ),
            "[{l}] {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_a_refund_twice_counts_it_once() {
    for env in envs().await {
        let l = env.label;
        let order = env.paid("cart_a").await;
        let fulfilled = env
            .checkout
            .fulfil_order(
                &order.id,
                Fulfilment {
                    carrier: "UPS".into(),
                    tracking_number: "1Z".into(),
                    tracking_url: None,
                },
            )
            .await
            .expect("fulfil");
        assert_eq!(fulfilled.status, OrderStatus::Fulfilled, "[{l}]");
        let once = env
            .checkout
            .apply_refund(&order.id, "re_dash", 500, 500)
            .await
            .expect("apply");
        let twice = env
            .checkout
            .apply_refund(&order.id, "re_dash", 500, 500)
            .await
            .expect("again");
        assert_eq!(once.refunded_total, 500, "[{l}]");
        assert_eq!(twice.refunded_total, 500, "[{l}]");
        assert_eq!(twice.status, OrderStatus::PartiallyRefunded, "[{l}]");
        assert_eq!(twice.fulfillments.len(), 1, "[{l}] fulfilment kept");
        let refunded = env
            .topics(&order.id)
            .await
            .iter()
            .filter(|t| *t == "order.refunded")
            .count();
        assert_eq!(refunded, 1, "[{l}]");
        // A report that arrives out of order never lowers the total.
        let later = env
            .checkout
            .apply_refund(&order.id, "re_old", 200, 200)
            .await
            .expect("old");
        assert_eq!(later.refunded_total, 500, "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_releases_unpaid_stock_and_refunds_and_restocks_paid_orders() {
    for env in envs().await {
        let l = env.label;
        let pending = env.placed("cart_p").await;
        let err = env
            .checkout
            .cancel_order(&pending.id, " ", "staff_1")
            .await
            .expect_err("reason");
        assert!(
            matches!(err, CheckoutError::InvalidField { ref field, .. } if field == "reason"),
            "[{l}]"
        );
        let cancelled = env
            .checkout
            .cancel_order(&pending.id, "customer asked", "staff_1")
            .await
            .expect("cancel");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(cancelled.cancelled_by.as_deref(), Some("staff_1"), "[{l}]");
        assert_eq!(env.stock.available("var_shirt"), 10, "[{l}] released");
        assert_eq!(
            env.payments.state.lock().expect("lock").cancels,
            vec![pending.id.clone()],
            "[{l}]"
        );
        assert!(
            env.payments.state.lock().expect("lock").refunds.is_empty(),
            "[{l}]"
        );

        let paid = env.paid("cart_a").await;
        assert_eq!(env.stock.available("var_shirt"), 8, "[{l}]");
        let cancelled = env
            .checkout
            .cancel_order(&paid.id, "fraud suspected", "staff_1")
            .await
            .expect("cancel paid");
        assert_eq!(cancelled.status, OrderStatus::Cancelled, "[{l}]");
        assert_eq!(cancelled.refunded_total, 10495, "[{l}]");
        assert_eq!(env.stock.available("var_shirt"), 10, "[{l}] restocked");
        let refunds = env.payments.state.lock().expect("lock").refunds.clone();
        assert_eq!(refunds.len(), 1, "[{l}]");
        assert_eq!(
            (refunds[0].0.as_str(), refunds[0].1),
            (paid.id.as_str(), 10495),
            "[{l}]"
        );
        assert_eq!(
            env.topics(&paid.id).await,
            [
                "order.placed",
                "order.paid",
                "order.refunded",
                "order.cancelled"
            ],
            "[{l}]"
        );
        let err = env
            .checkout
            .cancel_order(&paid.id, "again", "staff_1")
            .await
            .expect_err("twice");
        assert!(
            matches!(
                err,
                CheckoutError::InvalidTransition {
                    from: OrderStatus::Cancelled,
                    ..
                }
            ),
            "[{l}]"
        );
        // The payment service's own event for that refund changes nothing.
        let again = env
            .checkout
            .apply_refund(&paid.id, "re_1", 10495, 10495)
            .await
            .expect("dup");
        assert_eq!(again.status, OrderStatus::Cancelled, "[{l}]");
    }
}

// ----- the consumer -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_moves_orders_on_payment_and_reservation_events() {
    for env in envs().await {
        let l = env.label;
        let a = env.placed("cart_a").await;
        let b = env.placed("cart_b").await;
        let c = env.placed("cart_c").await;
        let pay_a = payment_id_for(&a.id);
        let succeeded = json!({"payment_id": pay_a, "order_id": a.id, "provider": "manual",
            "amount": 10495, "currency": "EUR", "provider_ref": null});
        env.publish("payment.succeeded", &pay_a, succeeded.clone())
            .await;
        env.publish("payment.succeeded", &pay_a, succeeded).await; // at least once
        env.publish(
            "payment.failed",
            &payment_id_for(&b.id),
            json!({"payment_id": payment_id_for(&b.id), "order_id": b.id, "provider": "manual",
                   "amount": 10495, "currency": "EUR", "reason": "card_declined"}),
        )
        .await;
        let reservation_c = c.reservation_id.clone().expect("reservation");
        env.stock.expire(&reservation_c);
        env.publish(
            "inventory.reservation_expired",
            &reservation_c,
            json!({"reservation_id": reservation_c, "reference": c.id,
                   "lines": [{"variant_id": "var_shirt", "quantity": 2}]}),
        )
        .await;
        env.dispatch().await;

        assert_eq!(
            env.checkout.order(&a.id).await.expect("a").status,
            OrderStatus::Paid,
            "[{l}]"
        );
        assert_eq!(
            env.stock.state.lock().expect("lock").commit_calls,
            1,
            "[{l}]"
        );
        let b_now = env.checkout.order(&b.id).await.expect("b");
        assert_eq!(
            b_now.cancel_reason.as_deref(),
            Some("payment_failed"),
            "[{l}]"
        );
        let c_now = env.checkout.order(&c.id).await.expect("c");
        assert_eq!(
            c_now.cancel_reason.as_deref(),
            Some("reservation_expired"),
            "[{l}]"
        );

        env.publish(
            "payment.refunded",
            &pay_a,
            json!({"payment_id": pay_a, "order_id": a.id, "provider": "manual", "amount": 10495,
                   "currency": "EUR", "refund_id": "re_dash", "refund_amount": 495,
                   "amount_refunded": 495}),
        )
        .await;
        env.dispatch().await;
        let a_now = env.checkout.order(&a.id).await.expect("a");
        assert_eq!(
            (a_now.status, a_now.refunded_total),
            (OrderStatus::PartiallyRefunded, 495),
            "[{l}]"
        );
        assert_eq!(
            env.topics(&a.id).await,
            ["order.placed", "order.paid", "order.refunded"],
            "[{l}]"
        );
    }
}

// ----- reads -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_reads_an_order_only_with_its_token() {
    for env in envs().await {
        let l = env.label;
        let order = env.placed("cart_a").await;
        let read = env
            .checkout
            .order_for_guest(&order.id, &order.access_token)
            .await
            .expect("guest");
        assert_eq!(read.id, order.id, "[{l}]");
        for (id, token) in [
            (order.id.as_str(), "wrong"),
            (order.id.as_str(), ""),
            ("ord_unknown", order.access_token.as_str()),
        ] {
            let err = env
                .checkout
                .order_for_guest(id, token)
                .await
                .expect_err("hidden");
            assert!(matches!(err, CheckoutError::OrderNotFound), "[{l}] {err:?}");
        }
        let json = serde_json::to_value(&read).expect("serialise");
        assert!(
            json.get("access_token").is_none(),
            "[{l}] the token is never serialised"
        );
        assert_eq!(json["status"], json!("pending_payment"), "[{l}]");
        assert_eq!(json["currency"], json!("EUR"), "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_list_newest_first_filtered_by_status_and_query_in_cursor_pages() {
    for env in envs().await {
        let l = env.label;
        let mut ids = Vec::new();
        for (i, email) in [
            "ada@example.com",
            "Bob@Example.org",
            "carol@example.com",
            "dan_x@example.com",
            "eve@example.com",
        ]
        .into_iter()
        .enumerate()
        {
            let cart = format!("cart_{i}");
            env.cart(&cart, email);
            let placed = env
                .checkout
                .place_order(env.request(&cart, "k"))
                .await
                .unwrap_or_else(|e| panic!("[{l}] {e}"));
            ids.push(placed.order.id);
            // Distinct creation times, so "newest first" has one right answer.
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        env.checkout
            .mark_paid(&ids[1], "pay_1")
            .await
            .expect("paid");
        env.checkout
            .mark_paid(&ids[3], "pay_3")
            .await
            .expect("paid");

        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = env
                .checkout
                .list_orders(OrderQuery {
                    limit: 2,
                    cursor: cursor.clone(),
                    ..OrderQuery::default()
                })
                .await
                .unwrap_or_else(|e| panic!("[{l}] {e}"));
            assert!(page.items.len() <= 2, "[{l}]");
            seen.extend(page.items.into_iter().map(|o| o.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
        assert_eq!(seen, newest_first, "[{l}] every order once, newest first");

        let paid = env
            .checkout
            .list_orders(OrderQuery {
                status: Some(OrderStatus::Paid),
                ..OrderQuery::default()
            })
            .await
            .expect("paid");
        assert_eq!(
            paid.items.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
            [ids[3].clone(), ids[1].clone()],
            "[{l}]"
        );

        let by_email = |q: &str| OrderQuery {
            q: Some(q.into()),
            ..OrderQuery::default()
        };
        let bob = env
            .checkout
            .list_orders(by_email("bob@EXAMPLE"))
            .await
            .expect("q");
        assert_eq!(bob.items.len(), 1, "[{l}] case-insensitive email substring");
        assert_eq!(bob.items[0].id, ids[1], "[{l}]");
        let number = env.checkout.list_orders(by_email("1003")).await.expect("q");
        assert_eq!(number.items.len(), 1, "[{l}]");
        assert_eq!(number.items[0].number, "1003", "[{l}]");
        let underscore = env.checkout.list_orders(by_email("n_x")).await.expect("q");
        assert_eq!(underscore.items.len(), 1, "[{l}] `_` matches itself only");
        let none = env.checkout.list_orders(by_email("100")).await.expect("q");
        assert!(none.items.is_empty(), "[{l}] numbers match exactly");

        let err = env
            .checkout
            .list_orders(OrderQuery {
                cursor: Some("garbage!".into()),
                ..OrderQuery::default()
            })
            .await
            .expect_err("bad cursor");
        assert!(matches!(err, CheckoutError::InvalidCursor), "[{l}] {err:?}");
        let err = env
            .checkout
            .list_orders(OrderQuery {
                limit: 101,
                ..OrderQuery::default()
            })
            .await
            .expect_err("limit");
        assert!(
            matches!(err, CheckoutError::InvalidField { ref field, .. } if field == "limit"),
            "[{l}]"
        );
    }
}
