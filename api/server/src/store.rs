//! Store API: public catalog reads. Each handler parses, calls one catalog method and
//! maps the result; bodies are cached (see `cache`). A product is priced with the price
//! lists for everyone, and for a signed-in customer with their groups' lists too (that
//! answer is private).

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, Uri},
    response::Response,
};
use emporium_catalog::{ProductFilter, ProductSort};
use emporium_client::types::{Category, Collection, Page, Product, ProductQuery, ProductSummary};
use emporium_kernel::{cache::Freshness, clock::now_ms, money::Currency};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    cache::CachedBody,
    commerce::auth::AsShopper,
    extract::{Path, QueryParams},
    problem::{ApiError, ApiResult},
    wire, AppState,
};

/// Each route with its OpenAPI operation (`routes!` registers both from the handler's
/// `#[utoipa::path]`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products))
        .routes(routes!(get_product))
        .routes(routes!(list_categories))
        .routes(routes!(list_collections))
        .routes(routes!(get_collection))
}

/// Serves the read named by `key` from the local cache, or renders it with `load` and
/// caches it. The key is what the answer depends on, never the raw query string: the
/// path, plus the parsed filter for a list, so parameters in another order, unknown
/// ones or random ones meant to fill the cache all share one entry per real query.
async fn cached<T, F>(
    state: &AppState,
    key: String,
    headers: &HeaderMap,
    load: F,
) -> ApiResult<Response>
where
    T: Serialize,
    F: std::future::Future<Output = ApiResult<T>>,
{
    if let Some(hit) = state.cache.get(&key) {
        return Ok(hit.respond(headers));
    }
    let value = load.await?;
    let body = serde_json::to_vec(&value).map_err(ApiError::internal)?;
    let entry = CachedBody::new(Bytes::from(body));
    let response = entry.respond(headers);
    state.cache.put(key, entry);
    Ok(response)
}

/// Parses the product-list query string, naming the parameter at fault.
pub fn product_filter(raw: Option<&str>, include_drafts: bool) -> ApiResult<ProductFilter> {
    let q = QueryParams::parse(raw);
    let currency = match q.text("currency") {
        Some(code) => {
            Currency::parse(code).map_err(|e| ApiError::invalid("currency", e.to_string()))?
        }
        None => Currency::EUR,
    };
    let sort = match q.text("sort") {
        None | Some("newest") => ProductSort::Newest,
        Some("price_asc") => ProductSort::PriceAsc,
        Some("price_desc") => ProductSort::PriceDesc,
        Some("title") => ProductSort::Title,
        Some(other) => {
            return Err(ApiError::invalid(
                "sort",
                format!(
                    "`sort` must be one of newest, price_asc, price_desc, title; got `{other}`"
                ),
            ))
        }
    };
    let limit = q.integer("limit", 1, 100)?.unwrap_or(20) as u32;
    let price_min = q.integer("price_min", 0, i64::MAX)?;
    let price_max = q.integer("price_max", 0, i64::MAX)?;
    if let (Some(min), Some(max)) = (price_min, price_max) {
        if min > max {
            return Err(ApiError::invalid(
                "price_min",
                format!("`price_min` ({min}) must not exceed `price_max` ({max})"),
            ));
        }
    }
    Ok(ProductFilter {
        category: q.text("category").map(str::to_owned),
        collection: q.text("collection").map(str::to_owned),
        currency,
        price_min,
        price_max,
        sort,
        limit,
        cursor: q.text("cursor").map(str::to_owned),
        include_drafts,
    })
}

/// List published products.
#[utoipa::path(
    get, path = "/store/products", tag = "store",
    params(ProductQuery),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductSummary>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "Unknown category or collection (`not_found`)"),
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let filter = product_filter(raw.as_deref(), false)?;
    let key = format!("{}?{filter:?}", uri.path());
    cached(&state, key, &headers, async {
        let page = state.catalog.list_products(&filter).await?;
        Ok(Page {
            items: page.items.into_iter().map(wire::product_summary).collect(),
            next_cursor: page.next_cursor,
        })
    })
    .await
}

/// One published product by id or handle, priced for the shopper: each variant's price
/// is the lowest of its regular price and the price lists that apply now (everyone's;
/// signed in, also the customer's groups').
#[utoipa::path(
    get, path = "/store/products/{id_or_handle}", tag = "store",
    security((), ("customer_token" = [])),
    params(("id_or_handle" = String, Path, description = "`prod_…` id or URL handle")),
    responses(
        (status = 200, description = "The product", body = Product),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such published product (`not_found`)"),
    )
)]
pub async fn get_product(
    State(state): State<AppState>,
    AsShopper(shopper): AsShopper,
    Path(id_or_handle): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let groups: Vec<String> = match shopper.customer_id() {
        Some(customer) => state
            .commerce
            .accounts
            .groups_of(customer)
            .await?
            .into_iter()
            .map(String::from)
            .collect(),
        None => Vec::new(),
    };
    let priced = async |groups: &[String]| -> ApiResult<Product> {
        let mut product = state.catalog.get_product(&id_or_handle, false).await?;
        state
            .catalog
            .apply_price_lists(&mut product, groups, now_ms(), Freshness::Recent)
            .await?;
        Ok(wire::product(product))
    };
    if groups.is_empty() {
        // Everyone's price lists: the same for every shopper, so shared and cached (a
        // list's window opens or closes within the cache's few seconds).
        return cached(&state, uri.path().to_owned(), &headers, priced(&[])).await;
    }
    // A customer group's prices are theirs alone: never cached or shared.
    Ok(crate::commerce::store_routes::private(
        axum::http::StatusCode::OK,
        priced(&groups).await?,
    ))
}

/// The category tree.
#[utoipa::path(
    get, path = "/store/categories", tag = "store",
    responses(
        (status = 200, description = "Root categories with nested children", body = Page<Category>),
        (status = 304, description = "Not modified (If-None-Match)"),
    )
)]
pub async fn list_categories(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    cached(&state, uri.path().to_owned(), &headers, async {
        let tree = state.catalog.category_tree().await?;
        Ok(Page {
            items: tree.into_iter().map(wire::category).collect::<Vec<_>>(),
            next_cursor: None,
        })
    })
    .await
}

/// All collections.
#[utoipa::path(
    get, path = "/store/collections", tag = "store",
    responses(
        (status = 200, description = "Collections by title", body = Page<Collection>),
        (status = 304, description = "Not modified (If-None-Match)"),
    )
)]
pub async fn list_collections(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    cached(&state, uri.path().to_owned(), &headers, async {
        let all = state.catalog.list_collections(false).await?;
        Ok(Page {
            items: all.into_iter().map(wire::collection).collect::<Vec<_>>(),
            next_cursor: None,
        })
    })
    .await
}

/// One collection by handle (its products: `GET /store/products?collection=…`).
#[utoipa::path(
    get, path = "/store/collections/{handle}", tag = "store",
    params(("handle" = String, Path, description = "Collection handle or `pcol_…` id")),
    responses(
        (status = 200, description = "The collection", body = Collection),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such collection (`not_found`)"),
    )
)]
pub async fn get_collection(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    cached(&state, uri.path().to_owned(), &headers, async {
        Ok(wire::collection(
            state.catalog.get_collection(&handle, false).await?,
        ))
    })
    .await
}
