//! Reservations: stock held for an order between checkout and payment.
//!
//! Life cycle: `active` → `committed` (payment succeeded: the goods are sold),
//! `active` → `released` (payment failed, order cancelled), `active` → `expired` (the
//! TTL passed; see `expiry`). A lapsed (released or expired) reservation can still be
//! committed when a payment arrives late, if the stock can be taken again atomically.
//!
//! Every status change is a conditional UPDATE (`WHERE id = $1 AND status = 'active'`)
//! inside the transaction that moves the quantities and appends the event, so each
//! transition happens exactly once even when two processes race for it.

use std::{collections::BTreeMap, time::Duration};

use emporium_kernel::{
    clock::now_ms,
    db::{Conn, DbError},
    events,
    id::{MovementId, OrderId, ReservationId, VariantId},
};

use crate::{
    stock::MAX_QUANTITY,
    store::{self, corrupt},
    topics, Inventory, InventoryError, Movement, Reservation, ReservationEvent, ReservationStatus,
    ReserveLine, Result,
};

/// Lines merged per variant and ordered by variant id. Merging keeps one conditional
/// UPDATE per variant; the fixed order makes concurrent multi-line reservations lock
/// rows in the same order on PostgreSQL, so they cannot deadlock.
fn merge_lines(lines: &[ReserveLine]) -> Result<Vec<ReserveLine>> {
    if lines.is_empty() {
        return Err(InventoryError::invalid(
            "lines",
            "must not be empty: reserve at least one line",
        ));
    }
    let mut merged: BTreeMap<&VariantId, i64> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(InventoryError::invalid(
                format!("lines[{i}].quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        let total = merged.entry(&line.variant_id).or_insert(0);
        *total += line.quantity;
        if *total > MAX_QUANTITY {
            return Err(InventoryError::invalid(
                format!("lines[{i}].quantity"),
                format!(
                    "the lines for variant `{}` add up to more than {MAX_QUANTITY}",
                    line.variant_id
                ),
            ));
        }
    }
    Ok(merged
        .into_iter()
        .map(|(variant_id, quantity)| ReserveLine {
            variant_id: variant_id.clone(),
            quantity,
        })
        .collect())
}

pub(crate) async fn reserve(
    inv: &Inventory,
    reference: &OrderId,
    lines: &[ReserveLine],
    ttl: Duration,
) -> Result<Reservation> {
    let lines = merge_lines(lines)?;
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    // A retried call (the usual case for an existing reference) is answered by a plain
    // read, without queueing for SQLite's write lock.
    if let Some(existing) = find_live(inv, reference).await? {
        tracing::debug!(%reference, reservation_id = %existing.id, "reservation exists; reusing it");
        return Ok(existing);
    }
    let _forget = inv.forget_levels(Some(lines.iter().map(|l| l.variant_id.clone()).collect()));
    // A second attempt only when a concurrent call for the same reference was rolled
    // back after we saw its row (PostgreSQL): then the reference is free again.
    for _ in 0..3 {
        let now = now_ms();
        let reservation = Reservation {
            id: ReservationId::new(),
            reference: reference.clone(),
            location_id: crate::DEFAULT_LOCATION.to_owned(),
            status: ReservationStatus::Active,
            lines: lines.clone(),
            expires_at: now.saturating_add(ttl_ms),
            created_at: now,
            updated_at: now,
        };
        let placing = reservation.clone();
        let placed = inv
            .db
            .write(async move |conn| store::reservation::place(conn, &placing).await)
            .await;
        let raced = match placed {
            Ok(None) => false,
            // A live reservation for the reference exists (`Some`), or another process
            // inserted one and committed while we waited on the unique index.
            Ok(Some(_)) => true,
            Err(InventoryError::Database(e)) if e.is_unique_violation() => true,
            Err(InventoryError::OutOfStock {
                variant_id,
                requested,
                available,
            }) => {
                tracing::info!(
                    %reference,
                    %variant_id,
                    requested,
                    available,
                    "reservation refused: out of stock"
                );
                return Err(InventoryError::OutOfStock {
                    variant_id,
                    requested,
                    available,
                });
            }
            Err(e) => return Err(e),
        };
        if raced {
            // That one is the answer, unless it was rolled back meanwhile.
            if let Some(existing) = find_live(inv, reference).await? {
                tracing::debug!(%reference, reservation_id = %existing.id, "reservation exists; reusing it");
                return Ok(existing);
            }
            continue;
        }
        tracing::info!(
            %reference,
            reservation_id = %reservation.id,
            lines = reservation.lines.len(),
            expires_at = reservation.expires_at,
            "stock reserved"
        );
        return Ok(reservation);
    }
    Err(store::corrupt(
        "reservations.reference",
        "live reservation appeared and vanished three times",
    ))
}

async fn find_live(inv: &Inventory, reference: &OrderId) -> Result<Option<Reservation>> {
    inv.db
        .read(async |conn| store::reservation::find_live(conn, reference).await)
        .await
}

async fn load(conn: &mut Conn<'_>, id: &ReservationId) -> Result<Reservation> {
    store::reservation::find(conn, id)
        .await?
        .ok_or_else(|| InventoryError::ReservationNotFound {
            reservation_id: id.clone(),
        })
}

fn sale(r: &Reservation, line: &ReserveLine, on_hand: i64, now: i64) -> Movement {
    Movement {
        id: MovementId::new(),
        variant_id: line.variant_id.clone(),
        location_id: r.location_id.clone(),
        delta: -line.quantity,
        on_hand,
        reason: "sale".to_owned(),
        actor: None,
        reference: Some(r.reference.clone()),
        created_at: now,
    }
}

/// How a commit's write ended when it committed.
enum Committed {
    /// Active until now: its reserved units are sold.
    Now,
    /// Committed before (by an earlier call or, for a lapsed one, a concurrent late
    /// commit): nothing was written.
    Before,
    /// Released or expired (the status it had): its units were taken again.
    Late(ReservationStatus),
}

/// Why a commit's write rolled back.
enum NotCommitted {
    Refused(InventoryError),
    /// A lapsed reservation's stock is gone (the first variant short of it).
    StockGone {
        reference: OrderId,
        variant_id: VariantId,
    },
}

impl From<InventoryError> for NotCommitted {
    fn from(e: InventoryError) -> Self {
        NotCommitted::Refused(e)
    }
}

impl From<DbError> for NotCommitted {
    fn from(e: DbError) -> Self {
        NotCommitted::Refused(e.into())
    }
}

pub(crate) async fn commit(inv: &Inventory, id: &ReservationId) -> Result<Reservation> {
    let now = now_ms();
    // The lines are known only once loaded; commits are rare next to reads.
    let _forget = inv.forget_levels(None);
    let owned_id = id.clone();
    let committed = inv
        .db
        .write(async move |conn| {
            let id = &owned_id;
            let from_active = store::reservation::transition(
                conn,
                id,
                &[ReservationStatus::Active],
                ReservationStatus::Committed,
                None,
                now,
            )
            .await?;
            let mut r = load(conn, id).await?;
            if !from_active {
                return match r.status {
                    ReservationStatus::Committed => Ok((r, Committed::Before)),
                    ReservationStatus::Released | ReservationStatus::Expired => {
                        commit_lapsed(conn, r, now).await
                    }
                    // No transition leads back to active, so a failed active → committed
                    // update cannot be followed by an active row.
                    ReservationStatus::Active => {
                        Err(corrupt("reservations.status", "active").into())
                    }
                };
            }
            let mut movements = Vec::with_capacity(r.lines.len());
            for line in &r.lines {
                let on_hand = store::level::sell_reserved(
                    conn,
                    &line.variant_id,
                    &r.location_id,
                    line.quantity,
                    now,
                )
                .await?
                .ok_or_else(|| corrupt("inventory_levels.reserved", line.variant_id.as_str()))?;
                movements.push(sale(&r, line, on_hand, now));
            }
            r.status = ReservationStatus::Committed;
            r.updated_at = now;
            store::movement::insert_many(conn, &movements).await?;
            append(conn, topics::RESERVATION_COMMITTED, &r).await?;
            Ok((r, Committed::Now))
        })
        .await;
    let (r, how) = match committed {
        Ok(done) => done,
        Err(NotCommitted::Refused(e)) => return Err(e),
        Err(NotCommitted::StockGone {
            reference,
            variant_id,
        }) => {
            tracing::warn!(
                reservation_id = %id,
                %reference,
                %variant_id,
                "late commit refused: the lapsed reservation's stock is gone"
            );
            return Err(InventoryError::ReservationLapsed {
                reservation_id: id.clone(),
            });
        }
    };
    match how {
        Committed::Before => {}
        Committed::Now => {
            inv.bus.wake();
            tracing::info!(reservation_id = %r.id, reference = %r.reference, "reservation committed");
        }
        Committed::Late(previous) => {
            inv.bus.wake();
            tracing::info!(
                reservation_id = %r.id,
                reference = %r.reference,
                previous = previous.as_str(),
                "lapsed reservation committed late: stock taken again"
            );
        }
    }
    Ok(r)
}

/// A payment arrived after the reservation lapsed: sell the goods anyway if they are
/// still available, all lines or none (in the commit's write).
async fn commit_lapsed(
    conn: &mut Conn<'_>,
    mut r: Reservation,
    now: i64,
) -> Result<(Reservation, Committed), NotCommitted> {
    let lapsed = |r: &Reservation| {
        NotCommitted::Refused(InventoryError::ReservationLapsed {
            reservation_id: r.id.clone(),
        })
    };
    // A newer live reservation for the same reference holds that order's stock now;
    // committing this one too would sell the goods twice.
    if store::reservation::find_live(conn, &r.reference)
        .await?
        .is_some()
    {
        return Err(lapsed(&r));
    }
    let moved = store::reservation::transition(
        conn,
        &r.id,
        &[ReservationStatus::Released, ReservationStatus::Expired],
        ReservationStatus::Committed,
        None,
        now,
    )
    .await;
    match moved {
        Ok(true) => {}
        Ok(false) => {
            // Another late commit got there first (PostgreSQL): same outcome for us. Its
            // commit is visible to this statement.
            return match store::reservation::find(conn, &r.id).await? {
                Some(now_r) if now_r.status == ReservationStatus::Committed => {
                    Ok((now_r, Committed::Before))
                }
                _ => Err(lapsed(&r)),
            };
        }
        // A newer reservation for the reference went live meanwhile (PostgreSQL).
        Err(e) if e.is_unique_violation() => return Err(lapsed(&r)),
        Err(e) => return Err(e.into()),
    }
    let mut movements = Vec::with_capacity(r.lines.len());
    for line in &r.lines {
        let sold = store::level::sell_available(
            conn,
            &line.variant_id,
            &r.location_id,
            line.quantity,
            now,
        )
        .await?;
        let Some(on_hand) = sold else {
            return Err(NotCommitted::StockGone {
                reference: r.reference.clone(),
                variant_id: line.variant_id.clone(),
            });
        };
        movements.push(sale(&r, line, on_hand, now));
    }
    let previous = r.status;
    r.status = ReservationStatus::Committed;
    r.updated_at = now;
    store::movement::insert_many(conn, &movements).await?;
    append(conn, topics::RESERVATION_COMMITTED, &r).await?;
    Ok((r, Committed::Late(previous)))
}

pub(crate) async fn release(inv: &Inventory, id: &ReservationId) -> Result<Reservation> {
    let now = now_ms();
    let _forget = inv.forget_levels(None);
    let owned_id = id.clone();
    let (r, released) = inv
        .db
        .write(async move |conn| {
            let id = &owned_id;
            let from_active = store::reservation::transition(
                conn,
                id,
                &[ReservationStatus::Active],
                ReservationStatus::Released,
                None,
                now,
            )
            .await?;
            let mut r = load(conn, id).await?;
            if !from_active {
                return match r.status {
                    ReservationStatus::Released | ReservationStatus::Expired => Ok((r, false)),
                    ReservationStatus::Committed => Err(InventoryError::AlreadyCommitted {
                        reservation_id: r.id,
                    }),
                    ReservationStatus::Active => Err(corrupt("reservations.status", "active")),
                };
            }
            give_back(conn, &r, now).await?;
            r.status = ReservationStatus::Released;
            r.updated_at = now;
            append(conn, topics::RESERVATION_RELEASED, &r).await?;
            Ok((r, true))
        })
        .await?;
    if released {
        inv.bus.wake();
        tracing::info!(reservation_id = %r.id, reference = %r.reference, "reservation released");
    }
    Ok(r)
}

/// Returns a reservation's quantities to available stock (release and expiry).
pub(crate) async fn give_back(conn: &mut Conn<'_>, r: &Reservation, now: i64) -> Result<()> {
    for line in &r.lines {
        let done = store::level::unreserve_units(
            conn,
            &line.variant_id,
            &r.location_id,
            line.quantity,
            now,
        )
        .await?;
        if !done {
            return Err(corrupt(
                "inventory_levels.reserved",
                line.variant_id.as_str(),
            ));
        }
    }
    Ok(())
}

/// Appends a reservation event (`topic`) about `r` to the outbox, in its write.
pub(crate) async fn append(conn: &mut Conn<'_>, topic: &str, r: &Reservation) -> Result<()> {
    events::append(conn, topic, r.id.as_str(), &ReservationEvent::from(r), None).await?;
    Ok(())
}

pub(crate) async fn get(inv: &Inventory, id: &ReservationId) -> Result<Reservation> {
    inv.db.read(async |conn| load(conn, id).await).await
}

pub(crate) async fn for_reference(
    inv: &Inventory,
    reference: &OrderId,
) -> Result<Option<Reservation>> {
    inv.db
        .read(async |conn| store::reservation::find_for_reference(conn, reference).await)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of the variant called `name` (a real id: `var_0…0a` for `a`).
    fn line(name: &str, quantity: i64) -> ReserveLine {
        ReserveLine {
            variant_id: VariantId::parse(&format!("var_{name:0>26}"))
                .unwrap_or_else(|e| panic!("{e}")),
            quantity,
        }
    }

    #[test]
    fn lines_for_one_variant_are_merged_and_ordered_by_variant() {
        let merged = merge_lines(&[line("b", 2), line("a", 1), line("b", 3)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(merged, vec![line("a", 1), line("b", 5)]);
    }

    #[test]
    fn a_quantity_below_one_names_the_offending_line() {
        match merge_lines(&[line("a", 1), line("b", 0)]) {
            Err(InventoryError::InvalidQuantity { field, .. }) => {
                assert_eq!(field, "lines[1].quantity")
            }
            other => panic!("expected InvalidQuantity, got {other:?}"),
        }
        assert!(matches!(
            merge_lines(&[]),
            Err(InventoryError::InvalidQuantity { field, .. }) if field == "lines"
        ));
    }
}
