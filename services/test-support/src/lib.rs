//! Test doubles shared by Emporium's test suites, used only as a dev-dependency:
//!
//! - [`fake_stripe`]: a local server speaking the slice of Stripe's wire format that the
//!   payments service uses, with helpers that move payments along and sign webhook events
//!   (the payments crate's tests and the API's HTTP tests run against it);
//! - [`smtp`]: a real SMTP server (aiosmtpd) that captures each message as JSON (the
//!   notifications suites and the browser tests read the emails from it).

pub mod fake_stripe;
pub mod smtp;
