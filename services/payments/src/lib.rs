//! Payments service: one payment per order through a [`PaymentProvider`] — `manual` (the
//! embedded default: bank transfer or pay on delivery, marked paid by the merchant) or
//! Stripe PaymentIntents ([`StripeProvider`]) confirmed by signed webhooks — plus refunds.
//! No HTTP here: the API crate calls [`Payments`] and maps [`PaymentError`] to responses.
//!
//! Layout:
//! - [`model`]: payments, refunds, provider requests and answers.
//! - [`error`]: [`PaymentError`], one kind per HTTP status family.
//! - [`provider`]: the [`PaymentProvider`] trait and [`ManualProvider`].
//! - [`stripe`]: [`StripeProvider`] over async-stripe.
//! - [`webhook`]: `Stripe-Signature` verification and the event envelope.
//! - `payments` (private): the rules — idempotent creation, forward-only transitions,
//!   refund balances, exactly-once webhook application.
//! - `store` (private): all SQL, portable between SQLite and PostgreSQL.
//!
//! Provider calls never run inside a database transaction (an HTTP round trip must not
//! hold SQLite's write lock); each carries an idempotency key instead, so a retry after a
//! crash between the call and the commit replays the same PaymentIntent or refund. State
//! changes and their outbox events (`payment.succeeded`, `payment.failed`,
//! `payment.refunded`, payloads per docs/COMMERCE.md) commit in one transaction.
//!
//! Why async-stripe 1.0 (1.0.0-rc.10) rather than 0.x: it is split per resource, so only
//! `async-stripe-core` with `payment_intent` + `refund` compiles instead of all of Stripe's
//! API; it runs on hyper 1 (already in the workspace) rather than adding hyper 0.14;
//! `ClientBuilder::url` overrides the API base (in tests, the fake Stripe server of
//! `emporium-test-support`) and its connector allows plain http for that;
//! `RequestStrategy::Idempotent` sets `Idempotency-Key` per request. TLS is rustls with the
//! `ring` provider and webpki roots (`rustls-ring` + `rustls-tls-webpki-roots`): ring
//! builds with a C compiler alone, no cmake. Its MSRV is Rust 1.89 (the workspace declares
//! 1.88).
//!
//! Migrations live in `migrations/sqlite` and `migrations/postgres`, numbered 4000–4999.

pub mod error;
pub mod model;
mod payments;
pub mod provider;
mod store;
pub mod stripe;
pub mod webhook;

pub use error::{PaymentError, Result};
pub use model::*;
pub use payments::Payments;
pub use provider::{ManualProvider, PaymentProvider};
pub use stripe::{StripeConfig, StripeProvider};
