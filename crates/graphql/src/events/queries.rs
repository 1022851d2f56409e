use super::types::{WebhookDelivery, WebhookEndpoint};
use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::decode_id;
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

#[derive(Default)]
pub struct EventsQuery;

#[Object]
impl EventsQuery {
    /// The partner's webhook endpoints (its people).
    async fn webhook_endpoints(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, WebhookEndpoint>> {
        paged(c, first, after, |s, ctx, p| async move {
            s.events.list_endpoints(ctx, p).await
        })
        .await
    }

    /// One endpoint's deliveries, newest first: status, attempts, last response code.
    async fn webhook_deliveries(
        &self,
        c: &Context<'_>,
        endpoint_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, WebhookDelivery>> {
        paged(c, first, after, |s, ctx, p| async move {
            let endpoint = decode_id("endpointId", &endpoint_id, "WebhookEndpoint")?;
            s.events.list_deliveries(ctx, endpoint, p).await
        })
        .await
    }

    /// Whether the signed-in person gets reminders by e-mail.
    async fn reminders_enabled(&self, c: &Context<'_>) -> Result<bool> {
        let ctx = ctx(c)?;
        services(c)?.events.reminders_enabled(ctx).await.gql()
    }
}
