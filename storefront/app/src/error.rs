//! What can go wrong when a page asks the Store API for data, in the two kinds a
//! shopper can tell apart: "there is no such page" and "try again later".

use std::fmt;

use emporium_client::ClientError;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// The error of every storefront server function. It crosses the wire as JSON, so a
/// page rendered after client-side navigation shows the same 404 as the server would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// The API answered 404 (no such product, category or collection) or 400 (e.g. a
    /// stale or hand-edited `?cursor=`): either way there is no such page.
    NotFound,
    /// The API failed or could not be reached. The text is for logs, not shoppers.
    Unavailable(String),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound => f.write_str("not found"),
            AppError::Unavailable(reason) => write!(f, "the catalog is unavailable: {reason}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<ClientError> for AppError {
    fn from(error: ClientError) -> Self {
        match error.status() {
            Some(400 | 404) => AppError::NotFound,
            _ => AppError::Unavailable(error.to_string()),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Unavailable(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emporium_client::types::Problem;

    fn problem(status: u16) -> ClientError {
        ClientError::Api(Problem {
            kind: "about:blank".into(),
            title: "x".into(),
            status,
            detail: "x".into(),
            code: "x".into(),
            param: None,
            request_id: None,
        })
    }

    #[test]
    fn an_api_404_becomes_not_found() {
        assert_eq!(AppError::from(problem(404)), AppError::NotFound);
    }

    #[test]
    fn a_rejected_query_is_no_such_page() {
        assert_eq!(AppError::from(problem(400)), AppError::NotFound);
    }

    #[test]
    fn other_api_failures_become_unavailable() {
        assert!(matches!(
            AppError::from(problem(500)),
            AppError::Unavailable(_)
        ));
        assert!(matches!(
            AppError::from(problem(401)),
            AppError::Unavailable(_)
        ));
        assert!(matches!(
            AppError::from(ClientError::Transport(emporium_client::TransportError(
                "down".into()
            ))),
            AppError::Unavailable(_)
        ));
    }
}
