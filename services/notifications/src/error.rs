use emporium_kernel::db::DbError;

/// What can go wrong in the notifications service; every variant names the field or
/// thing to fix.
#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// Startup configuration is unusable (a mistake in an admin form, or a startup
    /// failure): `field` names the setting (`from`, `storefront_url`, `transport.url`).
    #[error("notifications config `{field}`: {message}")]
    Config {
        field: &'static str,
        message: String,
    },
    /// An event's payload lacks what a template needs: `field` is the JSON path in the
    /// event payload (`fulfillment`, `order.currency`, `token`), or `template` when the
    /// template is for the other kind of payload (an order email from a customer one).
    #[error("cannot render `{template}`: `{field}` {message}")]
    Render {
        template: &'static str,
        field: &'static str,
        message: String,
    },
    /// A template name that does not exist: `name` is what was asked for.
    #[error("unknown email template `{name}`: use one of the names of `Template::ALL`, e.g. order_confirmation or verify_email")]
    UnknownTemplate { name: String },
    /// The database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl NotificationsError {
    pub(crate) fn render(
        template: &'static str,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        NotificationsError::Render {
            template,
            field,
            message: message.into(),
        }
    }
}

pub type Result<T, E = NotificationsError> = std::result::Result<T, E>;
