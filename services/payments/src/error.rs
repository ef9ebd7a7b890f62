use emporium_kernel::db::DbError;

/// What can go wrong in payments. Each variant maps to one HTTP status and carries what a
/// problem+json body needs to tell the caller what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// 400 (field `provider`): no provider with this id is registered.
    #[error("payment provider `{0}` is not configured: use one of the configured providers")]
    UnknownProvider(String),
    /// 404: no such payment (`entity` says what was looked up by which `id`).
    #[error("{entity} `{id}` does not exist")]
    NotFound { entity: &'static str, id: String },
    /// 400 (field `amount`): the amount is not a positive number of minor units, or an
    /// idempotency key was reused with another amount.
    #[error("amount: {message}")]
    InvalidAmount { message: String },
    /// 409: the payment is `from` and cannot undergo `action`.
    #[error("cannot {action} a payment that is {from}")]
    InvalidTransition { from: String, action: &'static str },
    /// 409: `action` is only for another provider's payments (marking a Stripe payment paid
    /// by hand would contradict Stripe).
    #[error("cannot {action} a payment made with provider `{provider}`")]
    WrongProvider {
        provider: String,
        action: &'static str,
    },
    /// 422 (field `amount`): more than the refundable balance; `available` is what is left.
    #[error("amount: exceeds the refundable balance of {available} minor units")]
    RefundExceedsBalance { available: i64 },
    /// 400: a webhook whose `Stripe-Signature` does not prove it came from Stripe.
    #[error("webhook signature invalid: {0}")]
    SignatureInvalid(String),
    /// 400: a correctly signed webhook whose body is not a Stripe event.
    #[error("webhook event malformed: {0}")]
    MalformedEvent(String),
    /// 502: the provider refused (`status` 4xx with Stripe's `code`) or could not be
    /// reached (`status` None). `message` never contains keys or client secrets.
    #[error("payment provider {provider} failed{}: {message}", status.map(|s| format!(" with HTTP {s}")).unwrap_or_default())]
    Provider {
        provider: &'static str,
        status: Option<u16>,
        code: Option<String>,
        message: String,
    },
    /// 500: the database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl PaymentError {
    pub(crate) fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        PaymentError::NotFound {
            entity,
            id: id.into(),
        }
    }
}

pub type Result<T, E = PaymentError> = std::result::Result<T, E>;
