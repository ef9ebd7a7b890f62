//! Admin API for catalog writes, guarded by the bootstrap admin token
//! (`Authorization: Bearer $EMPORIUM_ADMIN_TOKEN`) until staff accounts exist.
//! Every successful write drops the local read cache.

use axum::{
    extract::{RawQuery, Request, State},
    http::{header, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Json,
};
use emporium_catalog::ProductStatus;
use emporium_client::types::{
    admin::*, Category, Collection, Image, Page, Product, ProductSummary, Variant,
};
use emporium_kernel::id::{CategoryId, CollectionId, ImageId, ProductId, VariantId};
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    extract::{path_id, JsonBody, Path},
    problem::{ApiError, ApiResult},
    store::product_filter,
    wire, AppState,
};

/// Each route with its OpenAPI operation (`routes!` registers both from the handler's
/// `#[utoipa::path]`), all behind the admin token.
pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product, delete_product))
        .routes(routes!(publish_product))
        .routes(routes!(unpublish_product))
        .routes(routes!(add_variant))
        .routes(routes!(update_variant, delete_variant))
        .routes(routes!(add_image))
        .routes(routes!(delete_image))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(list_collections, create_collection))
        .routes(routes!(update_collection, delete_collection))
        .route_layer(middleware::from_fn_with_state(state, require_admin))
}

/// Rejects requests without the admin token. Digests are compared so the time taken
/// does not reveal how much of a guessed token was right.
pub(crate) async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.config.admin_token.as_deref() else {
        return ApiError::unauthorized("the Admin API is disabled: set EMPORIUM_ADMIN_TOKEN")
            .into_response();
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(token) if Sha256::digest(token.as_bytes()) == Sha256::digest(expected.as_bytes()) => {
            next.run(request).await
        }
        Some(_) => ApiError::unauthorized("the bearer token is not valid").into_response(),
        None => {
            ApiError::unauthorized("send `Authorization: Bearer <admin token>`").into_response()
        }
    }
}

fn created<T: serde::Serialize>(state: &AppState, value: T) -> Response {
    state.cache.invalidate();
    (StatusCode::CREATED, Json(value)).into_response()
}

fn changed<T: serde::Serialize>(state: &AppState, value: T) -> Response {
    state.cache.invalidate();
    Json(value).into_response()
}

fn deleted(state: &AppState) -> Response {
    state.cache.invalidate();
    StatusCode::NO_CONTENT.into_response()
}

/// List products, drafts included.
#[utoipa::path(get, path = "/admin/products", tag = "admin", security(("admin_token" = [])),
    params(emporium_client::types::ProductQuery),
    responses((status = 200, description = "A page of products", body = Page<ProductSummary>), (status = 404, description = "Unknown category or collection (`not_found`)")))]
pub async fn list_products(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Page<ProductSummary>>> {
    let filter = product_filter(raw.as_deref(), true)?;
    let page = state.catalog.list_products(&filter).await?;
    Ok(Json(Page {
        items: page.items.into_iter().map(wire::product_summary).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One product by id or handle, drafts included.
#[utoipa::path(get, path = "/admin/products/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The product", body = Product), (status = 404, description = "No such product (`not_found`)")))]
pub async fn get_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Product>> {
    Ok(Json(wire::product(
        state.catalog.get_product(&id, true).await?,
    )))
}

/// Create a product with its options, variants, prices and images (a draft unless
/// `status` says published).
#[utoipa::path(post, path = "/admin/products", tag = "admin", security(("admin_token" = [])),
    request_body = ProductInput,
    responses((status = 201, description = "The product created", body = Product), (status = 409, description = "The handle or a SKU is taken (`conflict`)")))]
pub async fn create_product(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<ProductInput>,
) -> ApiResult<Response> {
    let product = state
        .catalog
        .create_product(wire::product_in(input))
        .await?;
    Ok(created(&state, wire::product(product)))
}

/// Change a product's fields; absent fields stay as they are.
#[utoipa::path(patch, path = "/admin/products/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = ProductPatch,
    responses((status = 200, description = "The product changed", body = Product), (status = 404, description = "No such product (`not_found`)"), (status = 409, description = "The handle is taken (`conflict`)")))]
pub async fn update_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<ProductPatch>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let product = state
        .catalog
        .update_product(&id, wire::product_patch(patch))
        .await?;
    Ok(changed(&state, wire::product(product)))
}

/// Delete a product with its variants and images.
#[utoipa::path(delete, path = "/admin/products/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such product (`not_found`)")))]
pub async fn delete_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    state.catalog.delete_product(&id).await?;
    Ok(deleted(&state))
}

/// Publish a product: it appears in the Store API.
#[utoipa::path(post, path = "/admin/products/{id}/publish", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The product, published", body = Product), (status = 404, description = "No such product (`not_found`)")))]
pub async fn publish_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let product = state
        .catalog
        .set_product_status(&id, ProductStatus::Published)
        .await?;
    Ok(changed(&state, wire::product(product)))
}

/// Unpublish a product: back to draft, hidden from the Store API.
#[utoipa::path(post, path = "/admin/products/{id}/unpublish", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The product, a draft again", body = Product), (status = 404, description = "No such product (`not_found`)")))]
pub async fn unpublish_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let product = state
        .catalog
        .set_product_status(&id, ProductStatus::Draft)
        .await?;
    Ok(changed(&state, wire::product(product)))
}

/// Add a variant to a product.
#[utoipa::path(post, path = "/admin/products/{id}/variants", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = VariantInput,
    responses((status = 201, description = "The variant created", body = Variant), (status = 404, description = "No such product (`not_found`)"), (status = 409, description = "The SKU or option combination is taken (`conflict`)")))]
pub async fn add_variant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<VariantInput>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let variant = state
        .catalog
        .add_variant(&id, wire::variant_in(input))
        .await?;
    Ok(created(&state, wire::variant(variant)))
}

/// Change a variant; `prices` replaces all of its prices.
#[utoipa::path(patch, path = "/admin/products/{id}/variants/{variant_id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path), ("variant_id" = String, Path)), request_body = VariantPatch,
    responses((status = 200, description = "The variant changed", body = Variant), (status = 404, description = "No such product or variant (`not_found`)"), (status = 409, description = "The SKU or option combination is taken (`conflict`)")))]
pub async fn update_variant(
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
    JsonBody(patch): JsonBody<VariantPatch>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let variant_id = path_id(&variant_id, VariantId::parse)?;
    let variant = state
        .catalog
        .update_variant(&id, &variant_id, wire::variant_patch(patch))
        .await?;
    Ok(changed(&state, wire::variant(variant)))
}

/// Delete a variant.
#[utoipa::path(delete, path = "/admin/products/{id}/variants/{variant_id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path), ("variant_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such product or variant (`not_found`)")))]
pub async fn delete_variant(
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let variant_id = path_id(&variant_id, VariantId::parse)?;
    state.catalog.delete_variant(&id, &variant_id).await?;
    Ok(deleted(&state))
}

/// Add an image (appended after the existing ones).
#[utoipa::path(post, path = "/admin/products/{id}/images", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = ImageInput,
    responses((status = 201, description = "The image added", body = Image), (status = 404, description = "No such product (`not_found`)")))]
pub async fn add_image(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ImageInput>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let image = state.catalog.add_image(&id, wire::image_in(input)).await?;
    Ok(created(&state, wire::image(image)))
}

/// Remove an image.
#[utoipa::path(delete, path = "/admin/products/{id}/images/{image_id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path), ("image_id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such product or image (`not_found`)")))]
pub async fn delete_image(
    State(state): State<AppState>,
    Path((id, image_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = path_id(&id, ProductId::parse)?;
    let image_id = path_id(&image_id, ImageId::parse)?;
    state.catalog.delete_image(&id, &image_id).await?;
    Ok(deleted(&state))
}

/// The category tree.
#[utoipa::path(get, path = "/admin/categories", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Root categories with nested children", body = Page<Category>)))]
pub async fn list_categories(State(state): State<AppState>) -> ApiResult<Json<Page<Category>>> {
    let tree = state.catalog.category_tree().await?;
    Ok(Json(Page {
        items: tree.into_iter().map(wire::category).collect(),
        next_cursor: None,
    }))
}

/// Create a category (under `parent_id`, or at the root).
#[utoipa::path(post, path = "/admin/categories", tag = "admin", security(("admin_token" = [])),
    request_body = CategoryInput,
    responses((status = 201, description = "The category created", body = Category), (status = 409, description = "The handle is taken (`conflict`)")))]
pub async fn create_category(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<CategoryInput>,
) -> ApiResult<Response> {
    let category = state
        .catalog
        .create_category(wire::category_in(input))
        .await?;
    Ok(created(&state, wire::category(category)))
}

/// Change or move a category.
#[utoipa::path(patch, path = "/admin/categories/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = CategoryPatch,
    responses((status = 200, description = "The category changed", body = Category), (status = 404, description = "No such category (`not_found`)"), (status = 409, description = "The handle is taken, or the move would make a cycle (`conflict`)")))]
pub async fn update_category(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<CategoryPatch>,
) -> ApiResult<Response> {
    let id = path_id(&id, CategoryId::parse)?;
    let category = state
        .catalog
        .update_category(&id, wire::category_patch(patch))
        .await?;
    Ok(changed(&state, wire::category(category)))
}

/// Delete a category: its children move up to its parent; products stay.
#[utoipa::path(delete, path = "/admin/categories/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such category (`not_found`)")))]
pub async fn delete_category(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, CategoryId::parse)?;
    state.catalog.delete_category(&id).await?;
    Ok(deleted(&state))
}

/// All collections, counting draft products too.
#[utoipa::path(get, path = "/admin/collections", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Collections by title", body = Page<Collection>)))]
pub async fn list_collections(State(state): State<AppState>) -> ApiResult<Json<Page<Collection>>> {
    let all = state.catalog.list_collections(true).await?;
    Ok(Json(Page {
        items: all.into_iter().map(wire::collection).collect(),
        next_cursor: None,
    }))
}

/// Create a collection.
#[utoipa::path(post, path = "/admin/collections", tag = "admin", security(("admin_token" = [])),
    request_body = CollectionInput,
    responses((status = 201, description = "The collection created", body = Collection), (status = 409, description = "The handle is taken (`conflict`)")))]
pub async fn create_collection(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<CollectionInput>,
) -> ApiResult<Response> {
    let collection = state
        .catalog
        .create_collection(wire::collection_in(input))
        .await?;
    Ok(created(&state, wire::collection(collection)))
}

/// Change a collection; `product_ids` replaces its products.
#[utoipa::path(patch, path = "/admin/collections/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = CollectionPatch,
    responses((status = 200, description = "The collection changed", body = Collection), (status = 404, description = "No such collection (`not_found`)"), (status = 409, description = "The handle is taken (`conflict`)")))]
pub async fn update_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<CollectionPatch>,
) -> ApiResult<Response> {
    let id = path_id(&id, CollectionId::parse)?;
    let collection = state
        .catalog
        .update_collection(&id, wire::collection_patch(patch))
        .await?;
    Ok(changed(&state, wire::collection(collection)))
}

/// Delete a collection (its products stay).
#[utoipa::path(delete, path = "/admin/collections/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such collection (`not_found`)")))]
pub async fn delete_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id(&id, CollectionId::parse)?;
    state.catalog.delete_collection(&id).await?;
    Ok(deleted(&state))
}
