use emporium_kernel::db::DbError;

/// What can go wrong in payments. Each variant carries what the caller needs to know to
/// put it right; the HTTP layer maps each variant to its response.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// No provider with this id is registered.
    #[error("payment provider `{0}` is not configured: use one of the configured providers")]
    UnknownProvider(String),
    /// No such payment (`entity` says what was looked up by which `id`).
    #[error("{entity} `{id}` does not exist")]
    NotFound { entity: &'static str, id: String },
    /// The amount is not a positive number of minor units, or an
    /// idempotency key was reused with another amount.
    #[error("amount: {message}")]
    InvalidAmount { message: String },
    /// The payment is `from` and cannot undergo `action`.
    #[error("cannot {action} a payment that is {from}")]
    InvalidTransition { from: String, action: &'static str },
    /// `action` is only for another provider's payments (marking a Stripe payment paid
    /// by hand would contradict Stripe).
    #[error("cannot {action} a payment made with provider `{provider}`")]
    WrongProvider {
        provider: String,
        action: &'static str,
    },
    /// More than the refundable balance; `available` is what is left.
    #[error("amount: exceeds the refundable balance of {available} minor units")]
    RefundExceedsBalance { available: i64 },
    /// A webhook whose `Stripe-Signature` does not prove it came from Stripe.
    #[error("webhook signature invalid: {0}")]
    SignatureInvalid(String),
    /// A correctly signed webhook whose body is not a Stripe event.
    #[error("webhook event malformed: {0}")]
    MalformedEvent(String),
    /// The provider refused (`status`: its HTTP status, with Stripe's `code`) or could not be
    /// reached (`status` None). `message` never contains keys or client secrets.
    #[error("payment provider {provider} failed{}: {message}", status.map(|s| format!(" with HTTP {s}")).unwrap_or_default())]
    Provider {
        provider: &'static str,
        status: Option<u16>,
        code: Option<String>,
        message: String,
    },
    /// The database failed; never caused by input.
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
