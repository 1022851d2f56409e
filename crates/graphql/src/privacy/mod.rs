//! The access log, as the gateway writes it: every root mutation once it resolved
//! (`log_mutation`, from the extension), every object of a personal type
//! (`privacy::PERSONAL_TYPES`) before it is returned (`log_reads`, from the by-id
//! loader, the connection helper and the resolvers that build such objects), and
//! the log read back by the director and the union admin (`accessLog`,
//! `accessLogCsv`).

pub(crate) mod queries;
pub(crate) mod rights;
pub(crate) mod types;

use crate::context::person;
use crate::error::to_gql;
use crate::loaders::Loaders;
use async_graphql::dataloader::Loader;
use async_graphql::extensions::ExtensionContext;
use async_graphql::{Context, ServerError, ServerResult, Value};
use privacy::Entry;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The reads of one request, appended in batches: every object read at one level of
/// the answer goes in one append (one round trip), and an object read twice in a
/// request is logged once.
pub(crate) struct ReadLog {
    pub(crate) log: privacy::AccessLog,
}

impl Loader<Entry> for ReadLog {
    type Value = ();
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Entry]) -> Result<HashMap<Entry, ()>, Self::Error> {
        self.log.append(keys).await.map_err(to_gql)?;
        Ok(keys.iter().map(|k| (k.clone(), ())).collect())
    }
}

/// Logs that the field being resolved read these objects of personal type
/// `object_type`; fails (and the caller must then return nothing) when the log
/// cannot be written.
pub(crate) async fn log_reads(
    c: &Context<'_>,
    object_type: &str,
    ids: impl IntoIterator<Item = Uuid>,
) -> async_graphql::Result<()> {
    let ctx = person(c)?;
    let field = c.field();
    let operation = field.name();
    let entries: Vec<Entry> = ids
        .into_iter()
        .map(|id| Entry::read(ctx, operation, object_type, id))
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    c.data::<Arc<Loaders>>()?
        .read_log
        .load_many(entries)
        .await?;
    Ok(())
}

/// Logs a root mutation once it resolved: its name, the object it concerns, and
/// `ok` or the error code. When the entry cannot be written the field answers
/// UNAVAILABLE instead: the change may have been made, and a retry with the same
/// client key is safe (it replays rather than records twice).
pub(crate) async fn log_mutation(
    ext: &ExtensionContext<'_>,
    operation: &str,
    input: &async_graphql::Value,
    result: ServerResult<Option<Value>>,
) -> ServerResult<Option<Value>> {
    // Anonymous callers are refused before anything runs: no actor, nothing to log.
    let Some(ctx) = ext
        .data_opt::<crate::context::RequestActor>()
        .and_then(|a| a.0.as_ref())
    else {
        return result;
    };
    let Ok(services) = ext.data::<crate::Services>() else {
        return result;
    };
    let outcome = match &result {
        Ok(_) => privacy::OK.to_owned(),
        Err(e) => error_code(e),
    };
    let object = match &result {
        Ok(Some(payload)) => object_in_payload(payload),
        _ => None,
    }
    .or_else(|| object_in_input(operation, input));
    let entry = Entry::mutation(ctx, operation, object, &outcome);
    match services.privacy.append(&[entry]).await {
        Ok(()) => result,
        Err(e) => {
            let pos = match &result {
                Err(err) => err.locations.first().copied(),
                Ok(_) => None,
            };
            Err(to_gql(e).into_server_error(pos.unwrap_or_default()))
        }
    }
}

fn error_code(e: &ServerError) -> String {
    match e.extensions.as_ref().and_then(|x| x.get("code")) {
        Some(Value::String(s)) => s.clone(),
        // async-graphql's own refusals (input coercion): bad input, VALIDATION
        // (error::finish_errors says the same to the client).
        _ => "VALIDATION".to_owned(),
    }
}

fn gid(v: &Value) -> Option<(String, Uuid)> {
    match v {
        Value::String(s) => kernel::gid::decode(s).filter(|(t, _)| t != "cursor"),
        _ => None,
    }
}

/// The first object of the payload with its `id` selected: `{ visit { id } }`.
fn object_in_payload(payload: &Value) -> Option<(String, Uuid)> {
    let Value::Object(fields) = payload else {
        return None;
    };
    fields.values().find_map(|v| match v {
        Value::Object(o) => o.get("id").and_then(gid),
        Value::List(items) => items.iter().find_map(|i| match i {
            Value::Object(o) => o.get("id").and_then(gid),
            _ => None,
        }),
        _ => None,
    })
}

/// Otherwise, a global id in the input of the type the operation names
/// (`amendVisit(input: { visitId })`), or the input's only global id
/// (`addConsent(input: { beneficiaryId })`). An input naming several objects, none
/// of the operation's type (`recordVisit` names a site and a mediator), names none.
fn object_in_input(operation: &str, input: &Value) -> Option<(String, Uuid)> {
    let op = operation.to_ascii_lowercase();
    let mut ids: Vec<(String, Uuid)> = Vec::new();
    walk(input, &mut |v| {
        if let Some(g) = gid(v)
            && !ids.contains(&g)
        {
            ids.push(g);
        }
    });
    if let Some(named) = ids
        .iter()
        .find(|(t, _)| op.contains(&t.to_ascii_lowercase()))
    {
        return Some(named.clone());
    }
    match ids.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

fn walk(v: &Value, f: &mut impl FnMut(&Value)) {
    match v {
        Value::Object(o) => o.values().for_each(|x| walk(x, f)),
        Value::List(l) => l.iter().for_each(|x| walk(x, f)),
        other => f(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (Name::new(k), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn the_object_comes_from_the_payload_then_from_the_input() {
        let visit = Uuid::now_v7();
        let site = Uuid::now_v7();
        let v = Value::String(kernel::gid::encode("Visit", visit));
        let s = Value::String(kernel::gid::encode("Site", site));
        let payload = obj(&[
            ("replayed", Value::Boolean(false)),
            ("visit", obj(&[("id", v.clone())])),
        ]);
        assert_eq!(object_in_payload(&payload), Some(("Visit".into(), visit)));
        // Without the id selected, the input's id of the type the operation names.
        let input = obj(&[("input", obj(&[("siteId", s.clone()), ("visitId", v)]))]);
        assert_eq!(
            object_in_input("amendVisit", &input),
            Some(("Visit".into(), visit))
        );
        // The input's only object; of several, none is guessed.
        let input = obj(&[("input", obj(&[("siteId", s.clone())]))]);
        assert_eq!(
            object_in_input("recordVisit", &input),
            Some(("Site".into(), site))
        );
        let m = Value::String(kernel::gid::encode("Membership", Uuid::now_v7()));
        let input = obj(&[("input", obj(&[("siteId", s), ("mediatorId", m)]))]);
        assert_eq!(object_in_input("recordVisit", &input), None);
    }
}
