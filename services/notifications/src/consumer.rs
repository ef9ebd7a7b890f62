//! The `notifications.emails` consumer: turns order events into queued emails.
//!
//! Idempotent by construction: each email's dedupe key is `{event_id}:{template}` and
//! the insert is `ON CONFLICT DO NOTHING`, so an event that the dispatcher hands over
//! again (after a crash, or from a second dispatcher) never queues a second email.

use emporium_kernel::{
    clock::now_ms,
    db::Database,
    events::{Consumer, Event, HandleError},
    id::new_id,
};

use crate::{
    payload::OrderPayload,
    store::{self, NewEmail},
    template::{render, ShopDetails, Template},
};

/// Stored consumer name (progress is kept under it: never rename).
pub const CONSUMER_NAME: &str = "notifications.emails";

pub(crate) struct EmailConsumer {
    pub(crate) db: Database,
    pub(crate) shop: ShopDetails,
}

#[async_trait::async_trait]
impl Consumer for EmailConsumer {
    fn name(&self) -> &'static str {
        CONSUMER_NAME
    }

    fn wants(&self, topic: &str) -> bool {
        Template::for_topic(topic).is_some()
    }

    /// A payload that does not decode or lacks what its template needs is a contract
    /// bug in the producer: it is reported as a failure so the dispatcher retries it
    /// (a fixed deploy then sends the email) and finally parks it visibly as dead.
    async fn handle(&self, event: &Event) -> Result<(), HandleError> {
        let Some(template) = Template::for_topic(&event.topic) else {
            return Ok(());
        };
        let payload: OrderPayload = event.decode().map_err(|e| {
            HandleError::new(format!("{} payload does not decode: {e}", event.topic))
        })?;
        let email = render(template, &payload, &self.shop).map_err(HandleError::new)?;
        let order_id = if payload.order.id.is_empty() {
            event.aggregate_id.as_str()
        } else {
            payload.order.id.as_str()
        };
        let new = NewEmail {
            id: new_id("eml"),
            dedupe_key: format!("{}:{}", event.id, template.as_str()),
            order_id: order_id.to_owned(),
            template: template.as_str(),
            to_address: payload.order.email.trim().to_owned(),
            subject: email.subject,
            text_body: email.text,
            html_body: email.html,
            now: now_ms(),
        };
        let id = new.id.clone();
        let inserted = self
            .db
            .write(async move |conn| store::insert_email(conn, &new).await)
            .await
            .map_err(HandleError::new)?;
        if inserted {
            tracing::info!(email_id = %id, template = %template, order_id, event_id = %event.id, "email queued");
        } else {
            tracing::debug!(template = %template, order_id, event_id = %event.id, "email already queued for this event");
        }
        Ok(())
    }
}
