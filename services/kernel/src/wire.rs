//! `serialize_with` helpers for the wire shape of kernel types in the services' views:
//! currencies as ISO codes, Unix-millisecond times as RFC 3339. One set, so every
//! service's views read alike.

use serde::Serializer;

use crate::{clock::rfc3339, money::Currency};

pub fn currency<S: Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.as_str())
}

pub fn time<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

pub fn opt_time<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&rfc3339(*ms)),
        None => s.serialize_none(),
    }
}
