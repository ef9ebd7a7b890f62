//! Carts and their lines: creation in a region, adding and changing lines (with the
//! price snapshot and the stock check), discount codes on a cart, and the cart view with
//! its totals.

use emporium_kernel::{
    clock::now_ms,
    db::{Conn, Database},
    id::{new_id, CartId, CustomerId, LineId, OrderId, ProductId, VariantId},
    money::Currency,
};

use crate::{
    discount::{normalize_code, rule_for},
    error::CartError,
    recent::Taken,
    store::{
        self,
        cart::{CartRow, LineRow},
        region::ShippingOptionRow,
    },
    totals::{compute_totals, ShippingRule, TaxRule},
    Address, Cart, CartDiscount, CartLine, CartRegion, CartShipping, Carts, Discount, Freshness,
    Region, Result, ShippingQuote, Shopper, SignInCart, VariantSnapshot,
};

/// The default region for carts that name none.
pub(crate) const DEFAULT_REGION: &str = "reg_eu";
/// Per line, after merging.
pub(crate) const MAX_QUANTITY: i64 = 99;
/// Distinct lines per cart.
pub(crate) const MAX_LINES: usize = 50;
/// Carts idle this long may be purged.
pub(crate) const IDLE_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub(crate) async fn create(
    carts: &Carts,
    shopper: &Shopper,
    region_id: Option<&str>,
    currency: Option<Currency>,
) -> Result<Cart> {
    // Regions are read before the write, which is the insert alone.
    let db = &carts.db;
    let region = db
        .read(async |conn| region_for_new_cart(carts, conn, region_id, currency).await)
        .await?;
    if let Some(currency) = currency.filter(|c| *c != region.currency) {
        return Err(CartError::invalid(
            "currency",
            format!(
                "region `{}` sells in {}, not {currency}: leave out the currency or pick another region",
                region.id, region.currency
            ),
        ));
    }
    let now = now_ms();
    let row = CartRow {
        customer_id: shopper.customer_id().map(|c| c.to_string()),
        ..CartRow::open(
            CartId::new().into(),
            region.id.clone(),
            region.currency.to_string(),
            now,
            now + IDLE_MS,
        )
    };
    let inserted = row.clone();
    db.write(async move |conn| store::cart::insert(conn, &inserted).await)
        .await?;
    remember_currency(carts, &row.id, region.currency);
    remember_lines(carts, &row, &[]);
    let region_id = region.id.clone();
    let cart = render(&row, Vec::new(), &Definitions::of_new_cart(region))?;
    tracing::info!(cart_id = %cart.id, %region_id, "cart created");
    Ok(cart)
}

/// The region a new cart goes to (see [`Carts::create_cart`]).
async fn region_for_new_cart(
    carts: &Carts,
    conn: &mut Conn<'_>,
    region_id: Option<&str>,
    currency: Option<Currency>,
) -> Result<Region> {
    match (region_id, currency) {
        (Some(id), _) => {
            carts
                .regions
                .find(conn, id)
                .await?
                .ok_or_else(|| CartError::RegionNotFound {
                    region_id: id.to_owned(),
                })
        }
        (None, Some(currency)) => store::region::by_currency(conn, currency.as_str())
            .await?
            .ok_or_else(|| CartError::UnsupportedCurrency {
                currency: currency.to_string(),
            }),
        (None, None) => carts
            .regions
            .find(conn, DEFAULT_REGION)
            .await?
            .ok_or_else(|| CartError::RegionNotFound {
                region_id: DEFAULT_REGION.to_owned(),
            }),
    }
}

pub(crate) async fn get(carts: &Carts, shopper: &Shopper, cart_id: &str) -> Result<Cart> {
    carts
        .db
        .read(async |conn| {
            let row = find(conn, cart_id, shopper).await?;
            view(carts, conn, &row).await
        })
        .await
}

/// The cart, if `shopper` may reach it. Errors: `CartNotFound`.
pub(crate) async fn find(conn: &mut Conn<'_>, cart_id: &str, shopper: &Shopper) -> Result<CartRow> {
    let row = store::cart::find(conn, cart_id)
        .await?
        .ok_or_else(|| CartError::CartNotFound {
            cart_id: cart_id.to_owned(),
        })?;
    ensure_reachable(&row, shopper)?;
    Ok(row)
}

/// A guest cart answers to whoever holds its id; a customer's cart only to that
/// customer's session, and to anyone else exactly as a cart that does not exist (its id
/// is not confirmed).
pub(crate) fn ensure_reachable(row: &CartRow, shopper: &Shopper) -> Result<()> {
    match (&row.customer_id, shopper.customer_id()) {
        (None, _) => Ok(()),
        (Some(owner), Some(asking)) if owner == asking.as_str() => Ok(()),
        _ => Err(CartError::CartNotFound {
            cart_id: row.id.clone(),
        }),
    }
}

/// Refuses changes to a completed cart.
pub(crate) fn ensure_open(row: &CartRow) -> Result<()> {
    match (&row.completed_at, &row.order_id) {
        (Some(_), order_id) => Err(CartError::CartCompleted {
            order_id: order_id.clone().unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}

/// Starts a change to an open cart inside a write: records the activity (which locks the
/// cart row) and returns the cart as it now is.
pub(crate) async fn lock_open(
    conn: &mut Conn<'_>,
    cart_id: &str,
    shopper: &Shopper,
) -> Result<CartRow> {
    let now = now_ms();
    if let Some(row) = store::cart::touch_open(conn, cart_id, None, now, now + IDLE_MS).await? {
        // An error here rolls the touch back with the rest of the write.
        ensure_reachable(&row, shopper)?;
        return Ok(row);
    }
    let row = find(conn, cart_id, shopper).await?;
    ensure_open(&row)?;
    Ok(row)
}

/// An open cart, its lines and its definitions, read before a change takes the write
/// lock. Errors: `CartNotFound`, `CartCompleted`.
pub(crate) async fn read_for_change(
    carts: &Carts,
    cart_id: &str,
    shopper: &Shopper,
) -> Result<(CartRow, Vec<LineRow>, Definitions)> {
    let found = carts
        .db
        .read(async |conn| store::cart::find_with_lines(conn, cart_id).await)
        .await?;
    let (row, lines) = found.ok_or_else(|| CartError::CartNotFound {
        cart_id: cart_id.to_owned(),
    })?;
    ensure_reachable(&row, shopper)?;
    ensure_open(&row)?;
    remember_currency(carts, &row.id, cart_currency(&row)?);
    let defs = Definitions::of_cart(carts, &row).await?;
    Ok((row, lines, defs))
}

/// Notes a cart's currency, which never changes (see `Carts::currencies`).
fn remember_currency(carts: &Carts, cart_id: &str, currency: Currency) {
    let stamp = carts.currencies.stamp();
    carts.currencies.put(stamp, cart_id.to_owned(), currency);
}

/// Notes the lines of a cart this process just changed, with the version the change left
/// the cart at (see `Carts::lines`).
pub(crate) fn remember_lines(carts: &Carts, row: &CartRow, lines: &[LineRow]) {
    carts.lines.remember(row, lines, &Taken::default());
}

/// [`lock_open`] for a change that read the cart's version and lines before its write,
/// or took them from `Carts::lines`: when the cart is still at that version, what was
/// read still holds and the lines are not read again; otherwise they are read again
/// here, under the lock. That is rare; the lines are read (or remembered) before rather
/// than here because every other write to the cart (on SQLite: every other write) waits
/// for this one.
pub(crate) async fn lock_unchanged(
    conn: &mut Conn<'_>,
    cart_id: &str,
    (version, lines): (i64, Vec<LineRow>),
    shopper: &Shopper,
) -> Result<(CartRow, Vec<LineRow>)> {
    let now = now_ms();
    if let Some(row) =
        store::cart::touch_open(conn, cart_id, Some(version), now, now + IDLE_MS).await?
    {
        ensure_reachable(&row, shopper)?;
        return Ok((row, lines));
    }
    let row = lock_open(conn, cart_id, shopper).await?;
    let lines = store::cart::lines(conn, &row.id).await?;
    Ok((row, lines))
}

pub(crate) fn cart_currency(row: &CartRow) -> Result<Currency> {
    store::parse_currency(&row.currency)
}

/// The carts of a shopper who just signed in as `customer`, holding the guest cart
/// `guest` (see [`Carts::sign_in`]).
pub(crate) async fn sign_in(
    carts: &Carts,
    customer: &CustomerId,
    guest: Option<&CartId>,
) -> Result<SignInCart> {
    let (own, brought) = carts
        .db
        .read(async |conn| {
            let own = store::cart::open_of_customer(conn, customer.as_str()).await?;
            let brought = match guest {
                Some(id) => store::cart::find_with_lines(conn, id.as_str()).await?,
                None => None,
            };
            Ok::<_, CartError>((own, brought))
        })
        .await?;
    let parse = |id: &str| CartId::parse(id).map_err(|_| store::corrupt("id", id));
    let kept = |own: Option<CartRow>| -> Result<SignInCart> {
        own.map_or(Ok(SignInCart::None), |row| {
            Ok(SignInCart::Kept(parse(&row.id)?))
        })
    };
    // Only an open guest cart comes along; a completed one, or another customer's, is
    // ignored (the latter exactly as if it did not exist).
    let Some((guest_row, guest_lines)) = brought.filter(|(row, _)| row.completed_at.is_none())
    else {
        return kept(own);
    };
    match guest_row.customer_id.as_deref() {
        Some(owner) if owner == customer.as_str() => {
            return Ok(SignInCart::Kept(parse(&guest_row.id)?))
        }
        Some(_) => return kept(own),
        None => {}
    }
    let Some(own) = own else {
        let (id, owner) = (guest_row.id.clone(), customer.to_string());
        let adopted = carts
            .db
            .write(async move |conn| store::cart::adopt(conn, &id, &owner).await)
            .await?;
        // Forget what this process remembers of the cart: its version moved on.
        carts.lines.take(&guest_row.id);
        tracing::info!(cart_id = %guest_row.id, customer_id = %customer, adopted, "guest cart adopted at sign-in");
        return if adopted {
            Ok(SignInCart::Adopted(parse(&guest_row.id)?))
        } else {
            kept(None)
        };
    };
    // The guest cart is deleted first, in its own write: of two sign-ins racing with the
    // same guest cart, only the one that deleted it carries its lines over.
    let id = guest_row.id.clone();
    let claimed = carts
        .db
        .write(async move |conn| store::cart::delete_open(conn, &id).await)
        .await?;
    carts.lines.take(&guest_row.id);
    let own_id = parse(&own.id)?;
    if !claimed {
        return Ok(SignInCart::Kept(own_id));
    }
    let shopper = Shopper::Customer(customer.clone());
    let mut cart = get(carts, &shopper, &own.id).await?;
    let mut skipped = Vec::new();
    for line in &guest_lines {
        let variant_id = VariantId::parse(&line.variant_id)
            .map_err(|_| store::corrupt("cart_lines.variant_id", &line.variant_id))?;
        let has = cart
            .lines
            .iter()
            .find(|l| l.variant_id == variant_id)
            .map_or(0, |l| l.quantity);
        let wanted = has.saturating_add(line.quantity).min(MAX_QUANTITY);
        let mut adding = wanted - has;
        let mut outcome = Err(CartError::quantity("nothing to add"));
        while adding > 0 {
            outcome = add_line(carts, &shopper, &own.id, &variant_id, adding).await;
            match &outcome {
                // Capped by the stock: add what there is.
                Err(CartError::InsufficientStock { available, .. }) if *available > has => {
                    adding = (*available - has).min(adding - 1);
                }
                _ => break,
            }
        }
        match outcome {
            Ok(merged) => {
                if has + line.quantity
                    > merged
                        .lines
                        .iter()
                        .find(|l| l.variant_id == variant_id)
                        .map_or(0, |l| l.quantity)
                {
                    skipped.push(variant_id.clone());
                }
                cart = merged;
            }
            Err(why) => {
                tracing::info!(cart_id = %own.id, %variant_id, reason = %why, "guest cart line not merged");
                skipped.push(variant_id);
            }
        }
    }
    if let (None, Some(code)) = (&own.discount_code, &guest_row.discount_code) {
        // The guest's code comes along when it applies to the merged cart.
        if let Err(why) = apply_discount(carts, &shopper, &own.id, code).await {
            tracing::info!(cart_id = %own.id, reason = %why, "guest cart discount not carried over");
        }
    }
    tracing::info!(
        cart_id = %own.id,
        guest_cart_id = %guest_row.id,
        customer_id = %customer,
        lines = guest_lines.len(),
        skipped = skipped.len(),
        "guest cart merged at sign-in"
    );
    Ok(SignInCart::Merged {
        cart_id: own_id,
        skipped,
    })
}

fn check_quantity(quantity: i64) -> Result<()> {
    if quantity < 1 {
        return Err(CartError::quantity(
            "give at least 1 (to take a line out of the cart, remove it)",
        ));
    }
    if quantity > MAX_QUANTITY {
        return Err(CartError::quantity(format!(
            "at most {MAX_QUANTITY} of one item per cart"
        )));
    }
    Ok(())
}

impl Carts {
    async fn available(&self, variant_id: &VariantId) -> Result<i64> {
        Ok(self.stock.available(variant_id).await?)
    }
}

/// What an add to cart puts in: a variant as looked up, at its current price.
struct Addition {
    cart_id: String,
    /// The id asked for, which keys the line, so repeated adds always find it.
    variant_id: String,
    quantity: i64,
    available: i64,
    unit_price: i64,
    variant: VariantSnapshot,
}

impl Addition {
    /// `quantity` of a variant as the catalog and inventory recently knew it, for a cart
    /// in `currency`, priced for `shopper`. Errors: `VariantNotFound`, `PriceMissing`,
    /// `Lookup`.
    async fn look_up(
        carts: &Carts,
        shopper: &Shopper,
        cart_id: &str,
        variant_id: &VariantId,
        quantity: i64,
        currency: Currency,
    ) -> Result<Self> {
        let variant = carts
            .variants
            .variant(
                variant_id,
                currency,
                Freshness::Recent,
                shopper.customer_id(),
            )
            .await?
            .ok_or_else(|| CartError::VariantNotFound {
                variant_id: variant_id.to_string(),
            })?;
        let unit_price = variant.unit_price.ok_or_else(|| CartError::PriceMissing {
            variant_id: variant_id.to_string(),
            currency: currency.to_string(),
        })?;
        Ok(Addition {
            cart_id: cart_id.to_owned(),
            variant_id: variant_id.to_string(),
            quantity,
            available: carts.available(variant_id).await?,
            unit_price,
            variant,
        })
    }

    /// The line this addition makes of `lines` (the cart's as they now are), and the
    /// index of the line it replaces (`None`: a new line). Errors: the line would pass
    /// the quantity cap or the stock, or the cart is full.
    fn plan(&self, lines: &[LineRow], now: i64) -> Result<(LineRow, Option<usize>)> {
        let existing = lines.iter().position(|l| l.variant_id == self.variant_id);
        let merged = existing
            .map_or(0, |i| lines[i].quantity)
            .saturating_add(self.quantity);
        if merged > MAX_QUANTITY {
            return Err(CartError::quantity(format!(
                "at most {MAX_QUANTITY} of one item per cart; the cart already has {}",
                merged - self.quantity
            )));
        }
        if merged > self.available {
            return Err(CartError::InsufficientStock {
                variant_id: self.variant_id.clone(),
                requested: merged,
                available: self.available,
            });
        }
        if existing.is_none() && lines.len() >= MAX_LINES {
            return Err(CartError::TooManyLines { max: MAX_LINES });
        }
        let v = &self.variant;
        // A repeated add refreshes the snapshot: the shopper just saw the current price.
        let line = LineRow {
            id: existing.map_or_else(|| new_id("cali"), |i| lines[i].id.clone()),
            cart_id: self.cart_id.clone(),
            variant_id: self.variant_id.clone(),
            product_id: v.product_id.to_string(),
            product_handle: v.product_handle.clone(),
            title: v.product_title.clone(),
            variant_title: v.variant_title.clone(),
            sku: v.sku.clone(),
            image_url: v.image_url.clone(),
            unit_price: self.unit_price,
            quantity: merged,
            created_at: existing.map_or(now, |i| lines[i].created_at),
            updated_at: now,
        };
        Ok((line, existing))
    }
}

/// Puts `line` in `lines` at `existing` (or at the end).
fn place(lines: &mut Vec<LineRow>, line: LineRow, existing: Option<usize>) {
    match existing {
        Some(i) => lines[i] = line,
        None => lines.push(line),
    }
}

pub(crate) async fn add_line(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
    variant_id: &VariantId,
    quantity: i64,
) -> Result<Cart> {
    check_quantity(quantity)?;
    // The variant and its stock come from the catalog's and inventory's memos, and the
    // cart's lines (with the version they belong to) from `Carts::lines` or, when not
    // remembered, from a read here, beside the cart's currency (to price the variant
    // in). The write then only checks the cart is still at that version (and reads the
    // lines again in the rare case it is not) and writes the line: on SQLite every other
    // write waits for it, on PostgreSQL it holds the cart's row lock.
    let (known, taken) = carts.lines.take(cart_id).unzip();
    let (currency, known) = match (carts.currencies.get(cart_id), known) {
        (Some(currency), Some(known)) => (currency, known),
        _ => {
            let (row, lines) = carts
                .db
                .read(async |conn| store::cart::find_with_lines(conn, cart_id).await)
                .await?
                .ok_or_else(|| CartError::CartNotFound {
                    cart_id: cart_id.to_owned(),
                })?;
            ensure_reachable(&row, shopper)?;
            ensure_open(&row)?;
            let currency = cart_currency(&row)?;
            remember_currency(carts, cart_id, currency);
            (currency, (row.version, lines))
        }
    };
    let addition =
        Addition::look_up(carts, shopper, cart_id, variant_id, quantity, currency).await?;
    let id = cart_id.to_owned();
    let asking = shopper.clone();
    let (row, lines, quantity) = carts
        .db
        .write(async move |conn| add(conn, &id, known, addition, &asking).await)
        .await?;
    // The snapshots of the lines taken save looking them up again (see `Taken`).
    let taken = taken.unwrap_or_default();
    carts.lines.remember(&row, &lines, &taken);
    let defs = Definitions::of_cart(carts, &row).await?;
    let cart = render(&row, lines, &defs)?;
    tracing::info!(cart_id, %variant_id, quantity, "cart line added");
    Ok(cart)
}

/// An add to cart inside its write: the cart as it now is (touched), its lines and the
/// added line's new quantity. `known`: the cart's version and lines as last remembered
/// or read.
async fn add(
    conn: &mut Conn<'_>,
    cart_id: &str,
    known: (i64, Vec<LineRow>),
    addition: Addition,
    shopper: &Shopper,
) -> Result<(CartRow, Vec<LineRow>, i64)> {
    let (row, mut lines) = lock_unchanged(conn, cart_id, known, shopper).await?;
    let (line, existing) = addition.plan(&lines, now_ms())?;
    match existing {
        Some(_) => store::cart::update_line(conn, &line).await?,
        None => store::cart::insert_line(conn, &line).await?,
    }
    let quantity = line.quantity;
    place(&mut lines, line, existing);
    Ok((row, lines, quantity))
}

pub(crate) async fn update_line(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
    line_id: &str,
    quantity: i64,
) -> Result<Cart> {
    check_quantity(quantity)?;
    let (row, lines, defs) = read_for_change(carts, cart_id, shopper).await?;
    let stored = lines
        .iter()
        .find(|l| l.id == line_id)
        .map(|l| l.variant_id.as_str())
        .ok_or_else(|| CartError::LineNotFound {
            line_id: line_id.to_owned(),
        })?;
    let variant_id =
        VariantId::parse(stored).map_err(|_| store::corrupt("cart_lines.variant_id", stored))?;
    let available = carts.available(&variant_id).await?;
    if quantity > available {
        return Err(CartError::InsufficientStock {
            variant_id: variant_id.to_string(),
            requested: quantity,
            available,
        });
    }

    let known = (row.version, lines);
    let (id, line, asking) = (cart_id.to_owned(), line_id.to_owned(), shopper.clone());
    let (row, lines) = carts
        .db
        .write(async move |conn| {
            let (row, mut lines) = lock_unchanged(conn, &id, known, &asking).await?;
            store::cart::update_line(conn, set_quantity(&mut lines, &line, quantity)?).await?;
            Ok::<_, CartError>((row, lines))
        })
        .await?;
    remember_lines(carts, &row, &lines);
    let defs = defs.refresh_unless_fits(carts, &row).await?;
    let cart = render(&row, lines, &defs)?;
    tracing::info!(cart_id, line_id, quantity, "cart line quantity changed");
    Ok(cart)
}

/// Sets the quantity of line `line_id` among `lines` (the cart's as they now are).
fn set_quantity<'a>(lines: &'a mut [LineRow], line_id: &str, quantity: i64) -> Result<&'a LineRow> {
    let line =
        lines
            .iter_mut()
            .find(|l| l.id == line_id)
            .ok_or_else(|| CartError::LineNotFound {
                line_id: line_id.to_owned(),
            })?;
    line.quantity = quantity;
    line.updated_at = now_ms();
    Ok(line)
}

pub(crate) async fn remove_line(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
    line_id: &str,
) -> Result<Cart> {
    let (row, lines, defs) = read_for_change(carts, cart_id, shopper).await?;
    let line_gone = |line_id: &str| CartError::LineNotFound {
        line_id: line_id.to_owned(),
    };
    let known = (row.version, lines);
    let (id, line, asking) = (cart_id.to_owned(), line_id.to_owned(), shopper.clone());
    let (row, mut lines) = carts
        .db
        .write(async move |conn| {
            let (row, lines) = lock_unchanged(conn, &id, known, &asking).await?;
            if !store::cart::delete_line(conn, &id, &line).await? {
                return Err(line_gone(&line));
            }
            Ok((row, lines))
        })
        .await?;
    lines.retain(|l| l.id != line_id);
    remember_lines(carts, &row, &lines);
    let defs = defs.refresh_unless_fits(carts, &row).await?;
    let cart = render(&row, lines, &defs)?;
    tracing::info!(cart_id, line_id, "cart line removed");
    Ok(cart)
}

pub(crate) async fn apply_discount(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
    code: &str,
) -> Result<Cart> {
    let code = normalize_code(code);
    let (id, wanted, asking) = (cart_id.to_owned(), code.clone(), shopper.clone());
    let (row, lines) = carts
        .db
        .write(async move |conn| {
            let mut row = lock_open(conn, &id, &asking).await?;
            let discount = store::discount::by_code(conn, &wanted)
                .await?
                .ok_or(CartError::DiscountNotFound { code: wanted })?;
            let lines = store::cart::lines(conn, &id).await?;
            let subtotal = subtotal(&lines)?;
            rule_for(&discount, now_ms(), subtotal, cart_currency(&row)?)?;
            store::cart::set_discount(conn, &id, Some(&discount.code)).await?;
            row.discount_code = Some(discount.code);
            Ok::<_, CartError>((row, lines))
        })
        .await?;
    let cart = answer(carts, &row, lines).await?;
    tracing::info!(cart_id, code = %code, "discount applied to cart");
    Ok(cart)
}

pub(crate) async fn remove_discount(
    carts: &Carts,
    shopper: &Shopper,
    cart_id: &str,
) -> Result<Cart> {
    let (id, asking) = (cart_id.to_owned(), shopper.clone());
    let (row, lines) = carts
        .db
        .write(async move |conn| {
            let mut row = lock_open(conn, &id, &asking).await?;
            store::cart::set_discount(conn, &id, None).await?;
            row.discount_code = None;
            let lines = store::cart::lines(conn, &id).await?;
            Ok::<_, CartError>((row, lines))
        })
        .await?;
    let cart = answer(carts, &row, lines).await?;
    tracing::info!(cart_id, "discount removed from cart");
    Ok(cart)
}

/// The view of a cart a change of its row (not its lines) just left at `row`, with
/// `lines` read in that change; remembers the lines for the next add.
async fn answer(carts: &Carts, row: &CartRow, lines: Vec<LineRow>) -> Result<Cart> {
    remember_lines(carts, row, &lines);
    let defs = Definitions::of_cart(carts, row).await?;
    render(row, lines, &defs)
}

pub(crate) async fn shipping_options(
    db: &Database,
    shopper: &Shopper,
    cart_id: &str,
) -> Result<Vec<ShippingQuote>> {
    let (lines, options) = db
        .read(async |conn| {
            let row = find(conn, cart_id, shopper).await?;
            let lines = store::cart::lines(conn, cart_id).await?;
            let options = store::region::shipping_options(conn, &row.region_id).await?;
            Ok::<_, CartError>((lines, options))
        })
        .await?;
    let subtotal = subtotal(&lines)?;
    Ok(options
        .into_iter()
        .map(|o| {
            let rule = ShippingRule {
                amount: o.amount,
                free_above: o.free_above,
            };
            ShippingQuote {
                id: o.id,
                name: o.name,
                amount: rule.amount_for(subtotal),
                free_above: o.free_above,
            }
        })
        .collect())
}

pub(crate) async fn purge_idle(db: &Database, now: i64) -> Result<u64> {
    let purged = db
        .write(async move |conn| store::cart::purge_expired(conn, now).await)
        .await?;
    tracing::info!(purged, "idle carts purged");
    Ok(purged)
}

fn subtotal(lines: &[LineRow]) -> Result<i64> {
    let pairs: Vec<(i64, i64)> = lines.iter().map(|l| (l.unit_price, l.quantity)).collect();
    subtotal_of(&pairs)
}

/// Σ unit_price × quantity, overflow checked (by the one totals function).
pub(crate) fn subtotal_of(pairs: &[(i64, i64)]) -> Result<i64> {
    Ok(compute_totals(
        pairs,
        None,
        None,
        TaxRule {
            rate_bp: 0,
            inclusive: false,
        },
    )?
    .subtotal)
}

/// The region's tax as it applies to goods shipped to `country` (the shipping address's,
/// when the shopper gave one).
pub(crate) fn tax_rule(region: &Region, country: Option<&str>) -> TaxRule {
    TaxRule {
        rate_bp: region.tax_rate_for(country),
        inclusive: region.tax_inclusive,
    }
}

pub(crate) fn parse_address(field: &str, json: Option<&str>) -> Result<Option<Address>> {
    json.map(|text| serde_json::from_str(text).map_err(|_| store::corrupt(field, text)))
        .transpose()
}

/// What a cart view reads besides the cart's own rows: its region and the discount
/// code and shipping option it names. Loaded before a change's write, and read again
/// after it only when a concurrent change named other ones meanwhile.
pub(crate) struct Definitions {
    region: Region,
    discount_code: Option<String>,
    /// `None` with a code: the code no longer exists.
    discount: Option<Discount>,
    shipping_option_id: Option<String>,
    shipping: Option<ShippingOptionRow>,
}

impl Definitions {
    pub(crate) async fn load(carts: &Carts, conn: &mut Conn<'_>, row: &CartRow) -> Result<Self> {
        let region = carts
            .regions
            .find(conn, &row.region_id)
            .await?
            .ok_or_else(|| store::corrupt("region_id", &row.region_id))?;
        let discount = match &row.discount_code {
            Some(code) => store::discount::by_code(conn, code).await?,
            None => None,
        };
        let shipping = match &row.shipping_option_id {
            Some(id) => store::region::shipping_option(conn, id).await?,
            None => None,
        };
        Ok(Definitions {
            region,
            discount_code: row.discount_code.clone(),
            discount,
            shipping_option_id: row.shipping_option_id.clone(),
            shipping,
        })
    }

    /// [`Definitions::load`] in a read of its own, made only when something is not in
    /// memory (the region is usually kept; a discount or shipping option is read).
    pub(crate) async fn of_cart(carts: &Carts, row: &CartRow) -> Result<Self> {
        if row.discount_code.is_none() && row.shipping_option_id.is_none() {
            if let Some(region) = carts.regions.fresh(&row.region_id) {
                return Ok(Definitions::of_new_cart(region));
            }
        }
        carts
            .db
            .read(async |conn| Definitions::load(carts, conn, row).await)
            .await
    }

    /// These definitions if they are the ones `row` names, else [`Definitions::of_cart`].
    pub(crate) async fn refresh_unless_fits(self, carts: &Carts, row: &CartRow) -> Result<Self> {
        if self.fits(row) {
            Ok(self)
        } else {
            Definitions::of_cart(carts, row).await
        }
    }

    pub(crate) fn region(&self) -> &Region {
        &self.region
    }

    /// These definitions with `shipping` as the cart's shipping option (being chosen).
    pub(crate) fn with_shipping(self, shipping: ShippingOptionRow) -> Self {
        Definitions {
            shipping_option_id: Some(shipping.id.clone()),
            shipping: Some(shipping),
            ..self
        }
    }

    /// A new cart's (or any cart's without discount and shipping option): its region.
    fn of_new_cart(region: Region) -> Self {
        Definitions {
            region,
            discount_code: None,
            discount: None,
            shipping_option_id: None,
            shipping: None,
        }
    }

    fn fits(&self, row: &CartRow) -> bool {
        self.region.id == row.region_id
            && self.discount_code == row.discount_code
            && self.shipping_option_id == row.shipping_option_id
    }
}

/// The cart view: lines at their snapshot prices, the discount if it still applies (a
/// note saying why not otherwise), the chosen shipping option and the totals.
pub(crate) async fn view(carts: &Carts, conn: &mut Conn<'_>, row: &CartRow) -> Result<Cart> {
    let lines = store::cart::lines(conn, &row.id).await?;
    let defs = Definitions::load(carts, conn, row).await?;
    render(row, lines, &defs)
}

/// The view of `row` with `lines` (in the order they were first added) and the
/// definitions the row names. Pure: every amount comes from [`compute_totals`].
pub(crate) fn render(row: &CartRow, mut lines: Vec<LineRow>, defs: &Definitions) -> Result<Cart> {
    lines.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let region = &defs.region;
    let currency = cart_currency(row)?;
    let pairs: Vec<(i64, i64)> = lines.iter().map(|l| (l.unit_price, l.quantity)).collect();
    let subtotal = subtotal(&lines)?;

    let (discount, rule) = match (&row.discount_code, &defs.discount) {
        (None, _) => (None, None),
        (Some(code), None) => (
            Some(CartDiscount {
                code: code.clone(),
                kind: String::new(),
                value: 0,
                note: Some(format!("discount code `{code}` no longer exists")),
            }),
            None,
        ),
        (Some(_), Some(d)) => {
            let (rule, note) = match rule_for(d, now_ms(), subtotal, currency) {
                Ok(rule) => (Some(rule), None),
                Err(why) => (None, Some(why.to_string())),
            };
            (
                Some(CartDiscount {
                    code: d.code.clone(),
                    kind: d.kind.name().to_owned(),
                    value: d.kind.value(),
                    note,
                }),
                rule,
            )
        }
    };

    let shipping = defs.shipping.as_ref();
    let shipping_rule = shipping.map(|o| ShippingRule {
        amount: o.amount,
        free_above: o.free_above,
    });
    let shipping_address = parse_address("shipping_address", row.shipping_address.as_deref())?;
    let tax = tax_rule(
        region,
        shipping_address.as_ref().map(|a| a.country.as_str()),
    );
    let totals = compute_totals(&pairs, rule.as_ref(), shipping_rule, tax)?;

    Ok(Cart {
        id: CartId::parse(&row.id).map_err(|_| store::corrupt("id", &row.id))?,
        customer_id: row
            .customer_id
            .as_deref()
            .map(|c| CustomerId::parse(c).map_err(|_| store::corrupt("customer_id", c)))
            .transpose()?,
        region: CartRegion {
            id: region.id.clone(),
            name: region.name.clone(),
            currency: region.currency,
            tax_rate_bp: tax.rate_bp,
            tax_inclusive: region.tax_inclusive,
            countries: region.countries.clone(),
        },
        currency,
        item_count: lines.iter().map(|l| l.quantity).sum(),
        lines: lines
            .into_iter()
            .map(|l| {
                Ok(CartLine {
                    line_total: l.unit_price.saturating_mul(l.quantity),
                    id: LineId::parse(&l.id).map_err(|_| store::corrupt("cart_lines.id", &l.id))?,
                    variant_id: VariantId::parse(&l.variant_id)
                        .map_err(|_| store::corrupt("cart_lines.variant_id", &l.variant_id))?,
                    product_id: ProductId::parse(&l.product_id)
                        .map_err(|_| store::corrupt("cart_lines.product_id", &l.product_id))?,
                    product_handle: l.product_handle,
                    title: l.title,
                    variant_title: l.variant_title,
                    sku: l.sku,
                    image_url: l.image_url,
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                })
            })
            .collect::<Result<_>>()?,
        discount,
        email: row
            .email
            .as_deref()
            .map(|e| crate::Email::parse("email", e).map_err(|_| store::corrupt("email", e)))
            .transpose()?,
        shipping_address,
        billing_address: parse_address("billing_address", row.billing_address.as_deref())?,
        shipping_option: shipping.map(|o| CartShipping {
            amount: totals.shipping_total,
            id: o.id.clone(),
            name: o.name.clone(),
        }),
        payment_method: row.payment_method.clone(),
        totals,
        completed_at: row.completed_at,
        order_id: row
            .order_id
            .as_deref()
            .map(|id| OrderId::parse(id).map_err(|_| store::corrupt("order_id", id)))
            .transpose()?,
        created_at: row.created_at,
        updated_at: row.updated_at,
        expires_at: row.expires_at,
    })
}
