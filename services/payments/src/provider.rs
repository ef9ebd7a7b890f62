//! The provider seam: a [`PaymentProvider`] opens a payment session, refunds and cancels.
//! [`ManualProvider`] is the embedded default (bank transfer, pay on delivery): nothing
//! leaves the process and the merchant marks the payment paid.

use async_trait::async_trait;
use emporium_kernel::id::new_id;

use crate::{
    error::PaymentError, PaymentStatus, ProviderRefund, ProviderSession, RefundRequest,
    SessionRequest,
};

/// A payment provider. Calls are made outside database transactions, and each carries an
/// idempotency key so that a retried call does not charge or refund twice.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// `manual` or `stripe`: stored with each payment.
    fn id(&self) -> &'static str;
    async fn create_session(&self, req: &SessionRequest) -> Result<ProviderSession, PaymentError>;
    async fn refund(&self, req: &RefundRequest) -> Result<ProviderRefund, PaymentError>;
    async fn cancel(&self, provider_ref: &str) -> Result<(), PaymentError>;
}

/// Pay later: bank transfer or cash on delivery. The session is the payment itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualProvider;

#[async_trait]
impl PaymentProvider for ManualProvider {
    fn id(&self) -> &'static str {
        "manual"
    }

    async fn create_session(&self, req: &SessionRequest) -> Result<ProviderSession, PaymentError> {
        Ok(ProviderSession {
            provider_ref: req.payment_id.to_string(),
            client_secret: None,
            status: PaymentStatus::Pending,
        })
    }

    /// The merchant pays the money back by hand; this records that it was done.
    async fn refund(&self, _req: &RefundRequest) -> Result<ProviderRefund, PaymentError> {
        Ok(ProviderRefund {
            refund_ref: new_id("re"),
            status: "succeeded".to_owned(),
        })
    }

    async fn cancel(&self, _provider_ref: &str) -> Result<(), PaymentError> {
        Ok(())
    }
}
