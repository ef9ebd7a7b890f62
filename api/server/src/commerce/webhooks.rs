//! `POST /webhooks/stripe`: the raw body and the `Stripe-Signature` header go to the
//! payments service, which verifies them and applies each event id once. The order
//! becomes paid from this alone, even if the shopper closed the tab.

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Json, Router};
use emporium_client::types::Problem;
use emporium_payments::WebhookOutcome;
use serde::Serialize;

use crate::{problem::ApiResult, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/stripe", post(stripe_webhook))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookReceipt {
    /// `processed`, `duplicate` or `ignored`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

/// Stripe events (`payment_intent.succeeded`, `payment_intent.payment_failed`,
/// `charge.refunded`). A bad or stale signature is a 400 and changes nothing; a repeated
/// event id is acknowledged with `duplicate` and changes nothing.
#[utoipa::path(post, path = "/webhooks/stripe", tag = "webhooks",
    params(("Stripe-Signature" = String, Header)),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = Problem)))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
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
