use emporium_kernel::{contact::FieldError, db::DbError};

/// What can go wrong in the accounts service. The variants say as much as a caller may
/// learn and no more: a wrong password and an unknown email are one
/// [`InvalidCredentials`](AccountError::InvalidCredentials); an unknown, expired and used
/// token are one [`TokenInvalid`](AccountError::TokenInvalid); another customer's
/// address is [`NotFound`](AccountError::NotFound), like one that never existed.
///
/// No variant carries a password, a token or a hash, so the `Display` and `Debug` of an
/// error are safe to log.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// An input field is malformed or breaks a rule; `field` is its path
    /// (`password`, `email`, `address.city`). A 400 naming the field.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// The email and password do not match an account (or the current password given
    /// to change a password or an email is wrong). A 401 that says no more.
    #[error("the email address or the password is not correct")]
    InvalidCredentials,
    /// A verification or password-reset token that is unknown, expired or already used.
    /// Which of the three is not said.
    #[error("this link is invalid or has expired: ask for a new one")]
    TokenInvalid,
    /// No such customer, or no such address in this customer's address book.
    #[error("not found")]
    NotFound,
    /// The database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The password hasher failed (its task panicked, or a stored hash does not parse):
    /// neither input nor the database. A logged 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for AccountError {
    fn from(e: FieldError) -> Self {
        AccountError::InvalidField {
            field: e.field,
            message: e.message,
        }
    }
}

impl AccountError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AccountError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;
