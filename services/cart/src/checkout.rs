//! The cart's side of checkout: the shopper's details, the re-priced snapshot the
//! checkout service places an order from, and completion (which redeems the discount).

use emporium_kernel::{
    clock::now_ms,
    db::{Conn, Database, DbError},
    id::{CartId, CustomerId, OrderId, VariantId},
    sql,
};

use crate::{
    cart::{self, cart_currency, ensure_open, parse_address, tax_rule},
    discount::rule_for,
    error::CartError,
    store::{self, cart::DetailsRow},
    totals::{compute_totals, ShippingRule},
    Address, Cart, Carts, CheckoutDetails, CheckoutSnapshot, Email, Freshness, Result, Shopper,
    SnapshotLine,
};

const MAX_PAYMENT_METHOD: usize = 32;

fn validate_payment_method(method: &str) -> Result<String> {
    let ok = !method.is_empty()
        && method.len() <= MAX_PAYMENT_METHOD
        && method.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !ok {
        return Err(CartError::invalid(
            "payment_method",
            "give a payment method name of a-z and _, e.g. manual or stripe",
        ));
    }
    Ok(method.to_owned())
}

fn to_json(address: &Address) -> Result<String> {
    serde_json::to_string(address)
        .map_err(|e| CartError::Database(DbError::Encode(format!("address: {e}"))))
}

pub(crate) async fn set_details(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
    details: CheckoutDetails,
) -> Result<Cart> {
    let email = details.email.to_string();
    // Read and validate everything before the write (a cart's region never changes), so
    // the write is the cart row alone unless the cart changed meanwhile.
    let (row, lines, defs) = cart::read_for_change(carts, cart_id, shopper).await?;
    let option = carts
        .db
        .read(async |conn| store::region::shipping_option(conn, &details.shipping_option_id).await)
        .await?;
    let region = defs.region();
    let shipping = Address::parse(
        "shipping_address",
        &details.shipping_address,
        Some(&region.countries),
    )?;
    let billing = details
        .billing_address
        .as_ref()
        .map(|a| Address::parse("billing_address", a, None))
        .transpose()?;
    let option = match option {
        Some(o) if o.region_id == region.id => o,
        _ => {
            return Err(CartError::invalid(
                "shipping_option_id",
                format!(
                    "`{}` is not a shipping option of region `{}`: pick one from the cart's shipping options",
                    details.shipping_option_id, region.id
                ),
            ))
        }
    };
    let payment_method = validate_payment_method(&details.payment_method)?;
    let shipping_json = to_json(&shipping)?;
    let billing_json = billing.as_ref().map(to_json).transpose()?;

    let known = (row.version, lines);
    let (id, asking) = (cart_id.to_owned(), shopper.clone());
    let (email_set, shipping_set, billing_set) =
        (email.clone(), shipping_json.clone(), billing_json.clone());
    let (option_set, payment_set) = (details.shipping_option_id.clone(), payment_method.clone());
    let (mut row, lines) = carts
        .db
        .write(async move |conn| {
            let (row, lines) = cart::lock_unchanged(conn, &id, known, &asking).await?;
            let set = DetailsRow {
                email: &email_set,
                shipping_address: &shipping_set,
                billing_address: billing_set.as_deref(),
                shipping_option_id: &option_set,
                payment_method: &payment_set,
            };
            store::cart::set_details(conn, &id, &set).await?;
            Ok::<_, CartError>((row, lines))
        })
        .await?;
    row.email = Some(email);
    row.shipping_address = Some(shipping_json);
    row.billing_address = billing_json;
    row.shipping_option_id = Some(details.shipping_option_id);
    row.payment_method = Some(payment_method);
    cart::remember_lines(carts, &row, &lines);
    let defs = defs
        .with_shipping(option)
        .refresh_unless_fits(carts, &row)
        .await?;
    let cart = cart::render(&row, lines, &defs)?;
    tracing::info!(cart_id, "checkout details set");
    Ok(cart)
}

pub(crate) async fn snapshot(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
) -> Result<CheckoutSnapshot> {
    let (row, lines, region, option, discount) = carts
        .db
        .read(async |conn| {
            let row = cart::find(conn, cart_id, shopper).await?;
            let lines = store::cart::lines(conn, cart_id).await?;
            let region = carts
                .regions
                .find(conn, &row.region_id)
                .await?
                .ok_or_else(|| store::corrupt("region_id", &row.region_id))?;
            let option = match &row.shipping_option_id {
                Some(id) => store::region::shipping_option(conn, id).await?,
                None => None,
            };
            let discount = match &row.discount_code {
                Some(code) => store::discount::by_code(conn, code).await?,
                None => None,
            };
            Ok::<_, CartError>((row, lines, region, option, discount))
        })
        .await?;
    ensure_open(&row)?;
    if lines.is_empty() {
        return Err(CartError::CartEmpty);
    }
    let shipping_address = parse_address("shipping_address", row.shipping_address.as_deref())?;
    let billing_address = parse_address("billing_address", row.billing_address.as_deref())?;
    let mut missing = Vec::new();
    if row.email.is_none() {
        missing.push("email".to_owned());
    }
    if shipping_address.is_none() {
        missing.push("shipping_address".to_owned());
    }
    if option.is_none() {
        missing.push("shipping_option_id".to_owned());
    }
    if row.payment_method.is_none() {
        missing.push("payment_method".to_owned());
    }
    let (Some(email), Some(shipping_address), Some(option), Some(payment_method)) = (
        row.email.as_deref(),
        shipping_address,
        option,
        row.payment_method.clone(),
    ) else {
        return Err(CartError::CheckoutIncomplete { missing });
    };
    // Parsed when it was set; a stored value that no longer parses is corruption.
    let email = Email::parse("email", email).map_err(|_| store::corrupt("email", email))?;

    // Prices may have changed since the lines were added: the order uses today's.
    let currency = cart_currency(&row)?;
    let mut snapshot_lines = Vec::with_capacity(lines.len());
    for line in &lines {
        let variant_id = VariantId::parse(&line.variant_id)
            .map_err(|_| store::corrupt("cart_lines.variant_id", &line.variant_id))?;
        let variant = carts
            .variants
            .variant(
                &variant_id,
                currency,
                Freshness::Current,
                shopper.customer_id(),
            )
            .await?
            .ok_or_else(|| CartError::VariantNotFound {
                variant_id: line.variant_id.clone(),
            })?;
        let unit_price = variant.unit_price.ok_or_else(|| CartError::PriceMissing {
            variant_id: line.variant_id.clone(),
            currency: currency.to_string(),
        })?;
        snapshot_lines.push(SnapshotLine {
            variant_id,
            product_id: variant.product_id,
            title: variant.product_title,
            variant_title: variant.variant_title,
            sku: variant.sku,
            quantity: line.quantity,
            unit_price,
            line_total: unit_price
                .checked_mul(line.quantity)
                .ok_or(crate::totals::TotalsOverflow)?,
            price_changed: unit_price != line.unit_price,
        });
    }
    let pairs: Vec<(i64, i64)> = snapshot_lines
        .iter()
        .map(|l| (l.unit_price, l.quantity))
        .collect();
    let subtotal = cart::subtotal_of(&pairs)?;
    // A code that stopped applying since the shopper saw the cart (used up, expired,
    // deleted) is refused, not dropped: the order would cost more than the cart showed.
    // The error names the code, and the shopper removes it or places again.
    let (discount_code, rule) = match (&row.discount_code, discount) {
        (None, _) => (None, None),
        (Some(code), None) => {
            return Err(CartError::DiscountNotFound { code: code.clone() });
        }
        (Some(_), Some(d)) => {
            let rule = rule_for(&d, now_ms(), subtotal, currency)?;
            (Some(d.code), Some(rule))
        }
    };
    let totals = compute_totals(
        &pairs,
        rule.as_ref(),
        Some(ShippingRule {
            amount: option.amount,
            free_above: option.free_above,
        }),
        tax_rule(&region, Some(shipping_address.country.as_str())),
    )?;
    Ok(CheckoutSnapshot {
        cart_id: CartId::parse(&row.id).map_err(|_| store::corrupt("id", &row.id))?,
        customer_id: row
            .customer_id
            .as_deref()
            .map(|c| CustomerId::parse(c).map_err(|_| store::corrupt("customer_id", c)))
            .transpose()?,
        currency,
        region_id: region.id.clone(),
        tax_inclusive: region.tax_inclusive,
        email,
        billing_address: billing_address.unwrap_or_else(|| shipping_address.clone()),
        shipping_address,
        shipping_option_id: option.id,
        shipping_option_name: option.name,
        payment_method,
        discount_code,
        lines: snapshot_lines,
        totals,
    })
}

pub(crate) async fn mark_completed(db: &Database, cart_id: &str, order_id: &str) -> Result<()> {
    let (id, order, now) = (cart_id.to_owned(), order_id.to_owned(), now_ms());
    let completed = db
        .write(async move |conn| complete(conn, &id, &order, now).await)
        .await?;
    if let Some(discount_code) = completed {
        tracing::info!(cart_id, order_id, ?discount_code, "cart completed");
    }
    Ok(())
}

/// Completes the cart as `order_id`. `Some(code)` when this call completed it; `None`
/// when it already was, as this order (a retried saga step). The code's use was counted
/// when the order was written ([`redeem_discount_in`]).
async fn complete(
    conn: &mut Conn<'_>,
    cart_id: &str,
    order_id: &str,
    now: i64,
) -> Result<Option<Option<String>>> {
    let completed = conn
        .fetch_optional(&sql!(
            "UPDATE carts SET completed_at = $1, order_id = $2, updated_at = $1, \
               version = version + 1 \
             WHERE id = $3 AND completed_at IS NULL RETURNING discount_code",
            now,
            order_id,
            cart_id
        ))
        .await?;
    let Some(completed) = completed else {
        // Missing, or completed before (as this order is success, as another is not).
        let row = conn
            .fetch_optional(&sql!("SELECT order_id FROM carts WHERE id = $1", cart_id))
            .await?
            .ok_or_else(|| CartError::CartNotFound {
                cart_id: cart_id.to_owned(),
            })?;
        return match row.opt_text(0)? {
            Some(done) if done == order_id => Ok(None),
            other => Err(CartError::CartCompleted {
                order_id: other.unwrap_or_default(),
            }),
        };
    };
    Ok(Some(completed.opt_text(0)?))
}

/// Counts one use of discount `code` on `conn`, inside the caller's write: the checkout
/// service calls it in the write that inserts the order, so the use and the order commit
/// or roll back together, and a code whose last use went to another order stops the
/// placement before any stock is reserved or payment opened. `DiscountUsedUp` when the
/// limit is reached. A code deleted since it was applied was left out of the snapshot's
/// totals, so there is nothing to count.
pub async fn redeem_discount_in(conn: &mut Conn<'_>, code: &str) -> Result<()> {
    let redeemed = conn
        .execute(&sql!(
            "UPDATE discounts SET used_count = used_count + 1 \
             WHERE code = $1 AND (usage_limit IS NULL OR used_count < usage_limit)",
            code
        ))
        .await?;
    if redeemed == 0
        && conn
            .fetch_optional(&sql!("SELECT code FROM discounts WHERE code = $1", code))
            .await?
            .is_some()
    {
        tracing::info!(code, "discount used up at placement");
        return Err(CartError::DiscountUsedUp {
            code: code.to_owned(),
        });
    }
    Ok(())
}

/// Inside the caller's write that cancels an order before it was paid: gives back the
/// use of `code` that the order counted, and reopens the cart if `order_id` completed
/// it, so the shopper can place it again.
pub async fn release_order_in(
    conn: &mut Conn<'_>,
    cart_id: &CartId,
    order_id: &OrderId,
    code: Option<&str>,
) -> Result<()> {
    if let Some(code) = code {
        conn.execute(&sql!(
            "UPDATE discounts SET used_count = used_count - 1 WHERE code = $1 AND used_count > 0",
            code
        ))
        .await?;
    }
    let reopened = conn
        .execute(&sql!(
            "UPDATE carts SET completed_at = NULL, order_id = NULL, updated_at = $1, \
               version = version + 1 \
             WHERE id = $2 AND order_id = $3",
            now_ms(),
            cart_id,
            order_id
        ))
        .await?;
    if reopened == 1 {
        tracing::info!(%cart_id, %order_id, "cart reopened: its order was cancelled unpaid");
    }
    Ok(())
}
