//! Domain types of the inventory and the payloads of its events.

use emporium_kernel::id::{MovementId, OrderId, ReservationId, VariantId};
use serde::{Deserialize, Serialize};

/// The one stock location that exists for now (created by the migration).
pub const DEFAULT_LOCATION: &str = "sloc_default";

/// Event topics (see docs/COMMERCE.md; consumers match on these strings).
pub mod topics {
    pub const ADJUSTED: &str = "inventory.adjusted";
    pub const RESERVATION_COMMITTED: &str = "inventory.reservation_committed";
    pub const RESERVATION_RELEASED: &str = "inventory.reservation_released";
    pub const RESERVATION_EXPIRED: &str = "inventory.reservation_expired";
}

/// Stock of one variant at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub variant_id: VariantId,
    pub location_id: String,
    pub on_hand: i64,
    /// Held by active reservations (orders awaiting payment).
    pub reserved: i64,
    /// `on_hand - reserved`: what a new order can take.
    pub available: i64,
}

impl StockLevel {
    pub(crate) fn new(
        variant_id: VariantId,
        location_id: String,
        on_hand: i64,
        reserved: i64,
    ) -> Self {
        StockLevel {
            variant_id,
            location_id,
            on_hand,
            reserved,
            available: on_hand - reserved,
        }
    }

    /// A variant that was never stocked: nothing on hand.
    pub(crate) fn empty(variant_id: &VariantId) -> Self {
        StockLevel::new(variant_id.clone(), DEFAULT_LOCATION.to_owned(), 0, 0)
    }
}

/// One line to reserve, and one line of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveLine {
    pub variant_id: VariantId,
    pub quantity: i64,
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Holding stock until committed, released or expired.
    Active,
    /// The goods are sold: on_hand went down.
    Committed,
    /// Given back on request (payment failed, order cancelled).
    Released,
    /// Given back by the expiry job because its TTL passed.
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Active => "active",
            ReservationStatus::Committed => "committed",
            ReservationStatus::Released => "released",
            ReservationStatus::Expired => "expired",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "active" => ReservationStatus::Active,
            "committed" => ReservationStatus::Committed,
            "released" => ReservationStatus::Released,
            "expired" => ReservationStatus::Expired,
            _ => return None,
        })
    }
}

/// Stock held for a reference (an order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: ReservationId,
    /// The order the stock is held for; one live reservation per reference.
    pub reference: OrderId,
    pub location_id: String,
    pub status: ReservationStatus,
    /// Lines merged per variant, ordered by variant id.
    pub lines: Vec<ReserveLine>,
    /// Unix ms after which the expiry job gives the stock back (while still active).
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One change of on_hand, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub id: MovementId,
    pub variant_id: VariantId,
    pub location_id: String,
    /// Change of on_hand (negative for sales and write-offs).
    pub delta: i64,
    /// on_hand right after this movement.
    pub on_hand: i64,
    /// Why: `sale`, `initial stock`, or the merchant's words (`recount`, `damaged`).
    pub reason: String,
    /// Who made the change (a staff id), when a person did.
    pub actor: Option<String>,
    /// What caused it (the reservation's reference for a sale).
    pub reference: Option<OrderId>,
    pub created_at: i64,
}

/// Payload of the `inventory.reservation_*` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationEvent {
    pub reservation_id: ReservationId,
    pub reference: OrderId,
    pub lines: Vec<ReserveLine>,
}

impl From<&Reservation> for ReservationEvent {
    fn from(r: &Reservation) -> Self {
        ReservationEvent {
            reservation_id: r.id.clone(),
            reference: r.reference.clone(),
            lines: r.lines.clone(),
        }
    }
}

/// Payload of `inventory.adjusted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAdjustedEvent {
    pub variant_id: VariantId,
    pub location_id: String,
    pub delta: i64,
    /// on_hand after the change.
    pub on_hand: i64,
    pub reason: String,
}
