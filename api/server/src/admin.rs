//! Admin API for catalog writes, guarded by the bootstrap admin token
//! (`Authorization: Bearer $EMPORIUM_ADMIN_TOKEN`) until staff accounts exist.
//! Every successful write drops the local read cache.

use axum::{
    extract::{Path, RawQuery, Request, State},
    http::{header, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
    Json, Router,
};
use emporium_catalog::ProductStatus;
use emporium_client::types::{
    admin::*, Category, Collection, Image, Page, Problem, Product, ProductSummary, Variant,
};
use sha2::{Digest, Sha256};

use crate::{
    extract::JsonBody,
    problem::{ApiError, ApiResult},
    store::product_filter,
    wire, AppState,
};

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/products", get(list_products).post(create_product))
        .route(
            "/admin/products/{id}",
            get(get_product)
                .patch(update_product)
                .delete(delete_product),
        )
        .route("/admin/products/{id}/publish", post(publish_product))
        .route("/admin/products/{id}/unpublish", post(unpublish_product))
        .route("/admin/products/{id}/variants", post(add_variant))
        .route(
            "/admin/products/{id}/variants/{variant_id}",
            patch(update_variant).delete(delete_variant),
        )
        .route("/admin/products/{id}/images", post(add_image))
        .route(
            "/admin/products/{id}/images/{image_id}",
            axum::routing::delete(delete_image),
        )
        .route(
            "/admin/categories",
            get(list_categories).post(create_category),
        )
        .route(
            "/admin/categories/{id}",
            patch(update_category).delete(delete_category),
        )
        .route(
            "/admin/collections",
            get(list_collections).post(create_collection),
        )
        .route(
            "/admin/collections/{id}",
            patch(update_collection).delete(delete_collection),
        )
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
        return ApiError::Unauthorized {
            detail: "the Admin API is disabled: set EMPORIUM_ADMIN_TOKEN".to_owned(),
        }
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
        Some(_) => ApiError::Unauthorized {
            detail: "the bearer token is not valid".to_owned(),
        }
        .into_response(),
        None => ApiError::Unauthorized {
            detail: "send `Authorization: Bearer <admin token>`".to_owned(),
        }
        .into_response(),
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
    responses((status = 200, body = Page<ProductSummary>), (status = 400, body = Problem), (status = 401, body = Problem)))]
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
    responses((status = 200, body = Product), (status = 404, body = Problem), (status = 401, body = Problem)))]
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
    responses((status = 201, body = Product), (status = 400, body = Problem), (status = 409, body = Problem), (status = 401, body = Problem)))]
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
    responses((status = 200, body = Product), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<ProductPatch>,
) -> ApiResult<Response> {
    let product = state
        .catalog
        .update_product(&id, wire::product_patch(patch))
        .await?;
    Ok(changed(&state, wire::product(product)))
}

/// Delete a product with its variants and images.
#[utoipa::path(delete, path = "/admin/products/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state.catalog.delete_product(&id).await?;
    Ok(deleted(&state))
}

/// Publish a product: it appears in the Store API.
#[utoipa::path(post, path = "/admin/products/{id}/publish", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Product), (status = 404, body = Problem)))]
pub async fn publish_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let product = state
        .catalog
        .set_product_status(&id, ProductStatus::Published)
        .await?;
    Ok(changed(&state, wire::product(product)))
}

/// Unpublish a product: back to draft, hidden from the Store API.
#[utoipa::path(post, path = "/admin/products/{id}/unpublish", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Product), (status = 404, body = Problem)))]
pub async fn unpublish_product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let product = state
        .catalog
        .set_product_status(&id, ProductStatus::Draft)
        .await?;
    Ok(changed(&state, wire::product(product)))
}

/// Add a variant to a product.
#[utoipa::path(post, path = "/admin/products/{id}/variants", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = VariantInput,
    responses((status = 201, body = Variant), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn add_variant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<VariantInput>,
) -> ApiResult<Response> {
    let variant = state
        .catalog
        .add_variant(&id, wire::variant_in(input))
        .await?;
    Ok(created(&state, wire::variant(variant)))
}

/// Change a variant; `prices` replaces all of its prices.
#[utoipa::path(patch, path = "/admin/products/{id}/variants/{variant_id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path), ("variant_id" = String, Path)), request_body = VariantPatch,
    responses((status = 200, body = Variant), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_variant(
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
    JsonBody(patch): JsonBody<VariantPatch>,
) -> ApiResult<Response> {
    let variant = state
        .catalog
        .update_variant(&id, &variant_id, wire::variant_patch(patch))
        .await?;
    Ok(changed(&state, wire::variant(variant)))
}

/// Delete a variant.
#[utoipa::path(delete, path = "/admin/products/{id}/variants/{variant_id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path), ("variant_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_variant(
    State(state): State<AppState>,
    Path((id, variant_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    state.catalog.delete_variant(&id, &variant_id).await?;
    Ok(deleted(&state))
}

/// Add an image (appended after the existing ones).
#[utoipa::path(post, path = "/admin/products/{id}/images", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)), request_body = ImageInput,
    responses((status = 201, body = Image), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn add_image(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ImageInput>,
) -> ApiResult<Response> {
    let image = state.catalog.add_image(&id, wire::image_in(input)).await?;
    Ok(created(&state, wire::image(image)))
}

/// Remove an image.
#[utoipa::path(delete, path = "/admin/products/{id}/images/{image_id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path), ("image_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_image(
    State(state): State<AppState>,
    Path((id, image_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    state.catalog.delete_image(&id, &image_id).await?;
    Ok(deleted(&state))
}

/// The category tree.
#[utoipa::path(get, path = "/admin/categories", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, body = Page<Category>)))]
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
    responses((status = 201, body = Category), (status = 400, body = Problem), (status = 409, body = Problem)))]
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
    responses((status = 200, body = Category), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_category(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<CategoryPatch>,
) -> ApiResult<Response> {
    let category = state
        .catalog
        .update_category(&id, wire::category_patch(patch))
        .await?;
    Ok(changed(&state, wire::category(category)))
}

/// Delete a category: its children move up to its parent; products stay.
#[utoipa::path(delete, path = "/admin/categories/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_category(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state.catalog.delete_category(&id).await?;
    Ok(deleted(&state))
}

/// All collections, counting draft products too.
#[utoipa::path(get, path = "/admin/collections", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, body = Page<Collection>)))]
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
    responses((status = 201, body = Collection), (status = 400, body = Problem), (status = 409, body = Problem)))]
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
    responses((status = 200, body = Collection), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<CollectionPatch>,
) -> ApiResult<Response> {
    let collection = state
        .catalog
        .update_collection(&id, wire::collection_patch(patch))
        .await?;
    Ok(changed(&state, wire::collection(collection)))
}

/// Delete a collection (its products stay).
#[utoipa::path(delete, path = "/admin/collections/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state.catalog.delete_collection(&id).await?;
    Ok(deleted(&state))
}
