//! Notifications: order emails rendered from events, delivered through lettre with retries.
