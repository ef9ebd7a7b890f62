//! Store API for customer accounts: registration, login and sessions, email
//! verification, password reset, the profile and the address book. Handlers parse, call
//! one accounts method and map the result; every rule (password rules, token expiry,
//! what may be revealed) lives in the accounts service.
//!
//! Every answer is per customer, so none may be cached (`private, no-store`). The `/me`
//! routes act for the customer [`CurrentCustomer`] signs in; an address or order id of
//! another customer is a 404 like one that never existed.

use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use emporium_accounts::{
    AccountError, AddressId, ProfileUpdate, Registered, Registration, VerificationRequest,
};
use emporium_checkout::OrderQuery;
use emporium_client::{
    accounts::{
        AddressInput, AddressPatch, ChangeEmail, ChangePassword, CheckYourInbox,
        ConfirmPasswordReset, Customer, Login, ProfilePatch, RegisterCustomer,
        RequestPasswordReset, SavedAddress, SessionToken, VerificationStatus, VerifyEmail,
    },
    commerce::Order,
    types::Page,
};
use emporium_kernel::{
    clock::rfc3339,
    id::{CartId, OrderId},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{auth::CurrentCustomer, store_routes::private, wire};
use crate::{
    extract::{body_id, path_id, JsonBody, Path, QueryParams},
    limits::{email_key, Client, Limit},
    problem::{ApiError, ApiResult},
    AppState,
};

/// Each route with its OpenAPI operation (`routes!` registers both from the handler's
/// `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_everywhere))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(get_me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(change_email))
        .routes(routes!(list_addresses, add_address))
        .routes(routes!(get_address, update_address, delete_address))
        .routes(routes!(list_my_orders))
        .routes(routes!(get_my_order))
}

/// `204 No Content`, not to be cached either.
fn no_content() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// A wrong current password names the field, so a form can mark it.
fn current_password_error(err: AccountError) -> ApiError {
    match err {
        AccountError::InvalidCredentials => ApiError::from(err).param("current_password"),
        other => other.into(),
    }
}

/// Open an account. The answer is the same whether the email is new or already has an
/// account (whose owner is then told by email), and it never signs anyone in: telling
/// the two apart would tell anyone which emails shop here. A verification link goes to
/// a new address.
#[utoipa::path(post, path = "/store/customers", tag = "accounts", request_body = RegisterCustomer,
    responses((status = 202, description = "Check your inbox (the same answer for a new and a known email)", body = CheckYourInbox),
              (status = 400, description = "A field is malformed or the password breaks a rule (`invalid_parameter`, `param` names the field)"),
              (status = 429, description = "Too many attempts (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn register(
    State(state): State<AppState>,
    client: Client,
    JsonBody(input): JsonBody<RegisterCustomer>,
) -> ApiResult<Response> {
    state
        .limits
        .check_client(Limit::RegisterByClient, &client)?;
    let registration = Registration {
        email: input.email,
        password: input.password,
        first_name: input.first_name,
        last_name: input.last_name,
    };
    // Only a well-formed registration counts against the email's limit: a shopper
    // fumbling the password rules is not locked out.
    state.commerce.accounts.check_registration(&registration)?;
    state
        .limits
        .check(Limit::RegisterByEmail, &email_key(&registration.email))?;
    match state.commerce.accounts.register(registration).await? {
        // One answer for both: see above.
        Registered::Created(_) | Registered::Existing => {}
    }
    Ok(private(StatusCode::ACCEPTED, CheckYourInbox::new()))
}

/// Sign in with email and password: a session token to send as `Authorization: Bearer
/// <token>`. A wrong password and an unknown email get the same 401. The guest cart
/// named by `cart_id` comes along: it becomes the customer's, or its lines are added to
/// their open cart; `cart_id` in the answer is the cart to continue with.
#[utoipa::path(post, path = "/store/auth/login", tag = "accounts", request_body = Login,
    responses((status = 200, description = "Signed in", body = SessionToken),
              (status = 400, description = "A malformed `cart_id` (`invalid_parameter`)"),
              (status = 401, description = "The email and password do not match an account (`invalid_credentials`)"),
              (status = 429, description = "Too many attempts (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn login(
    State(state): State<AppState>,
    client: Client,
    JsonBody(input): JsonBody<Login>,
) -> ApiResult<Response> {
    // Both before any hashing: a guesser pays for no argon2 run once over a limit.
    state.limits.check_client(Limit::LoginByClient, &client)?;
    state
        .limits
        .check(Limit::LoginByEmail, &email_key(&input.email))?;
    let guest_cart = input
        .cart_id
        .as_deref()
        .map(|id| body_id("cart_id", id, CartId::parse))
        .transpose()?;
    let logged_in = state
        .commerce
        .accounts
        .login(&input.email, &input.password)
        .await?;
    let session = &logged_in.session;
    attach_verified_guest_orders(&state, logged_in.customer.clone()).await?;
    let cart = state
        .commerce
        .carts
        .sign_in(&session.customer_id, guest_cart.as_ref())
        .await?;
    let body = SessionToken {
        cart_id: cart.cart_id().map(ToString::to_string),
        token: logged_in.token.expose().to_owned(),
        expires_at: rfc3339(session.expires_at),
        absolute_expires_at: rfc3339(session.absolute_expires_at),
        customer: wire::customer(logged_in.customer),
    };
    Ok(private(StatusCode::OK, body))
}

/// End this session: its token stops working at once.
#[utoipa::path(post, path = "/store/auth/logout", tag = "accounts",
    security(("customer_token" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, me: CurrentCustomer) -> ApiResult<Response> {
    state.commerce.accounts.logout(me.token()).await?;
    Ok(no_content())
}

/// End every session of the customer, this one included (a lost phone, a shared
/// computer).
#[utoipa::path(post, path = "/store/auth/logout-everywhere", tag = "accounts",
    security(("customer_token" = [])),
    responses((status = 204, description = "Every session ended")))]
pub async fn logout_everywhere(
    State(state): State<AppState>,
    me: CurrentCustomer,
) -> ApiResult<Response> {
    state
        .commerce
        .accounts
        .logout_everywhere(me.customer_id())
        .await?;
    Ok(no_content())
}

/// Ask for a password-reset link. The answer is the same whether or not the email has
/// an account; one with an account gets the link (a repeat within moments sends none).
#[utoipa::path(post, path = "/store/auth/password-reset", tag = "accounts", request_body = RequestPasswordReset,
    responses((status = 202, description = "Check your inbox (the same answer whether or not the email has an account)", body = CheckYourInbox),
              (status = 400, description = "The email is malformed (`invalid_parameter`)"),
              (status = 429, description = "Too many attempts (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    client: Client,
    JsonBody(input): JsonBody<RequestPasswordReset>,
) -> ApiResult<Response> {
    state.limits.check_client(Limit::ResetByClient, &client)?;
    state
        .limits
        .check(Limit::ResetByEmail, &email_key(&input.email))?;
    state
        .commerce
        .accounts
        .request_password_reset(&input.email)
        .await?;
    Ok(private(StatusCode::ACCEPTED, CheckYourInbox::new()))
}

/// Set a new password with the token of a reset link. Every session of the account
/// ends (sign in with the new password); the link cannot be used again.
#[utoipa::path(post, path = "/store/auth/password-reset/confirm", tag = "accounts", request_body = ConfirmPasswordReset,
    responses((status = 204, description = "The password is set"),
              (status = 400, description = "The link is unknown, expired or used (`token_invalid`), or the password breaks a rule (`invalid_parameter`, `param` is `password`; the link still works)"),
              (status = 429, description = "Too many attempts (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    client: Client,
    JsonBody(input): JsonBody<ConfirmPasswordReset>,
) -> ApiResult<Response> {
    state.limits.check_client(Limit::TokenByClient, &client)?;
    match state
        .commerce
        .accounts
        .confirm_password_reset(&input.token, &input.password)
        .await
    {
        Ok(_) => Ok(no_content()),
        // The service calls it the new password; this body calls it `password`.
        Err(AccountError::InvalidField { field, message }) if field == "new_password" => {
            Err(AccountError::InvalidField {
                field: "password".to_owned(),
                message,
            }
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Confirm the email address with the token of a verification link.
#[utoipa::path(post, path = "/store/auth/verify-email", tag = "accounts", request_body = VerifyEmail,
    responses((status = 204, description = "The email is verified"),
              (status = 400, description = "The link is unknown, expired, used, or for an address the account no longer has (`token_invalid`)"),
              (status = 429, description = "Too many attempts (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn verify_email(
    State(state): State<AppState>,
    client: Client,
    JsonBody(input): JsonBody<VerifyEmail>,
) -> ApiResult<Response> {
    state.limits.check_client(Limit::TokenByClient, &client)?;
    let customer_id = state.commerce.accounts.verify_email(&input.token).await?;
    let customer = state.commerce.accounts.customer(&customer_id).await?;
    attach_verified_guest_orders(&state, customer).await?;
    Ok(no_content())
}

/// Mail a new verification link to the customer's address (not more often than the
/// service allows: `too_soon` says one went out a moment ago).
#[utoipa::path(post, path = "/store/customers/me/verification", tag = "accounts",
    security(("customer_token" = [])),
    responses((status = 202, description = "What was done: `sent`, `already_verified` or `too_soon`", body = VerificationStatus)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    me: CurrentCustomer,
) -> ApiResult<Response> {
    let outcome = state
        .commerce
        .accounts
        .request_email_verification(me.customer_id())
        .await?;
    let body = match outcome {
        VerificationRequest::Sent { expires_at } => VerificationStatus {
            status: "sent".to_owned(),
            expires_at: Some(rfc3339(expires_at)),
        },
        VerificationRequest::AlreadyVerified => VerificationStatus {
            status: "already_verified".to_owned(),
            expires_at: None,
        },
        VerificationRequest::TooSoon => VerificationStatus {
            status: "too_soon".to_owned(),
            expires_at: None,
        },
    };
    Ok(private(StatusCode::ACCEPTED, body))
}

/// Guest orders placed with the customer's email become theirs once the address is
/// verified (the customer proved it is theirs); until then they stay a guest's. Done when
/// the email is verified and at each sign-in (for guest orders placed since).
async fn attach_verified_guest_orders(
    state: &AppState,
    customer: emporium_accounts::Customer,
) -> ApiResult<()> {
    if customer.email_verified() {
        state
            .commerce
            .checkout
            .attach_guest_orders(&customer.id, &customer.email)
            .await?;
    }
    Ok(())
}

/// The customer's orders, newest first: those placed while signed in, and guest orders
/// placed with their email once it is verified.
#[utoipa::path(get, path = "/store/customers/me/orders", tag = "accounts",
    security(("customer_token" = [])),
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "1 to 100, default 20"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, description = "A page of the customer's orders", body = Page<Order>),
              (status = 400, description = "A malformed `limit` or `cursor` (`invalid_parameter`)")))]
pub async fn list_my_orders(
    State(state): State<AppState>,
    me: CurrentCustomer,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(raw.as_deref());
    let query = OrderQuery {
        customer_id: Some(me.customer_id().clone()),
        limit: q.integer("limit", 1, 100)?.unwrap_or(20),
        cursor: q.text("cursor").map(str::to_owned),
        ..OrderQuery::default()
    };
    let page = state.commerce.checkout.list_orders(query).await?;
    Ok(private(
        StatusCode::OK,
        Page {
            items: page.items.into_iter().map(wire::order).collect::<Vec<_>>(),
            next_cursor: page.next_cursor,
        },
    ))
}

/// One of the customer's orders; another's is a 404 like one that does not exist.
#[utoipa::path(get, path = "/store/customers/me/orders/{id}", tag = "accounts",
    security(("customer_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The order", body = Order),
              (status = 404, description = "No such order of this customer (`not_found`)")))]
pub async fn get_my_order(
    State(state): State<AppState>,
    me: CurrentCustomer,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, OrderId::parse)?;
    let order = state
        .commerce
        .checkout
        .customer_order(me.customer_id(), &id)
        .await?;
    Ok(private(StatusCode::OK, wire::order(order)))
}

/// The signed-in customer's account.
#[utoipa::path(get, path = "/store/customers/me", tag = "accounts",
    security(("customer_token" = [])),
    responses((status = 200, description = "The account", body = Customer)))]
pub async fn get_me(State(state): State<AppState>, me: CurrentCustomer) -> ApiResult<Response> {
    let customer = state.commerce.accounts.customer(me.customer_id()).await?;
    Ok(private(StatusCode::OK, wire::customer(customer)))
}

/// Change names and phone: a field left out keeps its value, an empty one is cleared.
#[utoipa::path(patch, path = "/store/customers/me", tag = "accounts", request_body = ProfilePatch,
    security(("customer_token" = [])),
    responses((status = 200, description = "The account as changed", body = Customer),
              (status = 400, description = "A field is malformed (`invalid_parameter`, `param` names it)")))]
pub async fn update_me(
    State(state): State<AppState>,
    me: CurrentCustomer,
    JsonBody(patch): JsonBody<ProfilePatch>,
) -> ApiResult<Response> {
    let accounts = &state.commerce.accounts;
    // The service replaces the whole profile; the fields left out are read first. Two
    // edits of one profile at the same moment may then keep only one of them, which a
    // customer editing their own profile can live with.
    let current = accounts.customer(me.customer_id()).await?;
    let update = ProfileUpdate {
        first_name: patch.first_name.or(current.first_name),
        last_name: patch.last_name.or(current.last_name),
        phone: patch.phone.or(current.phone),
    };
    let customer = accounts.update_profile(me.customer_id(), update).await?;
    Ok(private(StatusCode::OK, wire::customer(customer)))
}

/// Change the password, giving the current one. This session stays signed in; every
/// other session of the account ends.
#[utoipa::path(post, path = "/store/customers/me/password", tag = "accounts", request_body = ChangePassword,
    security(("customer_token" = [])),
    responses((status = 204, description = "The password is changed"),
              (status = 400, description = "The new password breaks a rule (`invalid_parameter`, `param` is `new_password`)"),
              (status = 401, description = "No valid session (`unauthenticated`), or the current password is wrong (`invalid_credentials`, `param` is `current_password`)")))]
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentCustomer,
    JsonBody(input): JsonBody<ChangePassword>,
) -> ApiResult<Response> {
    state
        .commerce
        .accounts
        .change_password(
            me.customer_id(),
            Some(me.session_id()),
            &input.current_password,
            &input.new_password,
        )
        .await
        .map_err(current_password_error)?;
    Ok(no_content())
}

/// Change the email address, giving the current password. The new address is
/// unverified and gets a verification link; the old one is told of the change.
#[utoipa::path(post, path = "/store/customers/me/email", tag = "accounts", request_body = ChangeEmail,
    security(("customer_token" = [])),
    responses((status = 200, description = "The account with its new email", body = Customer),
              (status = 400, description = "The email is malformed or cannot be used (`invalid_parameter`, `param` is `email`)"),
              (status = 401, description = "No valid session (`unauthenticated`), or the current password is wrong (`invalid_credentials`, `param` is `current_password`)")))]
pub async fn change_email(
    State(state): State<AppState>,
    me: CurrentCustomer,
    JsonBody(input): JsonBody<ChangeEmail>,
) -> ApiResult<Response> {
    let customer = state
        .commerce
        .accounts
        .change_email(me.customer_id(), &input.current_password, &input.email)
        .await
        .map_err(current_password_error)?;
    Ok(private(StatusCode::OK, wire::customer(customer)))
}

/// The address book, in the order the addresses were added.
#[utoipa::path(get, path = "/store/customers/me/addresses", tag = "accounts",
    security(("customer_token" = [])),
    responses((status = 200, description = "The saved addresses", body = Page<SavedAddress>)))]
pub async fn list_addresses(
    State(state): State<AppState>,
    me: CurrentCustomer,
) -> ApiResult<Response> {
    let addresses = state.commerce.accounts.addresses(me.customer_id()).await?;
    let page = Page {
        items: addresses
            .into_iter()
            .map(wire::saved_address)
            .collect::<Vec<_>>(),
        next_cursor: None,
    };
    Ok(private(StatusCode::OK, page))
}

/// Save an address (a book holds a bounded number). A default flag takes that default
/// from any other address.
#[utoipa::path(post, path = "/store/customers/me/addresses", tag = "accounts", request_body = AddressInput,
    security(("customer_token" = [])),
    responses((status = 201, description = "The saved address", body = SavedAddress),
              (status = 400, description = "A field is malformed, or the book is full (`invalid_parameter`, `param` names the field, e.g. `address.postal_code`)")))]
pub async fn add_address(
    State(state): State<AppState>,
    me: CurrentCustomer,
    JsonBody(input): JsonBody<AddressInput>,
) -> ApiResult<Response> {
    let input = emporium_accounts::AddressInput {
        label: input.label,
        address: wire::cart_address(input.address),
        default_shipping: input.default_shipping,
        default_billing: input.default_billing,
    };
    let saved = state
        .commerce
        .accounts
        .add_address(me.customer_id(), input)
        .await?;
    Ok(private(StatusCode::CREATED, wire::saved_address(saved)))
}

/// One saved address.
#[utoipa::path(get, path = "/store/customers/me/addresses/{id}", tag = "accounts",
    security(("customer_token" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The address", body = SavedAddress),
              (status = 404, description = "No such address in this address book (`not_found`)")))]
pub async fn get_address(
    State(state): State<AppState>,
    me: CurrentCustomer,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, AddressId::parse)?;
    let saved = state
        .commerce
        .accounts
        .address(me.customer_id(), &id)
        .await?;
    Ok(private(StatusCode::OK, wire::saved_address(saved)))
}

/// Change a saved address: a field left out keeps its value, `address` replaces the
/// whole address, an empty `label` clears it.
#[utoipa::path(patch, path = "/store/customers/me/addresses/{id}", tag = "accounts", request_body = AddressPatch,
    security(("customer_token" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The address as changed", body = SavedAddress),
              (status = 400, description = "A field is malformed (`invalid_parameter`, `param` names it)"),
              (status = 404, description = "No such address in this address book (`not_found`)")))]
pub async fn update_address(
    State(state): State<AppState>,
    me: CurrentCustomer,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<AddressPatch>,
) -> ApiResult<Response> {
    let id = path_id(&id, AddressId::parse)?;
    let accounts = &state.commerce.accounts;
    // The service replaces the whole address; the fields left out are read first (see
    // `update_me` on two edits at once).
    let current = accounts.address(me.customer_id(), &id).await?;
    let input = emporium_accounts::AddressInput {
        label: patch.label.or(current.label),
        address: patch.address.map_or(current.address, wire::cart_address),
        default_shipping: patch.default_shipping.unwrap_or(current.default_shipping),
        default_billing: patch.default_billing.unwrap_or(current.default_billing),
    };
    let saved = accounts
        .update_address(me.customer_id(), &id, input)
        .await?;
    Ok(private(StatusCode::OK, wire::saved_address(saved)))
}

/// Delete a saved address. A default address deleted leaves no default of its kind.
#[utoipa::path(delete, path = "/store/customers/me/addresses/{id}", tag = "accounts",
    security(("customer_token" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such address in this address book (`not_found`)")))]
pub async fn delete_address(
    State(state): State<AppState>,
    me: CurrentCustomer,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, AddressId::parse)?;
    state
        .commerce
        .accounts
        .delete_address(me.customer_id(), &id)
        .await?;
    Ok(no_content())
}
