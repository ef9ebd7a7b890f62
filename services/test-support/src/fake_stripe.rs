//! A local fake of the slice of Stripe's API that Emporium uses, for tests. It is honest
//! about Stripe's documented wire format: form-encoded bodies with nested keys
//! (`metadata[order_id]`), `Authorization: Bearer sk_…`, the error envelope
//! `{"error": {"type", "code", "param", "message"}}`, `Idempotency-Key` replays (and
//! `idempotency_error` for a key reused with other parameters), and complete
//! `payment_intent` / `refund` objects that Stripe's own client libraries deserialize.
//! Test helpers move intents along (`succeed`, `fail`, dashboard refunds) and sign events
//! with the webhook secret exactly as Stripe does.

// Request checks return the refusal itself as the error: a test server's per-request
// cost does not matter, a readable early return does.
#![allow(clippy::result_large_err)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use emporium_kernel::id::new_id;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The API version the fake claims (Stripe's events carry one).
const API_VERSION: &str = "2025-09-30.clover";

#[derive(Default)]
struct FakeState {
    secret_key: String,
    intents: HashMap<String, Value>,
    /// Refund ids per PaymentIntent, newest last.
    refunds: HashMap<String, Vec<Value>>,
    /// Idempotency key -> (request fingerprint, response status, body).
    idempotency: HashMap<String, (String, u16, String)>,
    /// Requests received per `METHOD /path`.
    requests: HashMap<String, usize>,
}

/// A running fake Stripe on 127.0.0.1; stops when dropped.
pub struct FakeStripe {
    base_url: String,
    webhook_secret: String,
    state: Arc<Mutex<FakeState>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = Arc<Mutex<FakeState>>;

fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    // A panicking test thread must not hide the state from the others.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now_secs() -> i64 {
    emporium_kernel::clock::now_ms() / 1000
}

impl FakeStripe {
    /// Starts the server on a free port.
    ///
    /// # Panics
    /// When no local port can be bound (a test environment failure).
    pub async fn start(secret_key: &str, webhook_secret: &str) -> FakeStripe {
        let state: Shared = Arc::new(Mutex::new(FakeState {
            secret_key: secret_key.to_owned(),
            ..FakeState::default()
        }));
        let app = Router::new()
            .route("/v1/payment_intents", post(create_intent))
            .route("/v1/payment_intents/{id}", get(retrieve_intent))
            .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
            .route("/v1/refunds", post(create_refund))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("fake Stripe cannot bind a local port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake Stripe has no local address: {e}"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeStripe {
            base_url: format!("http://{addr}/"),
            webhook_secret: webhook_secret.to_owned(),
            state,
            server,
        }
    }

    /// `http://127.0.0.1:PORT/` (async-stripe appends `v1/…`).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// How many requests reached `method path` (for example `POST /v1/payment_intents`),
    /// replays and refusals included.
    pub fn requests(&self, method_and_path: &str) -> usize {
        lock(&self.state)
            .requests
            .get(method_and_path)
            .copied()
            .unwrap_or(0)
    }

    /// How many PaymentIntents exist.
    pub fn payment_intent_count(&self) -> usize {
        lock(&self.state).intents.len()
    }

    pub fn payment_intent(&self, id: &str) -> Option<Value> {
        lock(&self.state).intents.get(id).cloned()
    }

    /// The shopper paid: the intent succeeds with a charge. Returns the intent.
    pub fn succeed(&self, pi_id: &str) -> Option<Value> {
        let mut state = lock(&self.state);
        let intent = state.intents.get_mut(pi_id)?;
        intent["status"] = json!("succeeded");
        intent["amount_received"] = intent["amount"].clone();
        intent["last_payment_error"] = Value::Null;
        intent["latest_charge"] = json!(format!("ch_{}", &pi_id[3..]));
        Some(intent.clone())
    }

    /// The attempt failed with a card error `code`: the intent waits for another payment
    /// method, as at Stripe. Returns the intent.
    pub fn fail(&self, pi_id: &str, code: &str) -> Option<Value> {
        let mut state = lock(&self.state);
        let intent = state.intents.get_mut(pi_id)?;
        intent["status"] = json!("requires_payment_method");
        intent["last_payment_error"] = json!({
            "type": "card_error",
            "code": code,
            "decline_code": code,
            "message": "Your card was declined.",
        });
        Some(intent.clone())
    }

    /// A refund made in the Stripe dashboard. Returns the charge object that Stripe's
    /// `charge.refunded` event carries.
    pub fn refund_in_dashboard(&self, pi_id: &str, amount: i64) -> Option<Value> {
        let mut state = lock(&self.state);
        let intent = state.intents.get(pi_id)?.clone();
        let refund = refund_object(&intent, amount, None);
        state
            .refunds
            .entry(pi_id.to_owned())
            .or_default()
            .push(refund);
        Some(charge_object(&state, &intent))
    }

    /// The charge of a succeeded intent as `charge.*` events carry it (refunds newest
    /// first, as Stripe lists them).
    pub fn charge(&self, pi_id: &str) -> Option<Value> {
        let state = lock(&self.state);
        let intent = state.intents.get(pi_id)?;
        Some(charge_object(&state, intent))
    }

    /// A Stripe event envelope around `data_object`, signed now with the webhook secret:
    /// `(raw body, Stripe-Signature header)`.
    pub fn signed_event(&self, event_type: &str, data_object: &Value) -> (Vec<u8>, String) {
        self.signed_event_at(event_type, data_object, now_secs())
    }

    /// As [`signed_event`](Self::signed_event), signed at `timestamp` (Unix seconds).
    pub fn signed_event_at(
        &self,
        event_type: &str,
        data_object: &Value,
        timestamp: i64,
    ) -> (Vec<u8>, String) {
        let event = json!({
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": timestamp,
            "data": {"object": data_object},
            "livemode": false,
            "pending_webhooks": 1,
            "request": {"id": null, "idempotency_key": null},
            "type": event_type,
        });
        let payload = event.to_string().into_bytes();
        let header = self.sign(&payload, timestamp);
        (payload, header)
    }

    /// The `Stripe-Signature` header for a raw body at `timestamp`.
    pub fn sign(&self, payload: &[u8], timestamp: i64) -> String {
        format!(
            "t={timestamp},v1={}",
            v1_signature(payload, &self.webhook_secret, timestamp)
        )
    }
}

/// Stripe's `v1` scheme: the hex HMAC-SHA256, keyed with the endpoint's secret, of
/// `"{timestamp}.{payload}"`. Written here rather than borrowed from the payments crate,
/// so that its verifier is tested against the documented scheme and not against itself.
fn v1_signature(payload: &[u8], secret: &str, timestamp: i64) -> String {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

// ----- wire format -----

fn error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
    message: &str,
) -> Response {
    let mut err = json!({"type": kind, "message": message});
    if let Some(code) = code {
        err["code"] = json!(code);
        err["doc_url"] = json!(format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        ));
    }
    if let Some(param) = param {
        err["param"] = json!(param);
    }
    json_response(status, &json!({ "error": err }).to_string())
}

fn invalid(code: Option<&str>, param: &str, message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        code,
        Some(param),
        message,
    )
}

fn json_response(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_owned(),
    )
        .into_response()
}

/// Counts the request and checks `Authorization: Bearer <secret key>`.
fn authorize(state: &Shared, headers: &HeaderMap, route: &str) -> Result<(), Response> {
    let mut s = lock(state);
    *s.requests.entry(route.to_owned()).or_default() += 1;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(key) if key == s.secret_key => Ok(()),
        Some(key) => {
            let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            Err(error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                None,
                &format!("Invalid API Key provided: sk_test_****{tail}"),
            ))
        }
        None => Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )),
    }
}

/// Form fields; a form body is required when there is a body at all.
fn form(headers: &HeaderMap, body: &Bytes) -> Result<Vec<(String, String)>, Response> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            None,
            "Invalid request: bodies must be application/x-www-form-urlencoded.",
        ));
    }
    Ok(url::form_urlencoded::parse(body).into_owned().collect())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Replays a stored response for a known key, refuses a key reused with other params.
/// `Ok(None)`: a new request whose response should be stored with [`remember`].
fn idempotent_replay(
    state: &Shared,
    headers: &HeaderMap,
    route: &str,
    fields: &[(String, String)],
) -> Result<Option<(String, String)>, Response> {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let mut sorted = fields.to_vec();
    sorted.sort();
    let fingerprint = format!("{route}?{sorted:?}");
    let s = lock(state);
    match s.idempotency.get(&key) {
        Some((stored, status, body)) if *stored == fingerprint => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            let mut response = json_response(status, body);
            response
                .headers_mut()
                .insert("idempotent-replayed", header::HeaderValue::from_static("true"));
            Err(response)
        }
        Some(_) => Err(error(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            None,
            &format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."),
        )),
        None => Ok(Some((key, fingerprint))),
    }
}

fn remember(state: &Shared, slot: Option<(String, String)>, body: &str) {
    if let Some((key, fingerprint)) = slot {
        lock(state)
            .idempotency
            .insert(key, (fingerprint, 200, body.to_owned()));
    }
}

// ----- endpoints -----

async fn create_intent(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let route = "POST /v1/payment_intents";
    if let Err(r) = authorize(&state, &headers, route) {
        return r;
    }
    let fields = match form(&headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let slot = match idempotent_replay(&state, &headers, route, &fields) {
        Ok(slot) => slot,
        Err(r) => return r,
    };
    let Some(amount) = field(&fields, "amount") else {
        return invalid(
            Some("parameter_missing"),
            "amount",
            "Missing required param: amount.",
        );
    };
    let Ok(amount) = amount.parse::<i64>() else {
        return invalid(
            Some("parameter_invalid_integer"),
            "amount",
            "Invalid integer: amount.",
        );
    };
    if amount < 1 {
        return invalid(
            Some("amount_too_small"),
            "amount",
            "Amount must be at least 1 minor unit.",
        );
    }
    let Some(currency) = field(&fields, "currency") else {
        return invalid(
            Some("parameter_missing"),
            "currency",
            "Missing required param: currency.",
        );
    };
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return invalid(
            Some("parameter_invalid_string"),
            "currency",
            &format!("Invalid currency: {currency}. Stripe currencies are three-letter ISO codes in lower case."),
        );
    }
    let metadata: serde_json::Map<String, Value> = fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_owned(), json!(v)))
        })
        .collect();
    let automatic = field(&fields, "automatic_payment_methods[enabled]") == Some("true");
    let id = format!("pi_{}", &new_id("x")[2..]);
    let intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "automatic_payment_methods": if automatic { json!({"enabled": true}) } else { Value::Null },
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic_async",
        "client_secret": format!("{id}_secret_{}", &new_id("s")[2..]),
        "confirmation_method": "automatic",
        "created": now_secs(),
        "currency": currency,
        "customer": null,
        "description": field(&fields, "description"),
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": metadata,
        "next_action": null,
        "payment_method": null,
        "payment_method_types": ["card"],
        "receipt_email": field(&fields, "receipt_email"),
        "status": "requires_payment_method",
    });
    let body = intent.to_string();
    lock(&state).intents.insert(id, intent);
    remember(&state, slot, &body);
    json_response(StatusCode::OK, &body)
}

async fn retrieve_intent(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&state, &headers, "GET /v1/payment_intents/{id}") {
        return r;
    }
    match lock(&state).intents.get(&id) {
        Some(intent) => json_response(StatusCode::OK, &intent.to_string()),
        None => missing("intent", &id),
    }
}

fn missing(param: &str, id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        Some(param),
        &format!("No such payment_intent: '{id}'"),
    )
}

async fn cancel_intent(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&state, &headers, "POST /v1/payment_intents/{id}/cancel") {
        return r;
    }
    let mut s = lock(&state);
    let Some(intent) = s.intents.get_mut(&id) else {
        return missing("intent", &id);
    };
    let status = intent["status"].as_str().unwrap_or_default().to_owned();
    if status == "succeeded" || status == "canceled" {
        return invalid(
            Some("payment_intent_unexpected_state"),
            "intent",
            &format!("You cannot cancel this PaymentIntent because it has a status of {status}."),
        );
    }
    intent["status"] = json!("canceled");
    intent["canceled_at"] = json!(now_secs());
    json_response(StatusCode::OK, &intent.to_string())
}

async fn create_refund(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let route = "POST /v1/refunds";
    if let Err(r) = authorize(&state, &headers, route) {
        return r;
    }
    let fields = match form(&headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let slot = match idempotent_replay(&state, &headers, route, &fields) {
        Ok(slot) => slot,
        Err(r) => return r,
    };
    let Some(pi_id) = field(&fields, "payment_intent") else {
        return invalid(Some("parameter_missing"), "payment_intent", "One of the following params should be provided for this request: payment_intent or charge.");
    };
    let mut s = lock(&state);
    let Some(intent) = s.intents.get(pi_id).cloned() else {
        return missing("payment_intent", pi_id);
    };
    if intent["status"] != "succeeded" {
        return invalid(
            Some("charge_not_refundable"),
            "payment_intent",
            &format!("This PaymentIntent ({pi_id}) does not have a successful charge to refund."),
        );
    }
    let refunded: i64 = s
        .refunds
        .get(pi_id)
        .map(|rs| rs.iter().filter_map(|r| r["amount"].as_i64()).sum())
        .unwrap_or(0);
    let refundable = intent["amount_received"].as_i64().unwrap_or(0) - refunded;
    let amount = match field(&fields, "amount").map(str::parse::<i64>) {
        None => refundable,
        Some(Ok(a)) if a >= 1 => a,
        Some(_) => {
            return invalid(
                Some("parameter_invalid_integer"),
                "amount",
                "Invalid positive integer: amount.",
            )
        }
    };
    if refundable == 0 {
        return invalid(
            Some("charge_already_refunded"),
            "payment_intent",
            "Charge has already been refunded.",
        );
    }
    if amount > refundable {
        return invalid(
            Some("amount_too_large"),
            "amount",
            &format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable})"),
        );
    }
    let refund = refund_object(&intent, amount, field(&fields, "reason"));
    let body = refund.to_string();
    s.refunds.entry(pi_id.to_owned()).or_default().push(refund);
    drop(s);
    remember(&state, slot, &body);
    json_response(StatusCode::OK, &body)
}

fn refund_object(intent: &Value, amount: i64, reason: Option<&str>) -> Value {
    json!({
        "id": format!("re_{}", &new_id("x")[2..]),
        "object": "refund",
        "amount": amount,
        "balance_transaction": null,
        "charge": intent["latest_charge"],
        "created": now_secs(),
        "currency": intent["currency"],
        "metadata": {},
        "payment_intent": intent["id"],
        "reason": reason,
        "receipt_number": null,
        "status": "succeeded",
    })
}

fn charge_object(state: &FakeState, intent: &Value) -> Value {
    let pi_id = intent["id"].as_str().unwrap_or_default();
    let refunds: Vec<Value> = state
        .refunds
        .get(pi_id)
        .map(|rs| rs.iter().rev().cloned().collect())
        .unwrap_or_default();
    let amount_refunded: i64 = refunds.iter().filter_map(|r| r["amount"].as_i64()).sum();
    let amount = intent["amount"].as_i64().unwrap_or(0);
    json!({
        "id": intent["latest_charge"],
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "currency": intent["currency"],
        "metadata": intent["metadata"],
        "paid": true,
        "payment_intent": pi_id,
        "refunded": amount_refunded == amount,
        "refunds": {"object": "list", "data": refunds, "has_more": false, "total_count": refunds.len()},
        "status": "succeeded",
    })
}
