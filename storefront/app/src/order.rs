//! `/orders/{id}?token=…`: the confirmation page a guest lands on after placing an
//! order, and can come back to with the link. A wrong or missing token is a 404 (the
//! API does not say whether the order exists).

use emporium_client::{
    commerce::{Address, Order, PaymentSession},
    types::format_money,
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    cart::{Shipping, TotalsList},
    cart_api::{order_detail, OrderView},
    checkout::country_name,
    error::AppError,
    layout::{Loading, NotFound, ServiceError},
    response,
};

#[component]
pub fn OrderPage() -> impl IntoView {
    response::private_page();
    let params = use_params_map();
    let query = use_query_map();
    let order = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("token").unwrap_or_default(),
            )
        },
        |(id, token)| order_detail(id, token),
    );
    view! {
        <Meta name="robots" content="noindex"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match order.await {
                    Ok(view) => view! { <OrderView view/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(AppError::Unavailable(_)) => view! { <ServiceError/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// An order's status as the shopper reads it.
pub fn status_text(status: &str) -> &'static str {
    match status {
        "pending_payment" => "Awaiting payment",
        "paid" => "Paid",
        "fulfilled" => "Shipped",
        "delivered" => "Delivered",
        "cancelled" => "Cancelled",
        "refunded" => "Refunded",
        "partially_refunded" => "Partially refunded",
        _ => "Received",
    }
}

#[component]
fn OrderView(view: OrderView) -> impl IntoView {
    let OrderView { order, payment } = view;
    let pending = order.status == "pending_payment";
    let payment_view = pending.then(|| payment_section(&order, payment));
    view! {
        <Title text=format!("Order {}", order.number)/>
        <section class="order-page">
            <header class="order-header">
                <h1>"Thank you for your order"</h1>
                <p class="lead">
                    "Order number "
                    <strong data-testid="order-number">{order.number.clone()}</strong>
                    " · "
                    <span data-testid="order-status">{status_text(&order.status)}</span>
                </p>
                <p>{format!("We sent a confirmation to {}.", order.email)}</p>
            </header>
            {payment_view}
            <OrderDetails order/>
            <p><a class="button secondary" href="/">"Continue shopping"</a></p>
        </section>
    }
}

/// An order's lines, totals and addresses (the confirmation page and the account's
/// order page).
#[component]
pub fn OrderDetails(order: Order) -> impl IntoView {
    let currency = order.currency.clone();
    let lines = order
        .lines
        .iter()
        .map(|line| {
            view! {
                <tr data-testid="order-line">
                    <th scope="row">
                        {line.title.clone()}
                        {(!line.variant_title.is_empty() && line.variant_title != "Default")
                            .then(|| view! { <span class="variant-title">{format!(" · {}", line.variant_title)}</span> })}
                    </th>
                    <td>{line.quantity}</td>
                    <td>{format_money(line.unit_price, &currency)}</td>
                    <td>{format_money(line.line_total, &currency)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="order-layout">
            <section aria-labelledby="order-items-title">
                <h2 id="order-items-title">"Items"</h2>
                <table class="order-lines">
                    <thead>
                        <tr>
                            <th scope="col">"Item"</th>
                            <th scope="col">"Qty"</th>
                            <th scope="col">"Price"</th>
                            <th scope="col">"Total"</th>
                        </tr>
                    </thead>
                    <tbody>{lines}</tbody>
                </table>
                <TotalsList
                    totals=order.totals
                    currency=order.currency.clone()
                    tax_inclusive=order.tax_inclusive
                    shipping=Shipping::Chosen(order.shipping_method.clone())
                    discount_code=order.discount_code.clone()
                    total_testid="order-total"
                />
            </section>
            <aside class="order-addresses">
                <section aria-labelledby="ship-to-title">
                    <h2 id="ship-to-title">"Shipping to"</h2>
                    <AddressBlock address=order.shipping_address.clone()/>
                </section>
                <section aria-labelledby="bill-to-title">
                    <h2 id="bill-to-title">"Billing address"</h2>
                    <AddressBlock address=order.billing_address.clone()/>
                </section>
            </aside>
        </div>
    }
}

/// How to pay an order that awaits payment: the instructions of a manual payment, or
/// Stripe's Payment Element (loaded only here, only then).
fn payment_section(order: &Order, payment: Option<PaymentSession>) -> AnyView {
    let total = format_money(order.totals.total, &order.currency);
    match payment {
        Some(PaymentSession {
            provider,
            client_secret: Some(secret),
            publishable_key: Some(key),
            ..
        }) if provider == "stripe" => view! {
            <section class="payment-box" aria-labelledby="payment-title">
                <h2 id="payment-title">"Pay by card"</h2>
                {order.payment_error.as_ref().map(|reason| view! {
                    <p class="form-error" role="alert" data-testid="payment-error">
                        {format!(
                            "Your last payment attempt did not go through ({}). Your items are still held for you: try another card.",
                            reason.replace('_', " ")
                        )}
                    </p>
                })}
                <form id="stripe-payment" data-client-secret=secret data-publishable-key=key>
                    <div id="payment-element"></div>
                    <button type="submit" class="button">{format!("Pay {total}")}</button>
                    <p id="payment-message" role="alert"></p>
                </form>
                <script src="https://js.stripe.com/v3/"></script>
                <script nonce=leptos::nonce::use_nonce() inner_html=STRIPE_SCRIPT></script>
            </section>
        }
        .into_any(),
        other => {
            let instructions = other.and_then(|p| p.instructions).unwrap_or_else(|| {
                "Pay by bank transfer using your order number as the reference, or pay on \
                 delivery. We ship as soon as the payment arrives."
                    .to_owned()
            });
            view! {
                <section class="payment-box" aria-labelledby="payment-title" data-testid="payment-instructions">
                    <h2 id="payment-title">"How to pay"</h2>
                    <p>{format!("Amount due: {total} · Reference: {}", order.number)}</p>
                    <p class="payment-instructions">{instructions}</p>
                </section>
            }
            .into_any()
        }
    }
}

/// Mounts the Payment Element and confirms the payment; Stripe returns the shopper to
/// this page. Plain JavaScript: it runs before (and without) the WASM bundle.
const STRIPE_SCRIPT: &str = r#"(function(){var f=document.getElementById('stripe-payment');if(!f||!window.Stripe)return;var s=Stripe(f.dataset.publishableKey);var e=s.elements({clientSecret:f.dataset.clientSecret});e.create('payment').mount('#payment-element');f.addEventListener('submit',function(ev){ev.preventDefault();s.confirmPayment({elements:e,confirmParams:{return_url:window.location.href}}).then(function(r){if(r.error){document.getElementById('payment-message').textContent=r.error.message;}});});})();"#;

#[component]
pub fn AddressBlock(address: Address) -> impl IntoView {
    view! {
        <address>
            {address.name}<br/>
            {address.line1}<br/>
            {address.line2.filter(|l| !l.is_empty()).map(|l| view! { {l}<br/> })}
            {format!("{} {}", address.postal_code, address.city)}<br/>
            {country_name(&address.country)}
        </address>
    }
}
