use std::sync::Arc;

use http::{header, Method, Request, StatusCode};
use serde::{de::DeserializeOwned, Serialize};

use crate::{
    accounts::{
        admin::{
            CustomerDetail, CustomerGroup, CustomerGroupInput, CustomerListQuery, GroupMember,
        },
        AddressInput, AddressPatch, ChangeEmail, ChangePassword, CheckYourInbox,
        ConfirmPasswordReset, Customer, Login, ProfilePatch, RegisterCustomer,
        RequestPasswordReset, SavedAddress, SessionToken, VerificationStatus, VerifyEmail,
    },
    commerce::{
        AddLine, ApplyDiscount, Cart, CheckoutDetails, CreateCart, Order, PaymentMethod,
        PlacedOrder, Region, ShippingOption, UpdateLine, VariantAvailability,
    },
    transport::{Transport, TransportError},
    types::{
        admin::{PriceList, PriceListInput},
        Category, Collection, Page, Problem, Product, ProductQuery, ProductSummary,
    },
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The API answered with a problem document (4xx/5xx).
    #[error("{} ({}): {}", .0.title, .0.code, .0.detail)]
    Api(Problem),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("unexpected response: {0}")]
    Decode(String),
}

impl ClientError {
    /// The HTTP status the API answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api(problem) => Some(problem.status),
            _ => None,
        }
    }
}

/// A typed client for the Store API. Cheap to clone: one client serves every shopper of
/// a storefront, each request through [`Client::signed_in`] /
/// [`Client::for_shopper`] copies that carry the shopper's session and address.
#[derive(Clone)]
pub struct Client {
    transport: Arc<dyn Transport>,
    /// `Bearer <session token>`, sent with every request.
    authorization: Option<Arc<str>>,
    /// The shopper's address, sent as `x-forwarded-for` for the API's rate limits.
    shopper_address: Option<Arc<str>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The session token is a credential: never shown.
        f.debug_struct("Client")
            .field("signed_in", &self.authorization.is_some())
            .field("shopper_address", &self.shopper_address)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(transport: impl Transport) -> Self {
        Client {
            transport: Arc::new(transport),
            authorization: None,
            shopper_address: None,
        }
    }

    /// This client acting for the customer session `token` (from [`Client::login`]):
    /// every request carries `Authorization: Bearer <token>`, which the `/me` routes
    /// need and which makes the customer's own carts reachable.
    pub fn signed_in(&self, token: &str) -> Client {
        Client {
            authorization: Some(Arc::from(format!("Bearer {token}"))),
            ..self.clone()
        }
    }

    /// This client naming the shopper's address (`x-forwarded-for`), so that a
    /// server-side caller such as the storefront is rate limited per shopper, not as
    /// one client.
    pub fn for_shopper(&self, address: &str) -> Client {
        Client {
            shopper_address: Some(Arc::from(address)),
            ..self.clone()
        }
    }

    /// `GET /store/products`
    pub async fn list_products(
        &self,
        query: &ProductQuery,
    ) -> Result<Page<ProductSummary>, ClientError> {
        self.get("/store/products", Some(query)).await
    }

    /// `GET /store/products/{id_or_handle}`
    pub async fn get_product(&self, id_or_handle: &str) -> Result<Product, ClientError> {
        self.get::<_, ()>(
            &format!("/store/products/{}", encode_segment(id_or_handle)),
            None,
        )
        .await
    }

    /// `GET /store/search`: products matching words (typos forgiven), filters and
    /// facet counts.
    pub async fn search(
        &self,
        params: &crate::search::SearchParams,
    ) -> Result<crate::search::SearchPage, ClientError> {
        let uri = format!("/store/search?{}", params.to_query_string());
        self.send::<_, ()>(Method::GET, uri, None, &[]).await
    }

    /// `GET /store/search/suggest`: a few products and categories for what was typed.
    pub async fn suggest(&self, q: &str) -> Result<crate::search::Suggestions, ClientError> {
        self.get("/store/search/suggest", Some(&[("q", q)])).await
    }

    /// `GET /store/categories`: the whole tree, roots first.
    pub async fn list_categories(&self) -> Result<Page<Category>, ClientError> {
        self.get::<_, ()>("/store/categories", None).await
    }

    /// `GET /store/collections`
    pub async fn list_collections(&self) -> Result<Page<Collection>, ClientError> {
        self.get::<_, ()>("/store/collections", None).await
    }

    /// `GET /store/collections/{handle}`
    pub async fn get_collection(&self, handle: &str) -> Result<Collection, ClientError> {
        self.get::<_, ()>(
            &format!("/store/collections/{}", encode_segment(handle)),
            None,
        )
        .await
    }

    /// `GET /store/products/{id_or_handle}/availability`: units available per variant.
    pub async fn product_availability(
        &self,
        id_or_handle: &str,
    ) -> Result<Page<VariantAvailability>, ClientError> {
        self.get::<_, ()>(
            &format!(
                "/store/products/{}/availability",
                encode_segment(id_or_handle)
            ),
            None,
        )
        .await
    }

    /// `GET /store/payment-methods`
    pub async fn payment_methods(&self) -> Result<Page<PaymentMethod>, ClientError> {
        self.get::<_, ()>("/store/payment-methods", None).await
    }

    /// `GET /store/regions`
    pub async fn list_regions(&self) -> Result<Page<Region>, ClientError> {
        self.get::<_, ()>("/store/regions", None).await
    }

    /// `POST /store/carts`
    pub async fn create_cart(&self, input: &CreateCart) -> Result<Cart, ClientError> {
        self.send(Method::POST, "/store/carts".to_owned(), Some(input), &[])
            .await
    }

    /// `GET /store/carts/{id}`
    pub async fn get_cart(&self, cart_id: &str) -> Result<Cart, ClientError> {
        self.get::<_, ()>(&cart_path(cart_id, ""), None).await
    }

    /// `POST /store/carts/{id}/line-items`
    pub async fn add_line(&self, cart_id: &str, input: &AddLine) -> Result<Cart, ClientError> {
        self.send(
            Method::POST,
            cart_path(cart_id, "/line-items"),
            Some(input),
            &[],
        )
        .await
    }

    /// `PATCH /store/carts/{id}/line-items/{line_id}`
    pub async fn update_line(
        &self,
        cart_id: &str,
        line_id: &str,
        input: &UpdateLine,
    ) -> Result<Cart, ClientError> {
        let path = cart_path(cart_id, &format!("/line-items/{}", encode_segment(line_id)));
        self.send(Method::PATCH, path, Some(input), &[]).await
    }

    /// `DELETE /store/carts/{id}/line-items/{line_id}`
    pub async fn remove_line(&self, cart_id: &str, line_id: &str) -> Result<Cart, ClientError> {
        let path = cart_path(cart_id, &format!("/line-items/{}", encode_segment(line_id)));
        self.send::<_, ()>(Method::DELETE, path, None, &[]).await
    }

    /// `POST /store/carts/{id}/discounts`
    pub async fn apply_discount(
        &self,
        cart_id: &str,
        input: &ApplyDiscount,
    ) -> Result<Cart, ClientError> {
        self.send(
            Method::POST,
            cart_path(cart_id, "/discounts"),
            Some(input),
            &[],
        )
        .await
    }

    /// `DELETE /store/carts/{id}/discounts`
    pub async fn remove_discount(&self, cart_id: &str) -> Result<Cart, ClientError> {
        self.send::<_, ()>(Method::DELETE, cart_path(cart_id, "/discounts"), None, &[])
            .await
    }

    /// `GET /store/carts/{id}/shipping-options`
    pub async fn shipping_options(
        &self,
        cart_id: &str,
    ) -> Result<Page<ShippingOption>, ClientError> {
        self.get::<_, ()>(&cart_path(cart_id, "/shipping-options"), None)
            .await
    }

    /// `POST /store/carts/{id}/checkout`
    pub async fn set_checkout_details(
        &self,
        cart_id: &str,
        input: &CheckoutDetails,
    ) -> Result<Cart, ClientError> {
        self.send(
            Method::POST,
            cart_path(cart_id, "/checkout"),
            Some(input),
            &[],
        )
        .await
    }

    /// `POST /store/carts/{id}/complete` with an `Idempotency-Key`: retrying with the same
    /// key returns the same order.
    pub async fn complete_cart(
        &self,
        cart_id: &str,
        idempotency_key: &str,
    ) -> Result<PlacedOrder, ClientError> {
        self.send::<_, ()>(
            Method::POST,
            cart_path(cart_id, "/complete"),
            None,
            &[("idempotency-key", idempotency_key)],
        )
        .await
    }

    /// `GET /store/orders/{id}?token=…`: a guest reads their order with its access token.
    pub async fn get_order(&self, order_id: &str, token: &str) -> Result<Order, ClientError> {
        #[derive(Serialize)]
        struct TokenQuery<'a> {
            token: &'a str,
        }
        self.get(
            &format!("/store/orders/{}", encode_segment(order_id)),
            Some(&TokenQuery { token }),
        )
        .await
    }

    // ----- customer accounts -----
    //
    // The `/me` routes and `logout` act for the session of a client made with
    // [`Client::signed_in`].

    /// `POST /store/customers`: the same answer whether or not the email has an
    /// account; never logs in.
    pub async fn register(&self, input: &RegisterCustomer) -> Result<CheckYourInbox, ClientError> {
        self.send(
            Method::POST,
            "/store/customers".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `POST /store/auth/login`
    pub async fn login(&self, input: &Login) -> Result<SessionToken, ClientError> {
        self.send(
            Method::POST,
            "/store/auth/login".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `POST /store/auth/logout`: ends this session.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.send_empty::<()>(Method::POST, "/store/auth/logout", None)
            .await
    }

    /// `POST /store/auth/logout-everywhere`: ends every session of the customer.
    pub async fn logout_everywhere(&self) -> Result<(), ClientError> {
        self.send_empty::<()>(Method::POST, "/store/auth/logout-everywhere", None)
            .await
    }

    /// `POST /store/auth/password-reset`: the same answer whether or not the email has
    /// an account.
    pub async fn request_password_reset(
        &self,
        input: &RequestPasswordReset,
    ) -> Result<CheckYourInbox, ClientError> {
        self.send(
            Method::POST,
            "/store/auth/password-reset".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `POST /store/auth/password-reset/confirm`: sets the new password and ends every
    /// session; log in afterwards.
    pub async fn confirm_password_reset(
        &self,
        input: &ConfirmPasswordReset,
    ) -> Result<(), ClientError> {
        self.send_empty(
            Method::POST,
            "/store/auth/password-reset/confirm",
            Some(input),
        )
        .await
    }

    /// `POST /store/auth/verify-email`
    pub async fn verify_email(&self, input: &VerifyEmail) -> Result<(), ClientError> {
        self.send_empty(Method::POST, "/store/auth/verify-email", Some(input))
            .await
    }

    /// `POST /store/customers/me/verification`: mails a new verification link.
    pub async fn resend_verification(&self) -> Result<VerificationStatus, ClientError> {
        self.send::<_, ()>(
            Method::POST,
            "/store/customers/me/verification".to_owned(),
            None,
            &[],
        )
        .await
    }

    /// `GET /store/customers/me`
    pub async fn me(&self) -> Result<Customer, ClientError> {
        self.send::<_, ()>(Method::GET, "/store/customers/me".to_owned(), None, &[])
            .await
    }

    /// `PATCH /store/customers/me`
    pub async fn update_me(&self, input: &ProfilePatch) -> Result<Customer, ClientError> {
        self.send(
            Method::PATCH,
            "/store/customers/me".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `POST /store/customers/me/password`: keeps this session, ends the others.
    pub async fn change_password(&self, input: &ChangePassword) -> Result<(), ClientError> {
        self.send_empty(Method::POST, "/store/customers/me/password", Some(input))
            .await
    }

    /// `POST /store/customers/me/email`
    pub async fn change_email(&self, input: &ChangeEmail) -> Result<Customer, ClientError> {
        self.send(
            Method::POST,
            "/store/customers/me/email".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `GET /store/customers/me/addresses`
    pub async fn addresses(&self) -> Result<Page<SavedAddress>, ClientError> {
        self.send::<_, ()>(
            Method::GET,
            "/store/customers/me/addresses".to_owned(),
            None,
            &[],
        )
        .await
    }

    /// `POST /store/customers/me/addresses`
    pub async fn add_address(&self, input: &AddressInput) -> Result<SavedAddress, ClientError> {
        self.send(
            Method::POST,
            "/store/customers/me/addresses".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `GET /store/customers/me/addresses/{id}`
    pub async fn address(&self, address_id: &str) -> Result<SavedAddress, ClientError> {
        self.send::<_, ()>(Method::GET, address_path(address_id), None, &[])
            .await
    }

    /// `PATCH /store/customers/me/addresses/{id}`
    pub async fn update_address(
        &self,
        address_id: &str,
        input: &AddressPatch,
    ) -> Result<SavedAddress, ClientError> {
        self.send(Method::PATCH, address_path(address_id), Some(input), &[])
            .await
    }

    /// `DELETE /store/customers/me/addresses/{id}`
    pub async fn delete_address(&self, address_id: &str) -> Result<(), ClientError> {
        self.send_empty::<()>(Method::DELETE, &address_path(address_id), None)
            .await
    }

    /// `GET /store/customers/me/orders`: newest first.
    pub async fn my_orders(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<Order>, ClientError> {
        #[derive(Serialize)]
        struct PageQuery<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            limit: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            cursor: Option<&'a str>,
        }
        self.get(
            "/store/customers/me/orders",
            Some(&PageQuery { limit, cursor }),
        )
        .await
    }

    /// `GET /store/customers/me/orders/{id}`
    pub async fn my_order(&self, order_id: &str) -> Result<Order, ClientError> {
        self.get::<_, ()>(
            &format!("/store/customers/me/orders/{}", encode_segment(order_id)),
            None,
        )
        .await
    }

    // ----- Admin API: customers, customer groups, price lists -----
    //
    // For a client made with `signed_in(<admin token>)`: the Admin API takes its token
    // as `Authorization: Bearer` too.

    /// `GET /admin/customers`: newest first, searched and filtered by `query`.
    pub async fn admin_customers(
        &self,
        query: &CustomerListQuery,
    ) -> Result<Page<Customer>, ClientError> {
        self.get("/admin/customers", Some(query)).await
    }

    /// `GET /admin/customers/{id}`
    pub async fn admin_customer(&self, customer_id: &str) -> Result<CustomerDetail, ClientError> {
        self.get::<_, ()>(
            &format!("/admin/customers/{}", encode_segment(customer_id)),
            None,
        )
        .await
    }

    /// `GET /admin/customer-groups`
    pub async fn customer_groups(&self) -> Result<Page<CustomerGroup>, ClientError> {
        self.get::<_, ()>("/admin/customer-groups", None).await
    }

    /// `POST /admin/customer-groups`
    pub async fn create_customer_group(
        &self,
        input: &CustomerGroupInput,
    ) -> Result<CustomerGroup, ClientError> {
        self.send(
            Method::POST,
            "/admin/customer-groups".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `PATCH /admin/customer-groups/{id}`
    pub async fn rename_customer_group(
        &self,
        group_id: &str,
        input: &CustomerGroupInput,
    ) -> Result<CustomerGroup, ClientError> {
        self.send(Method::PATCH, group_path(group_id, ""), Some(input), &[])
            .await
    }

    /// `DELETE /admin/customer-groups/{id}`
    pub async fn delete_customer_group(&self, group_id: &str) -> Result<(), ClientError> {
        self.send_empty::<()>(Method::DELETE, &group_path(group_id, ""), None)
            .await
    }

    /// `POST /admin/customer-groups/{id}/customers`
    pub async fn add_to_customer_group(
        &self,
        group_id: &str,
        customer_id: &str,
    ) -> Result<(), ClientError> {
        let member = GroupMember {
            customer_id: customer_id.to_owned(),
        };
        self.send_empty(
            Method::POST,
            &group_path(group_id, "/customers"),
            Some(&member),
        )
        .await
    }

    /// `DELETE /admin/customer-groups/{id}/customers/{customer_id}`
    pub async fn remove_from_customer_group(
        &self,
        group_id: &str,
        customer_id: &str,
    ) -> Result<(), ClientError> {
        let path = group_path(
            group_id,
            &format!("/customers/{}", encode_segment(customer_id)),
        );
        self.send_empty::<()>(Method::DELETE, &path, None).await
    }

    /// `GET /admin/price-lists`
    pub async fn price_lists(&self) -> Result<Page<PriceList>, ClientError> {
        self.get::<_, ()>("/admin/price-lists", None).await
    }

    /// `GET /admin/price-lists/{id}`
    pub async fn price_list(&self, price_list_id: &str) -> Result<PriceList, ClientError> {
        self.get::<_, ()>(&price_list_path(price_list_id), None)
            .await
    }

    /// `POST /admin/price-lists`
    pub async fn create_price_list(
        &self,
        input: &PriceListInput,
    ) -> Result<PriceList, ClientError> {
        self.send(
            Method::POST,
            "/admin/price-lists".to_owned(),
            Some(input),
            &[],
        )
        .await
    }

    /// `PUT /admin/price-lists/{id}`: replaces every field.
    pub async fn replace_price_list(
        &self,
        price_list_id: &str,
        input: &PriceListInput,
    ) -> Result<PriceList, ClientError> {
        self.send(
            Method::PUT,
            price_list_path(price_list_id),
            Some(input),
            &[],
        )
        .await
    }

    /// `DELETE /admin/price-lists/{id}`
    pub async fn delete_price_list(&self, price_list_id: &str) -> Result<(), ClientError> {
        self.send_empty::<()>(Method::DELETE, &price_list_path(price_list_id), None)
            .await
    }

    async fn get<T: DeserializeOwned, Q: Serialize>(
        &self,
        path: &str,
        query: Option<&Q>,
    ) -> Result<T, ClientError> {
        let mut uri = path.to_owned();
        if let Some(query) = query {
            let qs = serde_urlencoded::to_string(query)
                .map_err(|e| ClientError::Decode(format!("cannot encode query: {e}")))?;
            if !qs.is_empty() {
                uri.push('?');
                uri.push_str(&qs);
            }
        }
        self.send::<T, ()>(Method::GET, uri, None, &[]).await
    }

    async fn send<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        uri: String,
        body: Option<&B>,
        headers: &[(&str, &str)],
    ) -> Result<T, ClientError> {
        let body = self.exchange(method, uri, body, headers).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// A request answered without a body (`204 No Content`).
    async fn send_empty<B: Serialize>(
        &self,
        method: Method,
        uri: &str,
        body: Option<&B>,
    ) -> Result<(), ClientError> {
        self.exchange(method, uri.to_owned(), body, &[])
            .await
            .map(drop)
    }

    /// Sends the request; the body of a 2xx answer, or the problem of any other.
    async fn exchange<B: Serialize>(
        &self,
        method: Method,
        uri: String,
        body: Option<&B>,
        headers: &[(&str, &str)],
    ) -> Result<Vec<u8>, ClientError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT, "application/json");
        if let Some(auth) = &self.authorization {
            builder = builder.header(header::AUTHORIZATION, auth.as_ref());
        }
        if let Some(address) = &self.shopper_address {
            builder = builder.header("x-forwarded-for", address.as_ref());
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let bytes = match body {
            Some(body) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                serde_json::to_vec(body)
                    .map_err(|e| ClientError::Decode(format!("cannot encode body: {e}")))?
            }
            None => Vec::new(),
        };
        let request = builder
            .body(bytes)
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let response = self.transport.send(request).await?;
        let status = response.status();
        let body = response.into_body();
        if status.is_success() {
            Ok(body)
        } else {
            Err(ClientError::Api(problem_from(status, &body)))
        }
    }
}

fn address_path(address_id: &str) -> String {
    format!(
        "/store/customers/me/addresses/{}",
        encode_segment(address_id)
    )
}

fn group_path(group_id: &str, rest: &str) -> String {
    format!("/admin/customer-groups/{}{rest}", encode_segment(group_id))
}

fn price_list_path(price_list_id: &str) -> String {
    format!("/admin/price-lists/{}", encode_segment(price_list_id))
}

fn cart_path(cart_id: &str, rest: &str) -> String {
    format!("/store/carts/{}{rest}", encode_segment(cart_id))
}

fn problem_from(status: StatusCode, body: &[u8]) -> Problem {
    serde_json::from_slice(body).unwrap_or_else(|_| Problem {
        kind: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("error").to_owned(),
        status: status.as_u16(),
        detail: String::from_utf8_lossy(body).into_owned(),
        code: "unexpected_response".to_owned(),
        param: None,
        request_id: None,
    })
}

/// Percent-encodes one path segment (handles are ASCII slugs, but callers may pass
/// anything a user typed).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode_segment("blue-shirt_2"), "blue-shirt_2");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn a_non_problem_error_body_still_yields_a_problem() {
        let p = problem_from(StatusCode::BAD_GATEWAY, b"upstream down");
        assert_eq!(p.status, 502);
        assert_eq!(p.detail, "upstream down");
    }
}
