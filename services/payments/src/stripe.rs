//! Stripe PaymentIntents through async-stripe (1.0 line, see the crate documentation).
//! Requests are form-encoded by the library exactly as Stripe documents them; this module
//! only chooses the parameters, sets an `Idempotency-Key` per request and turns Stripe's
//! error envelope into [`PaymentError::Provider`].

use std::collections::HashMap;

use async_trait::async_trait;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_core::{
    payment_intent::{
        CancelPaymentIntent, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods,
    },
    refund::{CreateRefund, CreateRefundReason},
    PaymentIntentStatus,
};

use crate::{
    error::PaymentError, PaymentProvider, PaymentStatus, ProviderRefund, ProviderSession,
    RefundRequest, SessionRequest,
};

const PROVIDER: &str = "stripe";

/// Stripe settings. `Debug` redacts the key.
#[derive(Clone)]
pub struct StripeConfig {
    /// `sk_live_…` / `sk_test_…` (or a restricted `rk_…` key).
    pub secret_key: String,
    /// Another API base (the fake server in tests); Stripe's own when None.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"[redacted]")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Stripe PaymentIntents with automatic payment methods.
#[derive(Clone, Debug)]
pub struct StripeProvider {
    client: Client,
}

impl StripeProvider {
    /// Errors: `Provider` when the key or URL cannot be used (the message names which).
    pub fn new(config: StripeConfig) -> Result<Self, PaymentError> {
        let mut builder = ClientBuilder::new(config.secret_key);
        if let Some(url) = config.base_url {
            // async-stripe appends `v1/…` to the base, so it must end with a slash.
            let url = if url.ends_with('/') {
                url
            } else {
                format!("{url}/")
            };
            builder = builder.url(url);
        }
        let client = builder.build().map_err(|e| provider_error(&e))?;
        Ok(StripeProvider { client })
    }
}

fn strategy(key: &str) -> Result<RequestStrategy, PaymentError> {
    let key = IdempotencyKey::new(key).map_err(|e| PaymentError::Provider {
        provider: PROVIDER,
        status: None,
        code: Some("idempotency_key_invalid".to_owned()),
        message: e.to_string(),
    })?;
    Ok(RequestStrategy::Idempotent(key))
}

/// Stripe's error envelope as a domain error. `StripeError`'s own Display dumps the whole
/// envelope with Debug; only type, code, param and message are kept, none of which carry
/// keys or client secrets.
fn provider_error(err: &StripeError) -> PaymentError {
    match err {
        StripeError::Stripe(api, status) => {
            let mut message = api
                .message
                .clone()
                .unwrap_or_else(|| api.type_.as_str().to_owned());
            if let Some(param) = &api.param {
                message.push_str(&format!(" (param `{param}`)"));
            }
            PaymentError::Provider {
                provider: PROVIDER,
                status: Some(*status),
                code: api.code.as_ref().map(|c| c.as_str().to_owned()),
                message,
            }
        }
        StripeError::Timeout => PaymentError::Provider {
            provider: PROVIDER,
            status: None,
            code: Some("timeout".to_owned()),
            message: "Stripe did not answer in time".to_owned(),
        },
        other => PaymentError::Provider {
            provider: PROVIDER,
            status: None,
            code: None,
            message: other.to_string(),
        },
    }
}

fn session_status(status: &PaymentIntentStatus) -> PaymentStatus {
    match status {
        PaymentIntentStatus::Succeeded => PaymentStatus::Succeeded,
        PaymentIntentStatus::Canceled => PaymentStatus::Canceled,
        _ => PaymentStatus::Pending,
    }
}

#[async_trait]
impl PaymentProvider for StripeProvider {
    fn id(&self) -> &'static str {
        PROVIDER
    }

    async fn create_session(&self, req: &SessionRequest) -> Result<ProviderSession, PaymentError> {
        // Stripe's currency codes are lower case.
        let currency: stripe_types::Currency = req
            .currency
            .as_str()
            .to_ascii_lowercase()
            .parse()
            .unwrap_or_else(|never| match never {});
        let metadata = HashMap::from([
            ("order_id".to_owned(), req.order_id.to_string()),
            ("order_number".to_owned(), req.order_number.clone()),
            ("payment_id".to_owned(), req.payment_id.to_string()),
        ]);
        let mut create = CreatePaymentIntent::new(req.amount, currency)
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
            .metadata(metadata);
        if let Some(email) = &req.email {
            create = create.receipt_email(email.clone());
        }
        let intent = create
            .customize()
            .request_strategy(strategy(&req.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| provider_error(&e))?;
        tracing::info!(
            payment_id = %req.payment_id,
            provider_ref = %intent.id,
            status = intent.status.as_str(),
            "stripe payment intent created"
        );
        Ok(ProviderSession {
            provider_ref: intent.id.to_string(),
            client_secret: intent.client_secret,
            status: session_status(&intent.status),
        })
    }

    async fn refund(&self, req: &RefundRequest) -> Result<ProviderRefund, PaymentError> {
        let mut create = CreateRefund::new()
            .payment_intent(req.provider_ref.clone())
            .amount(req.amount);
        // Stripe accepts three reasons; anything else is kept as metadata.
        match req.reason.as_deref() {
            Some("duplicate") => create = create.reason(CreateRefundReason::Duplicate),
            Some("fraudulent") => create = create.reason(CreateRefundReason::Fraudulent),
            Some("requested_by_customer") => {
                create = create.reason(CreateRefundReason::RequestedByCustomer)
            }
            Some(other) => {
                create = create.metadata(HashMap::from([("reason".to_owned(), other.to_owned())]))
            }
            None => {}
        }
        let refund = create
            .customize()
            .request_strategy(strategy(&req.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(|e| provider_error(&e))?;
        Ok(ProviderRefund {
            refund_ref: refund.id.to_string(),
            status: refund.status.unwrap_or_else(|| "pending".to_owned()),
        })
    }

    async fn cancel(&self, provider_ref: &str) -> Result<(), PaymentError> {
        CancelPaymentIntent::new(provider_ref)
            .send(&self.client)
            .await
            .map_err(|e| provider_error(&e))?;
        Ok(())
    }
}
