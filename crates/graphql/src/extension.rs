//! The schema's one async-graphql extension, so that what runs where is written in
//! one place: on each parsed document, the read unit's switch (`read_share`), the
//! operation types for the spans (`telemetry`), then the document limits
//! (`limits`); around each operation, its span.

use crate::limits::{DocumentLimits, Limits};
use crate::telemetry::OperationSpan;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerResult, Variables};
use std::sync::Arc;

pub(crate) struct Hooks {
    limits: DocumentLimits,
}

impl Hooks {
    pub(crate) fn new(l: &Limits) -> Self {
        Self {
            limits: DocumentLimits::new(l),
        }
    }
}

impl ExtensionFactory for Hooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestHooks {
            limits: self.limits,
            span: OperationSpan::default(),
        })
    }
}

/// One request's hooks.
struct RequestHooks {
    limits: DocumentLimits,
    span: OperationSpan,
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestHooks {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        crate::read_share::share_reads(&doc);
        self.span.learn(&doc);
        self.limits.check(&doc)?;
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let run = next.run(ctx, operation_name);
        self.span.execute(operation_name, run).await
    }
}
