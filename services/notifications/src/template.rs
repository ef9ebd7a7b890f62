//! Email templates as plain Rust functions: one plain-text and one HTML body per email,
//! built from the order event payload ([`render`]) or from a `customer.*` payload
//! ([`render_account`]). Pure (no I/O, no clock), so every template is unit-tested
//! here. All text that came from users or merchants (product titles, names, email
//! addresses, carrier names, tracking numbers) is HTML-escaped in the HTML body; links
//! are escaped as attribute values and tracking links are only linked when they are
//! http(s); the tokens in account links are percent-encoded.

use std::fmt::Write as _;

use emporium_kernel::money::Currency;

use crate::{
    error::{NotificationsError, Result},
    payload::{CustomerPayload, OrderLine, OrderPayload},
};

/// Which email an order or customer-account event produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// `order.confirmed`, to the customer.
    OrderConfirmation,
    /// `order.paid` of an order paid offline (manual), to the customer.
    PaymentReceived,
    /// `order.fulfilled`
    OrderShipped,
    /// `order.refunded`
    RefundIssued,
    /// `order.cancelled` of an order that had been confirmed, to the customer.
    OrderCancelled,
    /// `order.confirmed`, to the merchant's address when one is configured.
    MerchantNewOrder,
    /// `customer.verification_requested`: the link that confirms the address.
    VerifyEmail,
    /// `customer.password_reset_requested`: the link that sets a new password.
    PasswordReset,
    /// `customer.registration_attempted_existing`: someone tried to register with an
    /// address that has an account; its owner is told, and offered sign-in and reset.
    RegistrationAttempted,
    /// `customer.password_changed`: the "your password was changed" notice.
    PasswordChanged,
    /// `customer.email_changed`, to the address the account had before.
    EmailChanged,
}

/// Who an email goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The order's email address, or the customer account's (`email`).
    Customer,
    /// The shop's own address (`merchant_email` in the configuration).
    Merchant,
    /// The address a customer account had before it was changed (`old_email`), so
    /// that its owner notices a change they did not make.
    PreviousAddress,
}

impl Template {
    pub const ALL: [Template; 11] = [
        Template::OrderConfirmation,
        Template::PaymentReceived,
        Template::OrderShipped,
        Template::RefundIssued,
        Template::OrderCancelled,
        Template::MerchantNewOrder,
        Template::VerifyEmail,
        Template::PasswordReset,
        Template::RegistrationAttempted,
        Template::PasswordChanged,
        Template::EmailChanged,
    ];

    /// The stored name (part of the dedupe key: do not rename).
    pub fn as_str(self) -> &'static str {
        match self {
            Template::OrderConfirmation => "order_confirmation",
            Template::PaymentReceived => "payment_received",
            Template::OrderShipped => "order_shipped",
            Template::RefundIssued => "refund_issued",
            Template::OrderCancelled => "order_cancelled",
            Template::MerchantNewOrder => "merchant_new_order",
            Template::VerifyEmail => "verify_email",
            Template::PasswordReset => "password_reset",
            Template::RegistrationAttempted => "registration_attempted",
            Template::PasswordChanged => "password_changed",
            Template::EmailChanged => "email_changed",
        }
    }

    pub fn recipient(self) -> Recipient {
        match self {
            Template::MerchantNewOrder => Recipient::Merchant,
            Template::EmailChanged => Recipient::PreviousAddress,
            _ => Recipient::Customer,
        }
    }

    /// Whether this is an account email (rendered from a `customer.*` payload by
    /// [`render_account`]) rather than an order email.
    pub fn is_account(self) -> bool {
        matches!(
            self,
            Template::VerifyEmail
                | Template::PasswordReset
                | Template::RegistrationAttempted
                | Template::PasswordChanged
                | Template::EmailChanged
        )
    }

    /// The topics that may send an email.
    pub fn wanted(topic: &str) -> bool {
        matches!(
            topic,
            "order.confirmed"
                | "order.paid"
                | "order.fulfilled"
                | "order.refunded"
                | "order.cancelled"
        ) || Template::for_account_event(topic).is_some()
    }

    /// The email a `customer.*` event sends: one per event, or none (`customer.registered`:
    /// the verification email that follows it is the welcome).
    pub fn for_account_event(topic: &str) -> Option<Template> {
        match topic {
            "customer.verification_requested" => Some(Template::VerifyEmail),
            "customer.password_reset_requested" => Some(Template::PasswordReset),
            "customer.registration_attempted_existing" => Some(Template::RegistrationAttempted),
            "customer.password_changed" => Some(Template::PasswordChanged),
            "customer.email_changed" => Some(Template::EmailChanged),
            _ => None,
        }
    }

    /// The emails an order event sends (docs/COMMERCE.md): the confirmation when the
    /// order is confirmed (never at placement, which may still fail); "payment received"
    /// only for an order paid offline, since an online payment is what confirmed it;
    /// a cancellation only for an order the customer was told is confirmed.
    pub fn for_event(topic: &str, payload: &OrderPayload) -> Vec<Template> {
        let order = &payload.order;
        match topic {
            "order.confirmed" => vec![Template::OrderConfirmation, Template::MerchantNewOrder],
            "order.paid"
                if order.payment_provider.as_deref() == Some("manual") && order.total > 0 =>
            {
                vec![Template::PaymentReceived]
            }
            "order.fulfilled" => vec![Template::OrderShipped],
            "order.refunded" => vec![Template::RefundIssued],
            "order.cancelled" if order.confirmed_at.is_some() => vec![Template::OrderCancelled],
            _ => Vec::new(),
        }
    }

    /// Parses a stored or requested template name.
    pub fn parse(name: &str) -> Result<Template> {
        Template::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| NotificationsError::UnknownTemplate {
                name: name.to_owned(),
            })
    }
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shop-wide parts of every email (from the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopDetails {
    pub shop_name: String,
    /// Base URL of the storefront, without a trailing slash (`https://shop.example`).
    pub storefront_url: String,
}

/// A rendered email, ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders `template` for the order in `payload`.
///
/// Errors: `Render` naming the payload field when the event lacks what the template
/// needs (`fulfillment` for `order_shipped`, `refund` for `refund_issued`, a valid
/// `order.currency` and `order.number` for all).
pub fn render(
    template: Template,
    payload: &OrderPayload,
    shop: &ShopDetails,
) -> Result<RenderedEmail> {
    let name = template.as_str();
    if template.is_account() {
        return Err(not_an_order_email(name));
    }
    let order = &payload.order;
    let currency = Currency::parse(&order.currency).map_err(|_| {
        NotificationsError::render(
            name,
            "order.currency",
            "must be an ISO 4217 code such as EUR",
        )
    })?;
    if order.number.trim().is_empty() {
        return Err(NotificationsError::render(
            name,
            "order.number",
            "must not be empty",
        ));
    }
    let money = |amount: i64| format_money(amount, currency);
    let number = order.number.as_str();
    let link = order_link(shop, &order.id, &order.access_token);

    // Template-specific parts: subject, headline, and paragraphs as (text, html) pairs.
    let (subject, headline, paragraphs): (String, String, Vec<(String, String)>) = match template
    {
        Template::OrderConfirmation => (
            format!("Order #{number} confirmed"),
            format!("Thank you for your order #{number}"),
            vec![plain(format!(
                "We have received your order #{number}. We will let you know when your payment is confirmed and when it ships."
            ))],
        ),
        Template::PaymentReceived => (
            format!("Payment received for order #{number}"),
            format!("Payment received for order #{number}"),
            vec![plain(format!(
                "We have received your payment of {} for order #{number}. We are preparing your order now.",
                money(order.total)
            ))],
        ),
        Template::OrderShipped => {
            let f = payload.fulfillment.as_ref().ok_or_else(|| {
                NotificationsError::render(name, "fulfillment", "is required for order.fulfilled events")
            })?;
            let mut paras = vec![plain(format!("Good news: your order #{number} is on its way."))];
            if let Some(carrier) = non_empty(&f.carrier) {
                paras.push((
                    format!("Carrier: {carrier}"),
                    format!("Carrier: <strong>{}</strong>", escape(carrier)),
                ));
            }
            if let Some(tracking) = non_empty(&f.tracking_number) {
                paras.push((
                    format!("Tracking number: {tracking}"),
                    format!("Tracking number: <strong>{}</strong>", escape(tracking)),
                ));
            }
            if let Some(url) = non_empty(&f.tracking_url) {
                // A javascript: or data: URL must never become a clickable link.
                let html = if is_web_url(url) {
                    format!("<a href=\"{0}\">Track your parcel</a>", escape(url))
                } else {
                    format!("Tracking link: {}", escape(url))
                };
                paras.push((format!("Track your parcel: {url}"), html));
            }
            (
                format!("Order #{number} has shipped"),
                format!("Your order #{number} has shipped"),
                paras,
            )
        }
        Template::OrderCancelled => {
            let why = match payload.reason.as_deref() {
                Some("reservation_expired") => {
                    " because its payment did not arrive in time, and the items were released"
                }
                _ => "",
            };
            (
                format!("Order #{number} cancelled"),
                format!("Your order #{number} was cancelled"),
                vec![plain(format!(
                    "Your order #{number} was cancelled{why}. If you paid for it, the payment is refunded. Reply to this email if you have questions."
                ))],
            )
        }
        Template::VerifyEmail
        | Template::PasswordReset
        | Template::RegistrationAttempted
        | Template::PasswordChanged
        | Template::EmailChanged => return Err(not_an_order_email(name)),
        Template::MerchantNewOrder => (
            format!("New order #{number} ({})", money(order.total)),
            format!("New order #{number}"),
            vec![plain(format!(
                "{} placed order #{number} for {}, paid with {}.",
                order.email,
                money(order.total),
                order.payment_provider.as_deref().unwrap_or("an unknown method")
            ))],
        ),
        Template::RefundIssued => {
            let r = payload.refund.as_ref().ok_or_else(|| {
                NotificationsError::render(name, "refund", "is required for order.refunded events")
            })?;
            let total_refunded = r.total_refunded.max(r.amount);
            (
                format!("Refund issued for order #{number}"),
                format!("Refund issued for order #{number}"),
                vec![
                    plain(format!(
                        "We have refunded {} for order #{number}. It can take a few days to appear on your statement.",
                        money(r.amount)
                    )),
                    plain(format!("Total refunded for this order: {}", money(total_refunded))),
                ],
            )
        }
    };

    let totals = totals(payload, &money);
    let text = render_text(
        shop,
        &headline,
        &paragraphs,
        &order.lines,
        &totals,
        &link,
        &money,
    );
    let html = render_html(
        shop,
        &headline,
        &paragraphs,
        &order.lines,
        &totals,
        &link,
        &money,
    );
    Ok(RenderedEmail {
        subject,
        text,
        html,
    })
}

fn not_an_order_email(name: &'static str) -> NotificationsError {
    NotificationsError::render(
        name,
        "template",
        "is an account email: render it from a customer payload",
    )
}

/// Where the account links of emails lead on the storefront. The verify and reset pages
/// read `?token=`; `/account/reset` without a token is the form that asks for a link.
pub const VERIFY_PATH: &str = "/account/verify";
pub const RESET_PATH: &str = "/account/reset";
pub const SIGN_IN_PATH: &str = "/account/login";

/// `{storefront_url}{path}`, with `?token=` (percent-encoded) when a token is given.
pub fn account_link(shop: &ShopDetails, path: &str, token: Option<&str>) -> String {
    let base = shop.storefront_url.trim_end_matches('/');
    match token {
        Some(token) => format!("{base}{path}?token={}", percent_encode(token)),
        None => format!("{base}{path}"),
    }
}

/// An RFC 3339 UTC time as people read it (`2026-11-22 06:00 UTC`); anything else as
/// given.
fn readable_time(rfc3339: &str) -> String {
    let t = rfc3339.trim();
    let shaped = t.len() >= 17
        && t.is_char_boundary(16)
        && t.as_bytes().get(10) == Some(&b'T')
        && t.ends_with('Z');
    if shaped {
        format!("{} {} UTC", &t[..10], &t[11..16])
    } else {
        t.to_owned()
    }
}

/// What an account email says, before it is laid out as text and HTML.
struct AccountEmail {
    subject: String,
    headline: String,
    /// Paragraphs before the button, as (text, html).
    before: Vec<(String, String)>,
    /// The button: its label and link.
    action: Option<(&'static str, String)>,
    /// Paragraphs after the button, as (text, html).
    after: Vec<(String, String)>,
}

/// Renders an account `template` for a `customer.*` payload.
///
/// Errors: `Render` naming the payload field the template needs and the event lacks:
/// `email` (or `old_email` for `email_changed`), `token` for the two link emails.
pub fn render_account(
    template: Template,
    payload: &CustomerPayload,
    shop: &ShopDetails,
) -> Result<RenderedEmail> {
    let name = template.as_str();
    let shop_name = shop.shop_name.as_str();
    let required = |field: &'static str, value: Option<&str>| {
        value
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                NotificationsError::render(name, field, format!("is required for {name} emails"))
            })
    };
    let when = |time: &Option<String>| non_empty(time).map(readable_time);
    let reset_request = account_link(shop, RESET_PATH, None);
    let email = match template {
        Template::VerifyEmail => {
            let to = required("email", Some(&payload.email))?;
            let token = required("token", payload.token.as_deref())?;
            let link = account_link(shop, VERIFY_PATH, Some(&token));
            let (subject, headline, opening) = match payload.reason.as_deref() {
                Some("email_changed") => (
                    format!("Confirm your new email address for {shop_name}"),
                    "Confirm your new email address".to_owned(),
                    format!("Your {shop_name} account now uses {to}. Please confirm that this address is yours."),
                ),
                Some("requested") => (
                    format!("Confirm your email address for {shop_name}"),
                    "Confirm your email address".to_owned(),
                    format!("Here is the new link you asked for to confirm {to}."),
                ),
                _ => (
                    format!("Confirm your email address for {shop_name}"),
                    format!("Welcome to {shop_name}"),
                    format!("Thank you for creating an account. Please confirm that {to} is your email address."),
                ),
            };
            let mut after = Vec::new();
            if let Some(until) = when(&payload.expires_at) {
                after.push(plain(format!("The link works once, until {until}.")));
            }
            after.push(plain(
                "If this was not you, ignore this email: the address stays unconfirmed.".to_owned(),
            ));
            AccountEmail {
                subject,
                headline,
                before: vec![plain(opening)],
                action: Some(("Confirm your email address", link)),
                after,
            }
        }
        Template::PasswordReset => {
            let to = required("email", Some(&payload.email))?;
            let token = required("token", payload.token.as_deref())?;
            let link = account_link(shop, RESET_PATH, Some(&token));
            let mut after = Vec::new();
            let works = match when(&payload.expires_at) {
                Some(until) => format!("The link works once, until {until}."),
                None => "The link works once.".to_owned(),
            };
            after.push(plain(format!(
                "{works} Choosing a new password signs you out on every device."
            )));
            after.push(plain(
                "If you did not ask for this, ignore this email: your password stays as it is."
                    .to_owned(),
            ));
            AccountEmail {
                subject: format!("Reset your password for {shop_name}"),
                headline: "Reset your password".to_owned(),
                before: vec![plain(format!(
                    "We received a request to reset the password of the {shop_name} account for {to}."
                ))],
                action: Some(("Choose a new password", link)),
                after,
            }
        }
        Template::RegistrationAttempted => {
            let to = required("email", Some(&payload.email))?;
            AccountEmail {
                subject: format!("Someone tried to register with your email at {shop_name}"),
                headline: "You already have an account".to_owned(),
                before: vec![plain(format!(
                    "Someone, perhaps you, just tried to create a new {shop_name} account with {to}. This address already has an account, so nothing was changed."
                ))],
                action: Some(("Sign in", account_link(shop, SIGN_IN_PATH, None))),
                after: vec![
                    (
                        format!("If it was you, sign in with your password. Forgot it? Reset it here: {reset_request}"),
                        format!(
                            "If it was you, sign in with your password. Forgot it? <a href=\"{}\">Reset your password</a>.",
                            escape(&reset_request)
                        ),
                    ),
                    plain(
                        "If it was not you, you can ignore this email: nobody got into your account."
                            .to_owned(),
                    ),
                ],
            }
        }
        Template::PasswordChanged => {
            let to = required("email", Some(&payload.email))?;
            let on = when(&payload.changed_at)
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
            let what = match payload.via.as_deref() {
                Some("reset") => format!(
                    "The password of your {shop_name} account ({to}) was reset{on} with a link sent to this address."
                ),
                _ => format!("The password of your {shop_name} account ({to}) was changed{on}."),
            };
            AccountEmail {
                subject: format!("Your {shop_name} password was changed"),
                headline: "Your password was changed".to_owned(),
                before: vec![
                    plain(what),
                    plain("If you made this change, there is nothing more to do. If you did not, reset your password now: that signs out everyone using your account.".to_owned()),
                ],
                action: Some(("Reset your password", reset_request)),
                after: Vec::new(),
            }
        }
        Template::EmailChanged => {
            let old = required("old_email", payload.old_email.as_deref())?;
            let on = when(&payload.changed_at)
                .map(|t| format!(" on {t}"))
                .unwrap_or_default();
            let what = match non_empty(&payload.new_email) {
                Some(new) => format!(
                    "The email address of your {shop_name} account was changed from {old} to {new}{on}. Emails about your account now go to the new address."
                ),
                None => format!(
                    "The email address of your {shop_name} account was changed from {old} to another address{on}."
                ),
            };
            AccountEmail {
                subject: format!("Your {shop_name} email address was changed"),
                headline: "Your email address was changed".to_owned(),
                before: vec![
                    plain(what),
                    plain("If you made this change, there is nothing more to do. If you did not, reply to this email right away so that we can secure your account.".to_owned()),
                ],
                action: None,
                after: Vec::new(),
            }
        }
        Template::OrderConfirmation
        | Template::PaymentReceived
        | Template::OrderShipped
        | Template::RefundIssued
        | Template::OrderCancelled
        | Template::MerchantNewOrder => {
            return Err(NotificationsError::render(
                name,
                "template",
                "is an order email: render it from an order payload",
            ))
        }
    };
    let greeting = match non_empty(&payload.first_name) {
        Some(first) => format!("Hi {first},"),
        None => "Hello,".to_owned(),
    };
    Ok(RenderedEmail {
        text: account_text(shop, &greeting, &email),
        html: account_html(shop, &greeting, &email),
        subject: email.subject,
    })
}

fn account_text(shop: &ShopDetails, greeting: &str, email: &AccountEmail) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n\n{}\n\n{greeting}\n",
        shop.shop_name, email.headline
    );
    for (text, _) in &email.before {
        let _ = writeln!(out, "{text}\n");
    }
    if let Some((label, link)) = &email.action {
        let _ = writeln!(out, "{label}: {link}\n");
    }
    for (text, _) in &email.after {
        let _ = writeln!(out, "{text}\n");
    }
    let _ = writeln!(out, "{}", shop.shop_name);
    out
}

fn account_html(shop: &ShopDetails, greeting: &str, email: &AccountEmail) -> String {
    let shop_name = escape(&shop.shop_name);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; color: #222;\">\n\
         <p style=\"font-size: 1.2em; font-weight: bold;\">{shop_name}</p>\n<h1>{title}</h1>\n\
         <p>{greeting}</p>\n",
        title = escape(&email.headline),
        greeting = escape(greeting),
    );
    for (_, html) in &email.before {
        let _ = writeln!(out, "<p>{html}</p>");
    }
    if let Some((label, link)) = &email.action {
        let link = escape(link);
        let _ = writeln!(
            out,
            "<p><a href=\"{link}\" style=\"display: inline-block; padding: 0.6em 1.2em; background: #222; color: #fff; text-decoration: none;\">{label}</a></p>\n\
             <p><small>If the button does not work, copy this address into your browser: {link}</small></p>",
            label = escape(label),
        );
    }
    for (_, html) in &email.after {
        let _ = writeln!(out, "<p>{html}</p>");
    }
    let _ = write!(out, "<p>{shop_name}</p>\n</body></html>\n");
    out
}

/// A paragraph with the same words in both bodies (escaped for HTML).
fn plain(text: String) -> (String, String) {
    let html = escape(&text);
    (text, html)
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The labelled totals lines of the order summary.
fn totals(payload: &OrderPayload, money: &dyn Fn(i64) -> String) -> Vec<(String, String)> {
    let order = &payload.order;
    let mut rows = vec![("Subtotal".to_owned(), money(order.subtotal))];
    if order.discount_total != 0 {
        rows.push(("Discount".to_owned(), money(-order.discount_total.abs())));
    }
    let shipping_label = match non_empty(&order.shipping_method) {
        Some(method) => format!("Shipping ({method})"),
        None => "Shipping".to_owned(),
    };
    rows.push((shipping_label, money(order.shipping_total)));
    if order.tax_total != 0 {
        let label = if order.tax_inclusive {
            "Tax (included)"
        } else {
            "Tax"
        };
        rows.push((label.to_owned(), money(order.tax_total)));
    }
    rows.push(("Total".to_owned(), money(order.total)));
    rows
}

fn line_label(line: &OrderLine) -> String {
    match non_empty(&line.variant_title) {
        Some(variant) => format!("{} ({variant})", line.title),
        None => line.title.clone(),
    }
}

fn render_text(
    shop: &ShopDetails,
    headline: &str,
    paragraphs: &[(String, String)],
    lines: &[OrderLine],
    totals: &[(String, String)],
    link: &str,
    money: &dyn Fn(i64) -> String,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n\n{headline}\n", shop.shop_name);
    for (text, _) in paragraphs {
        let _ = writeln!(out, "{text}\n");
    }
    if !lines.is_empty() {
        out.push_str("Items:\n");
        for line in lines {
            let _ = writeln!(
                out,
                "- {} x {}: {}",
                line_label(line),
                line.quantity,
                money(line.line_total)
            );
        }
        out.push('\n');
    }
    for (label, amount) in totals {
        let _ = writeln!(out, "{label}: {amount}");
    }
    let _ = writeln!(out, "\nView your order: {link}\n\n{}", shop.shop_name);
    out
}

fn render_html(
    shop: &ShopDetails,
    headline: &str,
    paragraphs: &[(String, String)],
    lines: &[OrderLine],
    totals: &[(String, String)],
    link: &str,
    money: &dyn Fn(i64) -> String,
) -> String {
    let shop_name = escape(&shop.shop_name);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: sans-serif; color: #222;\">\n\
         <p style=\"font-size: 1.2em; font-weight: bold;\">{shop_name}</p>\n<h1>{title}</h1>\n",
        title = escape(headline),
    );
    for (_, html) in paragraphs {
        let _ = writeln!(out, "<p>{html}</p>");
    }
    out.push_str("<table style=\"border-collapse: collapse;\">\n");
    if !lines.is_empty() {
        out.push_str("<tr><th align=\"left\">Item</th><th align=\"right\">Qty</th><th align=\"right\">Total</th></tr>\n");
        for line in lines {
            let variant = match non_empty(&line.variant_title) {
                Some(v) => format!("<br><small>{}</small>", escape(v)),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}{variant}</td><td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
                escape(&line.title),
                line.quantity,
                escape(&money(line.line_total)),
            );
        }
    }
    for (label, amount) in totals {
        let _ = writeln!(
            out,
            "<tr><td colspan=\"2\">{}</td><td align=\"right\">{}</td></tr>",
            escape(label),
            escape(amount)
        );
    }
    let _ = write!(
        out,
        "</table>\n<p><a href=\"{}\">View your order</a></p>\n<p>{shop_name}</p>\n</body></html>\n",
        escape(link)
    );
    out
}

/// `{storefront_url}/orders/{order_id}?token={access_token}`, with both parts
/// percent-encoded so an odd id or token cannot change the URL's shape.
pub fn order_link(shop: &ShopDetails, order_id: &str, access_token: &str) -> String {
    format!(
        "{}/orders/{}?token={}",
        shop.storefront_url.trim_end_matches('/'),
        percent_encode(order_id),
        percent_encode(access_token)
    )
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Minor units as a customer reads them: `€45.00`, `$45.00`, `£45.00`, `¥4500`, and
/// `45.00 XYZ` for currencies without a well-known symbol. The number of decimals
/// follows the currency (none for JPY, three for KWD).
pub fn format_money(amount: i64, currency: Currency) -> String {
    let digits = currency.minor_unit_digits();
    let sign = if amount < 0 { "-" } else { "" };
    let magnitude = amount.unsigned_abs();
    let number = if digits == 0 {
        magnitude.to_string()
    } else {
        let scale = 10_u64.pow(digits);
        format!(
            "{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = digits as usize
        )
    };
    let symbol = match currency.as_str() {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    };
    match symbol {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{Fulfillment, Order, Refund};

    fn shop() -> ShopDetails {
        ShopDetails {
            shop_name: "Linen & Co".into(),
            storefront_url: "https://shop.example/".into(),
        }
    }

    fn order_payload(currency: &str) -> OrderPayload {
        OrderPayload {
            order: Order {
                id: "ord_01".into(),
                number: "1001".into(),
                email: "ada@example.com".into(),
                status: "paid".into(),
                currency: currency.into(),
                lines: vec![
                    OrderLine {
                        title: "Linen Shirt".into(),
                        variant_title: Some("M / Blue".into()),
                        sku: Some("LS-M-BLU".into()),
                        quantity: 2,
                        unit_price: 4500,
                        line_total: 9000,
                    },
                    OrderLine {
                        title: "Socks".into(),
                        variant_title: None,
                        sku: None,
                        quantity: 1,
                        unit_price: 500,
                        line_total: 500,
                    },
                ],
                subtotal: 9500,
                discount_total: 900,
                shipping_total: 495,
                tax_total: 1426,
                total: 9095,
                tax_inclusive: true,
                shipping_method: Some("Standard".into()),
                access_token: "tok_abc".into(),
                ..Order::default()
            },
            ..OrderPayload::default()
        }
    }

    fn rendered(template: Template, payload: &OrderPayload) -> RenderedEmail {
        render(template, payload, &shop()).unwrap_or_else(|e| panic!("render {template}: {e}"))
    }

    #[test]
    fn order_confirmation_names_the_order_its_lines_totals_and_link() {
        let email = rendered(Template::OrderConfirmation, &order_payload("EUR"));
        assert_eq!(email.subject, "Order #1001 confirmed");
        for body in [&email.text, &email.html] {
            assert!(body.contains("1001"), "{body}");
            assert!(body.contains("Linen Shirt"), "{body}");
            assert!(body.contains("M / Blue"), "{body}");
            assert!(body.contains("€90.00"), "line total: {body}");
            assert!(body.contains("€5.00"), "second line: {body}");
            assert!(body.contains("€95.00"), "subtotal: {body}");
            assert!(body.contains("-€9.00"), "discount: {body}");
            assert!(body.contains("€4.95"), "shipping: {body}");
            assert!(body.contains("€14.26"), "tax: {body}");
            assert!(body.contains("€90.95"), "total: {body}");
        }
        assert!(
            email.text.contains("Linen Shirt (M / Blue) x 2: €90.00"),
            "{}",
            email.text
        );
        assert!(email.text.contains("Total: €90.95"), "{}", email.text);
        assert!(email.text.contains("Linen & Co"), "shop name in text");
        assert!(
            email.html.contains("Linen &amp; Co"),
            "shop name escaped in html"
        );
        assert!(email
            .text
            .contains("https://shop.example/orders/ord_01?token=tok_abc"));
        assert!(email
            .html
            .contains("href=\"https://shop.example/orders/ord_01?token=tok_abc\""));
    }

    #[test]
    fn payment_received_states_the_amount_paid() {
        let email = rendered(Template::PaymentReceived, &order_payload("USD"));
        assert_eq!(email.subject, "Payment received for order #1001");
        assert!(email.text.contains("payment of $90.95"), "{}", email.text);
        assert!(email.html.contains("$90.95"));
        assert!(email.text.contains("Socks x 1: $5.00"), "{}", email.text);
    }

    #[test]
    fn order_shipped_shows_carrier_tracking_number_and_tracking_link() {
        let mut payload = order_payload("EUR");
        payload.fulfillment = Some(Fulfillment {
            carrier: Some("DHL".into()),
            tracking_number: Some("JD0123".into()),
            tracking_url: Some("https://track.example/JD0123?a=1&b=2".into()),
        });
        let email = rendered(Template::OrderShipped, &payload);
        assert_eq!(email.subject, "Order #1001 has shipped");
        assert!(email.text.contains("Carrier: DHL"));
        assert!(email.text.contains("Tracking number: JD0123"));
        assert!(email
            .text
            .contains("Track your parcel: https://track.example/JD0123?a=1&b=2"));
        assert!(
            email.html.contains(
                "<a href=\"https://track.example/JD0123?a=1&amp;b=2\">Track your parcel</a>"
            ),
            "{}",
            email.html
        );
    }

    #[test]
    fn order_shipped_without_a_tracking_url_has_no_tracking_link() {
        let mut payload = order_payload("EUR");
        payload.fulfillment = Some(Fulfillment {
            carrier: Some("Post".into()),
            tracking_number: None,
            tracking_url: None,
        });
        let email = rendered(Template::OrderShipped, &payload);
        assert!(email.text.contains("Carrier: Post"));
        assert!(!email.text.contains("Track your parcel"));
        assert!(!email.html.contains("Track your parcel"));
    }

    #[test]
    fn a_tracking_url_that_is_not_http_is_never_a_link() {
        let mut payload = order_payload("EUR");
        payload.fulfillment = Some(Fulfillment {
            tracking_url: Some("javascript:alert(1)".into()),
            ..Fulfillment::default()
        });
        let email = rendered(Template::OrderShipped, &payload);
        assert!(!email.html.contains("href=\"javascript"), "{}", email.html);
    }

    #[test]
    fn order_shipped_requires_the_fulfillment() {
        let err = render(Template::OrderShipped, &order_payload("EUR"), &shop());
        assert!(
            matches!(
                err,
                Err(NotificationsError::Render {
                    field: "fulfillment",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn refund_issued_shows_the_amount_refunded_and_the_total_refunded() {
        let mut payload = order_payload("EUR");
        payload.refund = Some(Refund {
            amount: 1000,
            total_refunded: 2500,
        });
        let email = rendered(Template::RefundIssued, &payload);
        assert_eq!(email.subject, "Refund issued for order #1001");
        assert!(
            email.text.contains("We have refunded €10.00"),
            "{}",
            email.text
        );
        assert!(email.text.contains("Total refunded for this order: €25.00"));
        assert!(email.html.contains("€10.00") && email.html.contains("€25.00"));
    }

    #[test]
    fn refund_issued_requires_the_refund() {
        let err = render(Template::RefundIssued, &order_payload("EUR"), &shop());
        assert!(matches!(
            err,
            Err(NotificationsError::Render {
                field: "refund",
                ..
            })
        ));
    }

    #[test]
    fn user_text_is_escaped_in_the_html_body() {
        let mut payload = order_payload("EUR");
        payload.order.lines[0].title = "<script>alert('x')</script> Shirt".into();
        payload.order.lines[0].variant_title = Some("\"><img src=x>".into());
        payload.fulfillment = Some(Fulfillment {
            carrier: Some("<b>DHL</b>".into()),
            ..Fulfillment::default()
        });
        for template in Template::ALL {
            if template == Template::RefundIssued || template.is_account() {
                continue;
            }
            let email = rendered(template, &payload);
            assert!(
                !email.html.contains("<script>"),
                "{template}: {}",
                email.html
            );
            assert!(!email.html.contains("<img"), "{template}");
            assert!(!email.html.contains("<b>DHL"), "{template}");
            assert!(
                email
                    .html
                    .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Shirt"),
                "{template}: {}",
                email.html
            );
            // The plain-text body keeps the title as the customer typed it.
            assert!(email.text.contains("<script>alert('x')</script> Shirt"));
        }
    }

    #[test]
    fn the_order_link_encodes_the_token() {
        let link = order_link(&shop(), "ord_1", "a b&c=d");
        assert_eq!(
            link,
            "https://shop.example/orders/ord_1?token=a%20b%26c%3Dd"
        );
    }

    #[test]
    fn money_is_formatted_with_the_currency_and_its_decimals() {
        let c = |code: &str| Currency::parse(code).unwrap_or(Currency::EUR);
        assert_eq!(format_money(4500, c("EUR")), "€45.00");
        assert_eq!(format_money(4500, c("USD")), "$45.00");
        assert_eq!(format_money(4505, c("GBP")), "£45.05");
        assert_eq!(format_money(4500, c("XYZ")), "45.00 XYZ");
        assert_eq!(format_money(7, c("CHF")), "0.07 CHF");
        assert_eq!(format_money(-900, c("EUR")), "-€9.00");
        assert_eq!(format_money(4500, c("JPY")), "¥4500");
        assert_eq!(format_money(4500, c("KRW")), "4500 KRW");
        assert_eq!(format_money(12345, c("KWD")), "12.345 KWD");
        assert_eq!(format_money(i64::MIN, c("USD")), "-$92233720368547758.08");
    }

    #[test]
    fn yen_orders_render_without_decimals() {
        let mut payload = order_payload("JPY");
        payload.order.lines.truncate(1);
        payload.order.lines[0].line_total = 9000;
        payload.order.total = 9495;
        let email = rendered(Template::OrderConfirmation, &payload);
        assert!(
            email.text.contains("Linen Shirt (M / Blue) x 2: ¥9000"),
            "{}",
            email.text
        );
        assert!(email.text.contains("Total: ¥9495"), "{}", email.text);
        assert!(!email.text.contains("¥90.00"));
    }

    #[test]
    fn a_bad_currency_is_a_render_error_naming_the_field() {
        let err = render(Template::OrderConfirmation, &order_payload("EURO"), &shop());
        assert!(matches!(
            err,
            Err(NotificationsError::Render {
                field: "order.currency",
                ..
            })
        ));
    }

    fn customer_payload() -> CustomerPayload {
        CustomerPayload {
            customer_id: "cus_01".into(),
            email: "ada@example.com".into(),
            first_name: Some("Ada".into()),
            token: Some("Tok-en_123".into()),
            expires_at: Some("2026-11-24T06:00:00.123Z".into()),
            reason: Some("registration".into()),
            old_email: Some("old@example.com".into()),
            new_email: Some("ada@example.com".into()),
            via: Some("change".into()),
            attempted_at: Some("2026-11-22T06:00:00Z".into()),
            changed_at: Some("2026-11-22T06:00:00Z".into()),
        }
    }

    fn account(template: Template, payload: &CustomerPayload) -> RenderedEmail {
        render_account(template, payload, &shop())
            .unwrap_or_else(|e| panic!("render {template}: {e}"))
    }

    const ACCOUNT_TEMPLATES: [Template; 5] = [
        Template::VerifyEmail,
        Template::PasswordReset,
        Template::RegistrationAttempted,
        Template::PasswordChanged,
        Template::EmailChanged,
    ];

    #[test]
    fn the_verification_email_links_to_the_verify_page_with_the_token() {
        let email = account(Template::VerifyEmail, &customer_payload());
        assert_eq!(email.subject, "Confirm your email address for Linen & Co");
        let link = "https://shop.example/account/verify?token=Tok-en_123";
        assert!(email.text.contains(link), "{}", email.text);
        assert!(
            email.html.contains(&format!("href=\"{link}\"")),
            "{}",
            email.html
        );
        for body in [&email.text, &email.html] {
            assert!(body.contains("Hi Ada,"), "{body}");
            assert!(body.contains("ada@example.com"), "{body}");
            assert!(body.contains("until 2026-11-24 06:00 UTC"), "{body}");
        }
        assert!(
            email.text.contains("Welcome to Linen & Co"),
            "{}",
            email.text
        );
        assert!(email.html.contains("Linen &amp; Co"), "{}", email.html);
    }

    #[test]
    fn a_verification_after_an_email_change_says_so() {
        let mut payload = customer_payload();
        payload.reason = Some("email_changed".into());
        let email = account(Template::VerifyEmail, &payload);
        assert_eq!(
            email.subject,
            "Confirm your new email address for Linen & Co"
        );
        assert!(
            email.text.contains("now uses ada@example.com"),
            "{}",
            email.text
        );
    }

    #[test]
    fn the_reset_email_links_to_the_reset_page_with_the_encoded_token() {
        let mut payload = customer_payload();
        payload.token = Some("a b&c".into());
        let email = account(Template::PasswordReset, &payload);
        assert_eq!(email.subject, "Reset your password for Linen & Co");
        assert!(
            email
                .text
                .contains("https://shop.example/account/reset?token=a%20b%26c"),
            "{}",
            email.text
        );
        assert!(email.text.contains("your password stays as it is"));
    }

    #[test]
    fn the_registration_attempt_notice_offers_sign_in_and_reset_and_carries_no_token() {
        let email = account(Template::RegistrationAttempted, &customer_payload());
        assert_eq!(
            email.subject,
            "Someone tried to register with your email at Linen & Co"
        );
        for body in [&email.text, &email.html] {
            assert!(
                body.contains("https://shop.example/account/login"),
                "{body}"
            );
            assert!(
                body.contains("https://shop.example/account/reset"),
                "{body}"
            );
            assert!(!body.contains("token="), "{body}");
            assert!(!body.contains("Tok-en_123"), "{body}");
        }
        assert!(email.text.contains("sign in with your password"));
    }

    #[test]
    fn the_email_change_notice_goes_to_the_old_address_and_names_both() {
        assert_eq!(
            Template::EmailChanged.recipient(),
            Recipient::PreviousAddress
        );
        let email = account(Template::EmailChanged, &customer_payload());
        assert_eq!(email.subject, "Your Linen & Co email address was changed");
        assert!(
            email
                .text
                .contains("from old@example.com to ada@example.com on 2026-11-22 06:00 UTC"),
            "{}",
            email.text
        );
        assert!(email.text.contains("reply to this email"));
    }

    #[test]
    fn the_password_change_notice_says_how_it_was_changed() {
        let changed = account(Template::PasswordChanged, &customer_payload());
        assert_eq!(changed.subject, "Your Linen & Co password was changed");
        assert!(changed.text.contains("was changed on 2026-11-22 06:00 UTC"));
        assert!(changed.text.contains("https://shop.example/account/reset"));
        let mut payload = customer_payload();
        payload.via = Some("reset".into());
        let reset = account(Template::PasswordChanged, &payload);
        assert!(reset.text.contains("with a link sent to this address"));
    }

    #[test]
    fn customer_text_is_escaped_in_account_emails() {
        let mut payload = customer_payload();
        payload.first_name = Some("<script>alert('x')</script>".into());
        payload.email = "\"><img src=x>@example.com".into();
        payload.old_email = Some("<b>old</b>@example.com".into());
        payload.new_email = Some("<i>new</i>@example.com".into());
        payload.token = Some("\"><script>".into());
        for template in ACCOUNT_TEMPLATES {
            let email = account(template, &payload);
            for bad in ["<script>", "<img", "<b>old", "<i>new"] {
                assert!(!email.html.contains(bad), "{template}: {}", email.html);
            }
            assert!(
                email
                    .html
                    .contains("Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;,"),
                "{template}: {}",
                email.html
            );
            // The plain-text body keeps the name as the customer typed it.
            assert!(email.text.contains("Hi <script>alert('x')</script>,"));
        }
    }

    #[test]
    fn without_a_first_name_the_greeting_is_plain() {
        let mut payload = customer_payload();
        payload.first_name = Some("  ".into());
        let email = account(Template::PasswordReset, &payload);
        assert!(email.text.contains("Hello,"), "{}", email.text);
    }

    #[test]
    fn an_account_email_without_what_it_needs_is_a_render_error_naming_the_field() {
        let mut payload = customer_payload();
        payload.token = None;
        for template in [Template::VerifyEmail, Template::PasswordReset] {
            let err = render_account(template, &payload, &shop());
            assert!(
                matches!(err, Err(NotificationsError::Render { field: "token", .. })),
                "{template}: {err:?}"
            );
        }
        payload.old_email = None;
        let err = render_account(Template::EmailChanged, &payload, &shop());
        assert!(matches!(
            err,
            Err(NotificationsError::Render {
                field: "old_email",
                ..
            })
        ));
        payload.email = String::new();
        let err = render_account(Template::RegistrationAttempted, &payload, &shop());
        assert!(matches!(
            err,
            Err(NotificationsError::Render { field: "email", .. })
        ));
    }

    #[test]
    fn order_and_account_templates_only_render_from_their_own_payload() {
        let mut order = order_payload("EUR");
        order.fulfillment = Some(Fulfillment::default());
        order.refund = Some(Refund {
            amount: 100,
            total_refunded: 100,
        });
        for template in Template::ALL {
            let as_order = render(template, &order, &shop());
            let as_account = render_account(template, &customer_payload(), &shop());
            assert_eq!(template.is_account(), as_order.is_err(), "{template}");
            assert_eq!(template.is_account(), as_account.is_ok(), "{template}");
        }
    }

    #[test]
    fn the_payload_debug_never_shows_the_token() {
        let shown = format!("{:?}", customer_payload());
        assert!(!shown.contains("Tok-en_123"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn times_read_as_utc_minutes_and_odd_ones_as_given() {
        assert_eq!(
            readable_time("2026-11-22T06:05:59Z"),
            "2026-11-22 06:05 UTC"
        );
        assert_eq!(
            readable_time("2026-11-22T06:05:59.999Z"),
            "2026-11-22 06:05 UTC"
        );
        assert_eq!(readable_time("tomorrow"), "tomorrow");
        assert_eq!(
            readable_time("2026-11-22T06:05:59+02:00"),
            "2026-11-22T06:05:59+02:00"
        );
    }

    #[test]
    fn customer_topics_map_to_one_account_template_each() {
        assert_eq!(Template::for_account_event("customer.registered"), None);
        assert!(!Template::wanted("customer.registered"));
        for (topic, template) in [
            ("customer.verification_requested", Template::VerifyEmail),
            ("customer.password_reset_requested", Template::PasswordReset),
            (
                "customer.registration_attempted_existing",
                Template::RegistrationAttempted,
            ),
            ("customer.password_changed", Template::PasswordChanged),
            ("customer.email_changed", Template::EmailChanged),
        ] {
            assert_eq!(
                Template::for_account_event(topic),
                Some(template),
                "{topic}"
            );
            assert!(Template::wanted(topic), "{topic}");
            assert!(template.is_account(), "{topic}");
        }
    }

    #[test]
    fn topics_map_to_templates_and_names_round_trip() {
        let payload = OrderPayload::default();
        assert!(Template::for_event("order.placed", &payload).is_empty());
        assert_eq!(
            Template::for_event("order.confirmed", &payload),
            [Template::OrderConfirmation, Template::MerchantNewOrder]
        );
        assert_eq!(
            Template::for_event("order.fulfilled", &payload),
            [Template::OrderShipped]
        );
        assert_eq!(
            Template::for_event("order.refunded", &payload),
            [Template::RefundIssued]
        );
        assert!(
            Template::for_event("order.cancelled", &payload).is_empty(),
            "an order never confirmed gets no cancellation"
        );
        for t in Template::ALL {
            assert_eq!(Template::parse(t.as_str()).ok(), Some(t));
        }
        assert!(Template::parse("welcome").is_err());
    }
}
