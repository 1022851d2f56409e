//! Whether the request's reads may share one transaction (db::ReadUnit): only once
//! the document is known to hold nothing but queries.

use async_graphql::parser::types::{ExecutableDocument, OperationType};

/// Turns the request's read unit on when the parsed document holds only queries
/// (db::ReadUnit): a mutation's reads and writes keep their own transactions.
pub(crate) fn share_reads(doc: &ExecutableDocument) {
    if doc
        .operations
        .iter()
        .all(|(_, op)| op.node.ty == OperationType::Query)
    {
        db::ReadUnit::enable_current();
    }
}
