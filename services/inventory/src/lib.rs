//! Inventory service: stock per variant and location, reservations with a TTL, movement log.
