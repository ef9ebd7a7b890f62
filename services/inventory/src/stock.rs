//! Stock levels and merchant adjustments: reads, `adjust_stock`, `set_stock`, the
//! movement log.

use emporium_kernel::{clock::now_ms, events, id::new_id};
use sqlx::AnyConnection;

use crate::{
    store, Inventory, InventoryError, Movement, Result, StockAdjustedEvent, StockLevel,
    DEFAULT_LOCATION,
};

/// Largest quantity one call may move. Far beyond any real stock, and it keeps every
/// sum in the database far from i64 overflow (which SQLite would turn into a float).
pub(crate) const MAX_QUANTITY: i64 = 1_000_000_000;

/// Longest movement page.
const MAX_MOVEMENTS: i64 = 500;

pub(crate) fn check_variant_id(field: &str, variant_id: &str) -> Result<()> {
    if variant_id.trim().is_empty() {
        return Err(InventoryError::invalid(
            field,
            "must not be empty: give a variant id (`var_…`)",
        ));
    }
    Ok(())
}

fn check_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(InventoryError::ReasonRequired);
    }
    Ok(reason)
}

pub(crate) async fn level(inv: &Inventory, variant_id: &str) -> Result<StockLevel> {
    // Asked on every add to cart: on SQLite without a hop to a connection thread.
    let found = match inv.db.lite() {
        Some(lite) => {
            lite.read(|conn| store::level::find_lite(conn, variant_id, DEFAULT_LOCATION))?
        }
        None => {
            let mut conn = inv.db.pool().acquire().await?;
            store::level::find(&mut conn, variant_id, DEFAULT_LOCATION).await?
        }
    };
    Ok(found.unwrap_or_else(|| StockLevel::empty(variant_id)))
}

pub(crate) async fn levels(
    inv: &Inventory,
    variant_ids: &[String],
) -> Result<std::collections::HashMap<String, StockLevel>> {
    let mut out = std::collections::HashMap::with_capacity(variant_ids.len());
    if variant_ids.is_empty() {
        return Ok(out);
    }
    let mut conn = inv.db.pool().acquire().await?;
    for level in store::level::find_many(&mut conn, variant_ids, DEFAULT_LOCATION).await? {
        out.insert(level.variant_id.clone(), level);
    }
    for id in variant_ids {
        out.entry(id.clone())
            .or_insert_with(|| StockLevel::empty(id));
    }
    Ok(out)
}

pub(crate) async fn adjust(
    inv: &Inventory,
    variant_id: &str,
    delta: i64,
    reason: &str,
    actor: Option<&str>,
) -> Result<StockLevel> {
    check_variant_id("variant_id", variant_id)?;
    let reason = check_reason(reason)?;
    if delta == 0 || delta.abs() > MAX_QUANTITY {
        return Err(InventoryError::invalid(
            "delta",
            format!(
                "must be a non-zero number of units between -{MAX_QUANTITY} and {MAX_QUANTITY}: \
                 positive adds stock, negative removes it"
            ),
        ));
    }
    let now = now_ms();
    let _forget = inv.forget_levels(Some(vec![variant_id.to_owned()]));
    let mut tx = inv.db.begin_write().await?;
    store::level::lock_or_create(&mut tx, variant_id, DEFAULT_LOCATION, now).await?;
    let Some(level) =
        store::level::add_on_hand(&mut tx, variant_id, DEFAULT_LOCATION, delta, None, now).await?
    else {
        let current = store::level::find(&mut tx, variant_id, DEFAULT_LOCATION)
            .await?
            .unwrap_or_else(|| StockLevel::empty(variant_id));
        tx.rollback().await?;
        return Err(InventoryError::WouldGoNegative {
            variant_id: variant_id.to_owned(),
            on_hand: current.on_hand,
            reserved: current.reserved,
            delta,
        });
    };
    record_change(&mut tx, &level, delta, reason, actor, now).await?;
    tx.commit().await?;
    inv.bus.wake();
    tracing::info!(
        variant_id,
        delta,
        on_hand = level.on_hand,
        reason,
        actor,
        "stock adjusted"
    );
    Ok(level)
}

pub(crate) async fn set(
    inv: &Inventory,
    variant_id: &str,
    on_hand: i64,
    reason: &str,
    actor: Option<&str>,
) -> Result<StockLevel> {
    check_variant_id("variant_id", variant_id)?;
    let reason = check_reason(reason)?;
    if !(0..=MAX_QUANTITY).contains(&on_hand) {
        return Err(InventoryError::invalid(
            "on_hand",
            format!("must be between 0 and {MAX_QUANTITY} units"),
        ));
    }
    let now = now_ms();
    let _forget = inv.forget_levels(Some(vec![variant_id.to_owned()]));
    let mut tx = inv.db.begin_write().await?;
    // Holding the row lock (PostgreSQL; SQLite holds the write lock already) makes the
    // read below current until commit, so the delta we log is the delta we apply.
    store::level::lock_or_create(&mut tx, variant_id, DEFAULT_LOCATION, now).await?;
    let current = store::level::find(&mut tx, variant_id, DEFAULT_LOCATION)
        .await?
        .unwrap_or_else(|| StockLevel::empty(variant_id));
    let delta = on_hand - current.on_hand;
    let changed = store::level::add_on_hand(
        &mut tx,
        variant_id,
        DEFAULT_LOCATION,
        delta,
        Some(current.on_hand),
        now,
    )
    .await?;
    let Some(level) = changed else {
        tx.rollback().await?;
        return Err(InventoryError::WouldGoNegative {
            variant_id: variant_id.to_owned(),
            on_hand: current.on_hand,
            reserved: current.reserved,
            delta,
        });
    };
    record_change(&mut tx, &level, delta, reason, actor, now).await?;
    tx.commit().await?;
    inv.bus.wake();
    tracing::info!(
        variant_id,
        delta,
        on_hand = level.on_hand,
        reason,
        actor,
        "stock set"
    );
    Ok(level)
}

/// The movement row and the `inventory.adjusted` event of a merchant's change, in the
/// caller's transaction.
async fn record_change(
    conn: &mut AnyConnection,
    level: &StockLevel,
    delta: i64,
    reason: &str,
    actor: Option<&str>,
    now: i64,
) -> Result<()> {
    store::movement::insert(
        conn,
        Movement {
            id: new_id("mov"),
            variant_id: level.variant_id.clone(),
            location_id: level.location_id.clone(),
            delta,
            on_hand: level.on_hand,
            reason: reason.to_owned(),
            actor: actor.map(str::to_owned),
            reference: None,
            created_at: now,
        },
    )
    .await?;
    let payload = StockAdjustedEvent {
        variant_id: level.variant_id.clone(),
        location_id: level.location_id.clone(),
        delta,
        on_hand: level.on_hand,
        reason: reason.to_owned(),
    };
    events::append(
        conn,
        crate::topics::ADJUSTED,
        &level.variant_id,
        &payload,
        None,
    )
    .await?;
    Ok(())
}

pub(crate) async fn movements(
    inv: &Inventory,
    variant_id: &str,
    limit: i64,
) -> Result<Vec<Movement>> {
    if !(1..=MAX_MOVEMENTS).contains(&limit) {
        return Err(InventoryError::invalid(
            "limit",
            format!("must be between 1 and {MAX_MOVEMENTS}"),
        ));
    }
    let mut conn = inv.db.pool().acquire().await?;
    store::movement::list(&mut conn, variant_id, limit).await
}
