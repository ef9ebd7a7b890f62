//! Shared kernel of Emporium's domain services.
//!
//! Layout:
//! - [`id`]: prefixed, time-sortable, opaque identifiers (`prod_01j…`), and a type per
//!   kind of id (`CartId`, `VariantId`, …).
//! - [`money`]: ISO 4217 currency codes, integer minor-unit amounts, totals.
//! - [`contact`]: an order's email and postal addresses, parsed once.
//! - [`cache`]: a read-through memo that the owning service's writes keep exact.
//! - [`clock`]: UTC timestamps stored as Unix milliseconds, RFC 3339 on the wire.
//! - [`db`]: one connection pool type for SQLite (embedded default) and PostgreSQL,
//!   write transactions, and a small SQL builder for queries shaped by input.
//! - [`events`]: the transactional outbox and the in-process dispatcher that hands
//!   events to idempotent consumers with retries.
//!
//! Nothing here knows about HTTP or about any particular service's tables.

pub mod cache;
pub mod clock;
pub mod contact;
pub mod db;
pub mod events;
pub mod id;
pub mod keyset;
pub mod money;
pub mod wire;
