//! Admin API for customers and customer groups (bootstrap admin token, like the other
//! admin routes): the merchant's customer list and detail, and the groups price lists
//! target.

use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    middleware,
    response::{IntoResponse, Response},
    Json,
};
use emporium_accounts::{CustomerId, CustomerQuery, GroupId};
use emporium_checkout::OrderQuery;
use emporium_client::{
    accounts::{
        admin::{CustomerDetail, CustomerGroup, CustomerGroupInput, GroupMember},
        Customer,
    },
    types::Page,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::wire;
use crate::{
    admin::require_admin,
    extract::{body_id, path_id, JsonBody, Path, QueryParams},
    problem::ApiResult,
    AppState,
};

/// Each route with its OpenAPI operation, all behind the admin token.
pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers))
        .routes(routes!(get_customer))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, rename_group, delete_group))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .route_layer(middleware::from_fn_with_state(state, require_admin))
}

/// Customers, newest first; `q` searches the email and names, `group_id` keeps a
/// group's members.
#[utoipa::path(get, path = "/admin/customers", tag = "admin-customers", security(("admin_token" = [])),
    params(("q" = Option<String>, Query), ("group_id" = Option<String>, Query),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "1 to 100, default 20"),
           ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page")),
    responses((status = 200, description = "A page of customers", body = Page<Customer>)))]
pub async fn list_customers(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Page<Customer>>> {
    let q = QueryParams::parse(raw.as_deref());
    let group_id = q
        .text("group_id")
        .map(|id| body_id("group_id", id, GroupId::parse))
        .transpose()?;
    let page = state
        .commerce
        .accounts
        .customers(CustomerQuery {
            q: q.text("q").map(str::to_owned),
            group_id,
            limit: q.integer("limit", 1, 100)?.unwrap_or(20),
            cursor: q.text("cursor").map(str::to_owned),
        })
        .await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(wire::customer).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One customer with their addresses, groups and newest orders.
#[utoipa::path(get, path = "/admin/customers/{id}", tag = "admin-customers", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The customer", body = CustomerDetail),
              (status = 404, description = "No such customer (`not_found`)")))]
pub async fn get_customer(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerDetail>> {
    let id = path_id(&id, CustomerId::parse)?;
    let accounts = &state.commerce.accounts;
    let customer = accounts.customer(&id).await?;
    let addresses = accounts.addresses(&id).await?;
    let member_of = accounts.groups_of(&id).await?;
    let groups = accounts
        .customer_groups()
        .await?
        .into_iter()
        .filter(|g| member_of.contains(&g.id))
        .map(wire::customer_group)
        .collect();
    let orders = state
        .commerce
        .checkout
        .list_orders(OrderQuery {
            customer_id: Some(id),
            limit: 10,
            ..OrderQuery::default()
        })
        .await?;
    Ok(Json(CustomerDetail {
        customer: wire::customer(customer),
        addresses: addresses.into_iter().map(wire::saved_address).collect(),
        groups,
        recent_orders: orders.items.into_iter().map(wire::order).collect(),
    }))
}

/// Every customer group, by name.
#[utoipa::path(get, path = "/admin/customer-groups", tag = "admin-customers", security(("admin_token" = [])),
    responses((status = 200, description = "The groups", body = Page<CustomerGroup>)))]
pub async fn list_groups(State(state): State<AppState>) -> ApiResult<Json<Page<CustomerGroup>>> {
    let groups = state.commerce.accounts.customer_groups().await?;
    Ok(Json(Page {
        items: groups.into_iter().map(wire::customer_group).collect(),
        next_cursor: None,
    }))
}

/// Create a group (its name unique in any case).
#[utoipa::path(post, path = "/admin/customer-groups", tag = "admin-customers", security(("admin_token" = [])),
    request_body = CustomerGroupInput,
    responses((status = 201, description = "The new group", body = CustomerGroup),
              (status = 400, description = "The name is blank, too long or taken (`invalid_parameter`, `param` is `name`)")))]
pub async fn create_group(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<CustomerGroupInput>,
) -> ApiResult<Response> {
    let group = state
        .commerce
        .accounts
        .create_customer_group(&input.name)
        .await?;
    Ok((StatusCode::CREATED, Json(wire::customer_group(group))).into_response())
}

#[utoipa::path(get, path = "/admin/customer-groups/{id}", tag = "admin-customers", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The group", body = CustomerGroup),
              (status = 404, description = "No such group (`not_found`)")))]
pub async fn get_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerGroup>> {
    let id = path_id(&id, GroupId::parse)?;
    let group = state.commerce.accounts.customer_group(&id).await?;
    Ok(Json(wire::customer_group(group)))
}

#[utoipa::path(patch, path = "/admin/customer-groups/{id}", tag = "admin-customers", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = CustomerGroupInput,
    responses((status = 200, description = "The renamed group", body = CustomerGroup),
              (status = 400, description = "The name is blank, too long or taken (`invalid_parameter`, `param` is `name`)"),
              (status = 404, description = "No such group (`not_found`)")))]
pub async fn rename_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CustomerGroupInput>,
) -> ApiResult<Json<CustomerGroup>> {
    let id = path_id(&id, GroupId::parse)?;
    let group = state
        .commerce
        .accounts
        .rename_customer_group(&id, &input.name)
        .await?;
    Ok(Json(wire::customer_group(group)))
}

/// Delete a group; its members stay customers, and price lists for it stop applying.
#[utoipa::path(delete, path = "/admin/customer-groups/{id}", tag = "admin-customers", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such group (`not_found`)")))]
pub async fn delete_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, GroupId::parse)?;
    state.commerce.accounts.delete_customer_group(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a customer to the group (nothing changes when they are a member already).
#[utoipa::path(post, path = "/admin/customer-groups/{id}/customers", tag = "admin-customers", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = GroupMember,
    responses((status = 204, description = "A member"),
              (status = 400, description = "A malformed `customer_id` (`invalid_parameter`)"),
              (status = 404, description = "No such group or customer (`not_found`)")))]
pub async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<GroupMember>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, GroupId::parse)?;
    let customer = body_id("customer_id", &input.customer_id, CustomerId::parse)?;
    state.commerce.accounts.add_to_group(&id, &customer).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/admin/customer-groups/{id}/customers/{customer_id}", tag = "admin-customers", security(("admin_token" = [])),
    params(("id" = String, Path), ("customer_id" = String, Path)),
    responses((status = 204, description = "No longer a member"),
              (status = 404, description = "No such group, customer or membership (`not_found`)")))]
pub async fn remove_member(
    State(state): State<AppState>,
    Path((id, customer_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, GroupId::parse)?;
    let customer = path_id(&customer_id, CustomerId::parse)?;
    state
        .commerce
        .accounts
        .remove_from_group(&id, &customer)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
