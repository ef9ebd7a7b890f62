//! `/categories/{handle}`: breadcrumb, subcategories, sortable product grid, pages.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    categories::{category_href, category_path, CategoryTree},
    error::AppError,
    layout::{Breadcrumb, Crumb, Loading, NotFound, ServiceError},
    listing::{Pagination, ProductGrid, SortForm},
    query::{href as href_with, Listing},
    region::{display_currency, Regions},
    response,
    seo::{summarize, PageMeta},
    store_api::product_list,
};

#[component]
pub fn CategoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let handle = Memo::new(move |_| params.read().get("handle").unwrap_or_default());
    let listing = Memo::new(move |_| Listing::from_query(&query.read()));
    let tree = CategoryTree::resource();
    let regions = Regions::resource();
    // One page of products with the currency it is priced in.
    let products = Resource::new(
        move || (listing.get(), handle.get()),
        move |(listing, handle)| async move {
            let currency = display_currency(regions, listing.currency.clone()).await;
            let page = product_list(listing.category_query(&handle, &currency)).await?;
            Ok::<_, AppError>((currency, page))
        },
    );

    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let tree = tree.await;
                let page = products.await;
                let handle = handle.get();
                let listing = listing.get();
                let tree = match tree {
                    Ok(tree) => tree,
                    Err(_) => return view! { <ServiceError/> }.into_any(),
                };
                let Some(path) = category_path(&tree, &handle) else {
                    return view! { <NotFound/> }.into_any();
                };
                let (currency, page) = match page {
                    Ok(priced) => priced,
                    Err(AppError::NotFound) => return view! { <NotFound/> }.into_any(),
                    Err(AppError::Unavailable(_)) => return view! { <ServiceError/> }.into_any(),
                };
                response::cache_catalog_page();

                let mut crumbs = vec![Crumb::link("Home", "/")];
                let (category, ancestors) = match path.split_last() {
                    Some(split) => split,
                    None => return view! { <NotFound/> }.into_any(),
                };
                crumbs.extend(ancestors.iter().map(|c| Crumb::link(c.name.clone(), category_href(&c.handle))));
                crumbs.push(Crumb::here(category.name.clone()));
                let href = category_href(&category.handle);
                let description = if category.description.trim().is_empty() {
                    format!("Shop {} at Emporium.", category.name)
                } else {
                    summarize(&category.description)
                };
                // Sort and currency are presentations of the same page; later pages are pages.
                let canonical = match &listing.cursor {
                    Some(cursor) => href_with(&href, &[("cursor", cursor)]),
                    None => href.clone(),
                };
                let subcategories = category.children.clone();
                view! {
                    <PageMeta title=category.name.clone() description canonical/>
                    <Breadcrumb crumbs/>
                    <header class="page-header">
                        <h1>{category.name.clone()}</h1>
                        {(!category.description.trim().is_empty())
                            .then(|| view! { <p class="lead">{category.description.clone()}</p> })}
                    </header>
                    {(!subcategories.is_empty())
                        .then(|| {
                            view! {
                                <nav class="subcategories" aria-label="Subcategories">
                                    <ul>
                                        {subcategories
                                            .into_iter()
                                            .map(|c| {
                                                view! {
                                                    <li>
                                                        <a class="chip" href=category_href(&c.handle)>{c.name}</a>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </nav>
                            }
                        })}
                    <div class="listing-toolbar">
                        <SortForm path=href.clone() listing=listing.clone()/>
                    </div>
                    <h2 class="visually-hidden">"Products"</h2>
                    <ProductGrid
                        products=page.items
                        currency
                        currency_param=listing.currency.clone()
                        label=format!("{} products", category.name)
                    />
                    <Pagination path=href listing next_cursor=page.next_cursor/>
                }
                .into_any()
            })}
        </Transition>
    }
}
