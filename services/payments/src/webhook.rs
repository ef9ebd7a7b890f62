//! Stripe webhooks: the `Stripe-Signature` check and the event envelope.
//!
//! Stripe signs `"{t}.{raw body}"` with HMAC-SHA256 under the endpoint's signing secret and
//! sends `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`. Several `v1` entries
//! appear while a secret is being rolled, so every one is tried; `v0` (test-mode legacy
//! scheme) is ignored. The timestamp bounds replays of a captured delivery.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::error::PaymentError;

/// How far a signature's timestamp may be from now, in seconds (Stripe's default).
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Checks a `Stripe-Signature` header against the raw payload. `now_unix_secs` is passed
/// in so that tests (and replays of recorded events) control the clock.
///
/// Errors: `SignatureInvalid` with the reason (no header, malformed header, no matching
/// `v1`, timestamp outside the tolerance).
pub fn verify_stripe_signature(
    payload: &[u8],
    header: Option<&str>,
    secret: &str,
    now_unix_secs: i64,
) -> Result<(), PaymentError> {
    let invalid = |reason: &str| PaymentError::SignatureInvalid(reason.to_owned());
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("the Stripe-Signature header is missing"))?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| invalid("the Stripe-Signature header is malformed"))?;
        match key {
            "t" => {
                let t = value
                    .parse::<i64>()
                    .map_err(|_| invalid("the Stripe-Signature timestamp is not a number"))?;
                timestamp = Some(t);
            }
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp =
        timestamp.ok_or_else(|| invalid("the Stripe-Signature header has no timestamp"))?;
    if signatures.is_empty() {
        return Err(invalid("the Stripe-Signature header has no v1 signature"));
    }
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .map_err(|_| invalid("the webhook secret cannot key HMAC-SHA256"))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    // verify_slice compares in constant time.
    let matched = signatures
        .iter()
        .any(|sig| hex::decode(sig).is_ok_and(|bytes| mac.clone().verify_slice(&bytes).is_ok()));
    if !matched {
        return Err(invalid("no v1 signature matches the payload"));
    }
    if now_unix_secs.abs_diff(timestamp) > SIGNATURE_TOLERANCE_SECS.unsigned_abs() {
        return Err(invalid("timestamp outside the tolerance"));
    }
    Ok(())
}

/// The hex HMAC-SHA256 of `"{timestamp}.{payload}"`: what Stripe puts in `v1`.
pub fn stripe_signature(payload: &[u8], secret: &str, timestamp: i64) -> String {
    // HMAC takes keys of any length, so new_from_slice cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// The parts of a Stripe event envelope that payments reads. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct StripeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: StripeEventData,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StripeEventData {
    pub object: serde_json::Value,
}

pub(crate) fn parse_event(payload: &[u8]) -> Result<StripeEvent, PaymentError> {
    let event: StripeEvent = serde_json::from_slice(payload)
        .map_err(|e| PaymentError::MalformedEvent(format!("not a Stripe event: {e}")))?;
    if event.id.is_empty() || event.event_type.is_empty() {
        return Err(PaymentError::MalformedEvent(
            "the event has no id or type".to_owned(),
        ));
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_700_000_000;

    fn header(t: i64, sigs: &[&str]) -> String {
        let mut h = format!("t={t}");
        for s in sigs {
            h.push_str(&format!(",v1={s}"));
        }
        h
    }

    fn reason(result: Result<(), PaymentError>) -> String {
        match result {
            Err(PaymentError::SignatureInvalid(reason)) => reason,
            other => panic!("expected SignatureInvalid, got {other:?}"),
        }
    }

    #[test]
    fn a_signature_made_with_the_secret_over_timestamp_and_payload_is_accepted() {
        let sig = stripe_signature(PAYLOAD, SECRET, NOW);
        let h = format!("{},v0=ignored", header(NOW, &[&sig]));
        assert!(verify_stripe_signature(PAYLOAD, Some(&h), SECRET, NOW + 10).is_ok());
    }

    #[test]
    fn a_signature_made_with_another_secret_is_rejected() {
        let sig = stripe_signature(PAYLOAD, "whsec_other", NOW);
        let r = reason(verify_stripe_signature(
            PAYLOAD,
            Some(&header(NOW, &[&sig])),
            SECRET,
            NOW,
        ));
        assert!(r.contains("no v1 signature matches"), "{r}");
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let sig = stripe_signature(PAYLOAD, SECRET, NOW);
        let tampered = br#"{"id":"evt_1","type":"payment_intent.payment_failed"}"#;
        let r = reason(verify_stripe_signature(
            tampered,
            Some(&header(NOW, &[&sig])),
            SECRET,
            NOW,
        ));
        assert!(r.contains("no v1 signature matches"), "{r}");
    }

    #[test]
    fn a_signature_301_seconds_old_is_outside_the_tolerance_but_300_is_inside() {
        let sig = stripe_signature(PAYLOAD, SECRET, NOW);
        let h = header(NOW, &[&sig]);
        let r = reason(verify_stripe_signature(
            PAYLOAD,
            Some(&h),
            SECRET,
            NOW + 301,
        ));
        assert_eq!(r, "timestamp outside the tolerance");
        let r = reason(verify_stripe_signature(
            PAYLOAD,
            Some(&h),
            SECRET,
            NOW - 301,
        ));
        assert_eq!(r, "timestamp outside the tolerance");
        assert!(verify_stripe_signature(PAYLOAD, Some(&h), SECRET, NOW + 300).is_ok());
    }

    #[test]
    fn any_matching_v1_entry_is_enough_while_secrets_are_rolled() {
        let old = stripe_signature(PAYLOAD, "whsec_old", NOW);
        let current = stripe_signature(PAYLOAD, SECRET, NOW);
        let h = header(NOW, &[&old, &current]);
        assert!(verify_stripe_signature(PAYLOAD, Some(&h), SECRET, NOW).is_ok());
    }

    #[test]
    fn missing_or_malformed_headers_are_rejected_with_a_reason() {
        let sig = stripe_signature(PAYLOAD, SECRET, NOW);
        let no_timestamp = format!("v1={sig}");
        let only_v0 = format!("t={NOW},v0={sig}");
        let cases: [(Option<&str>, &str); 6] = [
            (None, "missing"),
            (Some(""), "missing"),
            (Some("garbage"), "malformed"),
            (Some("t=abc,v1=00"), "not a number"),
            (Some(&no_timestamp), "no timestamp"),
            (Some(&only_v0), "no v1 signature"),
        ];
        for (h, expected) in cases {
            let r = reason(verify_stripe_signature(PAYLOAD, h, SECRET, NOW));
            assert!(r.contains(expected), "{h:?}: {r}");
        }
        let r = reason(verify_stripe_signature(
            PAYLOAD,
            Some(&header(NOW, &["not-hex"])),
            SECRET,
            NOW,
        ));
        assert!(r.contains("no v1 signature matches"), "{r}");
    }
}
