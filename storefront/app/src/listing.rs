//! Product lists: the card grid, the sort menu and cursor pagination shared by the
//! home, category and collection pages (the search page shows the same cards).

use emporium_client::{
    search::TextSpan,
    types::{format_money, PriceRange, ProductSummary},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::query::{parse_sort, sort_param, with_currency, Listing, SORTS};

/// The price line of a product card: `€19.99`, or `from €19.99` when its variants'
/// prices differ. `None` when the product has no price in that currency.
pub fn card_price(prices: &[PriceRange], currency: &str) -> Option<String> {
    let range = prices.iter().find(|p| p.currency == currency)?;
    let lowest = format_money(range.min_amount, &range.currency);
    Some(if range.min_amount == range.max_amount {
        lowest
    } else {
        format!("from {lowest}")
    })
}

/// A grid of product cards. `currency_param` is the currency the shopper chose
/// explicitly (kept in the product links); prices are shown in `currency`.
#[component]
pub fn ProductGrid(
    products: Vec<ProductSummary>,
    #[prop(into)] currency: String,
    currency_param: Option<String>,
    /// Label of the list for assistive technology.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    if products.is_empty() {
        return view! { <p class="empty">"No products here yet."</p> }.into_any();
    }
    view! {
        <ul class="product-grid" aria-label=label>
            {products
                .into_iter()
                .map(|product| {
                    view! {
                        <ProductCard
                            product
                            currency=currency.clone()
                            currency_param=currency_param.clone()
                        />
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// One product card: image, title, price, linking to the product page.
#[component]
pub fn ProductCard(
    product: ProductSummary,
    currency: String,
    currency_param: Option<String>,
    /// The title with the words a search matched marked (search results); empty: the
    /// plain title.
    #[prop(optional)]
    highlight: Vec<TextSpan>,
) -> impl IntoView {
    let href = with_currency(
        &format!("/products/{}", product.handle),
        currency_param.as_deref(),
    );
    let price =
        card_price(&product.prices, &currency).unwrap_or_else(|| format!("Not sold in {currency}"));
    let image = match product.thumbnail {
        Some(img) => {
            let alt = if img.alt.trim().is_empty() {
                product.title.clone()
            } else {
                img.alt
            };
            view! {
                <img src=img.url alt=alt loading="lazy" decoding="async" width="480" height="480"/>
            }
            .into_any()
        }
        None => view! { <div class="image-placeholder" aria-hidden="true"></div> }.into_any(),
    };
    let title = if highlight.is_empty() {
        product.title.into_any()
    } else {
        crate::search::highlighted(highlight).into_any()
    };
    view! {
        <li class="product-card" data-testid="product-card">
            <a class="product-card-link" href=href>
                <div class="product-card-image">{image}</div>
                <h3 class="product-card-title">{title}</h3>
                <p class="product-card-price">{price}</p>
            </a>
        </li>
    }
}

/// The sort menu. Without JavaScript it is a GET form with a submit button; after
/// hydration choosing an option navigates at once (client-side) and CSS hides the button.
#[component]
pub fn SortForm(#[prop(into)] path: String, listing: Listing) -> impl IntoView {
    let navigate = use_navigate();
    let current = listing.sort.unwrap_or_default();
    let on_change = {
        let path = path.clone();
        let listing = listing.clone();
        move |ev| {
            if let Some(sort) = parse_sort(&event_target_value(&ev)) {
                navigate(&listing.sorted_href(&path, sort), Default::default());
            }
        }
    };
    view! {
        <form class="sort-form" method="get" action=path>
            <label for="sort">"Sort by"</label>
            <select id="sort" name="sort" on:change=on_change>
                {SORTS
                    .iter()
                    .map(|(sort, label)| {
                        view! {
                            <option value=sort_param(*sort) selected=*sort == current>
                                {*label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {listing
                .currency
                .map(|currency| view! { <input type="hidden" name="currency" value=currency/> })}
            <button type="submit" class="button sort-submit">"Apply"</button>
        </form>
    }
}

/// "Next page" (and "First page" when not on it). Cursors only go forward, so there is
/// no "previous": the browser's back button does that.
#[component]
pub fn Pagination(
    #[prop(into)] path: String,
    listing: Listing,
    next_cursor: Option<String>,
) -> impl IntoView {
    let first = listing.cursor.is_some().then(|| listing.href(&path, None));
    let next = next_cursor.map(|cursor| listing.href(&path, Some(&cursor)));
    (first.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pagination" aria-label="Pagination">
                {first.map(|href| view! { <a class="button secondary" href=href>"First page"</a> })}
                {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: i64, max: i64) -> PriceRange {
        PriceRange {
            currency: "EUR".into(),
            min_amount: min,
            max_amount: max,
        }
    }

    #[test]
    fn a_single_price_is_shown_as_is() {
        assert_eq!(
            card_price(&[range(1999, 1999)], "EUR").as_deref(),
            Some("€19.99")
        );
    }

    #[test]
    fn differing_variant_prices_show_the_lowest_with_from() {
        assert_eq!(
            card_price(&[range(1999, 2999)], "EUR").as_deref(),
            Some("from €19.99")
        );
    }

    #[test]
    fn a_missing_currency_has_no_price() {
        assert_eq!(card_price(&[range(1999, 1999)], "USD"), None);
    }
}
