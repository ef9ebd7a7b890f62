//! `POST /webhooks/stripe`: the raw body and the `Stripe-Signature` header go to the
//! payments service, which verifies them and applies each event id once. The order
//! becomes paid from this alone, even if the shopper closed the tab.

use axum::{extract::State, http::HeaderMap, Json};
use emporium_payments::WebhookOutcome;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{extract::RawBody, problem::ApiResult, AppState};

/// The route with its OpenAPI operation.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stripe_webhook))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookReceipt {
    /// `processed`, `duplicate` or `ignored`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

/// Stripe events (`payment_intent.succeeded`, `payment_intent.payment_failed`,
/// `charge.refunded`), the body exactly as Stripe sent it (the signature covers its
/// bytes). A bad or stale signature is a 400 and changes nothing; a repeated event id is
/// acknowledged with `duplicate` and changes nothing.
#[utoipa::path(post, path = "/webhooks/stripe", tag = "webhooks",
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the raw body")),
    responses(
        (status = 200, description = "Processed, a duplicate, or an event type we ignore", body = WebhookReceipt),
        (status = 400, description = "The signature is missing, wrong or stale (`invalid_signature`), or the signed body is not a Stripe event (`invalid_body`)"),
    ))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<WebhookReceipt>> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = emporium_kernel::clock::now_ms() / 1000;
    let outcome = state
        .commerce
        .payments
        .handle_stripe_webhook(&body, signature, now)
        .await?;
    state.commerce.bus.wake();
    let receipt = match outcome {
        WebhookOutcome::Processed { event_type } => WebhookReceipt {
            outcome: "processed",
            event_type: Some(event_type),
        },
        WebhookOutcome::Duplicate => WebhookReceipt {
            outcome: "duplicate",
            event_type: None,
        },
        WebhookOutcome::Ignored { event_type } => WebhookReceipt {
            outcome: "ignored",
            event_type: Some(event_type),
        },
    };
    Ok(Json(receipt))
}
