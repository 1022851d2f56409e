//! Whether the request's reads may share one transaction (db::ReadUnit): only once
//! the document is known to hold nothing but queries.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerResult, Variables};
use std::sync::Arc;

/// Turns the request's read unit on once the document is known to hold only
/// queries (db::ReadUnit): a mutation's reads and writes keep their own
/// transactions.
pub(crate) struct ReadShare;

impl ExtensionFactory for ReadShare {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadShare)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ReadShare {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        if doc
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query)
        {
            db::ReadUnit::enable_current();
        }
        Ok(doc)
    }
}
