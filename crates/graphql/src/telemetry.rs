//! Records the GraphQL operation on the request's span. Deliberately not
//! async-graphql's stock OpenTelemetry extension, which records the raw variables
//! (personal data). Only the operation name and type are recorded here; the
//! tenant id is recorded by the server's auth layer.

use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use std::sync::Arc;

pub(crate) struct Telemetry;

impl ExtensionFactory for Telemetry {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Telemetry)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Telemetry {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let span = tracing::Span::current();
        // Client-chosen operation names are bounded so they cannot flood the traces.
        let name: String = operation_name
            .unwrap_or("anonymous")
            .chars()
            .take(64)
            .collect();
        span.record("graphql.operation", name.as_str());
        let resp = next.run(ctx, operation_name).await;
        if !resp.errors.is_empty() {
            span.record("graphql.errors", resp.errors.len());
        }
        resp
    }
}
