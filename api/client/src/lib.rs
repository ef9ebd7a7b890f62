//! Emporium's public API contract, shared by the server, the storefront and any Rust
//! frontend: the JSON wire types ([`types`]) and a typed client ([`Client`]) that speaks
//! them over a pluggable [`Transport`].
//!
//! This crate compiles for wasm32: it has no server dependencies. The server crate
//! provides an in-process transport (the axum router called directly, no socket); the
//! `http` feature provides one over HTTP for a storefront that runs apart from the API.

pub mod accounts;
pub mod commerce;
pub mod search;
pub mod types;

mod client;
mod transport;

pub use client::{Client, ClientError};
#[cfg(feature = "http")]
pub use transport::HttpTransport;
pub use transport::{BoxFuture, Transport, TransportError};
