//! The expiry job: active reservations whose TTL passed give their stock back.
//!
//! Each reservation expires in its own transaction, and the status change is
//! conditional (`WHERE id = $1 AND status = 'active' AND expires_at <= $now`), so two
//! job runners in two processes never both release the same reservation, and a commit
//! racing with the job either wins (the job skips it) or loses (the commit sees
//! `expired` and takes the late-payment path).

use std::{future::Future, time::Duration};

use emporium_kernel::{clock::now_ms, id::ReservationId};

use crate::{
    reservation::{append, give_back},
    store, topics, Inventory, ReservationStatus, Result,
};

/// Reservations looked up per query.
const BATCH: i64 = 200;

pub(crate) async fn release_expired(inv: &Inventory, now: i64) -> Result<usize> {
    let mut expired = 0;
    loop {
        let due = inv
            .db
            .read(async |conn| store::reservation::due_for_expiry(conn, now, BATCH).await)
            .await?;
        for id in &due {
            if expire_one(inv, id, now).await? {
                expired += 1;
            }
        }
        // Every id handed out left `active` (here or in another runner), so the next
        // query returns new ones: the loop ends.
        if (due.len() as i64) < BATCH {
            break;
        }
    }
    if expired > 0 {
        tracing::info!(expired, "expired reservations released");
    }
    Ok(expired)
}

/// Expires one reservation; false when it was no longer active and due.
async fn expire_one(inv: &Inventory, id: &ReservationId, due_by: i64) -> Result<bool> {
    let now = now_ms();
    let _forget = inv.forget_levels(None);
    let id = id.clone();
    let expired = inv
        .db
        .write(async move |conn| {
            let moved = store::reservation::transition(
                conn,
                &id,
                &[ReservationStatus::Active],
                ReservationStatus::Expired,
                Some(due_by),
                now,
            )
            .await?;
            if !moved {
                return Ok(None);
            }
            let Some(mut r) = store::reservation::find(conn, &id).await? else {
                return Err(store::corrupt("reservations.id", id.as_str()));
            };
            give_back(conn, &r, now).await?;
            r.status = ReservationStatus::Expired;
            append(conn, topics::RESERVATION_EXPIRED, &r).await?;
            Ok(Some(r))
        })
        .await?;
    let Some(r) = expired else {
        return Ok(false);
    };
    inv.bus.wake();
    tracing::info!(reservation_id = %r.id, reference = %r.reference, expires_at = r.expires_at, "reservation expired");
    Ok(true)
}

pub(crate) async fn run(inv: Inventory, every: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        if let Err(e) = release_expired(&inv, now_ms()).await {
            tracing::warn!(error = %e, "reservation expiry run failed; retrying at the next tick");
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
