//! Payments service: provider trait, manual provider, Stripe PaymentIntents and signed webhooks.
