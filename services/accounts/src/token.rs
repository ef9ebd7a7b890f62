//! Secret tokens: session tokens, email-verification and password-reset tokens.
//!
//! A token is 32 bytes from the thread's CSPRNG (ChaCha, seeded from the OS), URL-safe
//! base64 without padding (43 characters). Only its SHA-256 is stored: whoever reads the
//! tables (a backup, a replica, an SQL injection elsewhere) cannot log in or reset a
//! password with what they find. A plain hash is enough because the token has 256 bits
//! of entropy (nothing to brute-force, unlike a password), and a lookup by hash compares
//! nothing secret in application code.

use std::fmt;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Random bytes per token.
const TOKEN_BYTES: usize = 32;
/// Characters of a token: 32 bytes in base64 without padding.
pub(crate) const TOKEN_CHARS: usize = 43;

/// A secret token as handed to its owner: the session token for the cookie, the token
/// in a verification or reset link. Its `Debug` never shows it; it is not `Serialize`,
/// so it cannot slip into a JSON log line. [`SecretToken::expose`] is the one way to read
/// it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// A new token from the CSPRNG.
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        SecretToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The token itself, to put in a cookie or a link. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored for it.
    pub(crate) fn hashed(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// The stored form of a token: SHA-256, lower-case hex. Not secret in the way the token
/// is, but still kept out of logs and `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TokenHash(String);

impl TokenHash {
    /// The hash of `raw` as presented by a caller, or `None` when it cannot be a token
    /// (wrong length or alphabet): such input is refused without a database round trip
    /// and without hashing arbitrary amounts of it.
    pub(crate) fn of_presented(raw: &str) -> Option<Self> {
        well_formed(raw).then(|| TokenHash::of(raw))
    }

    fn of(raw: &str) -> Self {
        TokenHash(hex::encode(Sha256::digest(raw.as_bytes())))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

/// Whether `raw` has the shape of a token this service made.
fn well_formed(raw: &str) -> bool {
    raw.len() == TOKEN_CHARS
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ_every_time() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_eq!(a.expose().len(), TOKEN_CHARS);
        assert!(well_formed(a.expose()));
        assert_ne!(a, b);
        assert_eq!(
            TokenHash::of_presented(a.expose()).map(|h| h.0),
            Some(a.hashed().0)
        );
    }

    #[test]
    fn the_stored_hash_is_sha256_hex_of_the_token() {
        // SHA-256 of the empty string, to pin the encoding.
        assert_eq!(
            TokenHash::of("").0,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn input_that_cannot_be_a_token_is_refused_before_hashing() {
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &"a".repeat(10_000),
            "abc+def/ghijklmnopqrstuvwxyz0123456789ABCDE",
        ] {
            assert!(TokenHash::of_presented(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_a_token_or_its_hash() {
        let token = SecretToken::generate();
        let shown = format!("{token:?} {:?}", token.hashed());
        assert!(!shown.contains(token.expose()), "{shown}");
        assert!(!shown.contains(token.hashed().as_str()), "{shown}");
    }
}
