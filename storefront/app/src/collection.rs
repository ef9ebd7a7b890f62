//! `/collections/{handle}`: title, description, the collection's products, pages.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    error::AppError,
    layout::{Breadcrumb, Crumb, Loading, NotFound, ServiceError},
    listing::{Pagination, ProductGrid},
    query::{href as href_with, Listing},
    region::{display_currency, Regions},
    response,
    seo::{summarize, PageMeta},
    store_api::{collection_detail, product_list},
};

#[component]
pub fn CollectionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let handle = Memo::new(move |_| params.read().get("handle").unwrap_or_default());
    let listing = Memo::new(move |_| Listing::from_query(&query.read()));
    let collection = Resource::new(move || handle.get(), collection_detail);
    let regions = Regions::resource();
    // One page of products with the currency it is priced in.
    let products = Resource::new(
        move || (listing.get(), handle.get()),
        move |(listing, handle)| async move {
            let currency = display_currency(regions, listing.currency.clone()).await;
            let page = product_list(listing.collection_query(&handle, &currency)).await?;
            Ok::<_, AppError>((currency, page))
        },
    );

    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let collection = collection.await;
                let page = products.await;
                let listing = listing.get();
                let (collection, (currency, page)) = match (collection, page) {
                    (Ok(collection), Ok(priced)) => (collection, priced),
                    (Err(AppError::NotFound), _) | (_, Err(AppError::NotFound)) => {
                        return view! { <NotFound/> }.into_any();
                    }
                    _ => return view! { <ServiceError/> }.into_any(),
                };
                response::cache_catalog_page();

                let href = format!("/collections/{}", collection.handle);
                let canonical = match &listing.cursor {
                    Some(cursor) => href_with(&href, &[("cursor", cursor)]),
                    None => href.clone(),
                };
                let description = if collection.description.trim().is_empty() {
                    format!("Shop the {} collection at Emporium.", collection.title)
                } else {
                    summarize(&collection.description)
                };
                view! {
                    <PageMeta title=collection.title.clone() description canonical/>
                    <Breadcrumb crumbs=vec![Crumb::link("Home", "/"), Crumb::here(collection.title.clone())]/>
                    <header class="page-header">
                        <h1>{collection.title.clone()}</h1>
                        {(!collection.description.trim().is_empty())
                            .then(|| view! { <p class="lead">{collection.description.clone()}</p> })}
                    </header>
                    <h2 class="visually-hidden">"Products"</h2>
                    <ProductGrid
                        products=page.items
                        currency
                        currency_param=listing.currency.clone()
                        label=format!("{} products", collection.title)
                    />
                    <Pagination path=href listing next_cursor=page.next_cursor/>
                }
                .into_any()
            })}
        </Transition>
    }
}
