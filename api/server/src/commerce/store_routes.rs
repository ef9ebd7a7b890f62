//! Store API for carts, checkout and orders. Handlers parse, call one service method and
//! map the result; every rule lives in the services.

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
    Json, Router,
};
use emporium_cart::{CartError, CheckoutDetails as CartCheckoutDetails};
use emporium_checkout::PlaceOrder;
use emporium_client::{
    commerce::{
        AddLine, ApplyDiscount, Cart, CheckoutDetails, CreateCart, Order, PaymentSession,
        PlacedOrder, Region, ShippingOption, UpdateLine, VariantAvailability,
    },
    types::{Page, Problem},
};
use emporium_kernel::money::Currency;
use sha2::{Digest, Sha256};

use super::wire;
use crate::{
    extract::{JsonBody, QueryParams},
    problem::{ApiError, ApiResult},
    AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/store/regions", get(list_regions))
        .route(
            "/store/products/{id_or_handle}/availability",
            get(product_availability),
        )
        .route("/store/carts", post(create_cart))
        .route("/store/carts/{id}", get(get_cart))
        .route("/store/carts/{id}/line-items", post(add_line))
        .route(
            "/store/carts/{id}/line-items/{line_id}",
            patch(update_line).delete(remove_line),
        )
        .route(
            "/store/carts/{id}/discounts",
            post(apply_discount).delete(remove_discount),
        )
        .route("/store/carts/{id}/shipping-options", get(shipping_options))
        .route("/store/carts/{id}/checkout", post(set_checkout_details))
        .route("/store/carts/{id}/complete", post(complete_cart))
        .route("/store/orders/{id}", get(get_order))
}

/// Carts and orders are per shopper: never cached by browsers or CDNs.
fn private<T: serde::Serialize>(status: StatusCode, value: T) -> Response {
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
    responses((status = 200, body = Page<VariantAvailability>), (status = 404, body = Problem)))]
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
                variant_id,
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
    responses((status = 200, body = Page<Region>)))]
pub async fn list_regions(State(state): State<AppState>) -> ApiResult<Json<Page<Region>>> {
    let regions = state.commerce.carts.regions().await?;
    Ok(Json(Page {
        items: regions.into_iter().map(wire::region).collect(),
        next_cursor: None,
    }))
}

/// Create a guest cart. Keep its id (the storefront keeps it in an HttpOnly cookie).
#[utoipa::path(post, path = "/store/carts", tag = "cart", request_body = CreateCart,
    responses((status = 201, body = Cart), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn create_cart(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    // An empty body means "all defaults", so other frontends can POST without one.
    let input: CreateCart = if body.iter().all(u8::is_ascii_whitespace) {
        CreateCart::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
            code: "invalid_body",
            param: None,
            detail: format!("the JSON body does not fit the schema: {e}"),
        })?
    };
    let currency = input
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("currency", e.to_string()))?;
    let cart = state
        .commerce
        .carts
        .create_cart(input.region_id.as_deref(), currency)
        .await?;
    Ok(private(StatusCode::CREATED, wire::cart(cart)))
}

/// A cart with its lines and totals.
#[utoipa::path(get, path = "/store/carts/{id}", tag = "cart", params(("id" = String, Path)),
    responses((status = 200, body = Cart), (status = 404, body = Problem)))]
pub async fn get_cart(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let cart = state.commerce.carts.cart(&id).await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Add a variant; a second add of the same variant raises the line's quantity. Stock
/// is checked now and again at checkout.
#[utoipa::path(post, path = "/store/carts/{id}/line-items", tag = "cart", request_body = AddLine,
    params(("id" = String, Path)),
    responses((status = 200, body = Cart), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn add_line(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AddLine>,
) -> ApiResult<Response> {
    let cart = state
        .commerce
        .carts
        .add_line(&id, &input.variant_id, input.quantity)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Change a line's quantity (1..=99; remove the line to drop it).
#[utoipa::path(patch, path = "/store/carts/{id}/line-items/{line_id}", tag = "cart", request_body = UpdateLine,
    params(("id" = String, Path), ("line_id" = String, Path)),
    responses((status = 200, body = Cart), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_line(
    State(state): State<AppState>,
    Path((id, line_id)): Path<(String, String)>,
    JsonBody(input): JsonBody<UpdateLine>,
) -> ApiResult<Response> {
    let cart = state
        .commerce
        .carts
        .update_line(&id, &line_id, input.quantity)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Remove a line.
#[utoipa::path(delete, path = "/store/carts/{id}/line-items/{line_id}", tag = "cart",
    params(("id" = String, Path), ("line_id" = String, Path)),
    responses((status = 200, body = Cart), (status = 404, body = Problem)))]
pub async fn remove_line(
    State(state): State<AppState>,
    Path((id, line_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let cart = state.commerce.carts.remove_line(&id, &line_id).await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Apply a discount code; a code that cannot apply is a 400 saying why.
#[utoipa::path(post, path = "/store/carts/{id}/discounts", tag = "cart", request_body = ApplyDiscount,
    params(("id" = String, Path)),
    responses((status = 200, body = Cart), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn apply_discount(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ApplyDiscount>,
) -> ApiResult<Response> {
    let cart = state
        .commerce
        .carts
        .apply_discount(&id, &input.code)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Remove the discount code.
#[utoipa::path(delete, path = "/store/carts/{id}/discounts", tag = "cart",
    params(("id" = String, Path)),
    responses((status = 200, body = Cart), (status = 404, body = Problem)))]
pub async fn remove_discount(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let cart = state.commerce.carts.remove_discount(&id).await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Shipping options for the cart's region, priced for the cart as it is.
#[utoipa::path(get, path = "/store/carts/{id}/shipping-options", tag = "cart",
    params(("id" = String, Path)),
    responses((status = 200, body = Page<ShippingOption>), (status = 404, body = Problem)))]
pub async fn shipping_options(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let options = state.commerce.carts.shipping_options(&id).await?;
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
        email: input.email,
        shipping_address: wire::cart_address(input.shipping_address),
        billing_address: input.billing_address.map(wire::cart_address),
        shipping_option_id: input.shipping_option_id,
        payment_method: input.payment_method,
    })
}

/// Contact, addresses, shipping option and payment method. Each field is validated and
/// named when wrong.
#[utoipa::path(post, path = "/store/carts/{id}/checkout", tag = "checkout", request_body = CheckoutDetails,
    params(("id" = String, Path)),
    responses((status = 200, body = Cart), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn set_checkout_details(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CheckoutDetails>,
) -> ApiResult<Response> {
    let details = cart_details(&state, input)?;
    let cart = state
        .commerce
        .carts
        .set_checkout_details(&id, details)
        .await?;
    Ok(private(StatusCode::OK, wire::cart(cart)))
}

/// Place the order. Requires an `Idempotency-Key` header: a retry with the same key
/// returns the same order (header `Idempotent-Replayed: true`); the same key with a
/// different body is a 422. The body is optional: checkout details sent here are
/// applied first (one-call checkout for other frontends). Out of stock is a 409 that
/// names the variant.
#[utoipa::path(post, path = "/store/carts/{id}/complete", tag = "checkout",
    request_body(content = Option<CheckoutDetails>, description = "optional checkout details"),
    params(("id" = String, Path), ("Idempotency-Key" = String, Header, description = "unique per order attempt, 1–255 printable ASCII characters")),
    responses((status = 201, body = PlacedOrder), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem), (status = 502, body = Problem)))]
pub async fn complete_cart(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
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
        .ok_or_else(|| ApiError::BadRequest {
            code: "idempotency_key_required",
            param: Some("Idempotency-Key".to_owned()),
            detail: "send an `Idempotency-Key` header (e.g. a UUID) so a retried request cannot \
                     place a second order"
                .to_owned(),
        })?
        .to_owned();
    let details: Option<CheckoutDetails> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(
            serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
                code: "invalid_body",
                param: None,
                detail: format!("the JSON body does not fit the schema: {e}"),
            })?,
        )
    };
    // The fingerprint of "the same request": the parsed body, re-serialised, so that
    // whitespace or key order in a retry does not count as a different request.
    let request_hash = match &details {
        Some(d) => {
            let canonical = serde_json::to_vec(d).map_err(|e| ApiError::Internal(e.to_string()))?;
            hex_digest(&canonical)
        }
        None => hex_digest(b""),
    };
    if let Some(details) = details {
        let details = cart_details(&state, details)?;
        match state
            .commerce
            .carts
            .set_checkout_details(&id, details)
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
    responses((status = 200, body = Order), (status = 400, body = Problem), (status = 404, body = Problem)))]
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
    let order = state.commerce.checkout.order_for_guest(&id, token).await?;
    Ok(private(StatusCode::OK, wire::order(order)))
}
