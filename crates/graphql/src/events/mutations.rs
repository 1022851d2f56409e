use super::types::{WebhookDelivery, WebhookEndpoint, WebhookEventType};
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::id_arg;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// Where events are POSTed: https in production, never an internal address.
    url: String,
    event_types: Vec<WebhookEventType>,
    #[graphql(default = true)]
    active: bool,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    endpoint_id: ID,
    url: Option<String>,
    event_types: Option<Vec<WebhookEventType>>,
    /// Turning it on again also ends a disabling after failures.
    active: Option<bool>,
}

#[derive(InputObject)]
pub struct WebhookEndpointInput {
    endpoint_id: ID,
}

#[derive(InputObject)]
pub struct ReplayWebhookDeliveryInput {
    delivery_id: ID,
}

#[derive(InputObject)]
pub struct SetRemindersInput {
    enabled: bool,
}

/// The endpoint, and its signing secret (`whsec_...`): shown this once.
#[derive(SimpleObject)]
pub struct WebhookEndpointSecretPayload {
    endpoint: WebhookEndpoint,
    secret: String,
}

impl From<events::EndpointWithSecret> for WebhookEndpointSecretPayload {
    fn from(made: events::EndpointWithSecret) -> Self {
        Self {
            endpoint: WebhookEndpoint(made.endpoint),
            secret: made.secret,
        }
    }
}

payloads! {
    WebhookEndpointPayload { endpoint: WebhookEndpoint }
    WebhookDeliveryPayload { delivery: WebhookDelivery }
    SetRemindersPayload { reminders_enabled: bool }
}

#[derive(Default)]
pub struct EventsMutation;

#[Object]
impl EventsMutation {
    /// Registers an endpoint for the partner (its people); the payload shows the
    /// signing secret once.
    async fn create_webhook_endpoint(
        &self,
        c: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointSecretPayload> {
        let ctx = ctx(c)?;
        let new = events::NewEndpoint {
            url: input.url,
            event_types: input.event_types.into_iter().map(Into::into).collect(),
            active: input.active,
        };
        let made = services(c)?.events.create_endpoint(ctx, new).await.gql()?;
        Ok(made.into())
    }

    async fn update_webhook_endpoint(
        &self,
        c: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpointPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("endpointId", &input.endpoint_id, "WebhookEndpoint")?;
        let change = events::UpdateEndpoint {
            url: input.url,
            event_types: input
                .event_types
                .map(|t| t.into_iter().map(Into::into).collect()),
            active: input.active,
        };
        let endpoint = services(c)?
            .events
            .update_endpoint(ctx, id, change)
            .await
            .gql()?;
        Ok(WebhookEndpointPayload {
            endpoint: WebhookEndpoint(endpoint),
        })
    }

    /// A new signing secret, shown once; the previous one keeps signing for 24 h
    /// (both signatures are sent meanwhile).
    async fn rotate_webhook_endpoint_secret(
        &self,
        c: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Result<WebhookEndpointSecretPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("endpointId", &input.endpoint_id, "WebhookEndpoint")?;
        let made = services(c)?.events.rotate_secret(ctx, id).await.gql()?;
        Ok(made.into())
    }

    /// Sends a delivered or failed delivery again (same event id), with 24 h of retries.
    async fn replay_webhook_delivery(
        &self,
        c: &Context<'_>,
        input: ReplayWebhookDeliveryInput,
    ) -> Result<WebhookDeliveryPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("deliveryId", &input.delivery_id, "WebhookDelivery")?;
        let delivery = services(c)?.events.replay_delivery(ctx, id).await.gql()?;
        Ok(WebhookDeliveryPayload {
            delivery: WebhookDelivery(delivery),
        })
    }

    /// Turns the signed-in person's reminder e-mails on or off (invitations are
    /// always sent).
    async fn set_reminders(
        &self,
        c: &Context<'_>,
        input: SetRemindersInput,
    ) -> Result<SetRemindersPayload> {
        let ctx = ctx(c)?;
        let reminders_enabled = services(c)?
            .events
            .set_reminders(ctx, input.enabled)
            .await
            .gql()?;
        Ok(SetRemindersPayload { reminders_enabled })
    }
}
