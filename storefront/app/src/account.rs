//! The signed-in customer's pages: `/account` (profile, address book, recent orders,
//! sign out), `/account/orders` (every order, a page at a time), `/account/orders/{id}`
//! and `/account/addresses/{id}` (edit a saved address); and the header's account link,
//! with the account resource it shares through context.
//!
//! A guest who opens one of these pages is sent to sign in, and comes back here after.
//! Every form is a plain HTML form posting to [`crate::account_api`], which redirects
//! back with `?notice=…` or `?error=…&field=…`.

use emporium_client::{
    accounts::{Customer, SavedAddress},
    commerce::Order,
    types::format_money,
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Meta, Title};
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    account_api::{
        account_address, account_order, account_orders, current_account, load_account,
        sign_in_href, AccountBadge, AccountError, AccountOverview, AddAddress, AddressEdit,
        AddressForm, DeleteAddress, OrdersPage, ResendVerification, SignOut, UpdateAddress,
        UpdateProfile,
    },
    checkout::country_name,
    form::{
        field_error_id, input_id, url_error, FieldError, FormBanner, FormError, Notice, TextField,
    },
    layout::{Breadcrumb, Crumb, Loading, NotFound, ServiceError},
    order::{status_text, AddressBlock, OrderDetails},
    response,
};

/// The signed-in customer (`Ok(None)` for a guest), loaded once per page load for the
/// header and the pages that differ for a signed-in shopper.
#[derive(Clone, Copy)]
pub struct AccountContext {
    pub account: Resource<Result<Option<AccountBadge>, AccountError>>,
}

impl AccountContext {
    /// Creates the resource and puts it into context (once, in [`crate::App`]).
    pub fn provide() {
        provide_context(AccountContext {
            account: Resource::new(|| (), |_| current_account()),
        });
    }

    pub fn get() -> Self {
        expect_context::<AccountContext>()
    }
}

/// "Sign in" for a guest, "Account (Ada)" for a signed-in customer, in the header.
#[component]
pub fn AccountLink() -> impl IntoView {
    let account = AccountContext::get().account;
    let guest = || {
        view! {
            <a class="account-link" href="/account/login" data-testid="account-link">"Sign in"</a>
        }
    };
    view! {
        <Transition fallback=guest>
            {move || Suspend::new(async move {
                let (href, label) = match account.await {
                    Ok(Some(badge)) => ("/account", badge.label()),
                    Ok(None) => ("/account/login", "Sign in".to_owned()),
                    // A session the API could not check right now: still the account.
                    Err(_) => ("/account", "Account".to_owned()),
                };
                view! {
                    <a class="account-link" href=href data-testid="account-link">{label}</a>
                }
            })}
        </Transition>
    }
}

/// The fields of the account page's forms, by the API's names.
const ACCOUNT_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "label",
    "address.name",
    "address.line1",
    "address.line2",
    "address.city",
    "address.postal_code",
    "address.country",
];

/// The fields of an address form, by the API's names.
const ADDRESS_FIELDS: &[&str] = &[
    "label",
    "address.name",
    "address.line1",
    "address.line2",
    "address.city",
    "address.postal_code",
    "address.country",
];

/// What a notice code in the account page's URL says.
fn account_notice(code: &str) -> Option<&'static str> {
    match code {
        "profile-saved" => Some("Your name is saved."),
        "address-added" => Some("The address is saved."),
        "address-updated" => Some("Your changes to the address are saved."),
        "address-deleted" => Some("The address is deleted."),
        "verification-sent" => Some("We sent you a new link to confirm your email."),
        "verification-too-soon" => {
            Some("We sent you a link a moment ago: please check your inbox and spam folder.")
        }
        "already-verified" => Some("Your email is already confirmed."),
        _ => None,
    }
}

/// `/account`: the profile, the address book, recent orders and signing out.
#[component]
pub fn AccountPage() -> impl IntoView {
    response::private_page();
    let overview = Resource::new(|| (), |_| load_account());
    let query = use_query_map();
    let error = url_error();
    view! {
        <Title text="Your account"/>
        <Meta name="robots" content="noindex"/>
        <section class="account-page">
            <Suspense fallback=Loading>
                {move || {
                    let notice = query
                        .read()
                        .get("notice")
                        .and_then(|code| account_notice(&code))
                        .map(str::to_owned);
                    Suspend::new(async move {
                        match overview.await {
                            Ok(overview) => view! { <AccountView overview notice error/> }.into_any(),
                            Err(AccountError::SignedOut) => {
                                view! { <Redirect path=sign_in_href("/account")/> }.into_any()
                            }
                            Err(_) => view! { <ServiceError/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn AccountView(
    overview: AccountOverview,
    notice: Option<String>,
    error: Memo<Option<FormError>>,
) -> impl IntoView {
    let AccountOverview {
        customer,
        addresses,
        orders,
        more_orders,
        countries,
    } = overview;
    view! {
        <h1>"Your account"</h1>
        <Notice text=notice/>
        <FormBanner error fields=ACCOUNT_FIELDS/>
        <div class="account-layout">
            <div class="account-main">
                <RecentOrders orders more_orders/>
                <AddressBook addresses countries error/>
            </div>
            <div class="account-side">
                <Profile customer error/>
                <section class="account-section" aria-labelledby="sign-out-title">
                    <h2 id="sign-out-title">"Sign out"</h2>
                    <p>"Signing out also empties this browser's cart: it stays in your account."</p>
                    <form method="post" action=SignOut::PATH>
                        <button type="submit" class="button secondary" data-testid="sign-out">
                            "Sign out"
                        </button>
                    </form>
                </section>
            </div>
        </div>
    }
}

fn full_name(customer: &Customer) -> Option<String> {
    let parts: Vec<&str> = [&customer.first_name, &customer.last_name]
        .into_iter()
        .filter_map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[component]
fn Profile(customer: Customer, error: Memo<Option<FormError>>) -> impl IntoView {
    let name = full_name(&customer).unwrap_or_else(|| "Not given".to_owned());
    let verified = customer.email_verified;
    let status = if verified {
        "Confirmed"
    } else {
        "Not confirmed yet"
    };
    let resend = (!verified).then(|| {
        view! {
            <form method="post" action=ResendVerification::PATH class="resend-form">
                <p>"We sent you a link to confirm your email. Not there?"</p>
                <button type="submit" class="button secondary small" data-testid="resend-verification">
                    "Send a new link"
                </button>
            </form>
        }
    });
    view! {
        <section class="account-section" id="profile" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <dl class="facts">
                <div>
                    <dt>"Name"</dt>
                    <dd data-testid="account-name">{name}</dd>
                </div>
                <div>
                    <dt>"Email"</dt>
                    <dd data-testid="account-email">{customer.email.clone()}</dd>
                </div>
                <div>
                    <dt>"Email status"</dt>
                    <dd data-testid="email-status" class=if verified { "verified" } else { "unverified" }>
                        {status}
                    </dd>
                </div>
            </dl>
            {resend}
            <form method="post" action=UpdateProfile::PATH class="account-form" data-testid="profile-form">
                <fieldset>
                    <legend>"Change your name"</legend>
                    <div class="field-row halves">
                        <TextField param="first_name" name="first_name" label="First name"
                            autocomplete="given-name" value=customer.first_name.clone().unwrap_or_default()
                            error alert=true/>
                        <TextField param="last_name" name="last_name" label="Last name"
                            autocomplete="family-name" value=customer.last_name.clone().unwrap_or_default()
                            error alert=true/>
                    </div>
                    <button type="submit" class="button secondary">"Save name"</button>
                </fieldset>
            </form>
        </section>
    }
}

#[component]
fn RecentOrders(orders: Vec<Order>, more_orders: bool) -> impl IntoView {
    let body = if orders.is_empty() {
        view! { <p data-testid="no-orders">"You have not ordered anything yet."</p> }.into_any()
    } else {
        view! {
            <OrdersTable orders/>
            {more_orders
                .then(|| {
                    view! {
                        <p class="muted">
                            "Your most recent orders are shown. "
                            <a href="/account/orders" data-testid="all-orders">"All orders"</a>
                        </p>
                    }
                })}
        }
        .into_any()
    };
    view! {
        <section class="account-section" id="orders" aria-labelledby="orders-title">
            <h2 id="orders-title">"Recent orders"</h2>
            {body}
        </section>
    }
}

/// Orders as rows of number (linking to the order), date, status and total.
#[component]
fn OrdersTable(orders: Vec<Order>) -> impl IntoView {
    let rows = orders
        .into_iter()
        .map(|order| {
            let href = format!("/account/orders/{}", crate::query::encode(&order.id));
            view! {
                <tr data-testid="account-order">
                    <th scope="row">
                        <a href=href>{format!("Order {}", order.number)}</a>
                    </th>
                    <td>{format_date(&order.created_at)}</td>
                    <td>{status_text(&order.status)}</td>
                    <td class="amount">{format_money(order.totals.total, &order.currency)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="order-lines account-orders">
            <thead>
                <tr>
                    <th scope="col">"Order"</th>
                    <th scope="col">"Date"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Total"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn AddressBook(
    addresses: Vec<SavedAddress>,
    countries: Vec<String>,
    error: Memo<Option<FormError>>,
) -> impl IntoView {
    let list = if addresses.is_empty() {
        view! { <p>"No saved addresses yet. Add one to check out faster."</p> }.into_any()
    } else {
        let cards = addresses
            .into_iter()
            .map(|saved| view! { <AddressCard saved/> })
            .collect_view();
        view! { <ul class="address-book">{cards}</ul> }.into_any()
    };
    view! {
        <section class="account-section" id="addresses" aria-labelledby="addresses-title">
            <h2 id="addresses-title">"Saved addresses"</h2>
            {list}
            <form id="add-address" method="post" action=AddAddress::PATH class="account-form"
                data-testid="address-form">
                <fieldset>
                    <legend>"Add an address"</legend>
                    <AddressFields values=AddressForm::default() countries error/>
                    <button type="submit" class="button secondary">"Save address"</button>
                </fieldset>
            </form>
        </section>
    }
}

/// What an address is called: its label, else its first line.
fn address_title(saved: &SavedAddress) -> String {
    saved
        .label
        .clone()
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| saved.address.line1.clone())
}

fn address_href(id: &str) -> String {
    format!("/account/addresses/{}", crate::query::encode(id))
}

#[component]
fn AddressCard(saved: SavedAddress) -> impl IntoView {
    let title = address_title(&saved);
    let tags: Vec<&str> = [
        saved.default_shipping.then_some("Default shipping"),
        saved.default_billing.then_some("Default billing"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let tags = (!tags.is_empty()).then(|| {
        let items = tags
            .into_iter()
            .map(|tag| view! { <li class="tag">{tag}</li> })
            .collect_view();
        view! { <ul class="tags">{items}</ul> }
    });
    let edit_label = format!("Edit the address {title}");
    let delete_label = format!("Delete the address {title}");
    view! {
        <li class="address-card" data-testid="saved-address">
            <h3>{title}</h3>
            {tags}
            <AddressBlock address=saved.address.clone()/>
            <div class="address-actions">
                <a href=address_href(&saved.id) aria-label=edit_label>"Edit"</a>
                <form method="post" action=DeleteAddress::PATH>
                    <input type="hidden" name="id" value=saved.id.clone()/>
                    <button type="submit" class="link-button" aria-label=delete_label>"Delete"</button>
                </form>
            </div>
        </li>
    }
}

/// The fields of an address form (add or edit), filled with `values`.
#[component]
fn AddressFields(
    values: AddressForm,
    countries: Vec<String>,
    error: Memo<Option<FormError>>,
) -> impl IntoView {
    let AddressForm {
        label,
        name,
        line1,
        line2,
        city,
        postal_code,
        country,
        default_shipping,
        default_billing,
    } = values;
    view! {
        <TextField param="label" name="label" label="Label, e.g. Home or Office"
            autocomplete="off" value=label error alert=true/>
        <TextField param="address.name" name="name" label="Full name"
            autocomplete="name" value=name required=true error alert=true/>
        <TextField param="address.line1" name="line1" label="Address"
            autocomplete="address-line1" value=line1 required=true error alert=true/>
        <TextField param="address.line2" name="line2" label="Apartment, suite, etc."
            autocomplete="address-line2" value=line2 error alert=true/>
        <div class="field-row">
            <TextField param="address.postal_code" name="postal_code" label="Postal code"
                autocomplete="postal-code" value=postal_code required=true error alert=true/>
            <TextField param="address.city" name="city" label="City"
                autocomplete="address-level2" value=city required=true error alert=true/>
        </div>
        <CountryField countries value=country error/>
        <div class="field checkbox-field">
            <input type="checkbox" id="default-shipping" name="default_shipping" value="on"
                checked=default_shipping.is_some()/>
            <label for="default-shipping">"Use as my default shipping address"</label>
        </div>
        <div class="field checkbox-field">
            <input type="checkbox" id="default-billing" name="default_billing" value="on"
                checked=default_billing.is_some()/>
            <label for="default-billing">"Use as my default billing address"</label>
        </div>
    }
}

/// The country of the address form: a list of the countries the shop ships to, or a
/// two-letter code when the regions could not be read. `value` is the country chosen.
#[component]
fn CountryField(
    mut countries: Vec<String>,
    value: String,
    error: Memo<Option<FormError>>,
) -> impl IntoView {
    const PARAM: &str = "address.country";
    if countries.is_empty() {
        return view! {
            <TextField param=PARAM name="country" label="Country (two-letter code, e.g. DE)"
                autocomplete="country" value=value required=true error alert=true/>
        }
        .into_any();
    }
    // A saved country the shop no longer ships to stays on offer: otherwise the browser
    // would pick the first country, and saving any other change would move the address.
    if !value.is_empty() && !countries.contains(&value) {
        countries.push(value.clone());
    }
    let options = countries
        .into_iter()
        .map(|code| {
            let selected = code == value;
            view! { <option value=code.clone() selected=selected>{country_name(&code)}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=input_id(PARAM)>"Country"</label>
            <select
                id=input_id(PARAM)
                name="country"
                autocomplete="country"
                required
                aria-invalid=move || error.get().is_some_and(|e| e.is_for(PARAM)).then_some("true")
                aria-describedby=move || field_error_id(&error.get(), PARAM)
            >
                {options}
            </select>
            <FieldError param=PARAM error alert=true/>
        </div>
    }
    .into_any()
}

/// `2025-01-02T…` as "2 January 2025" (the date as the API wrote it); the text itself
/// when it is not such a date.
pub fn format_date(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let parsed = (|| {
        let year = rfc3339.get(0..4)?.parse::<u32>().ok()?;
        let month = rfc3339.get(5..7)?.parse::<usize>().ok()?;
        let day = rfc3339.get(8..10)?.parse::<u32>().ok()?;
        let name = MONTHS.get(month.checked_sub(1)?)?;
        Some(format!("{day} {name} {year}"))
    })();
    parsed.unwrap_or_else(|| rfc3339.to_owned())
}

/// `/account/orders/{id}`: one of the customer's orders.
#[component]
pub fn AccountOrderPage() -> impl IntoView {
    response::private_page();
    let params = use_params_map();
    let order = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        account_order,
    );
    view! {
        <Meta name="robots" content="noindex"/>
        <Suspense fallback=Loading>
            {move || {
                let id = params.read().get("id").unwrap_or_default();
                Suspend::new(async move {
                    match order.await {
                        Ok(order) => view! { <AccountOrderView order/> }.into_any(),
                        Err(AccountError::SignedOut) => {
                            let back = format!("/account/orders/{}", crate::query::encode(&id));
                            view! { <Redirect path=sign_in_href(&back)/> }.into_any()
                        }
                        Err(AccountError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(_) => view! { <ServiceError/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn AccountOrderView(order: Order) -> impl IntoView {
    let title = format!("Order {}", order.number);
    view! {
        <Title text=title.clone()/>
        <section class="order-page account-order">
            <Breadcrumb crumbs=vec![Crumb::link("Your account", "/account"), Crumb::here(title.clone())]/>
            <header class="order-header">
                <h1>{title}</h1>
                <p class="lead">
                    "Placed on " {format_date(&order.created_at)} " · "
                    <span data-testid="order-status">{status_text(&order.status)}</span>
                </p>
            </header>
            <OrderDetails order/>
            <p><a class="button secondary" href="/account">"Back to your account"</a></p>
        </section>
    }
}

/// `/account/orders?cursor=…`: the customer's orders, newest first, a page at a time.
#[component]
pub fn AccountOrdersPage() -> impl IntoView {
    response::private_page();
    let query = use_query_map();
    let page = Resource::new(
        move || query.read().get("cursor").filter(|c| !c.is_empty()),
        account_orders,
    );
    view! {
        <Meta name="robots" content="noindex"/>
        <section class="account-page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <OrdersPageView page/> }.into_any(),
                        Err(AccountError::SignedOut) => {
                            view! { <Redirect path=sign_in_href("/account/orders")/> }.into_any()
                        }
                        Err(_) => view! { <ServiceError/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OrdersPageView(page: OrdersPage) -> impl IntoView {
    let OrdersPage {
        orders,
        next_cursor,
        later_page,
    } = page;
    let body = match (orders.is_empty(), later_page) {
        (false, _) => view! { <OrdersTable orders/> }.into_any(),
        // The orders after a cursor may have gone (e.g. erased): the way back is below.
        (true, true) => {
            view! { <p data-testid="no-orders">"There are no older orders."</p> }.into_any()
        }
        (true, false) => {
            view! { <p data-testid="no-orders">"You have not ordered anything yet."</p> }.into_any()
        }
    };
    // Cursors only go forward, so there is no "newer": the browser's back button, or the
    // first page, does that.
    let first = later_page.then(|| {
        view! {
            <a class="button secondary" href="/account/orders" data-testid="newest-orders">
                "Newest orders"
            </a>
        }
    });
    let older = next_cursor.map(|cursor| {
        let href = crate::query::href("/account/orders", &[("cursor", cursor.as_str())]);
        view! {
            <a class="button" href=href rel="next" data-testid="older-orders">"Older orders"</a>
        }
    });
    let pages = (first.is_some() || older.is_some()).then(|| {
        view! { <nav class="pagination" aria-label="Pages of your orders">{first}{older}</nav> }
    });
    view! {
        <Title text="Your orders"/>
        <Breadcrumb crumbs=vec![Crumb::link("Your account", "/account"), Crumb::here("Your orders")]/>
        <h1>"Your orders"</h1>
        <div class="account-section">{body}</div>
        {pages}
    }
}

/// `/account/addresses/{id}`: the form to change a saved address.
#[component]
pub fn AccountAddressPage() -> impl IntoView {
    response::private_page();
    let params = use_params_map();
    let address = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        account_address,
    );
    let error = url_error();
    view! {
        <Meta name="robots" content="noindex"/>
        <Suspense fallback=Loading>
            {move || {
                let id = params.read().get("id").unwrap_or_default();
                // What the shopper typed comes back only with the refusal it met; opened
                // afresh, the form shows the address as saved.
                let refused = error.read().is_some();
                Suspend::new(async move {
                    match address.await {
                        Ok(edit) => view! { <AddressEditView edit refused error/> }.into_any(),
                        Err(AccountError::SignedOut) => {
                            view! { <Redirect path=sign_in_href(&address_href(&id))/> }.into_any()
                        }
                        Err(AccountError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(_) => view! { <ServiceError/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The edit form's values for an address as saved.
fn form_of(saved: &SavedAddress) -> AddressForm {
    let address = &saved.address;
    AddressForm {
        label: saved.label.clone().unwrap_or_default(),
        name: address.name.clone(),
        line1: address.line1.clone(),
        line2: address.line2.clone().unwrap_or_default(),
        city: address.city.clone(),
        postal_code: address.postal_code.clone(),
        country: address.country.clone(),
        default_shipping: saved.default_shipping.then(|| "on".to_owned()),
        default_billing: saved.default_billing.then(|| "on".to_owned()),
    }
}

#[component]
fn AddressEditView(
    edit: AddressEdit,
    refused: bool,
    error: Memo<Option<FormError>>,
) -> impl IntoView {
    let AddressEdit {
        saved,
        kept,
        countries,
    } = edit;
    let title = address_title(&saved);
    let values = kept.filter(|_| refused).unwrap_or_else(|| form_of(&saved));
    view! {
        <Title text="Edit address"/>
        <section class="account-page address-page">
            <Breadcrumb crumbs=vec![Crumb::link("Your account", "/account"), Crumb::here("Edit address")]/>
            <h1>"Edit address"</h1>
            <FormBanner error fields=ADDRESS_FIELDS/>
            <form method="post" action=UpdateAddress::PATH class="account-form"
                data-testid="edit-address-form">
                <input type="hidden" name="id" value=saved.id.clone()/>
                <fieldset>
                    <legend>{title}</legend>
                    <AddressFields values countries error/>
                    <div class="form-actions">
                        <button type="submit" class="button">"Save changes"</button>
                        <a class="button secondary" href="/account#addresses">"Cancel"</a>
                    </div>
                </fieldset>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_day_month_year() {
        assert_eq!(format_date("2025-01-02T00:00:00Z"), "2 January 2025");
        assert_eq!(format_date("2024-12-31T23:59:59+01:00"), "31 December 2024");
        assert_eq!(format_date("2024-13-01"), "2024-13-01");
        assert_eq!(format_date("soon"), "soon");
    }

    #[test]
    fn only_known_notices_are_shown() {
        assert_eq!(account_notice("profile-saved"), Some("Your name is saved."));
        assert!(account_notice("address-updated").is_some());
        assert_eq!(account_notice("anything else"), None);
    }
}
