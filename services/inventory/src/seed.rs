//! Demo stock for the demo catalog: the same on-hand numbers on every run.
//!
//! Each variant's quantity is a function of its id alone (an FNV-1a hash), so two fresh
//! databases seeded with the same variants agree, and re-seeding adds only new variants.
//! All rows go in with multi-row INSERTs in one transaction: thousands of variants take
//! milliseconds.

use std::collections::HashSet;

use emporium_kernel::{
    clock::now_ms,
    id::{MovementId, VariantId},
};

use crate::{store, Inventory, InventoryError, Movement, Result, StockLevel, DEFAULT_LOCATION};

/// Movement reason of seeded stock.
pub const INITIAL_STOCK_REASON: &str = "initial stock";

/// The demo on-hand quantity of a variant: about one variant in 15 is sold out (so the
/// storefront shows that state), the others hold 5 to 120 units.
pub fn demo_on_hand(variant_id: &VariantId) -> i64 {
    // FNV-1a, 64 bit: stable across Rust versions, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in variant_id.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if hash.is_multiple_of(15) {
        0
    } else {
        5 + ((hash / 15) % 116) as i64
    }
}

pub(crate) async fn seed_demo(inv: &Inventory, variant_ids: &[VariantId]) -> Result<()> {
    let mut seen = HashSet::with_capacity(variant_ids.len());
    let mut ids = Vec::with_capacity(variant_ids.len());
    for id in variant_ids {
        if seen.insert(id) {
            ids.push(id.clone());
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let _forget = inv.forget_levels(None);
    let (seeded, skipped) = inv
        .db
        .write(async move |conn| {
            let stocked: HashSet<VariantId> = store::level::find_many(conn, &ids, DEFAULT_LOCATION)
                .await?
                .into_iter()
                .map(|level| level.variant_id)
                .collect();
            let mut levels = Vec::new();
            let mut movements = Vec::new();
            for id in ids.into_iter().filter(|id| !stocked.contains(id)) {
                let on_hand = demo_on_hand(&id);
                // A sold-out variant never had stock: nothing moved.
                if on_hand > 0 {
                    movements.push(Movement {
                        id: MovementId::new(),
                        variant_id: id.clone(),
                        location_id: DEFAULT_LOCATION.to_owned(),
                        delta: on_hand,
                        on_hand,
                        reason: INITIAL_STOCK_REASON.to_owned(),
                        actor: None,
                        reference: None,
                        created_at: now,
                    });
                }
                levels.push(StockLevel::new(id, DEFAULT_LOCATION.to_owned(), on_hand, 0));
            }
            store::level::insert_many(conn, &levels, now).await?;
            store::movement::insert_many(conn, &movements).await?;
            Ok::<_, InventoryError>((levels.len(), stocked.len()))
        })
        .await?;
    tracing::info!(seeded, skipped, "demo stock seeded");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_quantities_are_mostly_in_stock_with_some_sold_out() {
        let quantities: Vec<i64> = (0..3_000)
            .map(|i| {
                let id =
                    VariantId::parse(&format!("var_{i:026}")).unwrap_or_else(|e| panic!("{e}"));
                demo_on_hand(&id)
            })
            .collect();
        let sold_out = quantities.iter().filter(|q| **q == 0).count();
        assert!(
            (100..=300).contains(&sold_out),
            "about 1 in 15 of 3,000 should be sold out, got {sold_out}"
        );
        assert!(quantities.iter().all(|q| *q == 0 || (5..=120).contains(q)));
        let x = || VariantId::parse(&format!("var_{:0>26}", "x")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(demo_on_hand(&x()), demo_on_hand(&x()));
    }
}
