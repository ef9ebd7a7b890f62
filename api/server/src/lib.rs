//! Emporium's HTTP layer. It composes the domain services behind REST routes and holds
//! no business rules: a handler parses, authorises, calls one service method and maps
//! the result (errors through [`problem::ApiError`], the one mapping to HTTP).
//!
//! Layout:
//! - [`store`]: public Store API (catalog reads, cached, ETag/304).
//! - [`admin`]: Admin API for catalog writes (bootstrap admin token).
//! - [`commerce`]: the commerce services composed (carts, checkout, orders, stock,
//!   payments, customer accounts, emails), their Store and Admin routes and the Stripe
//!   webhook.
//! - [`openapi`]: the OpenAPI document (`/openapi.json`) and the docs page (`/docs`).
//! - [`problem`], [`extract`]: RFC 9457 errors and request parsing that names bad input.
//! - [`cache`]: HTTP validators and the local read cache.
//! - [`transport`]: the in-process transport for the typed client.
//! - [`middleware`]: request ids, tracing spans, compression.

pub mod admin;
pub mod cache;
pub mod commerce;
pub mod extract;
pub mod limits;
pub mod middleware;
pub mod openapi;
pub mod price_lists;
pub mod problem;
pub mod search;
pub mod store;
pub mod transport;
mod wire;

use std::sync::Arc;

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    routing::{any, get},
    Json, Router,
};
use commerce::Commerce;
use emporium_catalog::Catalog;
use extract::Path;
use problem::{ApiError, ProblemCode};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use transport::InProcessTransport;

/// Settings the HTTP layer needs. `Debug` hides the token.
#[derive(Clone, Default)]
pub struct ApiConfig {
    /// Bearer token for the Admin API; `None` disables it.
    pub admin_token: Option<String>,
    /// Adds `/bench/static`, the ceiling route for `cargo xtask bench`.
    pub bench_routes: bool,
    /// The header a trusted proxy puts the client's address in (e.g. `fly-client-ip`);
    /// `None`: the peer's address keys the rate limits.
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
    /// Origins of other frontends whose browser scripts may call the API (CORS); empty:
    /// none (the storefront is same-origin and needs no CORS).
    pub cors_origins: Vec<axum::http::HeaderValue>,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("admin_token", &self.admin_token.as_ref().map(|_| "***"))
            .field("bench_routes", &self.bench_routes)
            .field("trusted_proxy_header", &self.trusted_proxy_header)
            .field("cors_origins", &self.cors_origins)
            .finish()
    }
}

/// What every handler can reach ([`Services`], behind one `Arc`: axum clones the state
/// for every request, and cloning every service's pool handles was about 3 % of an add
/// to cart's CPU).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

/// The services and settings in an [`AppState`].
pub struct Services {
    pub catalog: Catalog,
    pub commerce: Commerce,
    pub config: Arc<ApiConfig>,
    pub cache: Arc<cache::ReadCache>,
    pub limits: Arc<limits::RateLimits>,
}

impl AppState {
    pub fn new(catalog: Catalog, commerce: Commerce, config: ApiConfig) -> Self {
        AppState(Arc::new(Services {
            catalog,
            commerce,
            config: Arc::new(config),
            cache: Arc::new(cache::ReadCache::default()),
            limits: Arc::new(limits::RateLimits::default()),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The whole API: Store, Admin, health, media, OpenAPI. No fallback, so it can be
/// merged with the storefront's router, which owns the HTML 404 page.
pub fn router(state: AppState) -> Router {
    let (api, doc) = documented_routes(state.clone()).split_for_parts();
    let mut router = api
        // Outside the contract: answers for paths no operation has, and demo assets.
        .route("/store/{*rest}", any(unknown_api_route))
        .route("/admin/{*rest}", any(unknown_api_route))
        .route("/media/demo/{name}", get(demo_media));
    if state.config.bench_routes {
        router = router.route("/bench/static", get(|| async { "ok" }));
    }
    let cors = cors(&state.config.cors_origins);
    let router = router
        .with_state(state)
        .merge(openapi::routes(openapi::finish(doc)));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// CORS for the configured origins only. Credentials are not allowed: other frontends
/// authenticate with `Authorization: Bearer`, which a page of another origin cannot
/// borrow from the shopper's cookies.
fn cors(origins: &[axum::http::HeaderValue]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{header, HeaderName, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};

    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::RETRY_AFTER,
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("idempotent-replayed"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Every documented route: each is registered with its OpenAPI operation (utoipa-axum's
/// `routes!` reads both from the handler's `#[utoipa::path]`), so the document cannot
/// miss a route of the Store or Admin API.
fn documented_routes(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<openapi::ApiDoc as utoipa::OpenApi>::openapi())
        .merge(store::routes())
        .merge(admin::routes(state.clone()))
        .merge(price_lists::routes(state.clone()))
        .merge(commerce::store_routes::routes())
        .merge(commerce::account_routes::routes())
        .merge(commerce::admin_routes::routes(state.clone()))
        .merge(commerce::customer_admin_routes::routes(state))
        .merge(commerce::webhooks::routes())
        .merge(search::routes::routes())
        .routes(routes!(live))
        .routes(routes!(ready))
}

async fn unknown_api_route() -> ApiError {
    ApiError::not_found("no such API route; see /openapi.json for the routes that exist")
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok`.
    status: &'static str,
    /// `ok` when the database answers (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn live() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
    })
}

/// Readiness: ready when the database answers.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database does not answer (`unavailable`)"),
    ))]
async fn ready(State(state): State<AppState>) -> Response {
    match state.catalog.database().ping().await {
        Ok(()) => Json(Health {
            status: "ok",
            database: Some("ok"),
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::new(ProblemCode::Unavailable, "the database does not answer").into_response()
        }
    }
}

/// Demo catalog images, drawn on request: the demo needs no files and no network.
async fn demo_media(Path(name): Path<String>) -> Response {
    match emporium_demo::demo_image_svg(&name) {
        Some(svg) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("image/svg+xml"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400, immutable"),
                ),
            ],
            svg,
        )
            .into_response(),
        None => ApiError::not_found(format!("no demo image `{name}`")).into_response(),
    }
}
