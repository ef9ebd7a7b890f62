//! Stock levels and merchant adjustments: reads, `adjust_stock`, `set_stock`, the
//! movement log.

use emporium_kernel::{
    clock::now_ms,
    db::Conn,
    events,
    id::{MovementId, VariantId},
};

use crate::{
    store, Inventory, InventoryError, Movement, Result, StockAdjustedEvent, StockLevel,
    DEFAULT_LOCATION,
};

/// Largest quantity one call may move. Far beyond any real stock, and it keeps every
/// sum in the database far from i64 overflow (which SQLite would turn into a float).
pub(crate) const MAX_QUANTITY: i64 = 1_000_000_000;

/// Longest movement page.
const MAX_MOVEMENTS: i64 = 500;

fn check_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(InventoryError::ReasonRequired);
    }
    Ok(reason)
}

pub(crate) async fn level(inv: &Inventory, variant_id: &VariantId) -> Result<StockLevel> {
    let found = inv
        .db
        .read(async |conn| store::level::find(conn, variant_id, DEFAULT_LOCATION).await)
        .await?;
    Ok(found.unwrap_or_else(|| StockLevel::empty(variant_id)))
}

pub(crate) async fn levels(
    inv: &Inventory,
    variant_ids: &[VariantId],
) -> Result<std::collections::HashMap<VariantId, StockLevel>> {
    let mut out = std::collections::HashMap::with_capacity(variant_ids.len());
    if variant_ids.is_empty() {
        return Ok(out);
    }
    let found = inv
        .db
        .read(async |conn| store::level::find_many(conn, variant_ids, DEFAULT_LOCATION).await)
        .await?;
    for level in found {
        out.insert(level.variant_id.clone(), level);
    }
    for id in variant_ids {
        out.entry(id.clone())
            .or_insert_with(|| StockLevel::empty(id));
    }
    Ok(out)
}

/// A merchant's change as the write records it: what it is and who made it.
struct Change {
    variant_id: VariantId,
    reason: String,
    actor: Option<String>,
    now: i64,
}

impl Change {
    fn new(variant_id: &VariantId, reason: &str, actor: Option<&str>) -> Self {
        Change {
            variant_id: variant_id.clone(),
            reason: reason.to_owned(),
            actor: actor.map(str::to_owned),
            now: now_ms(),
        }
    }

    /// Refuses a change the level cannot take.
    fn would_go_negative(&self, level: &StockLevel, delta: i64) -> InventoryError {
        InventoryError::WouldGoNegative {
            variant_id: self.variant_id.clone(),
            on_hand: level.on_hand,
            reserved: level.reserved,
            delta,
        }
    }

    /// The stored level, or an empty one.
    async fn current(&self, conn: &mut Conn<'_>) -> Result<StockLevel> {
        Ok(store::level::find(conn, &self.variant_id, DEFAULT_LOCATION)
            .await?
            .unwrap_or_else(|| StockLevel::empty(&self.variant_id)))
    }
}

pub(crate) async fn adjust(
    inv: &Inventory,
    variant_id: &VariantId,
    delta: i64,
    reason: &str,
    actor: Option<&str>,
) -> Result<StockLevel> {
    let reason = check_reason(reason)?;
    if delta == 0 || !(-MAX_QUANTITY..=MAX_QUANTITY).contains(&delta) {
        return Err(InventoryError::invalid(
            "delta",
            format!(
                "must be a non-zero number of units between -{MAX_QUANTITY} and {MAX_QUANTITY}: \
                 positive adds stock, negative removes it"
            ),
        ));
    }
    let change = Change::new(variant_id, reason, actor);
    let _forget = inv.forget_levels(Some(vec![variant_id.clone()]));
    let level = inv
        .db
        .write(async move |conn| {
            let c = &change;
            store::level::lock_or_create(conn, &c.variant_id, DEFAULT_LOCATION, c.now).await?;
            let added = store::level::add_on_hand(
                conn,
                &c.variant_id,
                DEFAULT_LOCATION,
                delta,
                None,
                c.now,
            )
            .await?;
            let Some(level) = added else {
                return Err(c.would_go_negative(&c.current(conn).await?, delta));
            };
            record_change(conn, c, &level, delta).await?;
            Ok(level)
        })
        .await?;
    inv.bus.wake();
    tracing::info!(
        %variant_id,
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
    variant_id: &VariantId,
    on_hand: i64,
    reason: &str,
    actor: Option<&str>,
) -> Result<StockLevel> {
    let reason = check_reason(reason)?;
    if !(0..=MAX_QUANTITY).contains(&on_hand) {
        return Err(InventoryError::invalid(
            "on_hand",
            format!("must be between 0 and {MAX_QUANTITY} units"),
        ));
    }
    let change = Change::new(variant_id, reason, actor);
    let _forget = inv.forget_levels(Some(vec![variant_id.clone()]));
    let (level, delta) = inv
        .db
        .write(async move |conn| {
            let c = &change;
            // Holding the row lock (PostgreSQL; on SQLite the writer is alone) makes the
            // read below current until commit, so the delta we log is the delta we apply.
            store::level::lock_or_create(conn, &c.variant_id, DEFAULT_LOCATION, c.now).await?;
            let current = c.current(conn).await?;
            let delta = on_hand - current.on_hand;
            let changed = store::level::add_on_hand(
                conn,
                &c.variant_id,
                DEFAULT_LOCATION,
                delta,
                Some(current.on_hand),
                c.now,
            )
            .await?;
            let Some(level) = changed else {
                return Err(c.would_go_negative(&current, delta));
            };
            record_change(conn, c, &level, delta).await?;
            Ok((level, delta))
        })
        .await?;
    inv.bus.wake();
    tracing::info!(
        %variant_id,
        delta,
        on_hand = level.on_hand,
        reason,
        actor,
        "stock set"
    );
    Ok(level)
}

/// The movement row and the `inventory.adjusted` event of a merchant's change, in its
/// write.
async fn record_change(
    conn: &mut Conn<'_>,
    change: &Change,
    level: &StockLevel,
    delta: i64,
) -> Result<()> {
    let movement = Movement {
        id: MovementId::new(),
        variant_id: level.variant_id.clone(),
        location_id: level.location_id.clone(),
        delta,
        on_hand: level.on_hand,
        reason: change.reason.clone(),
        actor: change.actor.clone(),
        reference: None,
        created_at: change.now,
    };
    store::movement::insert_many(conn, std::slice::from_ref(&movement)).await?;
    let payload = StockAdjustedEvent {
        variant_id: movement.variant_id,
        location_id: movement.location_id,
        delta,
        on_hand: level.on_hand,
        reason: movement.reason,
    };
    events::append(
        conn,
        crate::topics::ADJUSTED,
        level.variant_id.as_str(),
        &payload,
        None,
    )
    .await?;
    Ok(())
}

pub(crate) async fn movements(
    inv: &Inventory,
    variant_id: &VariantId,
    limit: i64,
) -> Result<Vec<Movement>> {
    if !(1..=MAX_MOVEMENTS).contains(&limit) {
        return Err(InventoryError::invalid(
            "limit",
            format!("must be between 1 and {MAX_MOVEMENTS}"),
        ));
    }
    inv.db
        .read(async |conn| store::movement::list(conn, variant_id, limit).await)
        .await
}
