//! The storefront on fixture data, no database: for working on pages and styles, and
//! for trying the browser tests' harness without the real binary.
//!
//! ```sh
//! EMPORIUM_ADDR=127.0.0.1:3000 LEPTOS_SITE_ROOT=target/site \
//!   cargo run -p emporium-storefront --features ssr --example fixture_site
//! ```
//!
//! Besides the pages it serves `/health/ready`, the fixture `/store/*` JSON and
//! placeholder `/media/*` images, like the `emporium` binary would.

#[path = "../tests/fixture/mod.rs"]
mod fixture;

use std::sync::Arc;

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use emporium_client::{Client, Transport};
use fixture::FixtureApi;
use leptos::config::LeptosOptions;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("EMPORIUM_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".to_owned());
    let api = FixtureApi::default();
    let options = LeptosOptions::builder()
        .output_name(Arc::<str>::from("emporium"))
        .site_root(Arc::<str>::from(site_root.as_str()))
        .site_pkg_dir(Arc::<str>::from("pkg"))
        .build();

    let store = {
        let api = api.clone();
        move |request: Request| {
            let api = api.clone();
            async move { store_api(&api, request).await }
        }
    };
    let app = axum::Router::new()
        .route("/health/ready", get(|| async { "ready" }))
        .route("/store/{*rest}", get(store.clone()))
        .route("/store/products", get(store))
        .route("/media/{*name}", get(placeholder_image))
        .merge(emporium_storefront::router(Client::new(api), options));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("fixture storefront on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}

async fn store_api(api: &FixtureApi, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
    let request = http::Request::from_parts(parts, body);
    match api.send(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::from(body))
        }
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn placeholder_image() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml")],
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="#d8d4cb"/><circle cx="50" cy="42" r="18" fill="#b8b2a6"/></svg>"##,
    )
}
