//! Store API for carts, checkout and orders. Handlers parse, call one service method and
//! map the result; every rule lives in the services.

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use emporium_cart::{CartError, CheckoutDetails as CartCheckoutDetails};
use emporium_checkout::PlaceOrder;
use emporium_client::{
    commerce::{
        AddLine, ApplyDiscount, Cart, CheckoutDetails, CreateCart, Order, PaymentMethod,
        PaymentSession, PlacedOrder, Region, ShippingOption, UpdateLine, VariantAvailability,
    },
    types::Page,
};
use emporium_kernel::{
    contact::Email,
    id::{CartId, LineId, OrderId, VariantId},
    money::Currency,
};
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{auth::AsShopper, wire};
use crate::limits::{Client, Limit};
use crate::{
    extract::{body_id, path_id, JsonBody, OptionalJsonBody, Path, QueryParams},
    problem::{ApiError, ApiResult, ProblemCode},
    AppState,
};

/// Each route with its OpenAPI operation (`routes!` registers both from the handler's
/// `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_regions))
        .routes(routes!(list_payment_methods))
        .routes(routes!(product_availability))
        .routes(routes!(create_cart))
        .routes(routes!(get_cart))
        .routes(routes!(add_line))
        .routes(routes!(update_line, remove_line))
        .routes(routes!(apply_discount, remove_discount))
        .routes(routes!(shipping_options))
        .routes(routes!(set_checkout_details))
        .routes(routes!(complete_cart))
        .routes(routes!(get_order))
}

/// Carts and orders are per shopper: never cached by browsers or CDNs.
pub(crate) fn private<T: serde::Serialize>(status: StatusCode, value: T) -> Response {
    let mut response = (status, Json(value)).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// Units available now for each variant of a published product. Changes with every
/// order, so caches may keep it only for a few seconds.
#[utoipa::path(get, path = "/store/products/{id_or_handle}/availability", tag = "store",
    params(("id_or_handle" = String, Path)),
    responses((status = 200, description = "Units available per variant", body = Page<VariantAvailability>),
              (status = 404, description = "No such published product (`not_found`)")))]
pub async fn product_availability(
    State(state): State<AppState>,
    Path(id_or_handle): Path<String>,
) -> ApiResult<Response> {
    let ids = state.catalog.published_variant_ids(&id_or_handle).await?;
    let levels = state.commerce.inventory.levels(&ids).await?;
    let items: Vec<VariantAvailability> = ids
        .into_iter()
        .map(|variant_id| {
            let available = levels.get(&variant_id).map_or(0, |l| l.available);
            VariantAvailability {
                variant_id: variant_id.into(),
                available,
                in_stock: available > 0,
            }
        })
        .collect();
    let mut response = Json(Page {
        items,
        next_cursor: None,
    })
    .into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=0, s-maxage=5"),
    );
    Ok(response)
}

/// Regions a cart can be priced in.
#[utoipa::path(get, path = "/store/regions", tag = "cart",
    responses((status = 200, description = "Regions", body = Page<Region>)))]
pub async fn list_regions(State(state): State<AppState>) -> ApiResult<Json<Page<Region>>> {
    let regions = state.commerce.carts.regions().await?;
    Ok(Json(Page {
        items: regions.into_iter().map(wire::region).collect(),
        next_cursor: None,
    }))
}

/// The payment methods shoppers may choose (`payment_method` in checkout details).
#[utoipa::path(get, path = "/store/payment-methods", tag = "checkout",
    responses((status = 200, description = "Payment methods offered", body = Page<PaymentMethod>)))]
pub async fn list_payment_methods(State(state): State<AppState>) -> Json<Page<PaymentMethod>> {
    let config = &state.commerce.config;
    let items = state
        .commerce
        .payment_methods()
        .into_iter()
        .map(|id| PaymentMethod {
            id: id.to_owned(),
            publishable_key: (id == "stripe")
                .then(|| config.stripe.as_ref().map(|s| s.publishable_key.clone()))
                .flatten(),
            instructions: (id == "manual").then(|| config.manual_payment_instructions.clone()),
        })
        .collect();
    Json(Page {
        items,
        next_cursor: None,
    })
}

/// Create a cart. Keep its id (the storefront keeps it in an HttpOnly cookie). Signed
/// in (`Authorization: Bearer`), the cart is the customer's and answers only to their
/// session; without, it is a guest cart that answers to whoever holds its id. Every
/// cart route answers 404 for another customer's cart.
#[utoipa::path(post, path = "/store/carts", tag = "cart",
    security((), ("customer_token" = [])),
    request_body(content = Option<CreateCart>, description = "optional: an empty body creates a cart in the default region"),
    responses((status = 201, description = "The new cart", body = Cart),
              (status = 400, description = "A field is malformed (`invalid_parameter`, `invalid_body`), or no region sells in the currency (`currency_mismatch`)"),
              (status = 404, description = "No such region (`not_found`)"),
              (status = 429, description = "Too many carts from this client (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn create_cart(
    State(state): State<AppState>,
    client: Client,
    AsShopper(shopper): AsShopper,
    OptionalJsonBody(input): OptionalJsonBody<CreateCart>,
) -> ApiResult<Response> {
    state.limits.check_client(Limit::CartByClient, &client)?;
    // No body means "all defaults", so other frontends can POST without one.
    let input = input.unwrap_or_default();
    let currency = input
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("currency", e.to_string()))?;
    let cart = state
        .commerce
        .carts
        .create_cart(&shopper, input.region_id.as_deref(), currency)
        .await?;
    Ok(private(StatusCode::CREATED, wire::cart(cart)))
}

/// A cart with its lines and totals.
#[utoipa::path(get, path = "/store/carts/{id}", tag = "cart",
    security((), ("customer_token" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The cart", body = Cart),
              (status = 404, description = "No such cart (`not_found`)")))]
pub async fn get_cart(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let cart = state.commerce.carts.cart(&shopper, &id).await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Add a variant; a second add of the same variant raises the line's quantity. Stock
/// is checked now and again at checkout.
#[utoipa::path(post, path = "/store/carts/{id}/line-items", tag = "cart",
    security((), ("customer_token" = [])), request_body = AddLine,
    params(("id" = String, Path)),
    responses((status = 200, description = "The cart with the line", body = Cart),
              (status = 400, description = "A malformed quantity (`invalid_parameter`), no price in the cart's currency (`currency_mismatch`), too many lines (`too_many_lines`), or an amount too large (`amount_too_large`)"),
              (status = 404, description = "No such cart or variant (`not_found`)"),
              (status = 409, description = "Not enough stock (`out_of_stock`), or the cart is an order already (`cart_completed`)")))]
pub async fn add_line(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AddLine>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let variant_id = body_id("variant_id", &input.variant_id, VariantId::parse)?;
    let cart = state
        .commerce
        .carts
        .add_line(&shopper, &id, &variant_id, input.quantity)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Change a line's quantity (1..=99; remove the line to drop it).
#[utoipa::path(patch, path = "/store/carts/{id}/line-items/{line_id}", tag = "cart",
    security((), ("customer_token" = [])), request_body = UpdateLine,
    params(("id" = String, Path), ("line_id" = String, Path)),
    responses((status = 200, description = "The cart with the line changed", body = Cart),
              (status = 400, description = "A malformed quantity (`invalid_parameter`), or an amount too large (`amount_too_large`)"),
              (status = 404, description = "No such cart or line (`not_found`)"),
              (status = 409, description = "Not enough stock (`out_of_stock`), or the cart is an order already (`cart_completed`)")))]
pub async fn update_line(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path((id, line_id)): Path<(String, String)>,
    JsonBody(input): JsonBody<UpdateLine>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let line_id = path_id(&line_id, LineId::parse)?;
    let cart = state
        .commerce
        .carts
        .update_line(&shopper, &id, &line_id, input.quantity)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Remove a line.
#[utoipa::path(delete, path = "/store/carts/{id}/line-items/{line_id}", tag = "cart",
    security((), ("customer_token" = [])),
    params(("id" = String, Path), ("line_id" = String, Path)),
    responses((status = 200, description = "The cart without the line", body = Cart),
              (status = 404, description = "No such cart or line (`not_found`)"),
              (status = 409, description = "The cart is an order already (`cart_completed`)")))]
pub async fn remove_line(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path((id, line_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let line_id = path_id(&line_id, LineId::parse)?;
    let cart = state
        .commerce
        .carts
        .remove_line(&shopper, &id, &line_id)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Apply a discount code. A code that cannot apply is one 400 (`discount_invalid`),
/// the same whether it does not exist, has expired, is used up or its conditions are
/// not met: the answer never tells a guesser which codes exist. Once a code is on the
/// cart, the cart's `discount.note` says why it stopped applying.
#[utoipa::path(post, path = "/store/carts/{id}/discounts", tag = "cart",
    security((), ("customer_token" = [])), request_body = ApplyDiscount,
    params(("id" = String, Path)),
    responses((status = 200, description = "The cart with the discount", body = Cart),
              (status = 400, description = "The code cannot be used on this cart (`discount_invalid`, whatever the reason), or it is malformed (`invalid_parameter`)"),
              (status = 404, description = "No such cart (`not_found`)"),
              (status = 409, description = "The cart is an order already (`cart_completed`)"),
              (status = 429, description = "Too many codes tried (`rate_limited`); `Retry-After` says when to try again")))]
pub async fn apply_discount(
    State(state): State<AppState>,
    client: Client,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ApplyDiscount>,
) -> ApiResult<Response> {
    // Codes are guessable words: trying many is the attack.
    state
        .limits
        .check_client(Limit::DiscountByClient, &client)?;
    let id = path_id(&id, CartId::parse)?;
    let cart = state
        .commerce
        .carts
        .apply_discount(&shopper, &id, &input.code)
        .await
        .map_err(|e| match e {
            CartError::DiscountNotFound { .. }
            | CartError::DiscountExpired { .. }
            | CartError::DiscountNotStarted { .. }
            | CartError::DiscountUsedUp { .. }
            | CartError::DiscountMinimumNotMet { .. }
            | CartError::DiscountCurrencyMismatch { .. } => ApiError::new(
                ProblemCode::DiscountInvalid,
                format!(
                    "the code `{}` cannot be used on this cart: check its spelling, and any \
                     minimum order, currency or dates it came with",
                    input.code.trim()
                ),
            )
            .param("code"),
            other => other.into(),
        })?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Remove the discount code.
#[utoipa::path(delete, path = "/store/carts/{id}/discounts", tag = "cart",
    security((), ("customer_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The cart without a discount", body = Cart),
              (status = 404, description = "No such cart (`not_found`)"),
              (status = 409, description = "The cart is an order already (`cart_completed`)")))]
pub async fn remove_discount(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let cart = state.commerce.carts.remove_discount(&shopper, &id).await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Shipping options for the cart's region, priced for the cart as it is.
#[utoipa::path(get, path = "/store/carts/{id}/shipping-options", tag = "cart",
    security((), ("customer_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Shipping options, priced", body = Page<ShippingOption>),
              (status = 404, description = "No such cart (`not_found`)")))]
pub async fn shipping_options(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let options = state.commerce.carts.shipping_options(&shopper, &id).await?;
    Ok(private(
        StatusCode::OK,
        Page {
            items: options
                .into_iter()
                .map(wire::shipping_option)
                .collect::<Vec<_>>(),
            next_cursor: None,
        },
    ))
}

fn cart_details(state: &AppState, input: CheckoutDetails) -> ApiResult<CartCheckoutDetails> {
    let methods = state.commerce.payment_methods();
    if !methods.contains(&input.payment_method.as_str()) {
        return Err(ApiError::invalid(
            "payment_method",
            format!(
                "`{}` is not available here; choose one of: {}",
                input.payment_method,
                methods.join(", ")
            ),
        ));
    }
    Ok(CartCheckoutDetails {
        email: Email::parse("email", &input.email).map_err(CartError::from)?,
        shipping_address: wire::cart_address(input.shipping_address),
        billing_address: input.billing_address.map(wire::cart_address),
        shipping_option_id: input.shipping_option_id,
        payment_method: input.payment_method,
    })
}

/// Contact, addresses, shipping option and payment method. Each field is validated and
/// named when wrong.
#[utoipa::path(post, path = "/store/carts/{id}/checkout", tag = "checkout",
    security((), ("customer_token" = [])), request_body = CheckoutDetails,
    params(("id" = String, Path)),
    responses((status = 200, description = "The cart with its checkout details", body = Cart),
              (status = 400, description = "A field is malformed (`invalid_parameter`, with `param` naming it)"),
              (status = 404, description = "No such cart, or the shipping option is unknown (`not_found`)"),
              (status = 409, description = "The cart is an order already (`cart_completed`)")))]
pub async fn set_checkout_details(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CheckoutDetails>,
) -> ApiResult<Response> {
    let id = path_id(&id, CartId::parse)?;
    let details = cart_details(&state, input)?;
    let cart = state
        .commerce
        .carts
        .set_checkout_details(&shopper, &id, details)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Place the order. Requires an `Idempotency-Key` header: a retry with the same key
/// returns the same order (header `Idempotent-Replayed: true`); the same key with a
/// different body is a 422. The body is optional: checkout details sent here are
/// applied first (one-call checkout for other frontends). Out of stock is a 409 that
/// names the variant.
#[utoipa::path(post, path = "/store/carts/{id}/complete", tag = "checkout",
    security((), ("customer_token" = [])),
    request_body(content = Option<CheckoutDetails>, description = "optional checkout details"),
    params(("id" = String, Path), ("Idempotency-Key" = String, Header, description = "unique per order attempt, 1–255 printable ASCII characters")),
    responses((status = 201, description = "The order placed (or replayed: header `Idempotent-Replayed: true`)", body = PlacedOrder),
              (status = 400, description = "No `Idempotency-Key` (`idempotency_key_required`), checkout details missing (`checkout_incomplete`), an empty cart (`cart_empty`), or a malformed field (`invalid_parameter`, `invalid_body`)"),
              (status = 404, description = "No such cart (`not_found`)"),
              (status = 409, description = "Out of stock (`out_of_stock`), checked out already (`cart_completed`), or the same key is still being placed (`placement_in_progress`)"),
              (status = 422, description = "The key was used for a different request (`idempotency_key_reused`)"),
              (status = 429, description = "Too many placements from this client (`rate_limited`); `Retry-After` says when to try again"),
              (status = 502, description = "The payment provider did not answer (`payment_provider_unavailable`, `payment_provider_error`)")))]
pub async fn complete_cart(
    State(state): State<AppState>,
    client: Client,
    AsShopper(shopper): AsShopper,
    Path(id): Path<String>,
    headers: HeaderMap,
    OptionalJsonBody(details): OptionalJsonBody<CheckoutDetails>,
) -> ApiResult<Response> {
    state.limits.check_client(Limit::OrderByClient, &client)?;
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::invalid(
                    "Idempotency-Key",
                    "the Idempotency-Key header must be printable ASCII",
                )
            })
        })
        .transpose()?
        .ok_or_else(|| {
            ApiError::new(
                ProblemCode::IdempotencyKeyRequired,
                "send an `Idempotency-Key` header (e.g. a UUID) so a retried request cannot \
                 place a second order",
            )
            .param("Idempotency-Key")
        })?
        .to_owned();
    let id = path_id(&id, CartId::parse)?;
    // The fingerprint of "the same request": the parsed body, re-serialised, so that
    // whitespace or key order in a retry does not count as a different request.
    let request_hash = match &details {
        Some(d) => {
            let canonical = serde_json::to_vec(d).map_err(ApiError::internal)?;
            hex_digest(&canonical)
        }
        None => hex_digest(b""),
    };
    if let Some(details) = details {
        let details = cart_details(&state, details)?;
        match state
            .commerce
            .carts
            .set_checkout_details(&shopper, &id, details)
            .await
        {
            // Already an order: the saga below replays it or rejects the key.
            Ok(_) | Err(CartError::CartCompleted { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let placed = state
        .commerce
        .checkout
        .place_order(PlaceOrder {
            cart_id: id,
            customer_id: shopper.customer_id().cloned(),
            idempotency_key: key,
            request_hash,
            request_id,
        })
        .await?;
    let replayed = placed.replayed;
    let access_token = placed.order.access_token.clone();
    let payment = placed.payment.map(|p| {
        let stripe = p.provider == "stripe";
        PaymentSession {
            payment_id: p.payment_id,
            provider: p.provider,
            status: p.status,
            client_secret: p.client_secret,
            publishable_key: if stripe {
                state
                    .commerce
                    .config
                    .stripe
                    .as_ref()
                    .map(|s| s.publishable_key.clone())
            } else {
                None
            },
            instructions: if stripe {
                None
            } else {
                Some(state.commerce.config.manual_payment_instructions.clone())
            },
        }
    });
    let body = PlacedOrder {
        order: wire::order(placed.order),
        access_token,
        payment,
    };
    let mut response = private(StatusCode::CREATED, body);
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A guest reads their order with the access token returned when it was placed.
#[utoipa::path(get, path = "/store/orders/{id}", tag = "checkout",
    params(("id" = String, Path), ("token" = String, Query, description = "the order's access token")),
    responses((status = 200, description = "The order", body = Order),
              (status = 400, description = "No `token` (`invalid_parameter`)"),
              (status = 404, description = "No such order, or the token does not match (`not_found`)")))]
pub async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(raw.as_deref());
    let token = q.text("token").ok_or_else(|| {
        ApiError::invalid(
            "token",
            "pass the order's access token as `?token=…` (returned when the order was placed)",
        )
    })?;
    let id = path_id(&id, OrderId::parse)?;
    let order = state.commerce.checkout.order_for_guest(&id, token).await?;
    Ok(private(StatusCode::OK, wire::order(order)))
}
