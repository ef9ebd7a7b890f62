//! Server functions: the storefront's only door to the catalog. Each one calls the
//! typed Store API client that the server put into context.
//!
//! During server rendering, resources call these functions directly (no HTTP), and
//! their results are serialized into the page for hydration. After hydration, client-side
//! navigation calls them over HTTP at `/api/catalog/*` (stable endpoints, no hash, so
//! the browser bundle and the server agree whatever their build). Search answers at
//! `/api/search/*`.

use emporium_client::{
    search::Suggestions,
    types::{Category, Collection, Page, Product, ProductQuery, ProductSummary},
};
use leptos::{prelude::*, server_fn::codec::GetUrl};

use crate::{
    error::AppError,
    search::{SearchAnswer, SearchRequest},
};

/// The client the server provided with `provide_context` (see [`crate::router`]).
#[cfg(feature = "ssr")]
fn client() -> Result<emporium_client::Client, AppError> {
    use_context::<emporium_client::Client>()
        .ok_or_else(|| AppError::Unavailable("no Store API client in context".to_owned()))
}

/// The whole category tree, roots first.
#[server(endpoint = "catalog/categories")]
pub async fn category_tree() -> Result<Vec<Category>, AppError> {
    Ok(client()?.list_categories().await?.items)
}

/// All collections (the home page features them).
#[server(endpoint = "catalog/collections")]
pub async fn collection_list() -> Result<Vec<Collection>, AppError> {
    Ok(client()?.list_collections().await?.items)
}

/// One page of products.
#[server(endpoint = "catalog/products")]
pub async fn product_list(query: ProductQuery) -> Result<Page<ProductSummary>, AppError> {
    Ok(client()?.list_products(&query).await?)
}

/// One product with its variants, by handle, priced for the shopper: signed in, the
/// API applies the price lists of the customer's groups too (such pages are private).
/// A session the API says has ended signs the shopper out and the guest's price shows.
#[server(endpoint = "catalog/product")]
pub async fn product_detail(handle: String) -> Result<Product, AppError> {
    use crate::cart_api::session;

    if session::signed_in() {
        let shopper = session::client().map_err(|e| AppError::Unavailable(e.to_string()))?;
        match shopper.get_product(&handle).await {
            Err(error) if session::session_ended_by(&error) => {}
            answer => return Ok(answer?),
        }
    }
    Ok(client()?.get_product(&handle).await?)
}

/// Units available per variant of one product, by handle: variant id -> units.
#[server(endpoint = "catalog/availability")]
pub async fn product_availability(
    handle: String,
) -> Result<std::collections::HashMap<String, i64>, AppError> {
    Ok(client()?
        .product_availability(&handle)
        .await?
        .items
        .into_iter()
        .map(|a| (a.variant_id, a.available))
        .collect())
}

/// One collection, by handle.
#[server(endpoint = "catalog/collection")]
pub async fn collection_detail(handle: String) -> Result<Collection, AppError> {
    Ok(client()?.get_collection(&handle).await?)
}

/// One page of search results. A filter the API refuses (an unknown category or
/// option, a lowest price above the highest, a stale cursor: a 400 naming the
/// parameter) is left out and the search asked again, a few times at most, so the page
/// can show results and say what was left out; only an API that fails is an error.
/// When nothing matches, the answer carries the top-level categories to browse instead.
#[server(endpoint = "search/products")]
pub async fn search_products(request: SearchRequest) -> Result<SearchAnswer, AppError> {
    use emporium_client::{
        search::{SearchPage, SearchParams},
        ClientError,
    };

    use crate::search::browse_suggestions;

    /// Searches asked at most: the first and the retries without a refused filter.
    const ATTEMPTS: usize = 4;

    let client = client()?;
    let mut request = request;
    let mut refusals = Vec::new();
    let mut page = None;
    for _ in 0..ATTEMPTS {
        match client.search(&request.params()).await {
            Ok(found) => {
                page = Some(found);
                break;
            }
            Err(ClientError::Api(problem)) if problem.status == 400 => {
                let param = problem.param.unwrap_or_default();
                refusals.push(request.refusal(&param));
                match request.without(&param) {
                    Some(retry) => request = retry,
                    None => break,
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    let browse = if page.as_ref().is_none_or(|p: &SearchPage| p.total == 0) {
        // A nicety: without it the empty page still says what to try.
        let everything = SearchParams {
            currency: Some(request.currency.clone()),
            limit: Some(1),
            ..SearchParams::default()
        };
        client
            .search(&everything)
            .await
            .map(|p| browse_suggestions(p.facets.categories))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(SearchAnswer {
        page,
        currency: request.currency,
        refusals,
        browse,
    })
}

/// Products and categories for what is being typed into the header's search box. A
/// GET (`/api/search/suggest?q=…`): it changes nothing.
#[server(endpoint = "search/suggest", input = GetUrl)]
pub async fn search_suggestions(q: String) -> Result<Suggestions, AppError> {
    Ok(client()?.suggest(q.trim()).await?)
}
