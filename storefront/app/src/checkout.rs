//! `/checkout`: one form (contact, shipping and billing address, shipping option,
//! payment method) beside the order summary, and "Place order".
//!
//! The form carries an idempotency key generated when the page renders, so a double
//! submit or a retried POST places one order. When the API rejects the details, the
//! field it names is marked and the shopper's values are kept: after hydration the
//! form simply stays as typed; without JavaScript the server function sends the
//! browser back to `/checkout?error=…&field=…` and keeps the values in a short-lived
//! cookie that this page reads back.
//!
//! A signed-in shopper's form starts with their email and default shipping address
//! (while the cart has none), and lists their saved addresses as links
//! (`/checkout?address=<id>`) that render the form again with that address filled in.

use emporium_client::{
    accounts::SavedAddress,
    commerce::{Address, Cart},
    types::format_money,
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::{
    cart::{CartContext, Shipping, TotalsList},
    cart_api::{load_checkout, CheckoutData, CheckoutForm},
    form::{error_id, field_error_id, input_id, FieldError, FormError, TextField},
    layout::{Loading, ServiceError},
    response,
};

#[component]
pub fn CheckoutPage() -> impl IntoView {
    response::private_page();
    let data = Resource::new(|| (), |_| load_checkout());
    let query = use_query_map();
    view! {
        <Title text="Checkout"/>
        <Meta name="robots" content="noindex"/>
        <section class="checkout-page">
            <h1>"Checkout"</h1>
            <Suspense fallback=Loading>
                {move || {
                    // Read outside the future so that choosing another saved address
                    // (a link to this page) renders the form again with it.
                    let address = query.read().get("address");
                    Suspend::new(async move {
                        match data.await {
                            Err(_) => view! { <ServiceError/> }.into_any(),
                            Ok(None) => {
                                view! {
                                    <div class="empty-cart" data-testid="cart-empty">
                                        <p>"Your cart is empty, so there is nothing to check out yet."</p>
                                        <p><a class="button" href="/">"Continue shopping"</a></p>
                                    </div>
                                }
                                    .into_any()
                            }
                            Ok(Some(data)) => view! { <CheckoutView data address/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The values the form starts with: what the shopper typed last (a rejected plain
/// form), else what the cart already holds, else the signed-in customer's email and
/// default shipping address, else defaults; with the saved address `chosen` (its id)
/// as the shipping address when the shopper picked one.
fn initial_form(data: &CheckoutData, chosen: Option<&str>) -> CheckoutForm {
    let mut form = data.saved.clone().unwrap_or_else(|| cart_form(data));
    let chosen = chosen.and_then(|id| data.saved_addresses.iter().find(|a| a.id == id));
    if let Some(saved) = chosen {
        let ship = saved.address.clone();
        form.shipping_name = ship.name;
        form.shipping_line1 = ship.line1;
        form.shipping_line2 = ship.line2.unwrap_or_default();
        form.shipping_city = ship.city;
        form.shipping_postal_code = ship.postal_code;
        form.shipping_country = ship.country;
    }
    form
}

fn cart_form(data: &CheckoutData) -> CheckoutForm {
    let cart = &data.cart;
    let default_shipping = data
        .saved_addresses
        .iter()
        .find(|a| a.default_shipping)
        .map(|a| a.address.clone());
    let ship = cart
        .shipping_address
        .clone()
        .or(default_shipping)
        .unwrap_or_default();
    let bill = cart.billing_address.clone();
    let same = bill.as_ref().is_none_or(|b| *b == ship);
    let bill = bill.unwrap_or_default();
    CheckoutForm {
        idempotency_key: String::new(),
        email: cart
            .email
            .clone()
            .or_else(|| data.customer_email.clone())
            .unwrap_or_default(),
        shipping_name: ship.name,
        shipping_line1: ship.line1,
        shipping_line2: ship.line2.unwrap_or_default(),
        shipping_city: ship.city,
        shipping_postal_code: ship.postal_code,
        shipping_country: ship.country,
        billing_same: same.then(|| "on".to_owned()),
        billing_name: bill.name,
        billing_line1: bill.line1,
        billing_line2: bill.line2.unwrap_or_default(),
        billing_city: bill.city,
        billing_postal_code: bill.postal_code,
        billing_country: bill.country,
        shipping_option_id: cart
            .shipping_option
            .as_ref()
            .map(|o| o.id.clone())
            .unwrap_or_default(),
        payment_method: cart.payment_method.clone().unwrap_or_default(),
    }
}

#[component]
fn CheckoutView(
    data: CheckoutData,
    /// The saved address the shopper picked (`?address=`), by id.
    address: Option<String>,
) -> impl IntoView {
    let place = CartContext::get().place;
    let query = use_query_map();
    let result = place.value();
    let pending = place.pending();
    let error = Memo::new(move |_| match result.get() {
        Some(Err(error)) => Some(FormError {
            message: error.message(),
            field: error.param().map(str::to_owned),
        }),
        Some(Ok(())) => None,
        None => {
            let query = query.read();
            query.get("error").map(|message| FormError {
                message,
                field: query.get("field"),
            })
        }
    });
    let form = initial_form(&data, address.as_deref());
    let saved_addresses = (!data.saved_addresses.is_empty()).then(|| {
        view! { <SavedAddressLinks addresses=data.saved_addresses.clone() chosen=address.clone()/> }
    });
    let cart = data.cart.clone();
    let countries = cart.region.countries.clone();
    let default_country = countries.first().cloned().unwrap_or_default();
    let same = RwSignal::new(form.billing_same.is_some());

    let chosen_option = if data
        .shipping_options
        .iter()
        .any(|o| o.id == form.shipping_option_id)
    {
        form.shipping_option_id.clone()
    } else {
        data.shipping_options
            .first()
            .map(|o| o.id.clone())
            .unwrap_or_default()
    };
    let shipping_radios = data
        .shipping_options
        .iter()
        .map(|option| {
            let id = format!("shipping-option-{}", option.id);
            let price = if option.amount == 0 {
                "Free".to_owned()
            } else {
                format_money(option.amount, &cart.currency)
            };
            let free_above = option
                .free_above
                .filter(|_| option.amount > 0)
                .map(|limit| format!(" · free above {}", format_money(limit, &cart.currency)));
            view! {
                <div class="choice">
                    <input
                        type="radio"
                        id=id.clone()
                        name="shipping_option_id"
                        value=option.id.clone()
                        checked=option.id == chosen_option
                        required
                    />
                    <label for=id>
                        <span class="choice-name">{option.name.clone()}</span>
                        <span class="choice-price">{price}{free_above}</span>
                    </label>
                </div>
            }
        })
        .collect_view();
    // The shopper's last choice when it is still offered, else the first offered.
    let method = match (form.payment_method.as_str(), data.stripe, data.manual) {
        ("stripe", true, _) | (_, true, false) => "stripe",
        _ => "manual",
    };
    let manual_choice = data.manual.then(|| {
        view! {
            <div class="choice">
                <input
                    type="radio"
                    id="payment-manual"
                    name="payment_method"
                    value="manual"
                    checked=method == "manual"
                    required
                />
                <label for="payment-manual">
                    <span class="choice-name">"Bank transfer / pay on delivery"</span>
                    <span class="choice-price">"Instructions follow on the next page"</span>
                </label>
            </div>
        }
    });
    let stripe_choice = data.stripe.then(|| {
        view! {
            <div class="choice">
                <input
                    type="radio"
                    id="payment-stripe"
                    name="payment_method"
                    value="stripe"
                    checked=method == "stripe"
                    required
                />
                <label for="payment-stripe">
                    <span class="choice-name">"Card"</span>
                    <span class="choice-price">"Pay securely with Stripe after placing the order"</span>
                </label>
            </div>
        }
    });

    view! {
        <div class="checkout-layout">
            <ActionForm action=place>
                <div class="checkout-form">
                    {move || {
                        error
                            .get()
                            .map(|e| {
                                view! {
                                    <div class="form-error banner" role="alert" id="checkout-error" tabindex="-1">
                                        <p>{e.message}</p>
                                    </div>
                                }
                            })
                    }}
                    <input type="hidden" name="idempotency_key" value=data.idempotency_key.clone()/>
                    <fieldset>
                        <legend>"Contact"</legend>
                        <TextField param="email" name="email" label="Email" kind="email"
                            autocomplete="email" value=form.email.clone() required=true error/>
                    </fieldset>
                    <fieldset>
                        <legend>"Shipping address"</legend>
                        {saved_addresses}
                        <AddressFields prefix="shipping" param_prefix="shipping_address"
                            section="shipping" form=form.clone() countries=countries.clone()
                            default_country=default_country.clone() error/>
                    </fieldset>
                    <div class="field checkbox-field">
                        <input
                            type="checkbox"
                            id="billing-same"
                            name="billing_same"
                            value="on"
                            checked=form.billing_same.is_some()
                            on:change=move |ev| same.set(event_target_checked(&ev))
                        />
                        <label for="billing-same">"Billing address is the same as shipping"</label>
                    </div>
                    // Without JavaScript the billing fields are always shown (the checkbox
                    // decides); after hydration CSS hides them while the box is checked.
                    <fieldset class="billing-fields" data-same=move || same.get().to_string()>
                        <legend>"Billing address"</legend>
                        <AddressFields prefix="billing" param_prefix="billing_address"
                            section="billing" form=form.clone() countries=countries.clone()
                            default_country=default_country.clone() error optional=true/>
                    </fieldset>
                    <fieldset
                        aria-describedby=move || field_error_id(&error.get(), "shipping_option_id")
                    >
                        <legend>"Shipping"</legend>
                        {shipping_radios}
                        <FieldError param="shipping_option_id" error/>
                    </fieldset>
                    <fieldset aria-describedby=move || field_error_id(&error.get(), "payment_method")>
                        <legend>"Payment"</legend>
                        {manual_choice}
                        {stripe_choice}
                        <FieldError param="payment_method" error/>
                    </fieldset>
                    <button type="submit" class="button place-order" data-testid="place-order"
                        disabled=move || pending.get()>
                        "Place order"
                    </button>
                </div>
            </ActionForm>
            <OrderSummary cart/>
        </div>
    }
}

/// The customer's saved addresses, each a link that fills the shipping address with it
/// (a plain link: it works without JavaScript).
#[component]
fn SavedAddressLinks(addresses: Vec<SavedAddress>, chosen: Option<String>) -> impl IntoView {
    let links = addresses
        .into_iter()
        .map(|saved| {
            let href = crate::query::href("/checkout", &[("address", saved.id.as_str())]);
            let current = (chosen.as_deref() == Some(saved.id.as_str())).then_some("true");
            let label = saved_address_label(&saved);
            view! {
                <li>
                    <a href=href aria-current=current data-testid="saved-address">{label}</a>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="saved-addresses">
            <p id="saved-addresses-title">"Ship to a saved address:"</p>
            <ul aria-labelledby="saved-addresses-title">{links}</ul>
        </div>
    }
}

/// "Home: Ada Lovelace, 1 Main St, Berlin" (the label only when there is one).
pub fn saved_address_label(saved: &SavedAddress) -> String {
    let address = &saved.address;
    let text = format!("{}, {}, {}", address.name, address.line1, address.city);
    match saved
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(label) => format!("{label}: {text}"),
        None => text,
    }
}

#[component]
fn AddressFields(
    /// Form field prefix: `shipping` or `billing`.
    prefix: &'static str,
    /// The API's prefix: `shipping_address` or `billing_address`.
    param_prefix: &'static str,
    /// Autocomplete section, so browsers fill the two addresses separately.
    section: &'static str,
    form: CheckoutForm,
    countries: Vec<String>,
    default_country: String,
    error: Memo<Option<FormError>>,
    /// Billing fields are only required when the billing address differs, which the
    /// browser cannot know without JavaScript.
    #[prop(default = false)]
    optional: bool,
) -> impl IntoView {
    let address = if prefix == "billing" {
        Address {
            name: form.billing_name,
            line1: form.billing_line1,
            line2: Some(form.billing_line2),
            city: form.billing_city,
            postal_code: form.billing_postal_code,
            country: form.billing_country,
            phone: None,
        }
    } else {
        Address {
            name: form.shipping_name,
            line1: form.shipping_line1,
            line2: Some(form.shipping_line2),
            city: form.shipping_city,
            postal_code: form.shipping_postal_code,
            country: form.shipping_country,
            phone: None,
        }
    };
    let required = !optional;
    let country = if countries.contains(&address.country) {
        address.country.clone()
    } else {
        default_country
    };
    let country_param = format!("{param_prefix}.country");
    let country_id = input_id(&country_param);
    let country_options = countries
        .into_iter()
        .map(|code| {
            let selected = code == country;
            view! { <option value=code.clone() selected=selected>{country_name(&code)}</option> }
        })
        .collect_view();
    let country_invalid = {
        let param = country_param.clone();
        move || {
            error
                .get()
                .is_some_and(|e| e.field.as_deref() == Some(param.as_str()))
                .then_some("true")
        }
    };
    let country_described = {
        let param = country_param.clone();
        move || field_error_id(&error.get(), &param)
    };
    let country_message = {
        let param = country_param.clone();
        move || {
            error
                .get()
                .filter(|e| e.field.as_deref() == Some(param.as_str()))
                .map(|e| view! { <p class="field-error" id=error_id(&param)>{e.message}</p> })
        }
    };
    let ac = |what: &str| -> &'static str {
        // Static strings: the attribute values are fixed per section and field.
        match (section, what) {
            ("billing", "name") => "billing name",
            ("billing", "line1") => "billing address-line1",
            ("billing", "line2") => "billing address-line2",
            ("billing", "city") => "billing address-level2",
            ("billing", "postal") => "billing postal-code",
            ("billing", _) => "billing country",
            (_, "name") => "shipping name",
            (_, "line1") => "shipping address-line1",
            (_, "line2") => "shipping address-line2",
            (_, "city") => "shipping address-level2",
            (_, "postal") => "shipping postal-code",
            _ => "shipping country",
        }
    };
    view! {
        <TextField param=format!("{param_prefix}.name") name=format!("{prefix}_name")
            label="Full name" autocomplete=ac("name") value=address.name required error/>
        <TextField param=format!("{param_prefix}.line1") name=format!("{prefix}_line1")
            label="Address" autocomplete=ac("line1") value=address.line1 required error/>
        <TextField param=format!("{param_prefix}.line2") name=format!("{prefix}_line2")
            label="Apartment, suite, etc." autocomplete=ac("line2")
            value=address.line2.unwrap_or_default() error/>
        <div class="field-row">
            <TextField param=format!("{param_prefix}.postal_code") name=format!("{prefix}_postal_code")
                label="Postal code" autocomplete=ac("postal") value=address.postal_code required error/>
            <TextField param=format!("{param_prefix}.city") name=format!("{prefix}_city")
                label="City" autocomplete=ac("city") value=address.city required error/>
        </div>
        <div class="field">
            <label for=country_id.clone()>"Country"</label>
            <select
                id=country_id
                name=format!("{prefix}_country")
                autocomplete=ac("country")
                required=required
                aria-invalid=country_invalid
                aria-describedby=country_described
            >
                {country_options}
            </select>
            {country_message}
        </div>
    }
}

/// English names of common ISO 3166-1 codes; the code itself otherwise.
pub fn country_name(code: &str) -> String {
    let name = match code {
        "AT" => "Austria",
        "AU" => "Australia",
        "BE" => "Belgium",
        "CA" => "Canada",
        "CH" => "Switzerland",
        "CZ" => "Czechia",
        "DE" => "Germany",
        "DK" => "Denmark",
        "ES" => "Spain",
        "FI" => "Finland",
        "FR" => "France",
        "GB" => "United Kingdom",
        "IE" => "Ireland",
        "IT" => "Italy",
        "JP" => "Japan",
        "LU" => "Luxembourg",
        "NL" => "Netherlands",
        "NO" => "Norway",
        "PL" => "Poland",
        "PT" => "Portugal",
        "SE" => "Sweden",
        "US" => "United States",
        other => return other.to_owned(),
    };
    name.to_owned()
}

#[component]
fn OrderSummary(cart: Cart) -> impl IntoView {
    let currency = cart.currency.clone();
    let lines = cart
        .lines
        .iter()
        .map(|line| {
            view! {
                <li>
                    <span class="summary-line-title">
                        {line.title.clone()}
                        {(!line.variant_title.is_empty() && line.variant_title != "Default")
                            .then(|| format!(" · {}", line.variant_title))}
                        {format!(" × {}", line.quantity)}
                    </span>
                    <span>{format_money(line.line_total, &currency)}</span>
                </li>
            }
        })
        .collect_view();
    let shipping = match &cart.shipping_option {
        Some(option) => Shipping::Chosen(option.name.clone()),
        None => Shipping::AtCheckout,
    };
    view! {
        <aside class="cart-summary checkout-summary" aria-labelledby="checkout-summary-title">
            <h2 id="checkout-summary-title">"Order summary"</h2>
            <ul class="summary-lines">{lines}</ul>
            <TotalsList
                totals=cart.totals
                currency=cart.currency.clone()
                tax_inclusive=cart.region.tax_inclusive
                shipping
                discount_code=cart.discount.as_ref().map(|d| d.code.clone())
                total_testid="checkout-total"
            />
            <p><a href="/cart">"Edit cart"</a></p>
        </aside>
    }
}
