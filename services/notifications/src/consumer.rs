//! The `notifications.emails` consumer: turns order and `customer.*` events into queued
//! emails.
//!
//! Idempotent by construction: each email's dedupe key is `{event_id}:{template}` and
//! the insert is `ON CONFLICT DO NOTHING`, so an event that the dispatcher hands over
//! again (after a crash, or from a second dispatcher) never queues a second email.
//!
//! Account emails carry a link with a secret token: nothing here logs a payload, a
//! body or a link, only ids and template names.

use emporium_kernel::{
    clock::now_ms,
    db::Database,
    events::{Consumer, Event, HandleError},
    id::new_id,
};

use crate::{
    payload::{CustomerPayload, OrderPayload},
    store::{self, NewEmail},
    template::{render, render_account, Recipient, ShopDetails, Template},
};

/// Stored consumer name (progress is kept under it: never rename).
pub const CONSUMER_NAME: &str = "notifications.emails";

pub(crate) struct EmailConsumer {
    pub(crate) db: Database,
    pub(crate) shop: ShopDetails,
    /// Where merchant notifications go; none are queued without it.
    pub(crate) merchant_email: Option<String>,
}

#[async_trait::async_trait]
impl Consumer for EmailConsumer {
    fn name(&self) -> &'static str {
        CONSUMER_NAME
    }

    fn wants(&self, topic: &str) -> bool {
        Template::wanted(topic)
    }

    /// A payload that does not decode or lacks what its template needs is a contract
    /// bug in the producer: it is reported as a failure so the dispatcher retries it
    /// (a fixed deploy then sends the email) and finally parks it visibly as dead.
    async fn handle(&self, event: &Event) -> Result<(), HandleError> {
        // A topic this consumer does not want sends nothing (its payload may be of any
        // shape).
        if !Template::wanted(&event.topic) {
            return Ok(());
        }
        let queued = match Template::for_account_event(&event.topic) {
            Some(template) => self.account_email(event, template)?.into_iter().collect(),
            None => self.order_emails(event)?,
        };
        if queued.is_empty() {
            return Ok(());
        }
        let ids: Vec<(String, &'static str)> =
            queued.iter().map(|e| (e.id.clone(), e.template)).collect();
        let subject_id = queued
            .first()
            .map(|e| e.subject_id.clone())
            .unwrap_or_default();
        let inserted = self
            .db
            .write(async move |conn| {
                let mut inserted = Vec::with_capacity(queued.len());
                for new in &queued {
                    inserted.push(store::insert_email(conn, new).await?);
                }
                Ok::<_, crate::NotificationsError>(inserted)
            })
            .await
            .map_err(HandleError::new)?;
        for ((id, template), inserted) in ids.iter().zip(inserted) {
            if inserted {
                tracing::info!(email_id = %id, template, subject_id = %subject_id, event_id = %event.id, "email queued");
            } else {
                tracing::debug!(template, subject_id = %subject_id, event_id = %event.id, "email already queued for this event");
            }
        }
        Ok(())
    }
}

fn undecodable(event: &Event, e: impl std::fmt::Display) -> HandleError {
    HandleError::new(format!("{} payload does not decode: {e}", event.topic))
}

impl EmailConsumer {
    /// The emails of an order event (none, one, or the customer's and the merchant's).
    fn order_emails(&self, event: &Event) -> Result<Vec<NewEmail>, HandleError> {
        let payload: OrderPayload = event.decode().map_err(|e| undecodable(event, e))?;
        let order_id = if payload.order.id.is_empty() {
            event.aggregate_id.as_str()
        } else {
            payload.order.id.as_str()
        };
        let mut queued = Vec::new();
        for template in Template::for_event(&event.topic, &payload) {
            let to = match template.recipient() {
                Recipient::Customer => payload.order.email.trim().to_owned(),
                Recipient::Merchant => match &self.merchant_email {
                    Some(to) => to.clone(),
                    None => continue,
                },
                // Orders have no previous address; no order template goes there.
                Recipient::PreviousAddress => continue,
            };
            let email = render(template, &payload, &self.shop).map_err(HandleError::new)?;
            queued.push(NewEmail {
                id: new_id("eml"),
                dedupe_key: format!("{}:{}", event.id, template.as_str()),
                subject_id: order_id.to_owned(),
                template: template.as_str(),
                to_address: to,
                subject: email.subject,
                text_body: email.text,
                html_body: email.html,
                now: now_ms(),
            });
        }
        Ok(queued)
    }

    /// The one email of a `customer.*` event, filed under the customer.
    fn account_email(
        &self,
        event: &Event,
        template: Template,
    ) -> Result<Option<NewEmail>, HandleError> {
        let payload: CustomerPayload = event.decode().map_err(|e| undecodable(event, e))?;
        let to = match template.recipient() {
            Recipient::Customer => payload.email.trim().to_owned(),
            Recipient::PreviousAddress => payload
                .old_email
                .as_deref()
                .map(str::trim)
                .unwrap_or_default()
                .to_owned(),
            // The merchant hears of no account event.
            Recipient::Merchant => return Ok(None),
        };
        let email = render_account(template, &payload, &self.shop).map_err(HandleError::new)?;
        let customer_id = if payload.customer_id.is_empty() {
            event.aggregate_id.clone()
        } else {
            payload.customer_id.clone()
        };
        Ok(Some(NewEmail {
            id: new_id("eml"),
            dedupe_key: format!("{}:{}", event.id, template.as_str()),
            subject_id: customer_id,
            template: template.as_str(),
            to_address: to,
            subject: email.subject,
            text_body: email.text,
            html_body: email.html,
            now: now_ms(),
        }))
    }
}
