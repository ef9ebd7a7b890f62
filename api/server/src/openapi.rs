//! The API contract: an OpenAPI 3.1 document generated from the handlers' annotations
//! (`/openapi.json`) and Swagger UI at `/docs`, whose assets are vendored in a registry
//! crate (nothing is fetched at build or run time).
//!
//! The operations come from the routes themselves (utoipa-axum, see
//! [`crate::router`]). [`finish`] then adds what every operation of a kind can answer
//! (400 for malformed input, 415 for a JSON body, 401 for the Admin API and for routes
//! that need a signed-in customer, 500 for all)
//! and gives every 4xx/5xx the `application/problem+json` [`Problem`] schema, whose
//! `code` lists the whole catalogue ([`ProblemCode`]). Route-specific problems (404,
//! 409, 422, 502, …) are declared on the routes.
//!
//! [`Problem`]: emporium_client::types::Problem

use axum::Router;
use emporium_client::types::{self as wire, admin as admin_wire};
use utoipa::{
    openapi::{
        path::Operation,
        schema::{Object, Schema, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        Content, Ref, RefOr, Response,
    },
    Modify, OpenApi,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::problem::{ProblemCode, PROBLEM_JSON};
use emporium_client::commerce as commerce_wire;

/// The document's fixed parts: info, tags, the schemas not reached from an operation.
/// The operations are added by the router as it registers the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Emporium API",
        description = "Headless commerce: the Store API (catalog, carts, checkout, orders, \
                       customer accounts) and the Admin API (catalog, orders, stock, discounts). Errors are RFC 9457 \
                       problem documents (`application/problem+json`) with a stable `code`. Lists \
                       return `{items, next_cursor}`; pass `next_cursor` back as `cursor` for the \
                       next page. Money is integer minor units with an ISO 4217 currency."
    ),
    components(schemas(
        wire::Problem,
        wire::ProductSort,
        admin_wire::ProductInput,
        admin_wire::ProductPatch,
        admin_wire::VariantInput,
        admin_wire::VariantPatch,
        admin_wire::ImageInput,
        admin_wire::OptionInput,
        admin_wire::CategoryInput,
        admin_wire::CategoryPatch,
        admin_wire::CollectionInput,
        admin_wire::CollectionPatch,
        commerce_wire::Cart,
        commerce_wire::Order,
        commerce_wire::PlacedOrder,
        commerce_wire::CheckoutDetails,
        commerce_wire::admin::DiscountInput,
        commerce_wire::admin::AdjustStock,
    )),
    modifiers(&BearerSchemes),
    tags(
        (name = "store", description = "Public catalog reads (cacheable)"),
        (name = "search", description = "Product search with typo tolerance, facets and suggestions"),
        (name = "admin", description = "Catalog management; `Authorization: Bearer <admin token>`"),
        (name = "cart", description = "Carts (a guest's, or a signed-in customer's): lines, discount codes, shipping options"),
        (name = "checkout", description = "Checkout details, order placement (Idempotency-Key) and guest order reads"),
        (name = "accounts", description = "Customer accounts: registration, login (`Authorization: Bearer <session token>`), email verification, password reset, profile, address book"),
        (name = "admin-orders", description = "Orders: list, fulfil, cancel, refund, mark paid"),
        (name = "admin-inventory", description = "Stock levels and adjustments with a movement log"),
        (name = "admin-discounts", description = "Discount codes"),
        (name = "admin-customers", description = "Customers and customer groups"),
        (name = "webhooks", description = "Signed provider callbacks (Stripe)"),
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct ApiDoc;

const ADMIN_TOKEN: &str = "admin_token";
/// A customer session token from `POST /store/auth/login`.
const CUSTOMER_TOKEN: &str = "customer_token";

/// The two bearer tokens: the Admin API's and a customer session's.
struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in [ADMIN_TOKEN, CUSTOMER_TOKEN] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The document with its operations registered: adds the problems every operation of a
/// kind can answer and the problem+json content of every error response.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    ProblemResponses.modify(&mut doc);
    doc
}

/// Adds the responses shared by whole kinds of operations, and declares every 4xx/5xx
/// response as `application/problem+json` with the `Problem` schema.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let shared_params = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                add_shared_responses(op, shared_params);
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        if status.starts_with('4') || status.starts_with('5') {
                            response.content.clear();
                            response.content.insert(
                                PROBLEM_JSON.to_owned(),
                                Content::new(Some(Ref::from_schema_name("Problem"))),
                            );
                        }
                    }
                }
            }
        }
        document_problem_codes(openapi);
    }
}

fn add_shared_responses(op: &mut Operation, shared_params: bool) {
    let has_params = shared_params || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = op.request_body.is_some();
    let requires = |scheme: &str| {
        op.security.as_ref().is_some_and(|requirements| {
            requirements.iter().any(|r| {
                serde_json::to_value(r)
                    .ok()
                    .is_some_and(|v| v.get(scheme).is_some())
            })
        })
    };
    let admin = requires(ADMIN_TOKEN);
    let customer = requires(CUSTOMER_TOKEN);
    if has_params || has_body {
        let codes = match (has_params, has_body) {
            (true, true) => "`invalid_parameter`, `invalid_body`",
            (true, false) => "`invalid_parameter`",
            _ => "`invalid_body`",
        };
        let generic = format!("A parameter or the body is malformed ({codes}); `param` names it");
        match op.responses.responses.get_mut("400") {
            // The route declared its own 400s: the generic ones come on top.
            Some(RefOr::T(declared)) => {
                let missing: Vec<&str> = ["`invalid_parameter`", "`invalid_body`"]
                    .into_iter()
                    .filter(|c| codes.contains(c) && !declared.description.contains(c))
                    .collect();
                if !missing.is_empty() {
                    declared.description = format!(
                        "{}; or a malformed parameter or body ({})",
                        declared.description,
                        missing.join(", ")
                    );
                }
            }
            _ => ensure(op, "400", generic),
        }
    }
    if has_body {
        ensure(
            op,
            "415",
            "The body was sent without `Content-Type: application/json` (`unsupported_media_type`)",
        );
    }
    if admin {
        ensure(
            op,
            "401",
            "The admin token is missing or wrong (`unauthorized`)",
        );
    }
    if customer {
        ensure(
            op,
            "401",
            "No valid customer session: the token is missing, unknown or expired, or the \
             session ended (`unauthenticated`, with `WWW-Authenticate: Bearer`)",
        );
    }
    ensure(
        op,
        "500",
        "A failure on our side; try again later (`internal`)",
    );
}

/// Adds a response for `status` unless the route declared one (the route's description
/// says more).
fn ensure(op: &mut Operation, status: &str, description: impl Into<String>) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::T(Response::new(description)));
}

/// The `Problem` schema's `code` as the closed set it is.
fn document_problem_codes(openapi: &mut utoipa::openapi::OpenApi) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else {
        return;
    };
    let mut code = Object::with_type(Type::String);
    code.description = Some(
        "Stable machine-readable code; each code always comes with the same status".to_owned(),
    );
    code.enum_values = Some(
        ProblemCode::ALL
            .iter()
            .map(|c| serde_json::Value::from(c.code()))
            .collect(),
    );
    problem
        .properties
        .insert("code".to_owned(), RefOr::T(Schema::Object(code)));
}

/// `/openapi.json` and the interactive docs at `/docs`.
pub fn routes(doc: utoipa::openapi::OpenApi) -> Router {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
}
