//! Where the shopper ships to, and so the currency they see and pay in.
//!
//! The regions come from `GET /store/regions` (each with its currency, countries and
//! shipping options). The header's "Ship to / currency" form is a plain POST to
//! [`set_region`] (`/api/region/set`), so it works without JavaScript; after hydration
//! choosing an option submits it at once. The choice is kept in the HttpOnly cookie
//! `emporium_region`, only for a region other than the default one (the one a shopper
//! without a choice is in), so a shopper who never chose keeps getting the shared,
//! cached catalog pages.
//!
//! What follows the choice:
//! - catalog prices: the URL's `?currency=` when it names one, else the region's (see
//!   [`crate::query`]);
//! - a new cart is created in the region;
//! - switching region with an open cart in another region creates a cart in the new
//!   one and adds the old cart's lines again, re-quoted in the new currency; what cannot
//!   come along (a variant not sold in that currency, say) is named to the shopper on
//!   the cart page.

use emporium_client::commerce::Region;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

use crate::{cart_api::ShopError, error::AppError, query::DEFAULT_CURRENCY};

/// The regions and the one the shopper chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionChoice {
    pub regions: Vec<Region>,
    /// The region the cookie names, when it is one of `regions`.
    pub chosen: Option<String>,
}

impl RegionChoice {
    /// The choice a cookie value (a region id) makes among `regions`; an unknown id is
    /// no choice.
    pub fn new(regions: Vec<Region>, cookie: Option<&str>) -> Self {
        let chosen = cookie
            .filter(|id| regions.iter().any(|r| r.id == *id))
            .map(str::to_owned);
        RegionChoice { regions, chosen }
    }

    /// The region of a shopper who chose none: the first that sells in
    /// [`DEFAULT_CURRENCY`] (the currency the catalog always showed by default), else
    /// the first listed.
    pub fn default_region(&self) -> Option<&Region> {
        self.regions
            .iter()
            .find(|r| r.currency == DEFAULT_CURRENCY)
            .or_else(|| self.regions.first())
    }

    /// The region prices follow and new carts are created in.
    pub fn current(&self) -> Option<&Region> {
        self.chosen
            .as_deref()
            .and_then(|id| self.regions.iter().find(|r| r.id == id))
            .or_else(|| self.default_region())
    }

    /// The currency of [`Self::current`].
    pub fn currency(&self) -> String {
        self.current()
            .map(|r| r.currency.clone())
            .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned())
    }
}

/// The currency of the shopper's region, or [`DEFAULT_CURRENCY`] when the regions could
/// not be read.
pub fn region_currency(choice: &Result<RegionChoice, AppError>) -> String {
    match choice {
        Ok(choice) => choice.currency(),
        Err(_) => DEFAULT_CURRENCY.to_owned(),
    }
}

/// The region choice resource, loaded once per page load and shared through context:
/// the header's form and every price on a catalog page read it.
#[derive(Clone, Copy)]
pub struct Regions(pub Resource<Result<RegionChoice, AppError>>);

impl Regions {
    /// Creates the resource and puts it into context (once, in [`crate::App`]).
    pub fn provide() {
        provide_context(Regions(Resource::new(|| (), |_| current_region())));
    }

    /// The resource from context.
    pub fn resource() -> Resource<Result<RegionChoice, AppError>> {
        expect_context::<Regions>().0
    }
}

/// The currency a catalog page shows prices in: `explicit` (the URL's `?currency=`)
/// when given, else the shopper's region's. Awaits the region choice only when needed.
pub async fn display_currency(
    regions: Resource<Result<RegionChoice, AppError>>,
    explicit: Option<String>,
) -> String {
    match explicit {
        Some(currency) => currency,
        None => region_currency(&regions.await),
    }
}

/// The regions and the shopper's choice (the `emporium_region` cookie).
#[server(endpoint = "region/current")]
pub async fn current_region() -> Result<RegionChoice, AppError> {
    let client = use_context::<emporium_client::Client>()
        .ok_or_else(|| AppError::Unavailable("no Store API client in context".to_owned()))?;
    Ok(crate::cart_api::session::region_choice(&client).await?)
}

/// What switching region did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionSwitch {
    /// The region now chosen.
    pub region: Region,
    /// What to tell the shopper about their cart, when not everything in it could move
    /// to the new region.
    pub notice: Option<String>,
}

/// Query parameters that do not survive a switch of region: an explicit currency would
/// hide the new one, a cursor is a position in a list priced in the old currency, and
/// messages belong to the page they were shown on.
#[cfg(feature = "ssr")]
const DROPPED_ON_SWITCH: [&str; 5] = ["currency", "cursor", "error", "field", "notice"];

/// Chooses the region `region_id` (one of `GET /store/regions`): keeps the choice in the
/// `emporium_region` cookie (or drops the cookie for the default region) and moves an
/// open cart of another region into it.
///
/// Without JavaScript (and after hydration, which submits the same form): redirects back
/// to `back` (a same-site path, without an explicit currency), or to the cart page when
/// something in the cart could not come along, or back with `?error=` when the region
/// is unknown or the shop is unavailable (then nothing changed).
#[server(endpoint = "region/set")]
pub async fn set_region(
    #[server(default)] region_id: String,
    #[server(default)] back: Option<String>,
) -> Result<RegionSwitch, ShopError> {
    use crate::cart_api::{safe_path, session, with_error};

    let back = crate::query::without_params(safe_path(back.as_deref(), "/"), &DROPPED_ON_SWITCH);
    let result = async {
        let client = session::client()?;
        let choice = session::region_choice(&client).await?;
        let region = choice
            .regions
            .iter()
            .find(|r| r.id == region_id.trim())
            .cloned()
            .ok_or_else(|| ShopError::invalid("region_id", "Choose one of the regions listed."))?;
        // The cart moves first: if that fails, neither the cart nor the prices change.
        let notice = moving::move_cart(&client, &region).await?;
        if choice.default_region().map(|r| r.id.as_str()) == Some(region.id.as_str()) {
            session::forget_region();
        } else {
            session::remember_region(&region.id);
        }
        Ok(RegionSwitch { region, notice })
    }
    .await;
    if session::plain_form() {
        let next = match &result {
            Ok(RegionSwitch {
                notice: Some(notice),
                ..
            }) => crate::query::href("/cart", &[("notice", notice)]),
            Ok(_) => back.clone(),
            Err(error) => with_error(&back, error),
        };
        leptos_axum::redirect(&next);
    }
    if let Err(ShopError::Unavailable(reason)) = &result {
        leptos::logging::warn!("storefront: switching region failed: {reason}");
    }
    result
}

#[cfg(feature = "ssr")]
mod moving {
    use emporium_client::{
        commerce::{AddLine, ApplyDiscount, CartLine, CreateCart, Region},
        Client, ClientError,
    };

    use crate::cart_api::{session, ShopError};

    /// Moves the shopper's open cart into `region` when it belongs to another: a new
    /// cart there, the same lines added again (the API prices them in the region's
    /// currency) and the same discount code, and the cart cookie pointed at it. The old
    /// cart is left to expire (carts hold no stock). Returns what to tell the shopper
    /// when something could not come along.
    pub async fn move_cart(client: &Client, region: &Region) -> Result<Option<String>, ShopError> {
        let Some(old) = session::live_cart(client).await? else {
            return Ok(None);
        };
        if old.region.id == region.id {
            return Ok(None);
        }
        if old.lines.is_empty() && old.discount.is_none() {
            // Nothing to carry over: the next add creates a cart in the new region.
            session::forget_cart();
            return Ok(None);
        }
        let mut cart = client
            .create_cart(&CreateCart {
                region_id: Some(region.id.clone()),
                currency: None,
            })
            .await?;
        let mut left_out = Vec::new();
        for line in &old.lines {
            let input = AddLine {
                variant_id: line.variant_id.clone(),
                quantity: line.quantity,
            };
            match client.add_line(&cart.id, &input).await {
                Ok(next) => cart = next,
                // A refusal concerns this line only (no price in this currency, sold
                // out meanwhile): the rest still moves. A failure of the API stops the
                // switch before the cookie changes.
                Err(ClientError::Api(problem)) if problem.status < 500 => {
                    left_out.push(format!(
                        "{} ({})",
                        line_name(line),
                        reason(&problem.code, &problem.detail, &region.currency)
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(discount) = &old.discount {
            let input = ApplyDiscount {
                code: discount.code.clone(),
            };
            match client.apply_discount(&cart.id, &input).await {
                Ok(next) => cart = next,
                Err(ClientError::Api(problem)) if problem.status < 500 => {
                    left_out.push(format!(
                        "the discount code {} ({})",
                        discount.code,
                        reason(&problem.code, &problem.detail, &region.currency)
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        session::remember_cart(&cart.id);
        Ok((!left_out.is_empty()).then(|| {
            format!(
                "Your cart now ships to {} and is priced in {}. Left out: {}.",
                region.name,
                region.currency,
                left_out.join("; ")
            )
        }))
    }

    fn line_name(line: &CartLine) -> String {
        if line.variant_title.is_empty() || line.variant_title == "Default" {
            line.title.clone()
        } else {
            format!("{} · {}", line.title, line.variant_title)
        }
    }

    /// Why something was left out, in the shopper's words where the API's are technical.
    fn reason(code: &str, detail: &str, currency: &str) -> String {
        match code {
            "currency_mismatch" => format!("not sold in {currency}"),
            // The code applied to the cart in the old currency, so the currency is why.
            "discount_invalid" => format!("not valid in {currency}"),
            _ => detail.to_owned(),
        }
    }
}

/// The header's "Ship to / currency" form: a plain POST form that works without
/// JavaScript; after hydration choosing an option submits it (a full page load: every
/// price on the page changes). Not shown when there is nothing to choose.
#[component]
pub fn RegionForm() -> impl IntoView {
    let regions = Regions::resource();
    let location = use_location();
    // The page to come back to, query included (the server drops what a switch voids).
    let back = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    let form = NodeRef::<leptos::html::Form>::new();
    let action = <SetRegion as leptos::server_fn::ServerFn>::PATH;
    let submit = move |_| {
        if let Some(form) = form.get_untracked() {
            // A refused submit leaves the button to do it.
            let _ = form.submit();
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let choice = regions.await.ok().filter(|c| c.regions.len() > 1)?;
                let current = choice.current().map(|r| r.id.clone()).unwrap_or_default();
                let options = choice
                    .regions
                    .into_iter()
                    .map(|region| {
                        let selected = region.id == current;
                        view! {
                            <option value=region.id selected=selected>
                                {format!("{} · {}", region.name, region.currency)}
                            </option>
                        }
                    })
                    .collect_view();
                Some(view! {
                    <form
                        class="region-form"
                        method="post"
                        action=action
                        node_ref=form
                        data-testid="region-form"
                    >
                        <label for="region-select">"Ship to / currency"</label>
                        <select
                            id="region-select"
                            name="region_id"
                            data-testid="region-select"
                            on:change=submit
                        >
                            {options}
                        </select>
                        <input type="hidden" name="back" value=back/>
                        <button type="submit" class="button small region-submit">"Apply"</button>
                    </form>
                })
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(id: &str, currency: &str) -> Region {
        Region {
            id: id.into(),
            name: id.into(),
            currency: currency.into(),
            tax_rate_bp: 0,
            tax_inclusive: true,
            countries: vec![],
            tax_rates: vec![],
        }
    }

    #[test]
    fn without_a_choice_the_region_selling_in_the_default_currency_applies() {
        let regions = vec![region("reg_ca", "CAD"), region("reg_eu", "EUR")];
        let choice = RegionChoice::new(regions, None);
        assert_eq!(choice.current().map(|r| r.id.as_str()), Some("reg_eu"));
        assert_eq!(choice.currency(), "EUR");
        let choice = RegionChoice::new(vec![region("reg_ca", "CAD")], None);
        assert_eq!(choice.currency(), "CAD");
        assert_eq!(RegionChoice::new(vec![], None).currency(), DEFAULT_CURRENCY);
    }

    #[test]
    fn a_cookie_chooses_only_a_listed_region() {
        let regions = vec![region("reg_eu", "EUR"), region("reg_us", "USD")];
        let chosen = RegionChoice::new(regions.clone(), Some("reg_us"));
        assert_eq!(chosen.chosen.as_deref(), Some("reg_us"));
        assert_eq!(chosen.currency(), "USD");
        let unknown = RegionChoice::new(regions, Some("reg_gone"));
        assert_eq!(unknown.chosen, None);
        assert_eq!(unknown.currency(), "EUR");
        assert_eq!(
            region_currency(&Err(AppError::Unavailable("down".into()))),
            DEFAULT_CURRENCY
        );
    }
}
