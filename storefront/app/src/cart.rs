//! The cart: the shared cart state (actions and the cart resource, in context), the
//! header's mini-cart, the product page's add-to-cart form, the `/cart` page and the
//! totals list that cart, checkout and order pages share.
//!
//! Every form is an `ActionForm`: without JavaScript it is a plain POST to the server
//! function, which redirects (see [`crate::cart_api`]); after hydration it runs the
//! action in place, and the cart resource, keyed on every action's version, refetches
//! so the header count and the page update without a reload.

use emporium_client::{
    commerce::{AppliedDiscount, Cart, CartLine, Totals},
    types::format_money,
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    cart_api::{
        current_cart, AddToCart, ApplyDiscountCode, PlaceOrder, RemoveCartLine, RemoveDiscountCode,
        ShopError, UpdateCartLine,
    },
    layout::{Loading, ServiceError},
    response,
};

/// The cart actions and the cart they change, shared by the header and the pages.
#[derive(Clone, Copy)]
pub struct CartContext {
    pub add: ServerAction<AddToCart>,
    pub update: ServerAction<UpdateCartLine>,
    pub remove: ServerAction<RemoveCartLine>,
    pub apply_discount: ServerAction<ApplyDiscountCode>,
    pub remove_discount: ServerAction<RemoveDiscountCode>,
    /// Placing the order empties the cart (the cookie is dropped), so it counts too.
    pub place: ServerAction<PlaceOrder>,
    /// The shopper's cart; `Ok(None)` without one. Refetched after every action.
    pub cart: Resource<Result<Option<Cart>, ShopError>>,
}

impl CartContext {
    /// Creates the actions and the cart resource and puts them into context (once, in
    /// [`crate::App`]).
    pub fn provide() {
        let add = ServerAction::<AddToCart>::new();
        let update = ServerAction::<UpdateCartLine>::new();
        let remove = ServerAction::<RemoveCartLine>::new();
        let apply_discount = ServerAction::<ApplyDiscountCode>::new();
        let remove_discount = ServerAction::<RemoveDiscountCode>::new();
        let place = ServerAction::<PlaceOrder>::new();
        let cart = Resource::new(
            move || {
                (
                    add.version().get(),
                    update.version().get(),
                    remove.version().get(),
                    apply_discount.version().get(),
                    remove_discount.version().get(),
                    place.version().get(),
                )
            },
            |_| current_cart(),
        );
        provide_context(CartContext {
            add,
            update,
            remove,
            apply_discount,
            remove_discount,
            place,
            cart,
        });
    }

    pub fn get() -> Self {
        expect_context::<CartContext>()
    }
}

/// "Cart (N)" in the header, on every page.
#[component]
pub fn MiniCart() -> impl IntoView {
    let ctx = CartContext::get();
    view! {
        // Transition, not Suspense: after an add the old count stays until the new one
        // arrives instead of blinking away.
        <Transition fallback=|| {
            view! { <a class="mini-cart" href="/cart" data-testid="cart-count">"Cart"</a> }
        }>
            {move || Suspend::new(async move {
                let count = ctx.cart.await.ok().flatten().map(|c| c.item_count).unwrap_or(0);
                view! {
                    <a class="mini-cart" href="/cart" data-testid="cart-count">
                        {format!("Cart ({count})")}
                    </a>
                }
            })}
        </Transition>
    }
}

/// The product page's form: the selected variant, a quantity and the submit button.
#[component]
pub fn AddToCartForm(
    /// The selected variant, `None` when nothing can be bought.
    #[prop(into)]
    variant_id: Signal<Option<String>>,
    /// The page to come back to with an error (JavaScript off).
    #[prop(into)]
    back: Signal<String>,
) -> impl IntoView {
    let ctx = CartContext::get();
    let add = ctx.add;
    let query = use_query_map();
    let result = add.value();
    let pending = add.pending();
    let error = move || match result.get() {
        Some(Err(error)) => Some(error.message()),
        Some(Ok(_)) => None,
        None => query.read().get("error"),
    };
    let added = move || matches!(result.get(), Some(Ok(_))).then_some("Added to cart");
    let described_by = move || error().map(|_| "add-to-cart-error");
    view! {
        <div class="add-to-cart">
            <ActionForm action=add>
                <input type="hidden" name="variant_id" value=move || variant_id.get().unwrap_or_default()/>
                <input type="hidden" name="back" value=back/>
                <div class="add-to-cart-row">
                    <div class="field quantity-field">
                        <label for="add-quantity">"Quantity"</label>
                        <input
                            id="add-quantity"
                            name="quantity"
                            type="number"
                            inputmode="numeric"
                            min="1"
                            max="99"
                            value="1"
                            required
                            aria-describedby=described_by
                        />
                    </div>
                    <button
                        type="submit"
                        class="button"
                        data-testid="add-to-cart"
                        disabled=move || variant_id.get().is_none() || pending.get()
                    >
                        "Add to cart"
                    </button>
                </div>
            </ActionForm>
            <p class="form-status" role="status" data-testid="add-to-cart-status">
                {added}
            </p>
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <p class="form-error" id="add-to-cart-error" role="alert">
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// `/cart`: lines, discount code, totals, the way to checkout; or the empty state.
/// `?notice=` carries what a switch of region could not bring along (see
/// [`crate::region`]).
#[component]
pub fn CartPage() -> impl IntoView {
    response::private_page();
    let ctx = CartContext::get();
    let query = use_query_map();
    let notice = move || {
        query.read().get("notice").map(|notice| {
            view! {
                <p class="form-status banner" role="status" data-testid="cart-notice">
                    {notice}
                </p>
            }
        })
    };
    view! {
        <Title text="Your cart"/>
        <Meta name="robots" content="noindex"/>
        <section class="cart-page">
            <h1>"Your cart"</h1>
            {notice}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match ctx.cart.await {
                        Err(_) => view! { <ServiceError/> }.into_any(),
                        Ok(Some(cart)) if !cart.lines.is_empty() => {
                            view! { <CartView cart/> }.into_any()
                        }
                        Ok(_) => view! { <EmptyCart/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EmptyCart() -> impl IntoView {
    view! {
        <div class="empty-cart" data-testid="cart-empty">
            <p>"Your cart is empty."</p>
            <p><a class="button" href="/">"Continue shopping"</a></p>
        </div>
    }
}

/// The latest error of the line forms, else an error the URL carries (JavaScript off),
/// unless that one belongs to the discount form.
fn line_error(
    ctx: CartContext,
    url_error: Option<String>,
    url_field: Option<String>,
) -> Option<String> {
    let from_action = |value: Option<Result<Cart, ShopError>>| match value {
        Some(Err(error)) => Some(error.message()),
        _ => None,
    };
    from_action(ctx.update.value().get())
        .or_else(|| from_action(ctx.remove.value().get()))
        .or_else(|| from_action(ctx.remove_discount.value().get()))
        .or_else(|| url_error.filter(|_| url_field.as_deref() != Some("code")))
}

#[component]
fn CartView(cart: Cart) -> impl IntoView {
    let ctx = CartContext::get();
    let query = use_query_map();
    let currency = cart.currency.clone();
    let error = move || {
        let query = query.read();
        line_error(ctx, query.get("error"), query.get("field"))
    };
    let lines = cart
        .lines
        .iter()
        .cloned()
        .map(|line| view! { <CartLineItem line currency=currency.clone()/> })
        .collect_view();
    let shipping = match &cart.shipping_option {
        Some(option) => Shipping::Chosen(option.name.clone()),
        None => Shipping::AtCheckout,
    };
    view! {
        {move || {
            error()
                .map(|message| {
                    view! {
                        <p class="form-error banner" role="alert" id="cart-error">
                            {message}
                        </p>
                    }
                })
        }}
        <div class="cart-layout">
            <section aria-labelledby="cart-lines-title">
                <h2 id="cart-lines-title" class="visually-hidden">"Items"</h2>
                <ul class="cart-lines">{lines}</ul>
            </section>
            <aside class="cart-summary" aria-labelledby="cart-summary-title">
                <h2 id="cart-summary-title">"Summary"</h2>
                <DiscountForm discount=cart.discount.clone()/>
                <TotalsList
                    totals=cart.totals
                    currency=cart.currency.clone()
                    tax_inclusive=cart.region.tax_inclusive
                    shipping
                    discount_code=cart.discount.as_ref().map(|d| d.code.clone())
                    total_testid="cart-total"
                />
                <a class="button checkout-link" href="/checkout" data-testid="checkout">
                    "Checkout"
                </a>
            </aside>
        </div>
    }
}

#[component]
fn CartLineItem(line: CartLine, currency: String) -> impl IntoView {
    let ctx = CartContext::get();
    let quantity_id = format!("quantity-{}", line.id);
    let href = crate::query::href(
        &format!("/products/{}", line.product_handle),
        &[("variant", line.variant_id.as_str())],
    );
    let variant_title = (!line.variant_title.is_empty() && line.variant_title != "Default")
        .then(|| line.variant_title.clone());
    let image = match line.image_url.clone() {
        Some(url) => {
            view! { <img src=url alt="" width="96" height="96" loading="lazy"/> }.into_any()
        }
        None => view! { <div class="image-placeholder" aria-hidden="true"></div> }.into_any(),
    };
    let remove_label = format!("Remove {} from the cart", line.title);
    let update_id = line.id.clone();
    let remove_id = line.id.clone();
    view! {
        <li class="cart-line" data-testid="cart-line">
            <div class="cart-line-image">{image}</div>
            <div class="cart-line-info">
                <a class="cart-line-title" href=href>{line.title.clone()}</a>
                {variant_title.map(|t| view! { <p class="variant-title">{t}</p> })}
                <p class="cart-line-unit">
                    <span data-testid="unit-price">{format_money(line.unit_price, &currency)}</span>
                    " each"
                </p>
            </div>
            <div class="cart-line-actions">
                <ActionForm action=ctx.update>
                    <input type="hidden" name="line_id" value=update_id/>
                    <div class="quantity-update">
                        <label for=quantity_id.clone()>"Quantity"</label>
                        <input
                            id=quantity_id
                            name="quantity"
                            type="number"
                            inputmode="numeric"
                            min="0"
                            max="99"
                            value=line.quantity.to_string()
                            required
                        />
                        <button type="submit" class="button secondary small">"Update"</button>
                    </div>
                </ActionForm>
                <ActionForm action=ctx.remove>
                    <input type="hidden" name="line_id" value=remove_id/>
                    <button type="submit" class="link-button" aria-label=remove_label>
                        "Remove"
                    </button>
                </ActionForm>
            </div>
            <p class="cart-line-total" data-testid="line-total">
                {format_money(line.line_total, &currency)}
            </p>
        </li>
    }
}

#[component]
fn DiscountForm(discount: Option<AppliedDiscount>) -> impl IntoView {
    let ctx = CartContext::get();
    let query = use_query_map();
    let result = ctx.apply_discount.value();
    let error = move || match result.get() {
        Some(Err(error)) => Some(error.message()),
        Some(Ok(_)) => None,
        None => {
            let query = query.read();
            (query.get("field").as_deref() == Some("code"))
                .then(|| query.get("error"))
                .flatten()
        }
    };
    if let Some(discount) = discount {
        return view! {
            <div class="applied-discount" data-testid="applied-discount">
                <p>
                    "Code " <strong>{discount.code.clone()}</strong>
                    {discount.note.map(|note| view! { <span class="discount-note">" · " {note}</span> })}
                </p>
                <ActionForm action=ctx.remove_discount>
                    <button
                        type="submit"
                        class="link-button"
                        aria-label=format!("Remove discount code {}", discount.code)
                    >
                        "Remove"
                    </button>
                </ActionForm>
            </div>
        }
        .into_any();
    }
    view! {
        <ActionForm action=ctx.apply_discount>
            <div class="discount-form field">
                <label for="discount-code">"Discount code"</label>
                <div class="inline-field">
                    <input
                        id="discount-code"
                        name="code"
                        type="text"
                        autocomplete="off"
                        autocapitalize="characters"
                        aria-invalid=move || error().map(|_| "true")
                        aria-describedby=move || error().map(|_| "discount-error")
                    />
                    <button type="submit" class="button secondary">"Apply"</button>
                </div>
                {move || {
                    error()
                        .map(|message| {
                            view! {
                                <p class="form-error" id="discount-error" role="alert">{message}</p>
                            }
                        })
                }}
            </div>
        </ActionForm>
    }
    .into_any()
}

/// What the shipping line of a totals list says.
#[derive(Debug, Clone, PartialEq)]
pub enum Shipping {
    /// No option chosen yet.
    AtCheckout,
    /// The chosen option's name; its price is in the totals.
    Chosen(String),
}

/// Subtotal, discount, shipping, tax and total, as a description list.
#[component]
pub fn TotalsList(
    totals: Totals,
    currency: String,
    tax_inclusive: bool,
    shipping: Shipping,
    discount_code: Option<String>,
    total_testid: &'static str,
) -> impl IntoView {
    let money = |amount: i64| format_money(amount, &currency);
    let discount = (totals.discount_total > 0).then(|| {
        let label = match discount_code {
            Some(code) => format!("Discount ({code})"),
            None => "Discount".to_owned(),
        };
        view! {
            <div>
                <dt>{label}</dt>
                <dd data-testid="discount-total">{format!("−{}", money(totals.discount_total))}</dd>
            </div>
        }
    });
    let shipping = match shipping {
        Shipping::AtCheckout => view! {
            <div>
                <dt>"Shipping"</dt>
                <dd class="muted">"Calculated at checkout"</dd>
            </div>
        }
        .into_any(),
        Shipping::Chosen(name) => {
            let amount = if totals.shipping_total == 0 {
                "Free".to_owned()
            } else {
                money(totals.shipping_total)
            };
            view! {
                <div>
                    <dt>{format!("Shipping ({name})")}</dt>
                    <dd data-testid="shipping-total">{amount}</dd>
                </div>
            }
            .into_any()
        }
    };
    let tax_label = if tax_inclusive { "Tax (incl.)" } else { "Tax" };
    view! {
        <dl class="totals">
            <div>
                <dt>"Subtotal"</dt>
                <dd data-testid="subtotal">{money(totals.subtotal)}</dd>
            </div>
            {discount}
            {shipping}
            <div>
                <dt>{tax_label}</dt>
                <dd data-testid="tax-total">{money(totals.tax_total)}</dd>
            </div>
            <div class="grand-total">
                <dt>"Total"</dt>
                <dd data-testid=total_testid>{money(totals.total)}</dd>
            </div>
        </dl>
    }
}
