//! Admin API for price lists (bootstrap admin token, like the other catalog writes):
//! per-currency prices for some variants, for everyone or one customer group, in an
//! optional date window. A write drops the read cache, as every catalog write does, so
//! product reads show the new prices at once in this process.

use axum::{
    extract::State,
    http::StatusCode,
    middleware,
    response::{IntoResponse, Response},
    Json,
};
use emporium_catalog::{NewListPrice, NewPriceList, PriceList, PriceListChanges, PriceListId};
use emporium_client::types::{
    admin::{ListPrice, PriceList as WirePriceList, PriceListInput},
    Page,
};
use emporium_kernel::{clock::rfc3339, id::VariantId, money::Currency};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    admin::require_admin,
    extract::{body_id, parse_time, path_id, JsonBody, Path},
    problem::{ApiError, ApiResult},
    AppState,
};

pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_price_lists, create_price_list))
        .routes(routes!(
            get_price_list,
            replace_price_list,
            delete_price_list
        ))
        .route_layer(middleware::from_fn_with_state(state, require_admin))
}

fn wire(list: PriceList) -> WirePriceList {
    WirePriceList {
        id: list.id.into(),
        name: list.name,
        description: list.description,
        customer_group_id: list.customer_group_id,
        starts_at: list.starts_at.map(rfc3339),
        ends_at: list.ends_at.map(rfc3339),
        prices: list
            .prices
            .into_iter()
            .map(|p| ListPrice {
                variant_id: p.variant_id.into(),
                currency: p.currency.to_string(),
                amount: p.amount,
            })
            .collect(),
        created_at: rfc3339(list.created_at),
        updated_at: rfc3339(list.updated_at),
    }
}

/// The input's fields parsed, each error naming its field.
struct Parsed {
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    prices: Vec<NewListPrice>,
}

fn parse(input: &PriceListInput) -> ApiResult<Parsed> {
    let prices = input
        .prices
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(NewListPrice {
                variant_id: body_id(
                    &format!("prices[{i}].variant_id"),
                    &p.variant_id,
                    VariantId::parse,
                )?,
                currency: Currency::parse(&p.currency).map_err(|e| {
                    ApiError::invalid(format!("prices[{i}].currency"), e.to_string())
                })?,
                amount: p.amount,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Parsed {
        starts_at: parse_time("starts_at", input.starts_at.as_deref())?,
        ends_at: parse_time("ends_at", input.ends_at.as_deref())?,
        prices,
    })
}

/// Every price list, newest first, with its prices.
#[utoipa::path(get, path = "/admin/price-lists", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "The price lists", body = Page<WirePriceList>)))]
pub async fn list_price_lists(
    State(state): State<AppState>,
) -> ApiResult<Json<Page<WirePriceList>>> {
    let lists = state.catalog.price_lists().await?;
    Ok(Json(Page {
        items: lists.into_iter().map(wire).collect(),
        next_cursor: None,
    }))
}

/// Create a price list.
#[utoipa::path(post, path = "/admin/price-lists", tag = "admin", security(("admin_token" = [])),
    request_body = PriceListInput,
    responses((status = 201, description = "The new price list", body = WirePriceList),
              (status = 400, description = "A field is malformed or breaks a rule (`invalid_parameter`, `param` names it: `name`, `ends_at`, `prices[2].amount`, …)")))]
pub async fn create_price_list(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<PriceListInput>,
) -> ApiResult<Response> {
    let parsed = parse(&input)?;
    let list = state
        .catalog
        .create_price_list(NewPriceList {
            name: input.name,
            description: input.description,
            customer_group_id: input.customer_group_id,
            starts_at: parsed.starts_at,
            ends_at: parsed.ends_at,
            prices: parsed.prices,
        })
        .await?;
    state.cache.invalidate();
    Ok((StatusCode::CREATED, Json(wire(list))).into_response())
}

#[utoipa::path(get, path = "/admin/price-lists/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The price list", body = WirePriceList),
              (status = 404, description = "No such price list (`not_found`)")))]
pub async fn get_price_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<WirePriceList>> {
    let id = path_id(&id, PriceListId::parse)?;
    Ok(Json(wire(state.catalog.price_list(&id).await?)))
}

/// Replace a price list: every field, and its prices, as given.
#[utoipa::path(put, path = "/admin/price-lists/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = PriceListInput,
    responses((status = 200, description = "The price list as replaced", body = WirePriceList),
              (status = 400, description = "A field is malformed or breaks a rule (`invalid_parameter`, `param` names it)"),
              (status = 404, description = "No such price list (`not_found`)")))]
pub async fn replace_price_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<PriceListInput>,
) -> ApiResult<Json<WirePriceList>> {
    let id = path_id(&id, PriceListId::parse)?;
    let parsed = parse(&input)?;
    let list = state
        .catalog
        .update_price_list(
            &id,
            PriceListChanges {
                name: Some(input.name),
                description: Some(input.description),
                customer_group_id: Some(input.customer_group_id),
                starts_at: Some(parsed.starts_at),
                ends_at: Some(parsed.ends_at),
                prices: Some(parsed.prices),
            },
        )
        .await?;
    state.cache.invalidate();
    Ok(Json(wire(list)))
}

#[utoipa::path(delete, path = "/admin/price-lists/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such price list (`not_found`)")))]
pub async fn delete_price_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, PriceListId::parse)?;
    state.catalog.delete_price_list(&id).await?;
    state.cache.invalidate();
    Ok(StatusCode::NO_CONTENT)
}
