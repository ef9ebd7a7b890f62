//! Server functions of the account pages (`/api/account/*`): signing in and out,
//! registering, the emailed links (confirm the email, reset the password), the profile,
//! the address book and the customer's orders.
//!
//! Every form of the account pages is a plain HTML form posting to one of these, which
//! answers with a redirect: to the next page on success, back to the form with
//! `?error=…&field=…` otherwise (the field is the API's `param`), so every step works
//! without JavaScript.
//!
//! The session token lives in the HttpOnly cookie `emporium_session` (see
//! [`crate::cart_api`] for how every call then carries it). Signing in brings the guest
//! cart along: the API adopts it or adds its lines to the customer's open cart, and the
//! cart cookie then names the cart the API says to continue with.

use std::fmt;

use emporium_client::{
    accounts::{Customer, SavedAddress},
    commerce::Order,
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

use crate::cart_api::ShopError;

/// How many of the customer's orders the account page lists, newest first.
pub const RECENT_ORDERS: i64 = 10;

/// How many orders a page of `/account/orders` lists, newest first.
pub const ORDERS_PER_PAGE: i64 = 20;

/// Why an account step did not happen, as the shopper should read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountError {
    /// The API refused the request (a wrong password, a used link, a field at fault).
    /// `detail` is for the shopper; `param` names the field at fault.
    Rejected {
        code: String,
        detail: String,
        param: Option<String>,
    },
    /// There is no session, or the API said it ended.
    SignedOut,
    /// No such order or address (of this customer).
    NotFound,
    /// The API failed or could not be reached. The text is for logs, not shoppers.
    Unavailable(String),
}

impl AccountError {
    /// A refusal of the storefront's own (before the API is asked).
    pub fn invalid(param: &str, detail: impl Into<String>) -> Self {
        AccountError::Rejected {
            code: "invalid_parameter".to_owned(),
            detail: detail.into(),
            param: Some(param.to_owned()),
        }
    }

    /// What to show the shopper.
    pub fn message(&self) -> String {
        match self {
            AccountError::Rejected { detail, .. } => detail.clone(),
            AccountError::SignedOut => "Please sign in to continue.".to_owned(),
            AccountError::NotFound => "We could not find that in your account.".to_owned(),
            AccountError::Unavailable(_) => {
                "The shop cannot do that right now. Please try again in a moment.".to_owned()
            }
        }
    }

    /// The field at fault, e.g. `password` or `address.postal_code`.
    pub fn param(&self) -> Option<&str> {
        match self {
            AccountError::Rejected { param, .. } => param.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::Unavailable(reason) => write!(f, "the shop is unavailable: {reason}"),
            other => f.write_str(&other.message()),
        }
    }
}

impl std::error::Error for AccountError {}

impl From<ClientError> for AccountError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Api(problem)
                if problem.status == 401 && problem.code == "unauthenticated" =>
            {
                AccountError::SignedOut
            }
            ClientError::Api(problem) if problem.status == 404 => AccountError::NotFound,
            ClientError::Api(problem) if problem.status < 500 => {
                let param = match problem.code.as_str() {
                    // The API does not say which of the two was wrong, on purpose; the
                    // message goes where the shopper types again.
                    "invalid_credentials" => problem.param.or_else(|| Some("password".to_owned())),
                    "token_invalid" => Some("token".to_owned()),
                    _ => problem.param,
                };
                AccountError::Rejected {
                    detail: shopper_text(&problem.code, &problem.detail),
                    code: problem.code,
                    param,
                }
            }
            other => AccountError::Unavailable(other.to_string()),
        }
    }
}

impl From<ShopError> for AccountError {
    fn from(error: ShopError) -> Self {
        match error {
            ShopError::Rejected {
                code,
                detail,
                param,
            } => AccountError::Rejected {
                code,
                detail,
                param,
            },
            other => AccountError::Unavailable(other.to_string()),
        }
    }
}

impl FromServerFnError for AccountError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                AccountError::Rejected {
                    code: "invalid_body".to_owned(),
                    detail,
                    param: None,
                }
            }
            other => AccountError::Unavailable(other.to_string()),
        }
    }
}

/// The API's refusal in the shopper's words: ours for the refusals a shopper meets
/// often, else the API's own text (e.g. which password rule failed, or when to try
/// again after too many attempts) as a sentence.
pub fn shopper_text(code: &str, detail: &str) -> String {
    match code {
        "invalid_credentials" => "The email or password is not right.".to_owned(),
        "token_invalid" => "This link has expired or was already used.".to_owned(),
        _ => sentence(detail),
    }
}

/// `detail` with a capital first letter and a full stop.
fn sentence(detail: &str) -> String {
    let detail = detail.trim();
    let mut chars = detail.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut text: String = first.to_uppercase().chain(chars).collect();
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// What the header shows of a signed-in shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBadge {
    pub first_name: Option<String>,
    pub email: String,
    pub email_verified: bool,
}

impl AccountBadge {
    /// "Account (Ada)", or "Account" without a first name.
    pub fn label(&self) -> String {
        match self.first_name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => format!("Account ({name})"),
            _ => "Account".to_owned(),
        }
    }
}

/// What the account page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub customer: Customer,
    pub addresses: Vec<SavedAddress>,
    /// The most recent orders, newest first (at most [`RECENT_ORDERS`]).
    pub orders: Vec<Order>,
    /// Whether there are older orders than those listed.
    pub more_orders: bool,
    /// The countries the shop ships to (every region's), for the address form; empty
    /// when the regions could not be read.
    pub countries: Vec<String>,
}

/// A page of `/account/orders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersPage {
    /// Newest first, at most [`ORDERS_PER_PAGE`].
    pub orders: Vec<Order>,
    /// The cursor of the next (older) page, when there is one.
    pub next_cursor: Option<String>,
    /// Whether this is a later page than the first (a cursor the API refused shows the
    /// first page, so this is not simply "the URL had a cursor").
    pub later_page: bool,
}

/// `/account/addresses/{id}`: the saved address, what the shopper typed into its form
/// when the API last refused it, and the countries for the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressEdit {
    pub saved: SavedAddress,
    /// The refused form of this address, if the shopper's last try was one.
    pub kept: Option<AddressForm>,
    /// As in [`AccountOverview::countries`].
    pub countries: Vec<String>,
}

/// What a sign-in, registration, forgotten-password or address form keeps of what the
/// shopper typed when the API refused it. Never the password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptFields {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    /// The edit form of a saved address: the address's id and the form.
    #[serde(default)]
    pub address: Option<(String, AddressForm)>,
}

/// The address form of the account page. Every field is text and optional on the wire,
/// so a form with a field missing still reaches the API, which names what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    /// A checkbox: present (any value) when checked.
    #[serde(default)]
    pub default_shipping: Option<String>,
    #[serde(default)]
    pub default_billing: Option<String>,
}

/// The header's account link: the signed-in customer, or `None` for a guest. Without a
/// session cookie the API is not asked, so pages for guests stay cheap and cacheable.
#[server(endpoint = "account/badge")]
pub async fn current_account() -> Result<Option<AccountBadge>, AccountError> {
    use crate::cart_api::session;

    if !session::signed_in() {
        return Ok(None);
    }
    let client = session::client()?;
    match client.me().await {
        Ok(customer) => Ok(Some(AccountBadge {
            first_name: customer.first_name,
            email: customer.email,
            email_verified: customer.email_verified,
        })),
        Err(error) if session::session_ended_by(&error) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// What the shopper typed into the account form the API last refused (see
/// [`KeptFields`]).
#[server(endpoint = "account/kept")]
pub async fn kept_account_fields() -> Result<KeptFields, AccountError> {
    Ok(kept::read().unwrap_or_default())
}

/// Signs in with email and password, bringing the guest cart along, and sends the
/// shopper on to `next` (a same-site path) or `/account`.
#[server(endpoint = "account/login")]
pub async fn sign_in(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AccountError> {
    use emporium_client::accounts::Login;

    use crate::cart_api::{session, CART_COOKIE};

    let next = after_sign_in(next.as_deref());
    let email = email.trim().to_owned();
    let result = async {
        if email.is_empty() {
            return Err(AccountError::invalid("email", "Enter your email address."));
        }
        if password.is_empty() {
            return Err(AccountError::invalid("password", "Enter your password."));
        }
        let client = session::guest_client()?;
        let mut login = Login {
            email: email.clone(),
            password,
            cart_id: session::cookie(CART_COOKIE),
        };
        let signed_in = match client.login(&login).await {
            // A cart id the API cannot read (a hand-edited cookie) must not stop the
            // sign-in: the shopper signs in without it.
            Err(ClientError::Api(problem)) if problem.param.as_deref() == Some("cart_id") => {
                session::forget_cart();
                login.cart_id = None;
                client.login(&login).await
            }
            other => other,
        }?;
        // A session this browser held before (another account, say) ends with it.
        if let Some(old) = session::session_token() {
            if let Err(error) = client.signed_in(&old).logout().await {
                leptos::logging::warn!("storefront: the previous session did not end: {error}");
            }
        }
        session::remember_session(&signed_in.token, &signed_in.absolute_expires_at);
        match &signed_in.cart_id {
            Some(id) => session::remember_cart(id),
            None => session::forget_cart(),
        }
        Ok(())
    }
    .await;
    keep_fields(
        &result,
        KeptFields {
            email,
            ..KeptFields::default()
        },
    );
    let back = crate::query::href("/account/login", &[("next", next.as_str())]);
    answer(result, &next, &back)
}

/// Opens an account. The API answers the same whether or not the email already has one
/// (and mails either a confirmation link or a note), and never signs in here.
#[server(endpoint = "account/register")]
pub async fn register(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] first_name: String,
    #[server(default)] last_name: String,
) -> Result<(), AccountError> {
    use emporium_client::accounts::RegisterCustomer;

    use crate::cart_api::session;

    let kept_fields = KeptFields {
        email: email.trim().to_owned(),
        first_name: first_name.trim().to_owned(),
        last_name: last_name.trim().to_owned(),
        address: None,
    };
    let result = async {
        if kept_fields.email.is_empty() {
            return Err(AccountError::invalid("email", "Enter your email address."));
        }
        if password.is_empty() {
            return Err(AccountError::invalid(
                "password",
                "Choose a password of at least 10 characters.",
            ));
        }
        let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        session::guest_client()?
            .register(&RegisterCustomer {
                email: kept_fields.email.clone(),
                password,
                first_name: optional(&kept_fields.first_name),
                last_name: optional(&kept_fields.last_name),
            })
            .await?;
        Ok(())
    }
    .await;
    keep_fields(&result, kept_fields);
    answer(
        result,
        "/account/login?notice=registered",
        "/account/register",
    )
}

/// Confirms the email address of the link's account. Only ever on a POST: mail
/// scanners open links, and the token works once.
#[server(endpoint = "account/verify")]
pub async fn confirm_email(#[server(default)] token: String) -> Result<(), AccountError> {
    use emporium_client::accounts::VerifyEmail;

    use crate::cart_api::session;

    let token = token.trim().to_owned();
    let result = async {
        if token.is_empty() {
            return Err(link_refused());
        }
        session::guest_client()?
            .verify_email(&VerifyEmail {
                token: token.clone(),
            })
            .await?;
        Ok(())
    }
    .await;
    // A refused link comes back without its token; any other failure keeps it, so the
    // shopper can try again.
    let back = match &result {
        Err(error) if error.param() == Some("token") => "/account/verify".to_owned(),
        _ => crate::query::href("/account/verify", &[("token", token.as_str())]),
    };
    answer(result, "/account/verify?status=confirmed", &back)
}

/// Mails the signed-in customer a new link to confirm their email.
#[server(endpoint = "account/verification")]
pub async fn resend_verification() -> Result<String, AccountError> {
    let result = async {
        let client = signed_in_client()?;
        Ok(checked(client.resend_verification().await)?.status)
    }
    .await;
    let next = match &result {
        Ok(status) if status == "already_verified" => "/account?notice=already-verified",
        Ok(status) if status == "too_soon" => "/account?notice=verification-too-soon",
        _ => "/account?notice=verification-sent",
    };
    answer(result, next, "/account")
}

/// Asks for a password reset link. The answer is the same whether or not the email has
/// an account, so the form does not tell a stranger who shops here.
#[server(endpoint = "account/forgot")]
pub async fn forgot_password(#[server(default)] email: String) -> Result<(), AccountError> {
    use emporium_client::accounts::RequestPasswordReset;

    use crate::cart_api::session;

    let email = email.trim().to_owned();
    let result = async {
        if email.is_empty() {
            return Err(AccountError::invalid("email", "Enter your email address."));
        }
        session::guest_client()?
            .request_password_reset(&RequestPasswordReset {
                email: email.clone(),
            })
            .await?;
        Ok(())
    }
    .await;
    keep_fields(
        &result,
        KeptFields {
            email,
            ..KeptFields::default()
        },
    );
    answer(result, "/account/forgot?status=sent", "/account/forgot")
}

/// Sets a new password with the link's token, then sends the shopper to sign in.
#[server(endpoint = "account/reset")]
pub async fn reset_password(
    #[server(default)] token: String,
    #[server(default)] password: String,
) -> Result<(), AccountError> {
    use emporium_client::accounts::ConfirmPasswordReset;

    use crate::cart_api::session;

    let token = token.trim().to_owned();
    let result = async {
        if token.is_empty() {
            return Err(link_refused());
        }
        if password.is_empty() {
            return Err(AccountError::invalid(
                "password",
                "Choose a new password of at least 10 characters.",
            ));
        }
        session::guest_client()?
            .confirm_password_reset(&ConfirmPasswordReset {
                token: token.clone(),
                password,
            })
            .await?;
        // The reset ended every session of the account, this browser's too if it was
        // one of them: it signs in again like the others.
        if session::signed_in() {
            session::end_session();
        }
        Ok(())
    }
    .await;
    let back = match &result {
        Err(error) if error.param() == Some("token") => "/account/reset".to_owned(),
        _ => crate::query::href("/account/reset", &[("token", token.as_str())]),
    };
    answer(result, "/account/login?notice=password-reset", &back)
}

/// Signs out: ends the session at the API and drops the session and cart cookies (the
/// cart is the customer's). Only with the session cookie: a request without it (a form
/// posted from another site, which the browser sends without our `SameSite=Lax`
/// cookies) changes nothing.
#[server(endpoint = "account/logout")]
pub async fn sign_out() -> Result<(), AccountError> {
    use crate::cart_api::{session, SESSION_COOKIE};

    if session::cookie(SESSION_COOKIE).is_some() {
        if let Ok(client) = session::client() {
            match client.logout().await {
                Ok(()) => {}
                // Already ended: signed out all the same.
                Err(ClientError::Api(problem)) if problem.status == 401 => {}
                Err(error) => {
                    leptos::logging::warn!(
                        "storefront: the session did not end at the API: {error}"
                    )
                }
            }
        }
        session::end_session();
    }
    if session::plain_form() {
        leptos_axum::redirect("/");
    }
    Ok(())
}

/// Changes the customer's first and last name (an empty field clears it).
#[server(endpoint = "account/profile")]
pub async fn update_profile(
    #[server(default)] first_name: String,
    #[server(default)] last_name: String,
) -> Result<(), AccountError> {
    use emporium_client::accounts::ProfilePatch;

    let result = async {
        let client = signed_in_client()?;
        let patch = ProfilePatch {
            first_name: Some(first_name.trim().to_owned()),
            last_name: Some(last_name.trim().to_owned()),
            phone: None,
        };
        checked(client.update_me(&patch).await)?;
        Ok(())
    }
    .await;
    answer(result, "/account?notice=profile-saved", "/account#profile")
}

/// Adds an address to the customer's address book.
#[server(endpoint = "account/addresses/add")]
pub async fn add_address(#[server(flatten)] form: AddressForm) -> Result<(), AccountError> {
    use emporium_client::{accounts::AddressInput, commerce::Address};

    let result = async {
        let client = signed_in_client()?;
        let optional = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_owned())
        };
        let input = AddressInput {
            label: optional(&form.label),
            address: Address {
                name: form.name.trim().to_owned(),
                line1: form.line1.trim().to_owned(),
                line2: optional(&form.line2),
                city: form.city.trim().to_owned(),
                postal_code: form.postal_code.trim().to_owned(),
                country: form.country.trim().to_uppercase(),
                phone: None,
            },
            default_shipping: form.default_shipping.is_some(),
            default_billing: form.default_billing.is_some(),
        };
        checked(client.add_address(&input).await)?;
        Ok(())
    }
    .await;
    answer(
        result,
        "/account?notice=address-added#addresses",
        "/account#add-address",
    )
}

/// Deletes an address from the customer's address book.
#[server(endpoint = "account/addresses/delete")]
pub async fn delete_address(#[server(default)] id: String) -> Result<(), AccountError> {
    let result = async {
        let client = signed_in_client()?;
        match checked(client.delete_address(id.trim()).await) {
            // Already gone (a second click): what the shopper wanted.
            Ok(()) | Err(AccountError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }
    .await;
    answer(
        result,
        "/account?notice=address-deleted#addresses",
        "/account#addresses",
    )
}

/// Changes a saved address: label, address and default flags, as the edit form shows
/// them. Back to the address book when saved, or to the form (with what was typed) when
/// the API refused it.
#[server(endpoint = "account/addresses/update")]
pub async fn update_address(
    #[server(default)] id: String,
    #[server(flatten)] form: AddressForm,
) -> Result<(), AccountError> {
    use emporium_client::{accounts::AddressPatch, commerce::Address};

    let id = id.trim().to_owned();
    let result = async {
        let client = signed_in_client()?;
        if id.is_empty() {
            return Err(AccountError::NotFound);
        }
        // The patch replaces the whole address and the form has no phone field: the
        // saved phone (e.g. from an admin) is carried over rather than wiped.
        let current = checked(client.address(&id).await)?;
        let line2 = form.line2.trim();
        let patch = AddressPatch {
            // An empty label clears it.
            label: Some(form.label.trim().to_owned()),
            address: Some(Address {
                name: form.name.trim().to_owned(),
                line1: form.line1.trim().to_owned(),
                line2: (!line2.is_empty()).then(|| line2.to_owned()),
                city: form.city.trim().to_owned(),
                postal_code: form.postal_code.trim().to_owned(),
                country: form.country.trim().to_uppercase(),
                phone: current.address.phone,
            }),
            default_shipping: Some(form.default_shipping.is_some()),
            default_billing: Some(form.default_billing.is_some()),
        };
        checked(client.update_address(&id, &patch).await)?;
        Ok(())
    }
    .await;
    keep_fields(
        &result,
        KeptFields {
            address: Some((id.clone(), form)),
            ..KeptFields::default()
        },
    );
    let back = match &result {
        // Deleted meanwhile (or never there): the form would be a 404, so the address
        // book says so instead.
        Err(AccountError::NotFound) => "/account#addresses".to_owned(),
        _ => format!("/account/addresses/{}", crate::query::encode(&id)),
    };
    answer(result, "/account?notice=address-updated#addresses", &back)
}

/// A saved address for its edit form.
#[server(endpoint = "account/address")]
pub async fn account_address(id: String) -> Result<AddressEdit, AccountError> {
    let client = signed_in_client()?;
    let id = id.trim();
    if id.is_empty() {
        return Err(AccountError::NotFound);
    }
    let saved = checked(client.address(id).await)?;
    let kept = kept::read()
        .and_then(|kept| kept.address)
        .filter(|(kept_id, _)| kept_id == id)
        .map(|(_, form)| form);
    Ok(AddressEdit {
        saved,
        kept,
        countries: shipping_countries(&client).await,
    })
}

/// A page of the customer's orders, newest first: the first page, or the one `cursor`
/// (the previous page's `next_cursor`) starts.
#[server(endpoint = "account/orders")]
pub async fn account_orders(
    #[server(default)] cursor: Option<String>,
) -> Result<OrdersPage, AccountError> {
    let client = signed_in_client()?;
    let cursor = cursor
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let (page, later_page) = match client
        .my_orders(Some(ORDERS_PER_PAGE), cursor.as_deref())
        .await
    {
        // A cursor the API does not take (stale, or edited by hand): the first page
        // rather than an error the shopper cannot act on.
        Err(ClientError::Api(problem)) if problem.status == 400 && cursor.is_some() => (
            checked(client.my_orders(Some(ORDERS_PER_PAGE), None).await)?,
            false,
        ),
        other => (checked(other)?, cursor.is_some()),
    };
    Ok(OrdersPage {
        orders: page.items,
        next_cursor: page.next_cursor,
        later_page,
    })
}

/// The account page's data.
#[server(endpoint = "account/overview")]
pub async fn load_account() -> Result<AccountOverview, AccountError> {
    let client = signed_in_client()?;
    let customer = checked(client.me().await)?;
    let addresses = checked(client.addresses().await)?.items;
    let orders = checked(client.my_orders(Some(RECENT_ORDERS), None).await)?;
    let countries = shipping_countries(&client).await;
    Ok(AccountOverview {
        customer,
        addresses,
        more_orders: orders.next_cursor.is_some(),
        orders: orders.items,
        countries,
    })
}

/// One of the customer's orders.
#[server(endpoint = "account/order")]
pub async fn account_order(id: String) -> Result<Order, AccountError> {
    let client = signed_in_client()?;
    let id = id.trim();
    if id.is_empty() {
        return Err(AccountError::NotFound);
    }
    match checked(client.my_order(id).await) {
        // A malformed id names no order either.
        Err(AccountError::Rejected { .. }) => Err(AccountError::NotFound),
        other => other,
    }
}

/// The countries the shop ships to (every region's, once each), for the address forms;
/// none when the regions could not be read (the forms then ask for a code).
#[cfg(feature = "ssr")]
async fn shipping_countries(client: &emporium_client::Client) -> Vec<String> {
    match client.list_regions().await {
        Ok(regions) => {
            let mut countries: Vec<String> = Vec::new();
            for country in regions.items.into_iter().flat_map(|r| r.countries) {
                if !countries.contains(&country) {
                    countries.push(country);
                }
            }
            countries
        }
        Err(error) => {
            leptos::logging::warn!("storefront: the regions could not be read: {error}");
            Vec::new()
        }
    }
}

/// The refusal of an emailed link that cannot be used (here: one without a token).
#[cfg(feature = "ssr")]
fn link_refused() -> AccountError {
    AccountError::Rejected {
        code: "token_invalid".to_owned(),
        detail: shopper_text("token_invalid", ""),
        param: Some("token".to_owned()),
    }
}

/// The client acting for the request's session; [`AccountError::SignedOut`] without one.
#[cfg(feature = "ssr")]
fn signed_in_client() -> Result<emporium_client::Client, AccountError> {
    use crate::cart_api::session;

    if !session::signed_in() {
        return Err(AccountError::SignedOut);
    }
    Ok(session::client()?)
}

/// The answer of a call made with the session: an answer saying the session ended
/// also signs the shopper out here (see `session::end_session`).
#[cfg(feature = "ssr")]
fn checked<T>(result: Result<T, ClientError>) -> Result<T, AccountError> {
    result.map_err(|error| {
        crate::cart_api::session::session_ended_by(&error);
        error.into()
    })
}

/// Keeps what the shopper typed for the form's next render when the API refused it, and
/// forgets it once the form went through.
#[cfg(feature = "ssr")]
fn keep_fields<T>(result: &Result<T, AccountError>, fields: KeptFields) {
    match result {
        Ok(_) => kept::forget(),
        Err(_) => kept::save(&fields),
    }
}

/// Finishes an account form: a plain form is redirected to `next` on success, back to
/// `back` (which may end with a `#fragment`) with the error otherwise, or to sign in
/// when the session ended; the caller gets the result.
#[cfg(feature = "ssr")]
fn answer<T>(result: Result<T, AccountError>, next: &str, back: &str) -> Result<T, AccountError> {
    use crate::cart_api::{session, with_message};

    if session::plain_form() {
        match &result {
            Ok(_) => leptos_axum::redirect(next),
            Err(AccountError::SignedOut) => leptos_axum::redirect(&sign_in_href("/account")),
            Err(error) => {
                let (path, fragment) = match back.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (back, None),
                };
                let mut target = with_message(path, &error.message(), error.param());
                if let Some(fragment) = fragment {
                    target.push('#');
                    target.push_str(fragment);
                }
                leptos_axum::redirect(&target);
            }
        }
    }
    if let Err(AccountError::Unavailable(reason)) = &result {
        leptos::logging::warn!("storefront: an account step failed: {reason}");
    }
    result
}

/// Where to go after signing in: `next` when it is a same-site path other than the
/// sign-in page itself (which would send a signed-in shopper round in a loop), else
/// `/account`.
pub fn after_sign_in(next: Option<&str>) -> String {
    let path = crate::cart_api::safe_path(next, "/account");
    if path.starts_with("/account/login") {
        "/account".to_owned()
    } else {
        path.to_owned()
    }
}

/// `/account/login?next=…`: where a page for signed-in shoppers sends a guest.
pub fn sign_in_href(next: &str) -> String {
    crate::query::href("/account/login", &[("next", next)])
}

/// The cookie behind [`KeptFields`]: hex-encoded JSON (cookie values cannot hold JSON's
/// quotes and commas), for the account pages only, kept briefly.
#[cfg(feature = "ssr")]
mod kept {
    use super::KeptFields;
    use crate::cart_api::{session, ACCOUNT_FORM_COOKIE};

    /// Long enough to correct a typo, short enough not to linger.
    const MAX_AGE: u32 = 60 * 10;

    pub fn save(fields: &KeptFields) {
        if let Ok(json) = serde_json::to_vec(fields) {
            session::set_cookie(
                ACCOUNT_FORM_COOKIE,
                &session::hex(&json),
                "/account",
                MAX_AGE,
            );
        }
    }

    pub fn read() -> Option<KeptFields> {
        let bytes = session::unhex(&session::cookie(ACCOUNT_FORM_COOKIE)?)?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn forget() {
        if session::cookie(ACCOUNT_FORM_COOKIE).is_some() {
            session::set_cookie(ACCOUNT_FORM_COOKIE, "", "/account", 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use emporium_client::types::Problem;

    use super::*;

    fn problem(status: u16, code: &str, detail: &str, param: Option<&str>) -> ClientError {
        ClientError::Api(Problem {
            kind: "about:blank".into(),
            title: "x".into(),
            status,
            detail: detail.into(),
            code: code.into(),
            param: param.map(str::to_owned),
            request_id: None,
        })
    }

    #[test]
    fn refusals_read_as_sentences_at_the_field_they_concern() {
        let wrong = AccountError::from(problem(401, "invalid_credentials", "no", None));
        assert_eq!(wrong.message(), "The email or password is not right.");
        assert_eq!(wrong.param(), Some("password"));
        let used = AccountError::from(problem(400, "token_invalid", "unknown token", None));
        assert_eq!(used.message(), "This link has expired or was already used.");
        assert_eq!(used.param(), Some("token"));
        let rule = AccountError::from(problem(
            400,
            "invalid_parameter",
            "use at least 10 characters; a few words make a good one",
            Some("password"),
        ));
        assert_eq!(
            rule.message(),
            "Use at least 10 characters; a few words make a good one."
        );
        assert_eq!(rule.param(), Some("password"));
        let limited = AccountError::from(problem(
            429,
            "rate_limited",
            "too many attempts: try again in a minute.",
            None,
        ));
        assert_eq!(
            limited.message(),
            "Too many attempts: try again in a minute."
        );
        assert_eq!(limited.param(), None);
    }

    #[test]
    fn an_ended_session_is_signed_out_and_a_failing_api_unavailable() {
        assert_eq!(
            AccountError::from(problem(401, "unauthenticated", "sign in", None)),
            AccountError::SignedOut
        );
        assert_eq!(
            AccountError::from(problem(404, "not_found", "no order", None)),
            AccountError::NotFound
        );
        assert!(matches!(
            AccountError::from(problem(503, "unavailable", "down", None)),
            AccountError::Unavailable(_)
        ));
    }

    #[test]
    fn after_signing_in_only_a_same_site_page_other_than_sign_in_follows() {
        assert_eq!(after_sign_in(Some("/checkout")), "/checkout");
        assert_eq!(after_sign_in(None), "/account");
        assert_eq!(after_sign_in(Some("https://evil.example")), "/account");
        assert_eq!(after_sign_in(Some("/account/login?next=/x")), "/account");
    }

    #[test]
    fn the_badge_names_the_customer_when_it_can() {
        let badge = AccountBadge {
            first_name: Some("Ada".into()),
            email: "ada@example.com".into(),
            email_verified: true,
        };
        assert_eq!(badge.label(), "Account (Ada)");
        let nameless = AccountBadge {
            first_name: Some(" ".into()),
            ..badge
        };
        assert_eq!(nameless.label(), "Account");
    }
}
