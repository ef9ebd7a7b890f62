//! Who a Store API request is signed in as: the customer session whose token comes as
//! `Authorization: Bearer <token>` (issued by `POST /store/auth/login`). Every route that
//! acts for a signed-in customer takes [`CurrentCustomer`], so there is one place that
//! reads the header and one answer when it is missing or no longer valid.

use std::fmt;

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap},
};
use emporium_accounts::{CustomerId, Session, SessionId};
use emporium_cart::Shopper;

use crate::{
    problem::{ApiError, ProblemCode},
    AppState,
};

/// The signed-in customer. Extracting it authenticates the token (and slides the
/// session's idle expiry); a missing, malformed, unknown, expired or ended token is a
/// 401 `unauthenticated` with `WWW-Authenticate: Bearer`.
pub struct CurrentCustomer {
    pub session: Session,
    /// The raw token, kept to end this very session at logout. Never logged: `Debug`
    /// leaves it out.
    token: String,
}

impl CurrentCustomer {
    pub fn customer_id(&self) -> &CustomerId {
        &self.session.customer_id
    }

    pub fn session_id(&self) -> &SessionId {
        &self.session.id
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for CurrentCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentCustomer")
            .field("session", &self.session)
            .field("token", &"<redacted>")
            .finish()
    }
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(ProblemCode::Unauthenticated, detail)
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case, as
/// RFC 9110 has it); `None` when there is no such header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for CurrentCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(&parts.headers) else {
            return Err(unauthenticated(
                "sign in first: send `Authorization: Bearer <token>` with the token from \
                 POST /store/auth/login",
            ));
        };
        match state.commerce.accounts.authenticate(token).await? {
            Some(session) => Ok(CurrentCustomer {
                session,
                token: token.to_owned(),
            }),
            None => Err(unauthenticated(
                "this session has ended or the token is not valid: sign in again",
            )),
        }
    }
}

/// Who a cart or checkout request comes from: a guest (no `Authorization` header) or
/// the signed-in customer. A header whose session is not valid is the same 401 as for
/// [`CurrentCustomer`], not a silent guest: the caller believes it is signed in.
pub struct AsShopper(pub Shopper);

impl FromRequestParts<AppState> for AsShopper {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(AsShopper(Shopper::Guest));
        }
        let me = CurrentCustomer::from_request_parts(parts, state).await?;
        Ok(AsShopper(Shopper::Customer(me.session.customer_id)))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(header::AUTHORIZATION, value);
        }
        headers
    }

    #[test]
    fn only_a_bearer_authorization_with_a_token_is_read() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic YWxhZGRpbjpvcGVu")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
