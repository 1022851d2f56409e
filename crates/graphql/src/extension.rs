//! The schema's one async-graphql extension, so that what runs where is written in
//! one place: on each parsed document, the read unit's switch (`read_share`), the
//! operation types for the spans (`telemetry`), then the document limits
//! (`limits`); around each operation, its span; after each root mutation field, its
//! entry in the access log (`privacy`).

use crate::limits::{DocumentLimits, Limits};
use crate::telemetry::OperationSpan;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextResolve,
    ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerResult, Value, Variables};
use std::sync::{Arc, Mutex};

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
            variables: Mutex::new(Variables::default()),
        })
    }
}

/// One request's hooks.
struct RequestHooks {
    limits: DocumentLimits,
    span: OperationSpan,
    /// The request's variables, to read a mutation's input for the access log.
    variables: Mutex<Variables>,
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
        if let Ok(mut v) = self.variables.lock() {
            v.clone_from(variables);
        }
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

    /// Root mutation fields are logged once resolved, whatever their outcome
    /// (crate::privacy::log_mutation).
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type != "Mutation" || info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        let operation = info.name;
        let input = self.arguments(info.field);
        let result = next.run(ctx, info).await;
        crate::privacy::log_mutation(ctx, operation, &input, result).await
    }
}

impl RequestHooks {
    /// A field's arguments with the request's variables in place, as one object.
    fn arguments(&self, field: &async_graphql::parser::types::Field) -> Value {
        let vars = self.variables.lock().map(|v| v.clone()).unwrap_or_default();
        Value::Object(
            field
                .arguments
                .iter()
                .map(|(name, value)| {
                    let v = value
                        .node
                        .clone()
                        .into_const_with(|n| {
                            Ok::<_, ()>(vars.get(&n).cloned().unwrap_or(Value::Null))
                        })
                        .unwrap_or(Value::Null);
                    (name.node.clone(), v)
                })
                .collect(),
        )
    }
}
