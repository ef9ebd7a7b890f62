//! The frame of every page (header with the category nav, footer) and the small
//! pieces pages share: breadcrumb, loading and error states.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::{
    account::AccountLink,
    cart::MiniCart,
    categories::{category_href, CategoryTree},
    region::RegionForm,
    response,
    search_box::SearchBox,
};

/// Skip link, shop name, the search box, the region choice, the account link, the
/// mini-cart and, on a row of their own, the top-level categories.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let tree = CategoryTree::resource();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header-inner">
                <a class="brand" href="/">"Emporium"</a>
                <SearchBox/>
                <RegionForm/>
                <div class="header-actions">
                    <AccountLink/>
                    <MiniCart/>
                </div>
                // Its own row under the others (see the search section of main.css).
                <nav class="category-nav" aria-label="Categories">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let roots = tree.await.unwrap_or_default();
                            view! {
                                <ul>
                                    {roots
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <li>
                                                    <a href=category_href(&c.handle)>{c.name}</a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                        })}
                    </Suspense>
                </nav>
            </div>
        </header>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="site-footer-inner">
                <p>
                    <strong>"Emporium"</strong>
                    " · open-source headless commerce in Rust"
                </p>
                <nav aria-label="Footer">
                    <ul>
                        <li><a href="/">"Home"</a></li>
                        <li><a href="/docs" rel="external">"API documentation"</a></li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}

/// One step of a breadcrumb: a label and, except for the current page, a link.
#[derive(Debug, Clone, PartialEq)]
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Self {
        Crumb {
            label: label.into(),
            href: Some(href.into()),
        }
    }

    pub fn here(label: impl Into<String>) -> Self {
        Crumb {
            label: label.into(),
            href: None,
        }
    }
}

/// `Home › … › here`, as an ordered list in a labelled nav (WAI-ARIA breadcrumb pattern).
#[component]
pub fn Breadcrumb(crumbs: Vec<Crumb>) -> impl IntoView {
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                {crumbs
                    .into_iter()
                    .map(|crumb| match crumb.href {
                        Some(href) => view! { <li><a href=href>{crumb.label}</a></li> }.into_any(),
                        None => {
                            view! { <li><span aria-current="page">{crumb.label}</span></li> }
                                .into_any()
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}

/// What a section shows while its data loads (client-side navigation only: the server
/// renders pages whole).
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// The 404 page: for unknown paths and for products, categories and collections the
/// API does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    response::not_found();
    view! {
        <Title text="Page not found"/>
        <Meta name="robots" content="noindex"/>
        <section class="message-page">
            <h1>"Page not found"</h1>
            <p>"We could not find what you were looking for. It may have moved or sold out for good."</p>
            <p><a class="button" href="/">"Back to the shop"</a></p>
        </section>
    }
}

/// Shown when the catalog cannot be read (503, not cached).
#[component]
pub fn ServiceError() -> impl IntoView {
    response::unavailable();
    view! {
        <Title text="Temporarily unavailable"/>
        <Meta name="robots" content="noindex"/>
        <section class="message-page">
            <h1>"We'll be right back"</h1>
            <p>"The shop cannot load this page right now. Please try again in a moment."</p>
            <p><a class="button" href="/">"Back to the shop"</a></p>
        </section>
    }
}
