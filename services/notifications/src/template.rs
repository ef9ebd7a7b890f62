//! Email templates as plain Rust functions: one plain-text and one HTML body per email,
//! built from the order event payload. Pure (no I/O, no clock), so every template is
//! unit-tested here. All text that came from users or merchants (product titles,
//! names, carrier names, tracking numbers) is HTML-escaped in the HTML body; links are
//! escaped as attribute values and tracking links are only linked when they are http(s).

use std::fmt::Write as _;

use emporium_kernel::money::Currency;

use crate::{
    error::{NotificationsError, Result},
    payload::{OrderLine, OrderPayload},
};

/// Which email an order event produces.
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
}

/// Who an email goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The order's email address.
    Customer,
    /// The shop's own address (`merchant_email` in the configuration).
    Merchant,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::OrderConfirmation,
        Template::PaymentReceived,
        Template::OrderShipped,
        Template::RefundIssued,
        Template::OrderCancelled,
        Template::MerchantNewOrder,
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
        }
    }

    pub fn recipient(self) -> Recipient {
        match self {
            Template::MerchantNewOrder => Recipient::Merchant,
            _ => Recipient::Customer,
        }
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
        )
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
            if template == Template::RefundIssued {
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
