//! `/products/{handle}`: gallery, title, description, option pickers, the selected
//! variant's price, SKU and availability, breadcrumb, schema.org JSON-LD.
//!
//! The selected variant lives in the URL (`?variant=var_…`, default: the first). Option
//! pickers are plain links to the variant to switch to, so they work without
//! JavaScript (a full page load); after hydration the router turns the same click into
//! a client-side navigation that changes only the query: the product resource depends
//! on the handle alone, so nothing is fetched and only price, SKU and links update.

use std::sync::Arc;

use emporium_client::types::{format_decimal, Category, Image, Product, Variant};
use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    cart::AddToCartForm,
    categories::{category_href, category_path, CategoryTree},
    error::AppError,
    layout::{Breadcrumb, Crumb, Loading, NotFound, ServiceError},
    query::{self, currency_of},
    region::{region_currency, Regions},
    response,
    seo::{summarize, PageMeta},
    store_api::{product_availability, product_detail},
};

/// Units available per variant id. Absent (the stock service did not answer) means
/// "unknown": the page says nothing about stock and the cart checks it on add.
type Stock = Option<Arc<std::collections::HashMap<String, i64>>>;

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let handle = Memo::new(move |_| params.read().get("handle").unwrap_or_default());
    // Depends on the handle only: switching variants must not refetch the product.
    let product = Resource::new(move || handle.get(), product_detail);
    let stock = Resource::new(move || handle.get(), product_availability);
    let tree = CategoryTree::resource();
    let regions = Regions::resource();

    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let product = match product.await {
                    Ok(product) => product,
                    Err(AppError::NotFound) => return view! { <NotFound/> }.into_any(),
                    Err(AppError::Unavailable(_)) => return view! { <ServiceError/> }.into_any(),
                };
                // A breadcrumb is a nicety: without the tree the page still renders.
                let tree = tree.await.unwrap_or_default();
                let stock: Stock = stock.await.ok().map(Arc::new);
                let region = regions.await;
                let region_name = region
                    .as_ref()
                    .ok()
                    .and_then(|choice| choice.current())
                    .map(|r| r.name.clone())
                    .unwrap_or_default();
                let region_currency = region_currency(&region);
                response::cache_catalog_page();
                let crumbs = product_crumbs(&product, &tree);
                view! {
                    <ProductView product=Arc::new(product) crumbs region_currency region_name stock/>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// What the query string selects: variant id and currency.
#[derive(Clone, Copy)]
struct Selection {
    variant: Memo<Option<String>>,
    /// The currency prices are shown in: the URL's, else the region's.
    currency: Memo<String>,
    /// The currency only when the URL names it (links keep it then).
    currency_param: Memo<Option<String>>,
}

impl Selection {
    /// Reads the query string; `region_currency` applies when it names no currency.
    fn new(region_currency: String) -> Self {
        let query = use_query_map();
        Selection {
            variant: Memo::new(move |_| query.read().get("variant")),
            currency: Memo::new(move |_| currency_of(&query.read(), &region_currency)),
            currency_param: Memo::new(move |_| query::currency_param(&query.read())),
        }
    }
}

#[component]
fn ProductView(
    product: Arc<Product>,
    crumbs: Vec<Crumb>,
    /// The shopper's region's currency: the cart's, so the one a variant must be priced
    /// in to be added.
    region_currency: String,
    region_name: String,
    stock: Stock,
) -> impl IntoView {
    let selection = Selection::new(region_currency.clone());
    let selected = Memo::new({
        let product = product.clone();
        move |_| selected_variant(&product, selection.variant.read().as_deref())
    });
    let variant = {
        let product = product.clone();
        move || {
            selected
                .get()
                .and_then(|i| product.variants.get(i).cloned())
        }
    };

    let price = {
        let variant = variant.clone();
        move || {
            let currency = selection.currency.get();
            match variant() {
                Some(v) => match v.price_in(&currency) {
                    Some(price) => price.display(),
                    None => format!("Not sold in {currency}"),
                },
                None => "Unavailable".to_owned(),
            }
        }
    };
    let sku = {
        let variant = variant.clone();
        move || variant().map(|v| v.sku).unwrap_or_default()
    };
    let variant_title = {
        let variant = variant.clone();
        move || {
            variant()
                .map(|v| v.title)
                .filter(|t| !t.is_empty() && t != "Default")
        }
    };
    // Units of the selected variant that can be bought now, when known.
    let available = {
        let variant = variant.clone();
        let stock = stock.clone();
        move || {
            let stock = stock.as_ref()?;
            variant().map(|v| stock.get(&v.id).copied().unwrap_or(0))
        }
    };
    let availability = {
        let available = available.clone();
        move || match available() {
            None => ("in-stock", String::new()),
            Some(0) => ("out-of-stock", "Sold out".to_owned()),
            Some(n) if n <= 5 => ("low-stock", format!("Only {n} left")),
            Some(_) => ("in-stock", "In stock".to_owned()),
        }
    };
    let availability_class = {
        let availability = availability.clone();
        move || availability().0
    };
    let availability_text = move || availability().1;
    // What the add-to-cart form sends: the selected variant, when it can be bought in
    // the cart's currency (the region's, whatever the URL shows prices in) and is not
    // sold out; and the page to come back to with an error.
    let variant_id = Signal::derive({
        let variant = variant.clone();
        let available = available.clone();
        let region_currency = region_currency.clone();
        move || {
            if available() == Some(0) {
                return None;
            }
            variant()
                .filter(|v| v.price_in(&region_currency).is_some())
                .map(|v| v.id)
        }
    });
    // A link that names another currency than the region's shows prices the cart will
    // not charge: say so, and how to change it.
    let currency_note = move || {
        let shown = selection.currency.get();
        (shown != region_currency).then(|| {
            let region = if region_name.is_empty() {
                region_currency.clone()
            } else {
                format!("{region_name}, {region_currency}")
            };
            view! {
                <p class="currency-note" data-testid="currency-note">
                    {format!(
                        "Prices shown in {shown}. Your cart is priced for {region}: choose “Ship to / currency” above to buy in {shown}."
                    )}
                </p>
            }
        })
    };
    let back = Signal::derive({
        let handle = product.handle.clone();
        let variant = variant.clone();
        move || match variant() {
            Some(v) => variant_href(&handle, &v.id, selection.currency_param.get().as_deref()),
            None => product_href(&handle),
        }
    });
    let json_ld = {
        let product = product.clone();
        let variant = variant.clone();
        move || {
            json_ld(
                &product,
                variant().as_ref(),
                &selection.currency.get(),
                selection.currency_param.get().as_deref(),
                available() != Some(0),
            )
        }
    };

    let title = product
        .seo
        .title
        .clone()
        .unwrap_or_else(|| product.title.clone());
    let description = product
        .seo
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| summarize(&product.description));
    let canonical = product_href(&product.handle);
    let og_image = sorted_images(&product).first().map(|img| img.url.clone());
    let pickers = product
        .options
        .iter()
        .map(|option| {
            view! {
                <OptionPicker
                    product=product.clone()
                    option=option.name.clone()
                    values=option.values.clone()
                    selected
                    selection
                />
            }
        })
        .collect_view();

    view! {
        <PageMeta title description canonical/>
        <Meta property="og:type" content="product"/>
        {og_image.map(|url| view! { <Meta property="og:image" content=url/> })}
        <Breadcrumb crumbs/>
        <article class="product">
            <Gallery images=sorted_images(&product) title=product.title.clone()/>
            <div class="product-details">
                <h1 class="product-title">{product.title.clone()}</h1>
                <p class="variant-title">{variant_title}</p>
                <p class="price" data-testid="price" aria-live="polite">{price}</p>
                {currency_note}
                <div class="option-pickers">{pickers}</div>
                <AddToCartForm variant_id back/>
                <dl class="product-facts">
                    <div>
                        <dt>"SKU"</dt>
                        <dd data-testid="sku">{sku}</dd>
                    </div>
                    <div>
                        <dt>"Availability"</dt>
                        <dd class=availability_class data-testid="availability">{availability_text}</dd>
                    </div>
                </dl>
                <section class="product-description" aria-labelledby="description-title">
                    <h2 id="description-title">"Description"</h2>
                    {product
                        .description
                        .split("\n\n")
                        .filter(|p| !p.trim().is_empty())
                        .map(|p| view! { <p>{p.trim().to_owned()}</p> })
                        .collect_view()}
                </section>
            </div>
        </article>
        <script type="application/ld+json" inner_html=json_ld></script>
    }
}

/// The links of one option (e.g. every Size). Each links to the variant with that value
/// and the currently selected values of the other options, or else to the first variant
/// with that value; the selected value is marked `aria-current`.
#[component]
fn OptionPicker(
    product: Arc<Product>,
    option: String,
    values: Vec<String>,
    selected: Memo<Option<usize>>,
    selection: Selection,
) -> impl IntoView {
    let label_id = format!("option-{}-label", slug(&option));
    let test_id = format!("option-{}", option.to_lowercase());
    let links = values
        .into_iter()
        .map(|value| {
            let sold = product
                .variants
                .iter()
                .any(|v| v.option_value(&option) == Some(&value));
            if !sold {
                return view! {
                    <li>
                        <span class="option-value unavailable" aria-disabled="true">{value}</span>
                    </li>
                }
                .into_any();
            }
            let href = {
                let product = product.clone();
                let option = option.clone();
                let value = value.clone();
                move || {
                    let current = selected.get().and_then(|i| product.variants.get(i));
                    let target = variant_for(&product, current, &option, &value)
                        .or_else(|| product.variants.first());
                    let id = target.map(|v| v.id.as_str()).unwrap_or_default();
                    variant_href(
                        &product.handle,
                        id,
                        selection.currency_param.get().as_deref(),
                    )
                }
            };
            let is_current = {
                let product = product.clone();
                let option = option.clone();
                let value = value.clone();
                move || {
                    selected
                        .get()
                        .and_then(|i| product.variants.get(i))
                        .is_some_and(|v| v.option_value(&option) == Some(&value))
                }
            };
            view! {
                <li>
                    <a
                        class="option-value"
                        href=href
                        aria-current=move || is_current().then_some("true")
                    >
                        {value}
                    </a>
                </li>
            }
            .into_any()
        })
        .collect_view();
    let labelled_by = label_id.clone();
    view! {
        <div class="option-group" role="group" aria-labelledby=labelled_by data-testid=test_id>
            <span class="option-name" id=label_id>{option}</span>
            <ul class="option-values">{links}</ul>
        </div>
    }
}

/// The main image and, when there are several, thumbnails that switch it. Thumbnails
/// link to the full image, so without JavaScript they still show it.
#[component]
fn Gallery(images: Vec<Image>, title: String) -> impl IntoView {
    if images.is_empty() {
        return view! {
            <div class="gallery">
                <div class="gallery-main image-placeholder" role="img" aria-label=format!("No image of {title}")></div>
            </div>
        }
        .into_any();
    }
    let images = Arc::new(images);
    let current = RwSignal::new(0usize);
    let alt_of = {
        let title = title.clone();
        move |img: &Image| {
            if img.alt.trim().is_empty() {
                title.clone()
            } else {
                img.alt.clone()
            }
        }
    };
    let main = {
        let images = images.clone();
        let alt_of = alt_of.clone();
        move || {
            let img = images
                .get(current.get())
                .or_else(|| images.first())
                .cloned();
            img.map(|img| {
                let alt = alt_of(&img);
                view! { <img src=img.url alt=alt width="800" height="800" fetchpriority="high"/> }
            })
        }
    };
    let count = images.len();
    let thumbs = (count > 1).then(|| {
        view! {
            <ul class="gallery-thumbs" aria-label="Product images">
                {images
                    .iter()
                    .enumerate()
                    .map(|(i, img)| {
                        view! {
                            <li>
                                <a
                                    href=img.url.clone()
                                    rel="external"
                                    aria-label=format!("Show image {} of {count}", i + 1)
                                    aria-current=move || (current.get() == i).then_some("true")
                                    on:click=move |ev| {
                                        ev.prevent_default();
                                        current.set(i);
                                    }
                                >
                                    <img src=img.url.clone() alt="" loading="lazy" width="96" height="96"/>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        <div class="gallery">
            <figure class="gallery-main">{main}</figure>
            {thumbs}
        </div>
    }
    .into_any()
}

/// Index of the variant `?variant=` names, or of the first variant; `None` without variants.
fn selected_variant(product: &Product, variant_id: Option<&str>) -> Option<usize> {
    variant_id
        .and_then(|id| product.variants.iter().position(|v| v.id == id))
        .or_else(|| (!product.variants.is_empty()).then_some(0))
}

/// The variant with `option = value` whose other options match `current`, else the
/// first variant with `option = value`.
fn variant_for<'a>(
    product: &'a Product,
    current: Option<&Variant>,
    option: &str,
    value: &str,
) -> Option<&'a Variant> {
    let with_value = || {
        product
            .variants
            .iter()
            .filter(move |v| v.option_value(option) == Some(value))
    };
    let keeps_others = |v: &&Variant| {
        product
            .options
            .iter()
            .filter(|o| o.name != option)
            .all(|o| v.option_value(&o.name) == current.and_then(|c| c.option_value(&o.name)))
    };
    with_value()
        .find(keeps_others)
        .or_else(|| with_value().next())
}

fn product_href(handle: &str) -> String {
    format!("/products/{handle}")
}

fn variant_href(handle: &str, variant_id: &str, currency: Option<&str>) -> String {
    let mut pairs = vec![("variant", variant_id)];
    if let Some(currency) = currency {
        pairs.push(("currency", currency));
    }
    query::href(&product_href(handle), &pairs)
}

fn sorted_images(product: &Product) -> Vec<Image> {
    let mut images = product.images.clone();
    images.sort_by_key(|img| img.position);
    images
}

/// Home › the first category's ancestors › the first category › the product.
fn product_crumbs(product: &Product, tree: &[Category]) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb::link("Home", "/")];
    if let Some(first) = product.categories.first() {
        match category_path(tree, &first.handle) {
            Some(path) => crumbs.extend(
                path.iter()
                    .map(|c| Crumb::link(c.name.clone(), category_href(&c.handle))),
            ),
            None => crumbs.push(Crumb::link(
                first.name.clone(),
                category_href(&first.handle),
            )),
        }
    }
    crumbs.push(Crumb::here(product.title.clone()));
    crumbs
}

/// schema.org `Product` with one `Offer` for the selected variant. `<` is escaped so
/// the JSON cannot close the script element.
fn json_ld(
    product: &Product,
    variant: Option<&Variant>,
    currency: &str,
    currency_param: Option<&str>,
    in_stock: bool,
) -> String {
    let url = match variant {
        Some(v) => variant_href(&product.handle, &v.id, currency_param),
        None => product_href(&product.handle),
    };
    let mut offer = serde_json::json!({
        "@type": "Offer",
        "availability": if in_stock {
            "https://schema.org/InStock"
        } else {
            "https://schema.org/OutOfStock"
        },
        "url": url,
    });
    if let Some(price) = variant.and_then(|v| v.price_in(currency)) {
        offer["price"] = format_decimal(price.amount, &price.currency).into();
        offer["priceCurrency"] = price.currency.clone().into();
    }
    let mut doc = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": product.description,
        "image": sorted_images(product).into_iter().map(|i| i.url).collect::<Vec<_>>(),
        "offers": offer,
    });
    if let Some(v) = variant {
        doc["sku"] = v.sku.clone().into();
    }
    doc.to_string().replace('<', "\\u003c")
}

/// A lower-case id fragment: letters and digits, runs of anything else as `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use emporium_client::types::{Link, OptionValue, Price, ProductOption, ProductStatus, Seo};

    fn variant(id: &str, size: &str, color: &str, amount: i64) -> Variant {
        Variant {
            id: id.into(),
            sku: format!("SKU-{id}"),
            title: format!("{size} / {color}"),
            options: vec![
                OptionValue {
                    option: "Size".into(),
                    value: size.into(),
                },
                OptionValue {
                    option: "Color".into(),
                    value: color.into(),
                },
            ],
            weight_grams: None,
            prices: vec![Price {
                currency: "EUR".into(),
                amount,
            }],
            position: 0,
        }
    }

    fn product() -> Product {
        Product {
            id: "prod_1".into(),
            handle: "tee".into(),
            title: "Tee <b>".into(),
            description: "Soft.".into(),
            status: ProductStatus::Published,
            seo: Seo {
                title: None,
                description: None,
            },
            options: vec![
                ProductOption {
                    id: "o1".into(),
                    name: "Size".into(),
                    values: vec!["S".into(), "M".into()],
                },
                ProductOption {
                    id: "o2".into(),
                    name: "Color".into(),
                    values: vec!["Red".into(), "Blue".into()],
                },
            ],
            variants: vec![
                variant("var_s_red", "S", "Red", 1000),
                variant("var_m_red", "M", "Red", 1200),
                variant("var_m_blue", "M", "Blue", 1300),
            ],
            images: vec![],
            categories: vec![Link {
                id: "cat_x".into(),
                handle: "tops".into(),
                name: "Tops".into(),
            }],
            collections: vec![],
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn the_first_variant_is_selected_by_default_and_unknown_ids_fall_back_to_it() {
        let p = product();
        assert_eq!(selected_variant(&p, None), Some(0));
        assert_eq!(selected_variant(&p, Some("var_m_blue")), Some(2));
        assert_eq!(selected_variant(&p, Some("var_nope")), Some(0));
    }

    #[test]
    fn an_option_link_keeps_the_other_selected_values_when_such_a_variant_exists() {
        let p = product();
        let current = &p.variants[2]; // M / Blue
        let target = variant_for(&p, Some(current), "Color", "Red").map(|v| v.id.as_str());
        assert_eq!(target, Some("var_m_red"));
    }

    #[test]
    fn an_option_link_falls_back_to_the_first_variant_with_that_value() {
        let p = product();
        let current = &p.variants[2]; // M / Blue; there is no S / Blue
        let target = variant_for(&p, Some(current), "Size", "S").map(|v| v.id.as_str());
        assert_eq!(target, Some("var_s_red"));
    }

    #[test]
    fn variant_links_keep_an_explicit_currency() {
        assert_eq!(
            variant_href("tee", "var_1", None),
            "/products/tee?variant=var_1"
        );
        assert_eq!(
            variant_href("tee", "var_1", Some("USD")),
            "/products/tee?variant=var_1&currency=USD"
        );
    }

    #[test]
    fn json_ld_describes_the_selected_offer_with_a_decimal_price() -> Result<(), serde_json::Error>
    {
        let p = product();
        let text = json_ld(&p, p.variants.get(1), "EUR", None, true);
        assert!(!text.contains('<'), "{text}");
        let doc: serde_json::Value = serde_json::from_str(&text)?;
        assert_eq!(doc["@type"], "Product");
        assert_eq!(doc["name"], "Tee <b>");
        assert_eq!(doc["sku"], "SKU-var_m_red");
        assert_eq!(doc["offers"]["price"], "12.00");
        assert_eq!(doc["offers"]["priceCurrency"], "EUR");
        assert_eq!(doc["offers"]["availability"], "https://schema.org/InStock");
        assert_eq!(doc["offers"]["url"], "/products/tee?variant=var_m_red");
        Ok(())
    }

    #[test]
    fn the_breadcrumb_follows_the_first_category_up_the_tree() {
        let tree = vec![Category {
            id: "cat_c".into(),
            handle: "clothing".into(),
            name: "Clothing".into(),
            description: String::new(),
            parent_id: None,
            position: 0,
            children: vec![Category {
                id: "cat_x".into(),
                handle: "tops".into(),
                name: "Tops".into(),
                description: String::new(),
                parent_id: Some("cat_c".into()),
                position: 0,
                children: vec![],
            }],
        }];
        let labels: Vec<_> = product_crumbs(&product(), &tree)
            .into_iter()
            .map(|c| c.label)
            .collect();
        assert_eq!(labels, ["Home", "Clothing", "Tops", "Tee <b>"]);
    }

    #[test]
    fn slugs_are_lowercase_and_dashed() {
        assert_eq!(slug("Shoe Size (EU)"), "shoe-size-eu");
    }
}
