//! Rate limits on the Store API routes that invite abuse: guessing passwords, opening
//! accounts, mailing reset links, trying link tokens and discount codes, creating carts
//! and placing orders (each order attempt reserves stock and may open a payment). Each route
//! checks its limits before it does any work; over a limit it answers 429
//! `rate_limited` with `Retry-After`.
//!
//! Limits are GCRA buckets (the `governor` crate) kept in this process, keyed by the
//! client's address and, where an email is given, by the email too: one address cannot
//! guess many accounts' passwords, and many addresses cannot guess one account's. Each
//! process counts on its own, so N processes allow N times the rate; a shared store is
//! the scale-out step.
//!
//! Which address a request comes from: the peer's, unless the deployment names the
//! header its proxy sets (`EMPORIUM_TRUSTED_PROXY_HEADER`, e.g. `fly-client-ip`), which
//! a direct client could forge otherwise. A request that did not arrive over a socket is
//! the storefront calling in process: it is keyed by the shopper it names in
//! `x-forwarded-for`, and not limited when it names none (one bucket for every shopper
//! of the storefront would lock them all out together; the storefront's forms forward
//! the shopper's address once they sign people in).

use std::{
    net::SocketAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderName},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{problem::ApiError, AppState};

/// What is limited, each with its own buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Sign-in attempts per client address.
    LoginByClient,
    /// Sign-in attempts per email address (whoever sends them).
    LoginByEmail,
    /// Registrations per client address.
    RegisterByClient,
    /// Registrations per email address (each mails the address's owner).
    RegisterByEmail,
    /// Reset-link requests per client address.
    ResetByClient,
    /// Reset-link requests per email address.
    ResetByEmail,
    /// Verification and reset tokens tried per client address.
    TokenByClient,
    /// Discount codes tried per client address.
    DiscountByClient,
    /// Carts created per client address.
    CartByClient,
    /// Orders placed (attempts, replays included) per client address.
    OrderByClient,
}

impl Limit {
    const ALL: [Limit; 10] = [
        Limit::LoginByClient,
        Limit::LoginByEmail,
        Limit::RegisterByClient,
        Limit::RegisterByEmail,
        Limit::ResetByClient,
        Limit::ResetByEmail,
        Limit::TokenByClient,
        Limit::DiscountByClient,
        Limit::CartByClient,
        Limit::OrderByClient,
    ];

    /// A burst of `burst`, then one more every `every`.
    fn quota(self) -> (u32, Duration) {
        const SECOND: Duration = Duration::from_secs(1);
        match self {
            Limit::LoginByClient => (10, 6 * SECOND),
            Limit::LoginByEmail => (5, 60 * SECOND),
            Limit::RegisterByClient => (5, 60 * SECOND),
            Limit::RegisterByEmail => (3, 600 * SECOND),
            Limit::ResetByClient => (5, 60 * SECOND),
            Limit::ResetByEmail => (3, 300 * SECOND),
            Limit::TokenByClient => (10, 6 * SECOND),
            Limit::DiscountByClient => (20, 3 * SECOND),
            Limit::CartByClient => (30, 2 * SECOND),
            Limit::OrderByClient => (10, 6 * SECOND),
        }
    }

    fn index(self) -> usize {
        Limit::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }
}

/// Every limit's buckets. One per API, shared by all requests.
pub struct RateLimits {
    buckets: Vec<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
}

/// Every this many checks, buckets that are full again are forgotten, so a stream of
/// one-off addresses does not grow memory without bound.
const SWEEP_EVERY: u64 = 4096;

impl Default for RateLimits {
    fn default() -> Self {
        let buckets = Limit::ALL
            .iter()
            .map(|limit| {
                let (burst, every) = limit.quota();
                let quota = Quota::with_period(every)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
                RateLimiter::keyed(quota)
            })
            .collect();
        RateLimits {
            buckets,
            checks: AtomicU64::new(0),
        }
    }
}

impl RateLimits {
    /// [`RateLimits::check`] for the client's address, when it has one.
    pub fn check_client(&self, limit: Limit, client: &Client) -> Result<(), ApiError> {
        match &client.0 {
            Some(key) => self.check(limit, key),
            None => Ok(()),
        }
    }

    /// Counts one attempt of `limit` for `key`; over the limit, a 429 that says when to
    /// try again.
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), ApiError> {
        let Some(bucket) = self.buckets.get(limit.index()) else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.forget_idle();
        }
        match bucket.check_key(&key.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
                // Whole seconds, at least one: what `Retry-After` can say.
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                tracing::info!(limit = ?limit, retry_after = secs, "rate limited");
                Err(ApiError::rate_limited(secs.max(1)))
            }
        }
    }

    /// Forgets buckets that are full again.
    fn forget_idle(&self) {
        for bucket in &self.buckets {
            bucket.retain_recent();
            bucket.shrink_to_fit();
        }
    }
}

/// The address a request comes from, as the rate limits key it (see the module doc);
/// `None` for an in-process call that names no shopper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client(pub Option<String>);

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The first address of a header such as `x-forwarded-for` (`client, proxy1, …`).
fn first_address(parts: &Parts, header: &HeaderName) -> Option<String> {
    let value = parts.headers.get(header)?.to_str().ok()?;
    let first = value.split(',').next()?.trim();
    (!first.is_empty() && first.len() <= 64).then(|| first.to_owned())
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let key = match (peer, &state.config.trusted_proxy_header) {
            (Some(peer), Some(header)) => Some(first_address(parts, header).unwrap_or(peer)),
            (Some(peer), None) => Some(peer),
            (None, _) => first_address(parts, &FORWARDED_FOR),
        };
        Ok(Client(key))
    }
}

/// The key of an email address for [`Limit::LoginByEmail`] and [`Limit::ResetByEmail`]:
/// case and surrounding space do not make another bucket.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}
