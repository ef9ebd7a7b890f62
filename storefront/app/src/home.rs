//! `/`: hero, top-level categories, featured collections, new arrivals.

use emporium_client::types::{ProductQuery, ProductSort};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    categories::{category_href, CategoryTree},
    error::AppError,
    layout::Loading,
    listing::ProductGrid,
    query::{currency_param, DEFAULT_CURRENCY},
    region::{display_currency, Regions},
    response,
    seo::PageMeta,
    store_api::{collection_list, product_list},
};

/// How many products "New arrivals" shows.
const NEW_ARRIVALS: u32 = 8;

#[component]
pub fn HomePage() -> impl IntoView {
    response::cache_catalog_page();
    let query = use_query_map();
    let regions = Regions::resource();
    let tree = CategoryTree::resource();
    let collections = Resource::new(|| (), |_| collection_list());
    // The newest products with the currency they are priced in.
    let new_arrivals = Resource::new(
        move || currency_param(&query.read()),
        move |explicit| async move {
            let currency = display_currency(regions, explicit).await;
            let page = product_list(ProductQuery {
                currency: Some(currency.clone()),
                sort: Some(ProductSort::Newest),
                limit: Some(NEW_ARRIVALS),
                ..ProductQuery::default()
            })
            .await?;
            Ok::<_, AppError>((currency, page.items))
        },
    );

    view! {
        <PageMeta
            title="Emporium"
            description="Shop thoughtfully made goods across every category: new arrivals every week, curated collections, clear prices."
            canonical="/"
        />
        <section class="hero">
            <div class="hero-inner">
                <h1>"Good things, made to last"</h1>
                <p>"Browse hundreds of products across every category, with new arrivals every week."</p>
                <p><a class="button" href="#new-arrivals">"See what's new"</a></p>
            </div>
        </section>

        <section class="home-section" aria-labelledby="shop-by-category">
            <h2 id="shop-by-category">"Shop by category"</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let roots = tree.await.unwrap_or_default();
                    view! {
                        <ul class="tile-list">
                            {roots
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <li>
                                            <a class="tile" href=category_href(&c.handle)>
                                                <span class="tile-title">{c.name}</span>
                                            </a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            </Suspense>
        </section>

        <section class="home-section" aria-labelledby="featured-collections">
            <h2 id="featured-collections">"Featured collections"</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let collections = collections.await.unwrap_or_default();
                    view! {
                        <ul class="collection-list">
                            {collections
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <li class="collection-card">
                                            <a href=format!("/collections/{}", c.handle)>
                                                <h3>{c.title}</h3>
                                                <p>{c.description}</p>
                                                <p class="collection-count">
                                                    {match c.product_count {
                                                        1 => "1 product".to_owned(),
                                                        n => format!("{n} products"),
                                                    }}
                                                </p>
                                            </a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            </Suspense>
        </section>

        <section class="home-section" id="new-arrivals" aria-labelledby="new-arrivals-title">
            <h2 id="new-arrivals-title">"New arrivals"</h2>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let (currency, products) = new_arrivals
                        .await
                        .unwrap_or_else(|_| (DEFAULT_CURRENCY.to_owned(), Vec::new()));
                    view! {
                        <ProductGrid
                            products
                            currency
                            currency_param=currency_param(&query.read_untracked())
                            label="New arrivals"
                        />
                    }
                })}
            </Suspense>
        </section>
    }
}
