//! The API contract: an OpenAPI 3.1 document generated from the handlers' annotations
//! (`/openapi.json`) and Swagger UI at `/docs`, whose assets are vendored in a registry
//! crate (nothing is fetched at build or run time).

use axum::Router;
use emporium_client::types::{self as wire, admin as admin_wire};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    admin,
    commerce::{admin_routes as orders, store_routes as cart, webhooks},
    store,
};
use emporium_client::commerce as commerce_wire;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Emporium API",
        description = "Headless commerce: the Store API (catalog, carts, checkout, orders) \
                       and the Admin API (catalog, orders, stock, discounts). Errors are RFC 9457 problem documents with a stable \
                       `code`. Lists return `{items, next_cursor}`; pass `next_cursor` back as \
                       `cursor` for the next page. Money is integer minor units with an ISO \
                       4217 currency."
    ),
    paths(
        store::list_products,
        store::get_product,
        store::list_categories,
        store::list_collections,
        store::get_collection,
        admin::list_products,
        admin::get_product,
        admin::create_product,
        admin::update_product,
        admin::delete_product,
        admin::publish_product,
        admin::unpublish_product,
        admin::add_variant,
        admin::update_variant,
        admin::delete_variant,
        admin::add_image,
        admin::delete_image,
        admin::list_categories,
        admin::create_category,
        admin::update_category,
        admin::delete_category,
        admin::list_collections,
        admin::create_collection,
        admin::update_collection,
        admin::delete_collection,
        cart::list_regions,
        cart::product_availability,
        cart::create_cart,
        cart::get_cart,
        cart::add_line,
        cart::update_line,
        cart::remove_line,
        cart::apply_discount,
        cart::remove_discount,
        cart::shipping_options,
        cart::set_checkout_details,
        cart::complete_cart,
        cart::get_order,
        orders::list_orders,
        orders::get_order,
        orders::mark_paid,
        orders::fulfil_order,
        orders::mark_delivered,
        orders::cancel_order,
        orders::refund_order,
        orders::stock_level,
        orders::adjust_stock,
        orders::list_discounts,
        orders::create_discount,
        orders::delete_discount,
        webhooks::stripe_webhook,
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
    modifiers(&AdminTokenScheme),
    tags(
        (name = "store", description = "Public catalog reads (cacheable)"),
        (name = "admin", description = "Catalog management; `Authorization: Bearer <admin token>`"),
        (name = "cart", description = "Guest carts: lines, discount codes, shipping options"),
        (name = "checkout", description = "Checkout details, order placement (Idempotency-Key) and guest order reads"),
        (name = "admin-orders", description = "Orders: list, fulfil, cancel, refund, mark paid"),
        (name = "admin-inventory", description = "Stock levels and adjustments with a movement log"),
        (name = "admin-discounts", description = "Discount codes"),
        (name = "webhooks", description = "Signed provider callbacks (Stripe)"),
    )
)]
pub struct ApiDoc;

struct AdminTokenScheme;

impl Modify for AdminTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `/openapi.json` and the interactive docs at `/docs`.
pub fn routes() -> Router {
    Router::new().merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()))
}
