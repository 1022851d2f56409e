//! The GraphQL operation as a child span of the request's span, named by the
//! OpenTelemetry conventions (`graphql.operation.name`, `graphql.operation.type`).
//! Deliberately not async-graphql's stock OpenTelemetry extension, which records
//! the document and the raw variables (personal data): only the operation's name
//! (bounded) and type are recorded. Resolvers, their statements and Redis calls run
//! inside this span, so they are its children.
//!
//! The server's request metrics need the operation too: `observe` runs the request
//! with a slot that `OperationSpan` fills (a task-local, since the operation
//! executes in the request's task). The schema's extension (`extension`) calls it.

use async_graphql::Response;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tracing::Instrument;

/// Longest operation name recorded; longer ones are cut.
const MAX_NAME_CHARS: usize = 64;
/// Distinct operation names a process puts on metrics; later new names are
/// reported as `OTHER_NAME`, so clients cannot grow the metrics without bound.
const MAX_METRIC_NAMES: usize = 200;
pub const OTHER_NAME: &str = "_OTHER";

/// One request's operation spans: the document's operation types, learnt at
/// parsing, name the span of each operation executed.
#[derive(Default)]
pub(crate) struct OperationSpan {
    types: Mutex<HashMap<Option<String>, &'static str>>,
}

fn type_name(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

/// A client-chosen name, cut so it cannot flood the traces; anything but a GraphQL
/// name is not recorded.
fn bounded_name(name: Option<&str>) -> Option<String> {
    let name = name?;
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    valid.then(|| name.chars().take(MAX_NAME_CHARS).collect())
}

/// The name as metrics carry it: one of the first `MAX_METRIC_NAMES` names seen.
pub fn metric_name(name: &str) -> String {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let Ok(mut seen) = SEEN.lock() else {
        return OTHER_NAME.to_owned();
    };
    let seen = seen.get_or_insert_with(HashSet::new);
    if seen.contains(name) {
        return name.to_owned();
    }
    if seen.len() < MAX_METRIC_NAMES {
        seen.insert(name.to_owned());
        return name.to_owned();
    }
    OTHER_NAME.to_owned()
}

impl OperationSpan {
    /// Notes the type of each operation of the parsed document.
    pub(crate) fn learn(&self, doc: &ExecutableDocument) {
        if let Ok(mut types) = self.types.lock() {
            match &doc.operations {
                DocumentOperations::Single(op) => {
                    types.insert(None, type_name(op.node.ty));
                }
                DocumentOperations::Multiple(ops) => {
                    for (name, op) in ops {
                        types.insert(Some(name.to_string()), type_name(op.node.ty));
                    }
                }
            }
        }
    }

    /// Runs one operation (`run`) inside its span, and notes its outcome for the
    /// request's metrics.
    pub(crate) async fn execute(
        &self,
        operation_name: Option<&str>,
        run: impl Future<Output = Response>,
    ) -> Response {
        let ty = self.types.lock().ok().and_then(|t| {
            t.get(&operation_name.map(str::to_owned))
                .or_else(|| t.get(&None))
                .copied()
        });
        let name = bounded_name(operation_name);
        let span_name = match (ty, &name) {
            (Some(ty), Some(n)) => format!("{ty} {n}"),
            (Some(ty), None) => ty.to_owned(),
            (None, _) => "GraphQL Operation".to_owned(),
        };
        let span = tracing::info_span!(
            "graphql",
            otel.name = %span_name,
            graphql.operation.name = tracing::field::Empty,
            graphql.operation.type = tracing::field::Empty,
            graphql.errors = tracing::field::Empty,
            error.type = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        if let Some(n) = &name {
            span.record("graphql.operation.name", n.as_str());
        }
        if let Some(ty) = ty {
            span.record("graphql.operation.type", ty);
        }
        let resp = run.instrument(span.clone()).await;
        let error = resp.errors.first().map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| match c {
                    async_graphql::Value::String(s) => error_code(s),
                    _ => None,
                })
                .unwrap_or("GRAPHQL_ERROR")
        });
        if let Some(code) = error {
            span.record(
                "graphql.errors",
                i64::try_from(resp.errors.len()).unwrap_or(i64::MAX),
            );
            span.record("error.type", code);
            span.record("otel.status_code", "ERROR");
        }
        let _ = OPERATION.try_with(|slot| {
            if let Ok(mut s) = slot.0.lock() {
                s.operations += 1;
                s.name = name;
                s.error = s.error.or(error);
            }
        });
        resp
    }
}

/// The codes of `kernel`'s errors: the only strings taken from a response.
fn error_code(code: &str) -> Option<&'static str> {
    [
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "VALIDATION",
        "CONFLICT",
        "RATE_LIMITED",
        "INTERNAL",
        "TIMEOUT",
        "UNAVAILABLE",
    ]
    .into_iter()
    .find(|c| *c == code)
}

/// What the request's GraphQL operations were, for the server's metrics.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Operations executed (a batch has several; a document refused before
    /// execution has none).
    pub operations: usize,
    /// The last operation's bounded name.
    pub name: Option<String>,
    /// The first error code of any operation's response.
    pub error: Option<&'static str>,
}

#[derive(Default)]
struct Slot(Mutex<Observed>);

tokio::task_local! {
    static OPERATION: Arc<Slot>;
}

/// Runs `fut` (the request) and tells what its GraphQL operations were.
pub async fn observe<F: Future>(fut: F) -> (F::Output, Observed) {
    let slot = Arc::new(Slot::default());
    let out = OPERATION.scope(Arc::clone(&slot), fut).await;
    let observed = slot.0.lock().map(|o| o.clone()).unwrap_or_default();
    (out, observed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_must_be_graphql_names() {
        assert_eq!(
            bounded_name(Some("InviteProbe")).as_deref(),
            Some("InviteProbe")
        );
        assert_eq!(bounded_name(Some("a b@example.org")), None);
        assert_eq!(bounded_name(Some("")), None);
        assert_eq!(bounded_name(None), None);
        let long = "x".repeat(500);
        assert_eq!(
            bounded_name(Some(&long)).map(|n| n.len()),
            Some(MAX_NAME_CHARS)
        );
    }

    #[test]
    fn metric_names_are_capped() {
        for i in 0..(MAX_METRIC_NAMES + 10) {
            let _ = metric_name(&format!("Op{i}"));
        }
        assert_eq!(metric_name("Op0"), "Op0");
        assert_eq!(metric_name("NeverSeenBefore"), OTHER_NAME);
    }
}
