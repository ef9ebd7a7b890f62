//! Admin API for orders, stock and discounts (bootstrap admin token, like the catalog
//! writes).

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    Json,
};
use emporium_cart::{DiscountKind, NewDiscount};
use emporium_checkout::{Fulfilment, OrderQuery, OrderStatus};
use emporium_client::{
    commerce::{
        admin::{
            AdjustStock, CancelOrder, Discount, DiscountInput, FulfilOrder, RefundOrder,
            StockLevel, StockMovement,
        },
        Order,
    },
    types::Page,
};
use emporium_kernel::{
    id::{OrderId, VariantId},
    money::Currency,
};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::wire;
use crate::{
    admin::require_admin,
    extract::{parse_time, path_id, JsonBody, Path, QueryParams},
    problem::{ApiError, ApiResult, ProblemCode},
    AppState,
};

/// Each route with its OpenAPI operation (`routes!` registers both from the handler's
/// `#[utoipa::path]`), all behind the admin token.
pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(get_order))
        .routes(routes!(mark_paid))
        .routes(routes!(fulfil_order))
        .routes(routes!(mark_delivered))
        .routes(routes!(cancel_order))
        .routes(routes!(refund_order))
        .routes(routes!(stock_level))
        .routes(routes!(adjust_stock))
        .routes(routes!(list_discounts, create_discount))
        .routes(routes!(delete_discount))
        .route_layer(middleware::from_fn_with_state(state, require_admin))
}

/// Orders, newest first; filter by `status`, search `q` (order number or email).
#[utoipa::path(get, path = "/admin/orders", tag = "admin-orders", security(("admin_token" = [])),
    params(("status" = Option<String>, Query), ("q" = Option<String>, Query),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "1 to 100, default 20"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, description = "A page of orders", body = Page<Order>)))]
pub async fn list_orders(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Page<Order>>> {
    let q = QueryParams::parse(raw.as_deref());
    let status = q
        .text("status")
        .map(|s| {
            OrderStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    format!(
                        "`status` must be one of pending_payment, paid, fulfilled, delivered, \
                         cancelled, refunded, partially_refunded; got `{s}`"
                    ),
                )
            })
        })
        .transpose()?;
    let page = state
        .commerce
        .checkout
        .list_orders(OrderQuery {
            customer_id: None,
            status,
            q: q.text("q").map(str::to_owned),
            limit: q.integer("limit", 1, 100)?.unwrap_or(20),
            cursor: q.text("cursor").map(str::to_owned),
        })
        .await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(wire::order).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One order.
#[utoipa::path(get, path = "/admin/orders/{id}", tag = "admin-orders", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The order", body = Order), (status = 404, description = "No such order (`not_found`)")))]
pub async fn get_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = path_id(&id, OrderId::parse)?;
    Ok(Json(wire::order(state.commerce.checkout.order(&id).await?)))
}

/// Record that a manual payment (bank transfer, cash on delivery) arrived. The order
/// becomes paid through the same event path as a card payment.
#[utoipa::path(post, path = "/admin/orders/{id}/mark-paid", tag = "admin-orders", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The order, paid", body = Order), (status = 404, description = "No such order (`not_found`)"), (status = 409, description = "The order's status does not allow this (`invalid_transition`)")))]
pub async fn mark_paid(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = path_id(&id, OrderId::parse)?;
    let commerce = &state.commerce;
    // 404 before touching payments.
    commerce.checkout.order(&id).await?;
    let payment = commerce.payments.mark_paid_manually(&id, "admin").await?;
    // Apply it now rather than waiting for the dispatcher, so the response shows the
    // paid order; the consumer's later delivery of the same event is a no-op.
    let order = commerce
        .checkout
        .mark_paid(&id, payment.id.as_str())
        .await?;
    commerce.bus.wake();
    Ok(Json(wire::order(order)))
}

/// Ship a paid order with its carrier and tracking number (emails the shopper).
#[utoipa::path(post, path = "/admin/orders/{id}/fulfil", tag = "admin-orders", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = FulfilOrder,
    responses((status = 200, description = "The order, fulfilled", body = Order), (status = 404, description = "No such order (`not_found`)"), (status = 409, description = "The order's status does not allow this (`invalid_transition`)")))]
pub async fn fulfil_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<FulfilOrder>,
) -> ApiResult<Json<Order>> {
    let id = path_id(&id, OrderId::parse)?;
    let order = state
        .commerce
        .checkout
        .fulfil_order(
            &id,
            Fulfilment {
                carrier: input.carrier,
                tracking_number: input.tracking_number,
                tracking_url: input.tracking_url,
            },
        )
        .await?;
    state.commerce.bus.wake();
    Ok(Json(wire::order(order)))
}

/// Mark a shipped order delivered.
#[utoipa::path(post, path = "/admin/orders/{id}/deliver", tag = "admin-orders", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The order, delivered", body = Order), (status = 404, description = "No such order (`not_found`)"), (status = 409, description = "The order's status does not allow this (`invalid_transition`)")))]
pub async fn mark_delivered(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = path_id(&id, OrderId::parse)?;
    let order = state.commerce.checkout.mark_delivered(&id).await?;
    state.commerce.bus.wake();
    Ok(Json(wire::order(order)))
}

/// Cancel: an unpaid order releases its stock; a paid one is refunded in full and
/// restocked.
#[utoipa::path(post, path = "/admin/orders/{id}/cancel", tag = "admin-orders", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = CancelOrder,
    responses((status = 200, description = "The order, cancelled", body = Order), (status = 404, description = "No such order (`not_found`)"), (status = 409, description = "The order's status does not allow this (`invalid_transition`)"), (status = 502, description = "The refund of a paid order failed at the provider (`payment_provider_error`)")))]
pub async fn cancel_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CancelOrder>,
) -> ApiResult<Json<Order>> {
    let id = path_id(&id, OrderId::parse)?;
    let reason = input
        .reason
        .unwrap_or_else(|| "cancelled by merchant".to_owned());
    let order = state
        .commerce
        .checkout
        .cancel_order(&id, &reason, "admin")
        .await?;
    state.commerce.bus.wake();
    Ok(Json(wire::order(order)))
}

/// Refund all or part of a paid order through its payment provider. Requires an
/// `Idempotency-Key` header so a retried request cannot refund twice.
#[utoipa::path(post, path = "/admin/orders/{id}/refund", tag = "admin-orders", security(("admin_token" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)), request_body = RefundOrder,
    responses((status = 200, description = "The order, refunded", body = Order), (status = 400, description = "No `Idempotency-Key` (`idempotency_key_required`), or the amount is malformed or exceeds the balance (`invalid_parameter`)"), (status = 404, description = "No such order (`not_found`)"), (status = 409, description = "The order's status does not allow this (`invalid_transition`)"), (status = 502, description = "The provider refused or failed (`payment_provider_error`)")))]
pub async fn refund_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<RefundOrder>,
) -> ApiResult<Json<Order>> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ProblemCode::IdempotencyKeyRequired,
                "send an `Idempotency-Key` header so a retried refund cannot refund twice",
            )
            .param("Idempotency-Key")
        })?;
    let id = path_id(&id, OrderId::parse)?;
    let order = state
        .commerce
        .checkout
        .refund_order(&id, input.amount, input.reason.as_deref(), key)
        .await?;
    state.commerce.bus.wake();
    Ok(Json(wire::order(order)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StockView {
    pub level: StockLevel,
    /// Newest first, at most 50.
    pub movements: Vec<StockMovement>,
}

/// A variant's stock and its latest movements.
#[utoipa::path(get, path = "/admin/inventory/{variant_id}", tag = "admin-inventory", security(("admin_token" = [])),
    params(("variant_id" = String, Path)),
    responses((status = 200, description = "The stock level and its latest movements", body = StockView),
              (status = 404, description = "The id is not a variant id (`not_found`)")))]
pub async fn stock_level(
    State(state): State<AppState>,
    Path(variant_id): Path<String>,
) -> ApiResult<Json<StockView>> {
    let variant_id = path_id(&variant_id, VariantId::parse)?;
    let inventory = &state.commerce.inventory;
    let level = inventory.level(&variant_id).await?;
    let movements = inventory.movements(&variant_id, 50).await?;
    Ok(Json(StockView {
        level: wire::stock_level(level),
        movements: movements.into_iter().map(wire::stock_movement).collect(),
    }))
}

/// Adjust stock by `delta` or set it to `set_on_hand`, with a reason for the log.
#[utoipa::path(post, path = "/admin/inventory/{variant_id}/adjustments", tag = "admin-inventory", security(("admin_token" = [])),
    params(("variant_id" = String, Path)), request_body = AdjustStock,
    responses((status = 200, description = "The stock level after the change", body = StockLevel), (status = 404, description = "The id is not a variant id (`not_found`)"), (status = 409, description = "The change would take stock below zero or below what is reserved (`stock_would_go_negative`)")))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    Path(variant_id): Path<String>,
    JsonBody(input): JsonBody<AdjustStock>,
) -> ApiResult<Json<StockLevel>> {
    let variant_id = path_id(&variant_id, VariantId::parse)?;
    let inventory = &state.commerce.inventory;
    let level = match (input.delta, input.set_on_hand) {
        (Some(delta), None) => {
            inventory
                .adjust_stock(&variant_id, delta, &input.reason, Some("admin"))
                .await?
        }
        (None, Some(on_hand)) => {
            inventory
                .set_stock(&variant_id, on_hand, &input.reason, Some("admin"))
                .await?
        }
        _ => {
            return Err(ApiError::invalid(
                "delta",
                "send exactly one of `delta` (a change) and `set_on_hand` (a new count)",
            ))
        }
    };
    Ok(Json(wire::stock_level(level)))
}

/// Discount codes.
#[utoipa::path(get, path = "/admin/discounts", tag = "admin-discounts", security(("admin_token" = [])),
    responses((status = 200, description = "Discount codes", body = Page<Discount>)))]
pub async fn list_discounts(State(state): State<AppState>) -> ApiResult<Json<Page<Discount>>> {
    let discounts = state.commerce.carts.discounts().await?;
    Ok(Json(Page {
        items: discounts.into_iter().map(wire::discount).collect(),
        next_cursor: None,
    }))
}

/// Create a discount code: `percentage` (basis points) or `fixed` (minor units in one
/// currency), with optional minimum subtotal, start, end and usage limit.
#[utoipa::path(post, path = "/admin/discounts", tag = "admin-discounts", security(("admin_token" = [])),
    request_body = DiscountInput,
    responses((status = 201, description = "The discount created", body = Discount), (status = 409, description = "The code is taken (`conflict`)")))]
pub async fn create_discount(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<DiscountInput>,
) -> ApiResult<Response> {
    let kind = match input.kind.as_str() {
        "percentage" => DiscountKind::Percentage {
            rate_bp: input.value,
        },
        "fixed" => {
            let code = input.currency.as_deref().ok_or_else(|| {
                ApiError::invalid("currency", "a `fixed` discount needs a `currency`")
            })?;
            let currency =
                Currency::parse(code).map_err(|e| ApiError::invalid("currency", e.to_string()))?;
            DiscountKind::Fixed {
                amount: input.value,
                currency,
            }
        }
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("`kind` must be `percentage` or `fixed`, got `{other}`"),
            ))
        }
    };
    let discount = state
        .commerce
        .carts
        .create_discount(NewDiscount {
            code: input.code,
            kind,
            min_subtotal: input.min_subtotal,
            starts_at: parse_time("starts_at", input.starts_at.as_deref())?,
            ends_at: parse_time("ends_at", input.ends_at.as_deref())?,
            usage_limit: input.usage_limit,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(wire::discount(discount))).into_response())
}

/// Delete a discount code.
#[utoipa::path(delete, path = "/admin/discounts/{id}", tag = "admin-discounts", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 400, description = "No discount with this id (`discount_not_found`)")))]
pub async fn delete_discount(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.commerce.carts.delete_discount(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
