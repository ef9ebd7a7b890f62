//! Passwords: the rules a new password must meet, and argon2id hashing.
//!
//! Rules (NIST SP 800-63B style: length and a blocklist, no composition rules): 10 to
//! 128 characters, not one character repeated, not the account's email address, not on
//! the list of common passwords shipped in `common_passwords.txt` (compared in lower
//! case). Passwords are taken as given: never trimmed or otherwise changed.
//!
//! Hashing is argon2id v1.3 with OWASP's recommended parameters by default (19 MiB of
//! memory, 2 passes, 1 lane; [`PasswordHashing::OWASP`]), a 16-byte random salt per
//! password, stored as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`),
//! which carries its own parameters, so hashes made with older parameters still verify
//! and are upgraded at the next successful login.
//!
//! Argon2 is deliberately slow and memory-hard, so it never runs on the async runtime's
//! workers nor inside a database write: [`Hasher`] runs it with `spawn_blocking`, at most
//! `max_concurrent_hashes` at a time (a flood of logins queues instead of holding
//! 19 MiB per request in hundreds of blocking threads).

use std::{collections::HashSet, fmt, sync::Arc, sync::LazyLock};

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Algorithm, Argon2, Params, Version, ARGON2ID_IDENT,
};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine as _};
use emporium_kernel::contact::Email;
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::{error::AccountError, Result};

/// Fewest characters in a password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most characters in a password (a long passphrase fits; a megabyte does not reach
/// the hasher).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Salt bytes per password hash (the argon2 crate's recommendation).
const SALT_BYTES: usize = 16;
/// Output bytes of a hash.
const OUTPUT_BYTES: usize = 32;

/// The shipped blocklist, lower case.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Whether `password` is on the shipped list of common passwords, in any case.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// Checks a new password for the account whose email is `email`; `field` names it in
/// the error (`password`, `new_password`).
pub(crate) fn check_new(field: &str, password: &str, email: &Email) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::invalid(
            field,
            format!("use at least {MIN_PASSWORD_CHARS} characters; a few words make a good one"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AccountError::invalid(
            field,
            format!("use at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let mut distinct = password.chars();
    let first = distinct.next();
    if distinct.all(|c| Some(c) == first) {
        return Err(AccountError::invalid(
            field,
            "use more than one character over and over",
        ));
    }
    if password.trim().to_lowercase() == email.as_str().to_lowercase() {
        return Err(AccountError::invalid(
            field,
            "must not be your email address",
        ));
    }
    if is_common(password) {
        return Err(AccountError::invalid(
            field,
            "this password is one of the most common ones, which attackers try first: choose another",
        ));
    }
    Ok(())
}

/// Whether a password given to log in could be one this service accepted. One that
/// could not is refused without hashing it, whatever the account: that reveals nothing
/// about the account and keeps a megabyte "password" away from argon2.
pub(crate) fn could_be_valid(password: &str) -> bool {
    !password.is_empty()
        && password.len() <= MAX_PASSWORD_CHARS * 4
        && password.chars().count() <= MAX_PASSWORD_CHARS
}

/// Argon2id cost parameters. [`PasswordHashing::OWASP`] is the default and what
/// production uses; anything else is an explicit choice through
/// [`PasswordHashing::custom`] (tests use cheap ones to run fast: never do that in
/// production).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashing {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl PasswordHashing {
    /// OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1.
    pub const OWASP: PasswordHashing = PasswordHashing {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Other parameters, checked by argon2 (at least 8 KiB per lane, one pass, one lane).
    pub fn custom(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> std::result::Result<Self, InvalidHashingParams> {
        Params::new(memory_kib, iterations, parallelism, Some(OUTPUT_BYTES))
            .map_err(|e| InvalidHashingParams(e.to_string()))?;
        Ok(PasswordHashing {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }

    fn params(&self) -> Params {
        // Checked in `custom`; OWASP's are valid.
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(OUTPUT_BYTES),
        )
        .unwrap_or(Params::DEFAULT)
    }
}

impl Default for PasswordHashing {
    fn default() -> Self {
        PasswordHashing::OWASP
    }
}

impl fmt::Debug for PasswordHashing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "argon2id(m={} KiB, t={}, p={})",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

/// Argon2 parameters that argon2 refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argon2 parameters refused: {0}")]
pub struct InvalidHashingParams(String);

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The password is right; `outdated` when its hash was made with other parameters
    /// than the configured ones (to be re-hashed).
    Match {
        outdated: bool,
    },
    Mismatch,
}

/// Hashes and verifies passwords off the async workers, a bounded number at a time.
#[derive(Clone)]
pub(crate) struct Hasher {
    hashing: PasswordHashing,
    permits: Arc<Semaphore>,
    /// A PHC string with the configured parameters, a random salt and a random output:
    /// verifying any password against it costs what a real verification costs and never
    /// matches. Used when the email is unknown, so that answer takes as long as a wrong
    /// password.
    dummy: Arc<str>,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("hashing", &self.hashing)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    pub(crate) fn new(hashing: PasswordHashing, max_concurrent: usize) -> Self {
        let mut salt = [0u8; SALT_BYTES];
        let mut output = [0u8; OUTPUT_BYTES];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut output);
        let dummy = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            hashing.memory_kib,
            hashing.iterations,
            hashing.parallelism,
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(output)
        );
        Hasher {
            hashing,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: dummy.into(),
        }
    }

    /// A PHC string for `password` with a fresh salt.
    pub(crate) async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        let hashing = self.hashing;
        self.blocking(move || {
            let mut salt = [0u8; SALT_BYTES];
            rand::rng().fill_bytes(&mut salt);
            argon2id(hashing)
                .hash_password_with_salt(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| AccountError::Internal(format!("hashing a password failed: {e}")))
        })
        .await
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown account) it is
    /// checked against the dummy hash, which takes as long and never matches.
    pub(crate) async fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verdict> {
        let password = password.to_owned();
        let stored: Arc<str> = match stored {
            Some(s) => s.into(),
            None => self.dummy.clone(),
        };
        let hashing = self.hashing;
        self.blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| {
                AccountError::Internal(format!("a stored password hash does not parse: {e}"))
            })?;
            match argon2id(hashing).verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(Verdict::Match {
                    outdated: outdated(&parsed, hashing),
                }),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verdict::Mismatch),
                Err(e) => Err(AccountError::Internal(format!(
                    "verifying a password failed: {e}"
                ))),
            }
        })
        .await
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AccountError::Internal("the password hasher is closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| AccountError::Internal(format!("the password hasher's task failed: {e}")))?
    }
}

fn argon2id(hashing: PasswordHashing) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, hashing.params())
}

/// Whether `hash` was made with another algorithm, version or cost than `hashing`.
fn outdated(hash: &PasswordHash, hashing: PasswordHashing) -> bool {
    let same_cost = match Params::try_from(hash) {
        Ok(p) => {
            p.m_cost() == hashing.memory_kib
                && p.t_cost() == hashing.iterations
                && p.p_cost() == hashing.parallelism
        }
        Err(_) => false,
    };
    hash.algorithm != ARGON2ID_IDENT || hash.version != Some(Version::V0x13.into()) || !same_cost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("email", "ada@example.com").expect("valid")
    }

    fn field(result: Result<()>) -> Option<String> {
        match result {
            Err(AccountError::InvalidField { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn the_default_is_owasps_argon2id_recommendation() {
        let d = PasswordHashing::default();
        assert_eq!(
            (d.memory_kib(), d.iterations(), d.parallelism()),
            (19_456, 2, 1)
        );
        assert_eq!(d, PasswordHashing::OWASP);
    }

    #[test]
    fn parameters_argon2_refuses_are_refused() {
        assert!(PasswordHashing::custom(4, 1, 1).is_err());
        assert!(PasswordHashing::custom(64, 0, 1).is_err());
        assert!(PasswordHashing::custom(64, 1, 0).is_err());
        assert!(PasswordHashing::custom(64, 1, 1).is_ok());
    }

    #[test]
    fn the_blocklist_is_loaded_and_compared_in_any_case() {
        assert!(COMMON.len() >= 300, "{}", COMMON.len());
        assert!(is_common("password123"));
        assert!(is_common("QwertyUIOP"));
        assert!(!is_common("correct horse battery"));
        assert!(COMMON
            .iter()
            .all(|p| p.chars().count() >= MIN_PASSWORD_CHARS));
        assert!(COMMON.iter().all(|p| p.to_lowercase() == *p));
    }

    #[test]
    fn new_passwords_follow_the_rules() {
        let e = email();
        assert_eq!(
            field(check_new("password", "short", &e)).as_deref(),
            Some("password")
        );
        assert!(field(check_new("password", &"a".repeat(129), &e)).is_some());
        assert!(field(check_new("password", &"ab".repeat(64), &e)).is_none());
        assert!(field(check_new("password", "zzzzzzzzzzzz", &e)).is_some());
        assert!(field(check_new("password", "ADA@example.com", &e)).is_some());
        assert!(
            field(check_new("new_password", "Password123", &e)).as_deref() == Some("new_password")
        );
        assert!(check_new("password", "tide pool lantern", &e).is_ok());
        // Counted in characters, not bytes.
        assert!(check_new("password", "äöüäöüäöüß", &e).is_ok());
    }

    #[test]
    fn a_login_password_that_no_account_can_have_is_refused_unhashed() {
        assert!(!could_be_valid(""));
        assert!(!could_be_valid(&"x".repeat(129)));
        assert!(!could_be_valid(&"x".repeat(1_000_000)));
        assert!(could_be_valid("x"));
        assert!(could_be_valid(&"ü".repeat(128)));
    }

    fn cheap() -> Hasher {
        Hasher::new(
            PasswordHashing::custom(64, 1, 1).expect("valid parameters"),
            2,
        )
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = cheap();
        let phc = hasher.hash("tide pool lantern").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert_eq!(
            hasher.verify("tide pool lantern", Some(&phc)).await.ok(),
            Some(Verdict::Match { outdated: false })
        );
        assert_eq!(
            hasher.verify("tide pool lanterns", Some(&phc)).await.ok(),
            Some(Verdict::Mismatch)
        );
        let again = hasher.hash("tide pool lantern").await.expect("hash");
        assert_ne!(phc, again, "every hash has its own salt");
    }

    #[tokio::test]
    async fn the_dummy_hash_parses_costs_the_same_and_never_matches() {
        let hasher = cheap();
        assert!(PasswordHash::new(&hasher.dummy).is_ok());
        assert!(hasher.dummy.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            hasher.verify("anything at all", None).await.ok(),
            Some(Verdict::Mismatch)
        );
        assert_eq!(hasher.verify("", None).await.ok(), Some(Verdict::Mismatch));
    }

    #[tokio::test]
    async fn a_hash_made_with_other_parameters_verifies_and_is_marked_outdated() {
        let old = cheap().hash("tide pool lantern").await.expect("hash");
        let newer = Hasher::new(PasswordHashing::custom(128, 2, 1).expect("valid"), 1);
        assert_eq!(
            newer.verify("tide pool lantern", Some(&old)).await.ok(),
            Some(Verdict::Match { outdated: true })
        );
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_internal_error_not_a_mismatch() {
        let out = cheap()
            .verify("tide pool lantern", Some("not a hash"))
            .await;
        assert!(matches!(out, Err(AccountError::Internal(_))), "{out:?}");
    }

    #[tokio::test]
    async fn production_parameters_produce_owasp_phc_strings() {
        let hasher = Hasher::new(PasswordHashing::default(), 1);
        let phc = hasher.hash("tide pool lantern").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }
}
