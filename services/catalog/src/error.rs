use emporium_kernel::db::DbError;

/// What can go wrong in the catalog. The HTTP layer maps each kind to its response.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No such product, variant, category, collection or image.
    #[error("{entity} `{id}` does not exist")]
    NotFound { entity: &'static str, id: String },
    /// A field or parameter is malformed; `message` says what to change.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The value is taken (duplicate handle or SKU) or the change conflicts with
    /// existing data (e.g. a category cannot become its own descendant).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// The database failed; never caused by input.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl CatalogError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CatalogError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        CatalogError::NotFound {
            entity,
            id: id.into(),
        }
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
