//! Service views to wire types. The wire types live in the wasm-safe client crate, which
//! cannot depend on the services; this is the one place the two shapes meet.

use emporium_client::commerce::{
    self as w,
    admin::{Discount, StockLevel, StockMovement},
};
use emporium_kernel::clock::rfc3339;

pub fn region(r: emporium_cart::Region) -> w::Region {
    w::Region {
        id: r.id,
        name: r.name,
        currency: r.currency.to_string(),
        tax_rate_bp: r.tax_rate_bp,
        tax_inclusive: r.tax_inclusive,
        countries: r.countries,
        tax_rates: r
            .tax_rates
            .into_iter()
            .map(|t| w::CountryTaxRate {
                country: t.country,
                rate_bp: t.rate_bp,
            })
            .collect(),
    }
}

/// The kernel's address, which both the cart and orders carry.
pub fn address(a: emporium_kernel::contact::Address) -> w::Address {
    w::Address {
        name: a.name,
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        postal_code: a.postal_code,
        country: a.country,
        phone: a.phone,
    }
}

pub fn cart_address(a: w::Address) -> emporium_kernel::contact::Address {
    emporium_kernel::contact::Address {
        name: a.name,
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        postal_code: a.postal_code,
        country: a.country,
        phone: a.phone,
    }
}

fn totals(t: emporium_cart::Totals) -> w::Totals {
    w::Totals {
        subtotal: t.subtotal,
        discount_total: t.discount_total,
        shipping_total: t.shipping_total,
        tax_total: t.tax_total,
        total: t.total,
    }
}

pub fn shipping_option(o: emporium_cart::ShippingQuote) -> w::ShippingOption {
    w::ShippingOption {
        id: o.id,
        name: o.name,
        amount: o.amount,
        free_above: o.free_above,
    }
}

pub fn cart(c: emporium_cart::Cart) -> w::Cart {
    w::Cart {
        id: c.id.into(),
        region: w::Region {
            id: c.region.id,
            name: c.region.name,
            currency: c.region.currency.to_string(),
            tax_rate_bp: c.region.tax_rate_bp,
            tax_inclusive: c.region.tax_inclusive,
            countries: c.region.countries,
            // The cart's region carries the one rate that applies to it.
            tax_rates: Vec::new(),
        },
        currency: c.currency.to_string(),
        lines: c
            .lines
            .into_iter()
            .map(|l| w::CartLine {
                id: l.id.into(),
                variant_id: l.variant_id.into(),
                product_id: l.product_id.into(),
                product_handle: l.product_handle,
                title: l.title,
                variant_title: l.variant_title,
                sku: l.sku,
                image_url: l.image_url,
                unit_price: l.unit_price,
                quantity: l.quantity,
                line_total: l.line_total,
            })
            .collect(),
        item_count: c.item_count,
        discount: c.discount.map(|d| w::AppliedDiscount {
            code: d.code,
            kind: d.kind,
            value: d.value,
            note: d.note,
        }),
        email: c.email.map(String::from),
        shipping_address: c.shipping_address.map(address),
        billing_address: c.billing_address.map(address),
        shipping_option: c.shipping_option.map(|s| w::ShippingOption {
            id: s.id,
            name: s.name,
            amount: s.amount,
            free_above: None,
        }),
        payment_method: c.payment_method,
        totals: totals(c.totals),
        completed_at: c.completed_at.map(rfc3339),
        order_id: c.order_id.map(String::from),
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
    }
}

pub fn order(o: emporium_checkout::Order) -> w::Order {
    w::Order {
        id: o.id.into(),
        number: o.number,
        status: o.status.as_str().to_owned(),
        email: o.email.to_string(),
        currency: o.currency.to_string(),
        lines: o
            .lines
            .into_iter()
            .map(|l| w::OrderLine {
                variant_id: l.variant_id.into(),
                product_id: l.product_id.into(),
                title: l.title,
                variant_title: l.variant_title,
                sku: l.sku,
                quantity: l.quantity,
                unit_price: l.unit_price,
                line_total: l.line_total,
            })
            .collect(),
        totals: w::Totals {
            subtotal: o.subtotal,
            discount_total: o.discount_total,
            shipping_total: o.shipping_total,
            tax_total: o.tax_total,
            total: o.total,
        },
        tax_inclusive: o.tax_inclusive,
        refunded_total: o.refunded_total,
        shipping_address: address(o.shipping_address),
        billing_address: address(o.billing_address),
        shipping_method: o.shipping_method,
        payment_provider: o.payment_provider,
        discount_code: o.discount_code,
        fulfillments: o
            .fulfillments
            .into_iter()
            .map(|f| w::Fulfillment {
                id: f.id,
                carrier: f.carrier,
                tracking_number: f.tracking_number,
                tracking_url: f.tracking_url,
                created_at: rfc3339(f.created_at),
            })
            .collect(),
        cancel_reason: o.cancel_reason,
        needs_attention: o.needs_attention,
        created_at: rfc3339(o.created_at),
        updated_at: rfc3339(o.updated_at),
        paid_at: o.paid_at.map(rfc3339),
        payment_error: o.payment_error,
    }
}

pub fn stock_level(l: emporium_inventory::StockLevel) -> StockLevel {
    StockLevel {
        variant_id: l.variant_id.into(),
        location_id: l.location_id,
        on_hand: l.on_hand,
        reserved: l.reserved,
        available: l.available,
    }
}

pub fn stock_movement(m: emporium_inventory::Movement) -> StockMovement {
    StockMovement {
        id: m.id.into(),
        variant_id: m.variant_id.into(),
        delta: m.delta,
        on_hand_after: m.on_hand,
        reason: m.reason,
        reference: m.reference.map(String::from),
        actor: m.actor,
        created_at: rfc3339(m.created_at),
    }
}

pub fn discount(d: emporium_cart::Discount) -> Discount {
    let (kind, value, currency) = match d.kind {
        emporium_cart::DiscountKind::Percentage { rate_bp } => ("percentage", rate_bp, None),
        emporium_cart::DiscountKind::Fixed { amount, currency } => {
            ("fixed", amount, Some(currency.to_string()))
        }
    };
    Discount {
        id: d.id,
        code: d.code,
        kind: kind.to_owned(),
        value,
        currency,
        min_subtotal: d.min_subtotal,
        starts_at: d.starts_at.map(rfc3339),
        ends_at: d.ends_at.map(rfc3339),
        usage_limit: d.usage_limit,
        used_count: d.used_count,
    }
}

pub fn customer(c: emporium_accounts::Customer) -> emporium_client::accounts::Customer {
    emporium_client::accounts::Customer {
        email_verified: c.email_verified(),
        id: c.id.into(),
        email: c.email.into(),
        email_verified_at: c.email_verified_at.map(rfc3339),
        first_name: c.first_name,
        last_name: c.last_name,
        phone: c.phone,
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
    }
}

pub fn customer_group(
    g: emporium_accounts::CustomerGroup,
) -> emporium_client::accounts::admin::CustomerGroup {
    emporium_client::accounts::admin::CustomerGroup {
        id: g.id.into(),
        name: g.name,
        member_count: g.member_count,
        created_at: rfc3339(g.created_at),
        updated_at: rfc3339(g.updated_at),
    }
}

pub fn saved_address(
    a: emporium_accounts::SavedAddress,
) -> emporium_client::accounts::SavedAddress {
    emporium_client::accounts::SavedAddress {
        id: a.id.into(),
        label: a.label,
        address: address(a.address),
        default_shipping: a.default_shipping,
        default_billing: a.default_billing,
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
    }
}
