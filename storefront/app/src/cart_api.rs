//! Server functions of the cart, checkout and order pages: the storefront's only door
//! to the shopper's cart. Like [`crate::store_api`], each calls the typed Store API
//! client from context, at stable endpoints (`/api/cart/*`, `/api/checkout/*`,
//! `/api/orders/*`).
//!
//! Every mutating function is built for two callers:
//! - a plain HTML form (JavaScript off): the browser POSTs form fields, and the function
//!   answers with a redirect, to the next page on success or back to the form with
//!   `?error=…&field=…` on failure, so every step works without JavaScript;
//! - an `ActionForm` after hydration: the same fields arrive from the server-function
//!   client (which does not accept `text/html`), so no redirect is sent (except after
//!   placing an order) and the page shows the result in place.
//!
//! The cart is identified by an opaque id in the HttpOnly cookie `emporium_cart`, set
//! when the first line is added. A cookie naming a cart the API no longer knows, or one
//! that already became an order, counts as no cart. A new cart is created in the
//! shopper's region (see [`crate::region`]).
//!
//! A signed-in shopper (the HttpOnly cookie `emporium_session`, see
//! [`crate::account_api`]) makes every call with their session: a cart made while signed
//! in, or brought along at sign-in, is the customer's, and the API does not show it to
//! anyone else. When the API says the session ended, its cookie and the cart's are
//! dropped and the request goes on as a guest's.

use std::fmt;

use emporium_client::{
    accounts::SavedAddress,
    commerce::{Cart, Order, PaymentSession, ShippingOption},
    ClientError,
};
use leptos::{
    prelude::*,
    server_fn::{
        codec::JsonEncoding,
        error::{FromServerFnError, ServerFnErrorErr},
    },
};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Name of the cookie that holds the cart id.
pub const CART_COOKIE: &str = "emporium_cart";
/// Name of the cookie that carries how to pay a just-placed order to its confirmation
/// page (the API returns it only once, with the placed order).
pub const PAYMENT_COOKIE: &str = "emporium_payment";
/// Name of the cookie that keeps what the shopper typed into the checkout form when the
/// API rejected it, so a page reload without JavaScript shows it again.
pub const CHECKOUT_COOKIE: &str = "emporium_checkout";
/// Name of the cookie that keeps the idempotency key of the cart's current attempt to
/// place its order (`<cart id>.<key>`).
pub const CHECKOUT_KEY_COOKIE: &str = "emporium_checkout_key";
/// Name of the cookie that holds the id of the region the shopper chose in the header,
/// when it is not the default one (see [`crate::region`]).
pub const REGION_COOKIE: &str = "emporium_region";
/// Name of the cookie that holds the signed-in customer's session token.
pub const SESSION_COOKIE: &str = "emporium_session";
/// Name of the cookie that keeps what the shopper typed into a sign-in, registration or
/// forgotten-password form the API refused (never the password), for the form's next
/// render.
pub const ACCOUNT_FORM_COOKIE: &str = "emporium_account_form";

/// Server-side settings of the storefront. Optional in context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorefrontConfig {
    /// How long anonymous catalog pages are kept rendered (see `page_cache`); zero
    /// (the default) renders every request.
    pub page_cache_ttl: std::time::Duration,
    /// The header in which the proxy in front of the storefront names the shopper's
    /// address (e.g. `fly-client-ip`). The Store API rate-limits sign-ins and the like
    /// per shopper address, so the storefront passes it on: this header's first address
    /// when set, else the connection's peer address. Only for a proxy that sets the
    /// header itself: a shopper could write any address into it otherwise.
    pub trusted_proxy_header: Option<http::HeaderName>,
}

/// Why a cart, checkout or order step did not happen, as the shopper should read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShopError {
    /// The API refused the request (out of stock, expired discount, invalid field, …).
    /// `detail` is the API's human text; `param` names the field at fault.
    Rejected {
        code: String,
        detail: String,
        param: Option<String>,
    },
    /// There is no cart (no cookie, an unknown or an already completed cart).
    NoCart,
    /// The API failed or could not be reached. The text is for logs, not shoppers.
    Unavailable(String),
}

impl ShopError {
    /// A refusal of the storefront's own (before the API is asked).
    pub fn invalid(param: &str, detail: impl Into<String>) -> Self {
        ShopError::Rejected {
            code: "invalid_parameter".to_owned(),
            detail: detail.into(),
            param: Some(param.to_owned()),
        }
    }

    /// What to show the shopper.
    pub fn message(&self) -> String {
        match self {
            ShopError::Rejected { detail, .. } => detail.clone(),
            ShopError::NoCart => "Your cart is empty or has expired.".to_owned(),
            ShopError::Unavailable(_) => {
                "The shop cannot do that right now. Please try again in a moment.".to_owned()
            }
        }
    }

    /// The field at fault, e.g. `shipping_address.postal_code`.
    pub fn param(&self) -> Option<&str> {
        match self {
            ShopError::Rejected { param, .. } => param.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopError::Unavailable(reason) => write!(f, "the shop is unavailable: {reason}"),
            other => f.write_str(&other.message()),
        }
    }
}

impl std::error::Error for ShopError {}

impl From<ClientError> for ShopError {
    fn from(error: ClientError) -> Self {
        match error {
            // 4xx: the shopper can act on it (change the quantity, the code, a field).
            ClientError::Api(problem) if problem.status < 500 => ShopError::Rejected {
                code: problem.code,
                detail: problem.detail,
                param: problem.param,
            },
            other => ShopError::Unavailable(other.to_string()),
        }
    }
}

impl From<AppError> for ShopError {
    fn from(error: AppError) -> Self {
        ShopError::Unavailable(error.to_string())
    }
}

impl FromServerFnError for ShopError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The form fields did not fit (e.g. a field missing from a hand-made POST).
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                ShopError::Rejected {
                    code: "invalid_body".to_owned(),
                    detail,
                    param: None,
                }
            }
            other => ShopError::Unavailable(other.to_string()),
        }
    }
}

/// What the checkout page needs: the cart, how it can ship and be paid, and the
/// idempotency key of this attempt to place the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutData {
    pub cart: Cart,
    pub shipping_options: Vec<ShippingOption>,
    /// Whether card payment (Stripe) is offered (`GET /store/payment-methods`).
    pub stripe: bool,
    /// Whether the manual payment (bank transfer, on delivery) is offered.
    pub manual: bool,
    /// One per attempt to place the cart's order, the same on every render until the
    /// attempt gets a final answer (a cookie keeps it), and sent back with the form: a
    /// double submit, a retried POST or a reload after a lost answer replays the one
    /// order instead of placing a second or meeting "already checked out".
    pub idempotency_key: String,
    /// What the shopper typed last time, when the API rejected it.
    pub saved: Option<CheckoutForm>,
    /// The signed-in customer's email, which the form starts with; `None` for a guest.
    #[serde(default)]
    pub customer_email: Option<String>,
    /// The signed-in customer's address book, offered to fill the shipping address.
    #[serde(default)]
    pub saved_addresses: Vec<SavedAddress>,
}

/// The fields of the checkout form. Every field is text and optional on the wire, so a
/// form with a field missing still reaches the API, which names what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub shipping_name: String,
    #[serde(default)]
    pub shipping_line1: String,
    #[serde(default)]
    pub shipping_line2: String,
    #[serde(default)]
    pub shipping_city: String,
    #[serde(default)]
    pub shipping_postal_code: String,
    #[serde(default)]
    pub shipping_country: String,
    /// A checkbox: present (any value) when checked.
    #[serde(default)]
    pub billing_same: Option<String>,
    #[serde(default)]
    pub billing_name: String,
    #[serde(default)]
    pub billing_line1: String,
    #[serde(default)]
    pub billing_line2: String,
    #[serde(default)]
    pub billing_city: String,
    #[serde(default)]
    pub billing_postal_code: String,
    #[serde(default)]
    pub billing_country: String,
    #[serde(default)]
    pub shipping_option_id: String,
    #[serde(default)]
    pub payment_method: String,
}

/// An order for its confirmation page, with how to pay it when the shopper just placed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub order: Order,
    pub payment: Option<PaymentSession>,
}

/// The shopper's cart, if there is one (no API call without the cookie).
#[server(endpoint = "cart/current")]
pub async fn current_cart() -> Result<Option<Cart>, ShopError> {
    let client = session::client()?;
    session::live_cart(&client).await
}

/// Adds `quantity` (1..=99) of a variant, creating the cart on the first add.
/// Without JavaScript: redirects to `/cart`, or back to `back` with the error.
#[server(endpoint = "cart/add")]
pub async fn add_to_cart(
    variant_id: String,
    #[server(default)] quantity: String,
    #[server(default)] back: Option<String>,
) -> Result<Cart, ShopError> {
    use emporium_client::commerce::AddLine;

    let result = async {
        let quantity = parse_quantity(&quantity, 1)?;
        if variant_id.trim().is_empty() {
            return Err(ShopError::invalid("variant_id", "Choose a variant first."));
        }
        let client = session::client()?;
        let (client, cart) = match session::live_cart(&client).await? {
            Some(cart) => (client, cart),
            None => {
                // Asked again: a session that just ended leaves this request a guest.
                let client = session::client()?;
                let cart = session::create_cart(&client).await?;
                session::remember_cart(&cart.id);
                (client, cart)
            }
        };
        let input = AddLine {
            variant_id,
            quantity,
        };
        Ok(client.add_line(&cart.id, &input).await?)
    }
    .await;
    session::answer_form(result, "/cart", back.as_deref(), false)
}

/// Sets a line's quantity; 0 removes the line.
#[server(endpoint = "cart/update")]
pub async fn update_cart_line(
    line_id: String,
    #[server(default)] quantity: String,
) -> Result<Cart, ShopError> {
    use emporium_client::commerce::UpdateLine;

    let result = async {
        let quantity = parse_quantity(&quantity, 0)?;
        let client = session::client()?;
        let cart = session::live_cart(&client)
            .await?
            .ok_or(ShopError::NoCart)?;
        if quantity == 0 {
            return Ok(client.remove_line(&cart.id, &line_id).await?);
        }
        Ok(client
            .update_line(&cart.id, &line_id, &UpdateLine { quantity })
            .await?)
    }
    .await;
    session::answer_form(result, "/cart", Some("/cart"), true)
}

/// Removes a line.
#[server(endpoint = "cart/remove")]
pub async fn remove_cart_line(line_id: String) -> Result<Cart, ShopError> {
    let result = async {
        let client = session::client()?;
        let cart = session::live_cart(&client)
            .await?
            .ok_or(ShopError::NoCart)?;
        Ok(client.remove_line(&cart.id, &line_id).await?)
    }
    .await;
    session::answer_form(result, "/cart", Some("/cart"), true)
}

/// Applies a discount code; the API says why one does not apply (expired, used up, …).
#[server(endpoint = "cart/discount")]
pub async fn apply_discount_code(#[server(default)] code: String) -> Result<Cart, ShopError> {
    use emporium_client::commerce::ApplyDiscount;

    let result = async {
        let code = code.trim().to_owned();
        if code.is_empty() {
            return Err(ShopError::invalid("code", "Enter a discount code."));
        }
        let client = session::client()?;
        let cart = session::live_cart(&client)
            .await?
            .ok_or(ShopError::NoCart)?;
        Ok(client
            .apply_discount(&cart.id, &ApplyDiscount { code })
            .await?)
    }
    .await;
    session::answer_form(result, "/cart", Some("/cart"), true)
}

/// Removes the applied discount code.
#[server(endpoint = "cart/discount/remove")]
pub async fn remove_discount_code() -> Result<Cart, ShopError> {
    let result = async {
        let client = session::client()?;
        let cart = session::live_cart(&client)
            .await?
            .ok_or(ShopError::NoCart)?;
        Ok(client.remove_discount(&cart.id).await?)
    }
    .await;
    session::answer_form(result, "/cart", Some("/cart"), true)
}

/// The checkout page's data; `None` when there is nothing to check out.
#[server(endpoint = "checkout/data")]
pub async fn load_checkout() -> Result<Option<CheckoutData>, ShopError> {
    let client = session::client()?;
    let Some(cart) = session::live_cart(&client).await? else {
        return Ok(None);
    };
    if cart.lines.is_empty() {
        return Ok(None);
    }
    let shipping_options = client.shipping_options(&cart.id).await?.items;
    let methods = client.payment_methods().await?.items;
    let offered = |id: &str| methods.iter().any(|m| m.id == id);
    let (stripe, manual) = (offered("stripe"), offered("manual"));
    let idempotency_key = session::checkout_key(&cart.id);
    let (customer_email, saved_addresses) = session::customer_details(&client).await;
    Ok(Some(CheckoutData {
        cart,
        shipping_options,
        stripe,
        manual,
        idempotency_key,
        saved: session::saved_checkout_form(),
        customer_email,
        saved_addresses,
    }))
}

/// Sets the checkout details on the cart, then places the order with the form's
/// idempotency key, and sends the shopper to the confirmation page.
#[server(endpoint = "checkout/place")]
pub async fn place_order(#[server(flatten)] form: CheckoutForm) -> Result<(), ShopError> {
    let result = session::place(&form).await;
    match result {
        Ok(placed) => {
            let path = order_href(&placed.order.id, &placed.access_token);
            session::forget_checkout_key();
            session::forget_cart();
            session::forget_checkout_form();
            session::remember_payment(&placed.order.id, placed.payment.as_ref());
            // Both callers go on to the confirmation page: a plain form by a 302, the
            // hydrated app by the client-side router.
            leptos_axum::redirect(&path);
            Ok(())
        }
        Err(error) => {
            // A final answer ends the attempt: the next one (after the shopper fixed
            // what was wrong) gets its own key, since a failed placement's key keeps
            // answering as it did. No answer, or one still in progress, keeps it.
            let open = match &error {
                ShopError::Unavailable(_) => true,
                ShopError::Rejected { code, .. } => code == "placement_in_progress",
                ShopError::NoCart => false,
            };
            if !open {
                session::forget_checkout_key();
            }
            session::save_checkout_form(&form);
            session::answer_form(Err(error), "/checkout", Some("/checkout"), false)
        }
    }
}

/// One order, readable with its access token; 404 for a wrong token.
#[server(endpoint = "orders/get")]
pub async fn order_detail(id: String, token: String) -> Result<OrderView, AppError> {
    // As a guest with the shopper's address: the token is the key, and the API limits
    // guesses per shopper.
    let client = session::guest_client().map_err(|e| AppError::Unavailable(e.to_string()))?;
    if id.is_empty() || token.is_empty() {
        return Err(AppError::NotFound);
    }
    let order = client.get_order(&id, &token).await?;
    let payment = session::payment_for(&order.id);
    Ok(OrderView { order, payment })
}

/// `/orders/{id}?token=…`
pub fn order_href(id: &str, token: &str) -> String {
    crate::query::href(
        &format!("/orders/{}", crate::query::encode(id)),
        &[("token", token)],
    )
}

/// A quantity from a form field: a whole number from `min` to 99 (empty means 1).
pub fn parse_quantity(text: &str, min: i64) -> Result<i64, ShopError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(1);
    }
    match text.parse::<i64>() {
        Ok(q) if (min..=99).contains(&q) => Ok(q),
        _ => Err(ShopError::invalid(
            "quantity",
            format!("Enter a quantity from {} to 99.", min.max(1)),
        )),
    }
}

/// Adds `error` (and `field`) to a path, replacing earlier ones.
pub fn with_error(path: &str, error: &ShopError) -> String {
    with_message(path, &error.message(), error.param())
}

/// Adds `error=message` (and `field=param`) to a path, replacing earlier ones.
pub fn with_message(path: &str, message: &str, param: Option<&str>) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k != "error" && k != "field").then(|| (k.to_owned(), v.to_owned()))
        })
        .collect();
    pairs.push(("error".to_owned(), crate::query::encode(message)));
    if let Some(param) = param {
        pairs.push(("field".to_owned(), crate::query::encode(param)));
    }
    let query: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{base}?{}", query.join("&"))
}

/// A same-site path to send the browser back to; anything else becomes `fallback`, so
/// a crafted form cannot turn the shop into an open redirect.
pub fn safe_path<'a>(path: Option<&'a str>, fallback: &'a str) -> &'a str {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => fallback,
    }
}

/// The cookies and API calls behind the server functions (also those of
/// [`crate::region`]).
#[cfg(feature = "ssr")]
pub(crate) mod session {
    use emporium_client::{
        accounts::SavedAddress,
        commerce::{Address, Cart, CheckoutDetails, CreateCart, PaymentSession, PlacedOrder},
        Client, ClientError,
    };
    use http::{
        header::{ACCEPT, COOKIE, SET_COOKIE},
        request::Parts,
        HeaderValue,
    };
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };

    use super::{
        safe_path, with_error, CheckoutForm, ShopError, StorefrontConfig, CART_COOKIE,
        CHECKOUT_COOKIE, CHECKOUT_KEY_COOKIE, PAYMENT_COOKIE, REGION_COOKIE, SESSION_COOKIE,
    };

    /// Thirty days: a cart outlives a browser restart.
    const CART_MAX_AGE: u32 = 60 * 60 * 24 * 30;
    /// Long enough to come back to a payment page, short enough not to linger.
    const PAYMENT_MAX_AGE: u32 = 60 * 60;
    const CHECKOUT_MAX_AGE: u32 = 60 * 10;
    /// A day: an attempt whose answer was lost is still replayed after a long pause.
    const CHECKOUT_KEY_MAX_AGE: u32 = 60 * 60 * 24;
    /// A year: where the shopper ships to is a preference, not a session, so it outlives
    /// any one cart.
    const REGION_MAX_AGE: u32 = 60 * 60 * 24 * 365;
    /// Ninety days: the longest a session cookie lives, also when the session's own end
    /// cannot be read.
    pub const SESSION_MAX_AGE: u32 = 60 * 60 * 24 * 90;

    /// The Store API client for this request: acting for the shopper's session when the
    /// request carries one (which the customer's carts and the `/me` routes need), and
    /// naming the shopper's address (the API's rate limits are per shopper).
    pub fn client() -> Result<Client, ShopError> {
        let client = guest_client()?;
        Ok(match session_token() {
            Some(token) => client.signed_in(&token),
            None => client,
        })
    }

    /// [`client`] without the session: for signing in, registering and the emailed
    /// links, which act for whoever holds the password or the link.
    pub fn guest_client() -> Result<Client, ShopError> {
        let client = use_context::<Client>()
            .ok_or_else(|| ShopError::Unavailable("no Store API client in context".to_owned()))?;
        Ok(match shopper_address() {
            Some(address) => client.for_shopper(&address),
            None => client,
        })
    }

    fn parts() -> Option<Parts> {
        use_context::<Parts>()
    }

    /// Where the request comes from: the first address of the trusted proxy's header
    /// when the storefront is configured with one, else the connection's peer. `None`
    /// without a connection (an in-process request, e.g. in tests).
    pub fn shopper_address() -> Option<String> {
        let parts = parts()?;
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|axum::extract::ConnectInfo(addr)| addr.ip().to_string());
        let header = use_context::<StorefrontConfig>().and_then(|c| c.trusted_proxy_header);
        header
            .and_then(|name| first_address(&parts.headers, &name))
            .or(peer)
    }

    /// The first address of a header such as `x-forwarded-for: client, proxy1, proxy2`,
    /// when it is one.
    pub fn first_address(headers: &http::HeaderMap, name: &http::HeaderName) -> Option<String> {
        let value = headers.get(name)?.to_str().ok()?;
        let first = value.split(',').next()?.trim();
        first
            .parse::<std::net::IpAddr>()
            .or_else(|_| first.parse::<std::net::SocketAddr>().map(|a| a.ip()))
            .ok()
            .map(|ip| ip.to_string())
    }

    /// Set, for one request, once the API said that request's session ended: the rest
    /// of the request goes on as a guest instead of meeting the same 401 again. The
    /// router provides a fresh one per request (see [`provide_request_state`]).
    #[derive(Clone, Default)]
    pub struct EndedSession(Arc<AtomicBool>);

    /// Puts the per-request state of the session into context.
    pub fn provide_request_state() {
        provide_context(EndedSession::default());
    }

    fn session_ended() -> bool {
        use_context::<EndedSession>().is_some_and(|e| e.0.load(Ordering::Acquire))
    }

    /// The session token of the request's cookie, unless the API said it ended.
    pub fn session_token() -> Option<String> {
        if session_ended() {
            return None;
        }
        cookie(SESSION_COOKIE)
    }

    /// Whether the request carries a session (not known to have ended).
    pub fn signed_in() -> bool {
        session_token().is_some()
    }

    /// Whether `error` is the API saying that the session this request carried ended
    /// (401 `unauthenticated`). If so the shopper is signed out here too (see
    /// [`end_session`]). Asks the request's cookie, not whether the session is still
    /// taken as open: calls made at once (the header's and the page's) may each meet
    /// the 401 after the first one ended the session.
    pub fn session_ended_by(error: &ClientError) -> bool {
        let unauthenticated = match error {
            ClientError::Api(problem) => problem.status == 401 && problem.code == "unauthenticated",
            _ => false,
        };
        let ended = unauthenticated && cookie(SESSION_COOKIE).is_some();
        if ended {
            end_session();
        }
        ended
    }

    /// Signs the shopper out of this browser: drops the session cookie and what belongs
    /// to the customer with it (their cart, which a guest cannot open, and the checkout
    /// cookies, which may hold their address). Later calls of this request go as a guest.
    pub fn end_session() {
        if let Some(ended) = use_context::<EndedSession>() {
            ended.0.store(true, Ordering::Release);
        }
        forget_session();
        forget_cart();
        forget_checkout_key();
        forget_checkout_form();
    }

    /// Keeps a new session's token until the session's absolute end (RFC 3339), and
    /// never longer than [`SESSION_MAX_AGE`].
    pub fn remember_session(token: &str, absolute_expires_at: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        set_cookie(
            SESSION_COOKIE,
            token,
            "/",
            session_max_age(absolute_expires_at, now),
        );
    }

    pub fn forget_session() {
        set_cookie(SESSION_COOKIE, "", "/", 0);
    }

    /// Seconds from `now` (Unix time) until `absolute_expires_at`, within
    /// `0..=SESSION_MAX_AGE`; [`SESSION_MAX_AGE`] when the time cannot be read.
    pub fn session_max_age(absolute_expires_at: &str, now: i64) -> u32 {
        match unix_seconds(absolute_expires_at) {
            Some(end) => u32::try_from((end - now).clamp(0, i64::from(SESSION_MAX_AGE)))
                .unwrap_or(SESSION_MAX_AGE),
            None => SESSION_MAX_AGE,
        }
    }

    /// Unix seconds of an RFC 3339 time such as `2030-01-02T03:04:05.123Z` or
    /// `2030-01-02T05:04:05+02:00`.
    pub fn unix_seconds(text: &str) -> Option<i64> {
        let text = text.trim();
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let digits = text.get(range)?;
            digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse().ok())?
        };
        let bytes = text.as_bytes();
        let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
        if bytes.len() < 20
            || separators.iter().any(|&(i, c)| bytes[i] != c)
            || !matches!(bytes[10], b'T' | b't' | b' ')
        {
            return None;
        }
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
            return None;
        }
        // Fractions of a second do not matter for a cookie's lifetime.
        let mut rest = &text[19..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let end = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            rest = &fraction[end..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return None,
                };
                let (h, m) = rest.get(1..)?.split_once(':')?;
                if h.len() != 2 || m.len() != 2 {
                    return None;
                }
                sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
            }
        };
        // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
        // `days_from_civil`).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
    }

    /// A request from a plain HTML form (or a link) rather than the server-function
    /// client: browsers navigating ask for `text/html`.
    pub fn plain_form() -> bool {
        parts()
            .and_then(|p| {
                p.headers
                    .get(ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false)
    }

    /// The value of a request cookie, when it is made of the characters our cookies use.
    pub fn cookie(name: &str) -> Option<String> {
        let parts = parts()?;
        parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"').to_owned())
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 4096
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            })
    }

    /// `Secure` when the shopper reached us over HTTPS (directly or through a proxy such
    /// as fly's edge); plain-HTTP development keeps working.
    fn secure() -> bool {
        parts().is_some_and(|p| {
            p.uri.scheme_str() == Some("https")
                || p.headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.eq_ignore_ascii_case("https"))
        })
    }

    pub fn set_cookie(name: &str, value: &str, path: &str, max_age: u32) {
        let Some(response) = use_context::<ResponseOptions>() else {
            return;
        };
        let secure = if secure() { "; Secure" } else { "" };
        let text = format!(
            "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        );
        let Ok(value) = HeaderValue::from_str(&text) else {
            return;
        };
        // One Set-Cookie per cookie (RFC 6265 section 4.1.1): a later decision of the
        // same request (a session found ended, then a new guest cart) replaces the
        // earlier one instead of relying on the browser to apply them in order.
        let Ok(mut parts) = response.0.write() else {
            return;
        };
        let prefix = format!("{name}=");
        let others: Vec<HeaderValue> = parts
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter(|v| !v.as_bytes().starts_with(prefix.as_bytes()))
            .cloned()
            .collect();
        parts.headers.remove(SET_COOKIE);
        for other in others {
            parts.headers.append(SET_COOKIE, other);
        }
        parts.headers.append(SET_COOKIE, value);
    }

    pub fn remember_cart(id: &str) {
        set_cookie(CART_COOKIE, id, "/", CART_MAX_AGE);
    }

    pub fn forget_cart() {
        set_cookie(CART_COOKIE, "", "/", 0);
    }

    pub fn remember_region(id: &str) {
        set_cookie(REGION_COOKIE, id, "/", REGION_MAX_AGE);
    }

    pub fn forget_region() {
        set_cookie(REGION_COOKIE, "", "/", 0);
    }

    /// The shopper's region choice: the regions and the one the cookie names.
    pub async fn region_choice(
        client: &Client,
    ) -> Result<crate::region::RegionChoice, ClientError> {
        let regions = client.list_regions().await?.items;
        Ok(crate::region::RegionChoice::new(
            regions,
            cookie(REGION_COOKIE).as_deref(),
        ))
    }

    /// A new cart in the region the header shows as chosen, so its currency is the one
    /// the catalog showed. Without the region list the API's default region is used. A
    /// cookie naming a region that no longer exists is dropped (the default applies).
    pub async fn create_cart(client: &Client) -> Result<Cart, ShopError> {
        let region_id = match region_choice(client).await {
            Ok(choice) => {
                if choice.chosen.is_none() && cookie(REGION_COOKIE).is_some() {
                    forget_region();
                }
                choice.current().map(|r| r.id.clone())
            }
            Err(error) => {
                leptos::logging::warn!("storefront: the regions could not be read: {error}");
                None
            }
        };
        Ok(client
            .create_cart(&CreateCart {
                region_id,
                currency: None,
            })
            .await?)
    }

    /// The cart the cookie names, unless the API no longer knows it or it already
    /// became an order; either way the stale cookie is dropped.
    pub async fn live_cart(client: &Client) -> Result<Option<Cart>, ShopError> {
        let Some(id) = cookie(CART_COOKIE) else {
            return Ok(None);
        };
        match client.get_cart(&id).await {
            Ok(cart) if cart.order_id.is_none() && cart.completed_at.is_none() => Ok(Some(cart)),
            Ok(_) => {
                forget_cart();
                Ok(None)
            }
            Err(ClientError::Api(problem)) if matches!(problem.status, 400 | 404) => {
                forget_cart();
                Ok(None)
            }
            // The session ended: its cart went with it (see `end_session`).
            Err(error) if session_ended_by(&error) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The signed-in customer's email and address book for the checkout form; nothing
    /// for a guest. Checking out does not need them, so a failure only logs.
    pub async fn customer_details(client: &Client) -> (Option<String>, Vec<SavedAddress>) {
        if !signed_in() {
            return (None, Vec::new());
        }
        let email = match client.me().await {
            Ok(customer) => Some(customer.email),
            Err(error) => {
                if !session_ended_by(&error) {
                    leptos::logging::warn!("storefront: the customer could not be read: {error}");
                }
                return (None, Vec::new());
            }
        };
        let addresses = match client.addresses().await {
            Ok(page) => page.items,
            Err(error) => {
                leptos::logging::warn!("storefront: the address book could not be read: {error}");
                Vec::new()
            }
        };
        (email, addresses)
    }

    /// Finishes a form step: a plain form is redirected (to `next` on success, back to
    /// the form with the error otherwise); the hydrated app gets the value.
    /// `always_back` sends a plain form to `next` also for a missing cart.
    pub fn answer_form<T>(
        result: Result<T, ShopError>,
        next: &str,
        back: Option<&str>,
        always_back: bool,
    ) -> Result<T, ShopError> {
        if plain_form() {
            match &result {
                Ok(_) => leptos_axum::redirect(next),
                Err(ShopError::NoCart) if always_back => leptos_axum::redirect(next),
                Err(error) => leptos_axum::redirect(&with_error(safe_path(back, next), error)),
            }
        }
        if let Err(ShopError::Unavailable(reason)) = &result {
            leptos::logging::warn!("storefront: a cart step failed: {reason}");
        }
        result
    }

    /// The key of `cart_id`'s current placement attempt, made and kept in a cookie on
    /// the first render of the checkout page.
    pub fn checkout_key(cart_id: &str) -> String {
        let kept = cookie(CHECKOUT_KEY_COOKIE).and_then(|value| {
            let (cart, key) = value.split_once('.')?;
            (cart == cart_id && !key.is_empty()).then(|| key.to_owned())
        });
        kept.unwrap_or_else(|| {
            let key = new_idempotency_key();
            set_cookie(
                CHECKOUT_KEY_COOKIE,
                &format!("{cart_id}.{key}"),
                "/",
                CHECKOUT_KEY_MAX_AGE,
            );
            key
        })
    }

    pub fn forget_checkout_key() {
        set_cookie(CHECKOUT_KEY_COOKIE, "", "/", 0);
    }

    /// A new key, unique to one placement attempt. The API scopes keys to the
    /// cart, so uniqueness, not secrecy, is what matters: the process's random hasher
    /// keys, the clock and a counter give 128 bits that do not repeat.
    pub fn new_idempotency_key() -> String {
        use std::{
            hash::{BuildHasher, Hasher},
            sync::atomic::{AtomicU64, Ordering},
            time::{SystemTime, UNIX_EPOCH},
        };
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let half = |salt: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(salt);
            h.write_u64(n);
            h.write_u128(nanos);
            h.finish()
        };
        format!("chk_{:016x}{:016x}", half(1), half(2))
    }

    fn address(
        name: &str,
        line1: &str,
        line2: &str,
        city: &str,
        postal_code: &str,
        country: &str,
    ) -> Address {
        let line2 = line2.trim();
        Address {
            name: name.trim().to_owned(),
            line1: line1.trim().to_owned(),
            line2: (!line2.is_empty()).then(|| line2.to_owned()),
            city: city.trim().to_owned(),
            postal_code: postal_code.trim().to_owned(),
            country: country.trim().to_uppercase(),
            phone: None,
        }
    }

    pub fn details(form: &CheckoutForm) -> CheckoutDetails {
        let billing_address = form.billing_same.is_none().then(|| {
            address(
                &form.billing_name,
                &form.billing_line1,
                &form.billing_line2,
                &form.billing_city,
                &form.billing_postal_code,
                &form.billing_country,
            )
        });
        CheckoutDetails {
            email: form.email.trim().to_owned(),
            shipping_address: address(
                &form.shipping_name,
                &form.shipping_line1,
                &form.shipping_line2,
                &form.shipping_city,
                &form.shipping_postal_code,
                &form.shipping_country,
            ),
            billing_address,
            shipping_option_id: form.shipping_option_id.clone(),
            payment_method: if form.payment_method.is_empty() {
                "manual".to_owned()
            } else {
                form.payment_method.clone()
            },
        }
    }

    pub async fn place(form: &CheckoutForm) -> Result<PlacedOrder, ShopError> {
        let key = form.idempotency_key.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ShopError::Rejected {
                code: "idempotency_key_required".to_owned(),
                detail: "This checkout form has expired. Please check your details and place the order again.".to_owned(),
                param: None,
            });
        }
        let client = client()?;
        let id = cookie(CART_COOKIE).ok_or(ShopError::NoCart)?;
        match client.set_checkout_details(&id, &details(form)).await {
            Ok(_) => {}
            // A double submit: the first POST already placed the order. Completing
            // again with the same key replays that order instead of placing another.
            Err(ClientError::Api(problem)) if problem.code == "cart_completed" => {}
            Err(ClientError::Api(problem)) if problem.status == 404 => {
                forget_cart();
                return Err(ShopError::NoCart);
            }
            // The cart was the customer's, and the session that could open it ended.
            Err(error) if session_ended_by(&error) => return Err(ShopError::NoCart),
            Err(error) => return Err(error.into()),
        }
        Ok(client.complete_cart(&id, key).await?)
    }

    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn unhex(text: &str) -> Option<Vec<u8>> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect()
    }

    /// Keeps how to pay the order for its confirmation page, scoped to that page.
    /// Hex-encoded JSON: cookie values cannot hold JSON's quotes and commas.
    pub fn remember_payment(order_id: &str, payment: Option<&PaymentSession>) {
        let Some(payment) = payment else { return };
        let Ok(json) = serde_json::to_vec(&(order_id, payment)) else {
            return;
        };
        let path = format!("/orders/{}", crate::query::encode(order_id));
        set_cookie(PAYMENT_COOKIE, &hex(&json), &path, PAYMENT_MAX_AGE);
    }

    pub fn payment_for(order_id: &str) -> Option<PaymentSession> {
        // The cookie's path limits it to this order's page; the id inside guards
        // against a cookie of another order all the same.
        let bytes = unhex(&cookie(PAYMENT_COOKIE)?)?;
        let (id, payment): (String, PaymentSession) = serde_json::from_slice(&bytes).ok()?;
        (id == order_id).then_some(payment)
    }

    pub fn save_checkout_form(form: &CheckoutForm) {
        let Ok(json) = serde_json::to_vec(&CheckoutForm {
            idempotency_key: String::new(),
            ..form.clone()
        }) else {
            return;
        };
        set_cookie(CHECKOUT_COOKIE, &hex(&json), "/checkout", CHECKOUT_MAX_AGE);
    }

    pub fn forget_checkout_form() {
        set_cookie(CHECKOUT_COOKIE, "", "/checkout", 0);
    }

    pub fn saved_checkout_form() -> Option<CheckoutForm> {
        let bytes = unhex(&cookie(CHECKOUT_COOKIE)?)?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_whole_numbers_up_to_99() {
        assert_eq!(parse_quantity("", 1), Ok(1));
        assert_eq!(parse_quantity(" 3 ", 1), Ok(3));
        assert_eq!(parse_quantity("0", 0), Ok(0));
        assert!(parse_quantity("0", 1).is_err());
        assert!(parse_quantity("100", 1).is_err());
        assert!(parse_quantity("two", 1).is_err());
    }

    #[test]
    fn errors_replace_earlier_errors_in_the_path() {
        let error = ShopError::invalid("shipping_address.postal_code", "must not be empty");
        assert_eq!(
            with_error("/checkout?error=old&field=x", &error),
            "/checkout?error=must%20not%20be%20empty&field=shipping_address.postal_code"
        );
        assert_eq!(
            with_error("/products/tee?variant=v1", &ShopError::NoCart),
            "/products/tee?variant=v1&error=Your%20cart%20is%20empty%20or%20has%20expired."
        );
    }

    #[test]
    fn rfc3339_times_are_read_with_their_offset() {
        use session::unix_seconds;
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            unix_seconds("2030-01-02T03:04:05.123456Z"),
            Some(1_893_553_445)
        );
        assert_eq!(
            unix_seconds("2030-01-02T05:04:05+02:00"),
            unix_seconds("2030-01-02T03:04:05Z")
        );
        assert_eq!(
            unix_seconds("2030-01-01T22:04:05-05:00"),
            unix_seconds("2030-01-02T03:04:05Z")
        );
        for bad in [
            "",
            "tomorrow",
            "2030-13-01T00:00:00Z",
            "2030-01-01T00:00:00",
            "2030-01-01",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_session_cookie_lives_until_the_session_ends_and_never_past_the_cap() {
        use session::{session_max_age, SESSION_MAX_AGE};
        let now = session::unix_seconds("2030-01-02T03:04:05Z").unwrap_or_default();
        assert_eq!(session_max_age("2030-01-03T03:04:05Z", now), 86_400);
        assert_eq!(
            session_max_age("2099-01-01T00:00:00Z", now),
            SESSION_MAX_AGE
        );
        assert_eq!(session_max_age("2020-01-01T00:00:00Z", now), 0);
        assert_eq!(session_max_age("not a time", now), SESSION_MAX_AGE);
    }

    #[test]
    fn the_shopper_address_is_the_first_of_the_proxy_header() {
        let name = http::HeaderName::from_static("fly-client-ip");
        let mut headers = http::HeaderMap::new();
        assert_eq!(session::first_address(&headers, &name), None);
        headers.insert(
            name.clone(),
            http::HeaderValue::from_static("203.0.113.7, 10.0.0.1"),
        );
        assert_eq!(
            session::first_address(&headers, &name).as_deref(),
            Some("203.0.113.7")
        );
        headers.insert(
            name.clone(),
            http::HeaderValue::from_static("[2001:db8::1]:443"),
        );
        assert_eq!(
            session::first_address(&headers, &name).as_deref(),
            Some("2001:db8::1")
        );
        headers.insert(
            name.clone(),
            http::HeaderValue::from_static("not an address"),
        );
        assert_eq!(session::first_address(&headers, &name), None);
    }

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_path(Some("/cart"), "/"), "/cart");
        assert_eq!(safe_path(Some("//evil.example"), "/"), "/");
        assert_eq!(safe_path(Some("https://evil.example"), "/"), "/");
        assert_eq!(safe_path(Some("/\\evil"), "/"), "/");
        assert_eq!(safe_path(None, "/cart"), "/cart");
    }
}
