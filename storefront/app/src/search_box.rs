//! The header's search box, on every page.
//!
//! On the server (and with JavaScript off) it is a plain GET form to `/search` with a
//! labelled search field, the same HTML on every page whatever the URL, so cached
//! pages stay shareable. After hydration it becomes a WAI-ARIA 1.2 combobox with a
//! listbox popup: from the second character, 150 ms after the last keystroke, it asks
//! [`search_suggestions`] and lists products (matched words in `<mark>`) and
//! categories; an answer to anything but what the box says now is dropped. ArrowDown
//! and ArrowUp move through the options, Enter opens the active one (or submits the
//! search), Escape closes the list, and a polite live region says how many
//! suggestions there are. Nothing of the list is rendered on the server.

use std::time::Duration;

use emporium_client::search::Suggestions;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::{
    categories::category_href,
    query::href,
    search::{highlighted, SEARCH_PATH},
    store_api::search_suggestions,
};

/// Suggestions start from this many characters.
const MIN_CHARS: usize = 2;
/// Characters sent at most (the API searches the first 200).
const MAX_CHARS: usize = 200;
/// The pause in typing after which suggestions are asked for.
const DEBOUNCE: Duration = Duration::from_millis(150);
const LISTBOX_ID: &str = "search-suggestions";

/// The id of the `i`th option of the list.
fn option_id(i: usize) -> String {
    format!("search-option-{i}")
}

/// Where the options lead, in list order: products first, then categories.
fn option_hrefs(suggestions: &Suggestions) -> Vec<String> {
    suggestions
        .products
        .iter()
        .map(|p| format!("/products/{}", p.handle))
        .chain(
            suggestions
                .categories
                .iter()
                .map(|c| category_href(&c.handle)),
        )
        .collect()
}

/// The live region's words for a list of `n` suggestions.
fn announcement(n: usize) -> String {
    match n {
        0 => "No suggestions".to_owned(),
        1 => "1 suggestion".to_owned(),
        n => format!("{n} suggestions"),
    }
}

/// The option after (`forward`) or before the active one, wrapping around.
fn step(active: Option<usize>, count: usize, forward: bool) -> Option<usize> {
    if count == 0 {
        return None;
    }
    Some(match (active, forward) {
        (None, true) => 0,
        (None, false) => count - 1,
        (Some(i), true) => (i + 1) % count,
        (Some(i), false) => (i + count - 1) % count,
    })
}

/// What the box sends: trimmed, at most [`MAX_CHARS`]; `None` below [`MIN_CHARS`].
fn suggest_query(typed: &str) -> Option<String> {
    let q: String = typed.trim().chars().take(MAX_CHARS).collect();
    (q.chars().count() >= MIN_CHARS).then_some(q)
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let navigate = use_navigate();
    let location = use_location();
    let query = use_query_map();
    let input = NodeRef::<leptos::html::Input>::new();
    // Set once hydrated: only then is the field a combobox (without JavaScript it
    // never shows a list, so it must not claim one).
    let enhanced = RwSignal::new(false);
    // The latest answer for what the box says, the list's visibility, the active option.
    let suggestions = RwSignal::new(None::<Suggestions>);
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let focused = StoredValue::new(false);
    // Bumped on every keystroke: an answer to an older one is stale.
    let typed = StoredValue::new(0u64);

    Effect::new(move |_| enhanced.set(true));
    // A new page closes the list; on the results page the box shows the words.
    Effect::new(move |_| {
        let on_results = location.pathname.with(|path| path == SEARCH_PATH);
        let q = query.read().get("q");
        open.set(false);
        active.set(None);
        if let (true, Some(q), Some(field)) = (on_results, q, input.get_untracked()) {
            field.set_value(&q);
        }
    });

    let size = |s: &Option<Suggestions>| {
        s.as_ref()
            .map_or(0, |s| s.products.len() + s.categories.len())
    };
    let count = move || suggestions.with(size);
    let expanded = move || open.get() && count() > 0;

    let fetch = debounce(DEBOUNCE, move |(q, asked): (String, u64)| {
        leptos::task::spawn_local(async move {
            let answer = search_suggestions(q).await;
            if typed.get_value() != asked {
                return;
            }
            active.set(None);
            match answer {
                Ok(answer) => {
                    suggestions.set(Some(answer));
                    open.set(focused.get_value());
                }
                Err(_) => {
                    suggestions.set(None);
                    open.set(false);
                }
            }
        });
    });
    let on_input = {
        let mut fetch = fetch;
        move |ev| {
            let asked = typed.get_value() + 1;
            typed.set_value(asked);
            match suggest_query(&event_target_value(&ev)) {
                Some(q) => fetch((q, asked)),
                None => {
                    suggestions.set(None);
                    open.set(false);
                    active.set(None);
                }
            }
        }
    };

    let on_keydown = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let n = suggestions.with_untracked(size);
            match ev.key().as_str() {
                "ArrowDown" | "ArrowUp" if n > 0 => {
                    ev.prevent_default();
                    let forward = ev.key() == "ArrowDown";
                    if open.get_untracked() {
                        active.set(step(active.get_untracked(), n, forward));
                    } else {
                        open.set(true);
                        active.set(step(None, n, forward));
                    }
                }
                "Enter" => {
                    let target = active.get_untracked().filter(|_| open.get_untracked());
                    let href = target.and_then(|i| {
                        suggestions.with_untracked(|s| {
                            s.as_ref().and_then(|s| option_hrefs(s).get(i).cloned())
                        })
                    });
                    // No active option: the form submits the words.
                    if let Some(href) = href {
                        ev.prevent_default();
                        open.set(false);
                        active.set(None);
                        navigate(&href, Default::default());
                    }
                }
                "Escape" if open.get_untracked() => {
                    ev.prevent_default();
                    open.set(false);
                    active.set(None);
                }
                _ => {}
            }
        }
    };

    // After hydration the search is a client-side navigation.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let Some(field) = input.get_untracked() else {
            return;
        };
        ev.prevent_default();
        open.set(false);
        active.set(None);
        let q = field.value();
        let q = q.trim();
        let target = if q.is_empty() {
            SEARCH_PATH.to_owned()
        } else {
            href(SEARCH_PATH, &[("q", q)])
        };
        navigate(&target, Default::default());
    };

    let list = move || {
        if !expanded() {
            return None;
        }
        let suggestions = suggestions.get()?;
        let products = suggestions.products.len();
        let product_options = suggestions
            .products
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let highlight = if p.highlight.is_empty() {
                    p.title.into_any()
                } else {
                    highlighted(p.highlight).into_any()
                };
                view! {
                    <div
                        role="option"
                        id=option_id(i)
                        class="search-option"
                        aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                    >
                        <a href=format!("/products/{}", p.handle) tabindex="-1">
                            {highlight}
                        </a>
                    </div>
                }
            })
            .collect_view();
        let category_options = suggestions
            .categories
            .into_iter()
            .enumerate()
            .map(|(j, c)| {
                let i = products + j;
                view! {
                    <div
                        role="option"
                        id=option_id(i)
                        class="search-option"
                        aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                    >
                        <a href=category_href(&c.handle) tabindex="-1">
                            {c.name}
                        </a>
                    </div>
                }
            })
            .collect_view();
        Some(view! {
            {(products > 0)
                .then(|| {
                    view! {
                        <div role="group" aria-labelledby="search-group-products" class="search-group">
                            <div role="presentation" id="search-group-products" class="search-group-label">
                                "Products"
                            </div>
                            {product_options}
                        </div>
                    }
                })}
            {(products < count())
                .then(|| {
                    view! {
                        <div role="group" aria-labelledby="search-group-categories" class="search-group">
                            <div role="presentation" id="search-group-categories" class="search-group-label">
                                "Categories"
                            </div>
                            {category_options}
                        </div>
                    }
                })}
        })
    };
    let status = move || {
        if open.get() && suggestions.with(Option::is_some) {
            announcement(count())
        } else {
            String::new()
        }
    };

    view! {
        <form
            class="search-form"
            role="search"
            method="get"
            action=SEARCH_PATH
            on:submit=on_submit
            data-testid="search-form"
        >
            <label for="site-search" class="visually-hidden">"Search products"</label>
            <div class="search-field">
                <input
                    id="site-search"
                    node_ref=input
                    type="search"
                    name="q"
                    placeholder="Search products"
                    enterkeyhint="search"
                    data-testid="search-input"
                    autocomplete=move || enhanced.get().then_some("off")
                    role=move || enhanced.get().then_some("combobox")
                    aria-autocomplete=move || enhanced.get().then_some("list")
                    aria-controls=move || enhanced.get().then_some(LISTBOX_ID)
                    aria-expanded=move || {
                        enhanced.get().then(|| if expanded() { "true" } else { "false" })
                    }
                    aria-activedescendant=move || {
                        active.get().filter(|_| expanded()).map(option_id)
                    }
                    on:input=on_input
                    on:keydown=on_keydown
                    on:focus=move |_| {
                        focused.set_value(true);
                        if suggestions.with_untracked(Option::is_some) {
                            open.set(true);
                        }
                    }
                    on:blur=move |_| {
                        focused.set_value(false);
                        open.set(false);
                        active.set(None);
                    }
                />
                // Pressing on an option must not take the focus from the field (its
                // blur would close the list before the click lands).
                <div
                    id=LISTBOX_ID
                    role="listbox"
                    aria-label="Search suggestions"
                    class="search-suggestions"
                    data-testid="search-suggestions"
                    hidden=move || !expanded()
                    on:mousedown=|ev| ev.prevent_default()
                    on:click=move |_| open.set(false)
                >
                    {list}
                </div>
                <p class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
                    {status}
                </p>
            </div>
            <button type="submit" class="search-submit">"Search"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emporium_client::search::{CategorySuggestion, ProductSuggestion};

    #[test]
    fn arrows_wrap_around_the_list() {
        assert_eq!(step(None, 3, true), Some(0));
        assert_eq!(step(None, 3, false), Some(2));
        assert_eq!(step(Some(2), 3, true), Some(0));
        assert_eq!(step(Some(0), 3, false), Some(2));
        assert_eq!(step(Some(1), 3, true), Some(2));
        assert_eq!(step(Some(1), 0, true), None);
    }

    #[test]
    fn suggestions_start_at_two_characters() {
        assert_eq!(suggest_query(" a "), None);
        assert_eq!(suggest_query(" ab ").as_deref(), Some("ab"));
        assert_eq!(suggest_query("é").as_deref(), None);
        assert_eq!(suggest_query(&"x".repeat(300)).map(|q| q.len()), Some(200));
    }

    #[test]
    fn options_are_products_then_categories() {
        let suggestions = Suggestions {
            q: "li".into(),
            products: vec![ProductSuggestion {
                id: "prod_1".into(),
                handle: "linen-shirt".into(),
                title: "Linen Shirt".into(),
                highlight: vec![],
            }],
            categories: vec![CategorySuggestion {
                handle: "shirts".into(),
                name: "Shirts".into(),
                count: 4,
            }],
        };
        assert_eq!(
            option_hrefs(&suggestions),
            ["/products/linen-shirt", "/categories/shirts"]
        );
        assert_eq!(announcement(0), "No suggestions");
        assert_eq!(announcement(1), "1 suggestion");
        assert_eq!(announcement(5), "5 suggestions");
    }
}
