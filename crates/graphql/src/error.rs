//! kernel errors to GraphQL errors: `extensions.code` always set, with `field` and
//! `reason` for VALIDATION. INTERNAL errors are logged with the request id and
//! answered with a fixed message: database text never reaches a client. INTERNAL and
//! UNAVAILABLE are logged with the class of failure and the SQLSTATE (never the
//! database's message, which may quote values).

use async_graphql::{ErrorExtensions, ServerError};
use kernel::Error;

pub(crate) fn to_gql(e: Error) -> async_graphql::Error {
    let code = e.code().as_str();
    match e {
        Error::Internal(source) => {
            log_internal(source.as_ref());
            async_graphql::Error::new("internal error").extend_with(|_, x| x.set("code", code))
        }
        Error::Unavailable { reason, cause } => {
            log_unavailable(cause.as_deref());
            async_graphql::Error::new(reason).extend_with(|_, x| {
                x.set("code", code);
                x.set("reason", reason);
            })
        }
        Error::Validation { field, reason } => {
            async_graphql::Error::new(format!("{field}: {reason}")).extend_with(|_, x| {
                x.set("code", code);
                x.set("field", field.clone());
                x.set("reason", reason.clone());
            })
        }
        Error::Conflict {
            field: Some(field),
            reason,
        } => async_graphql::Error::new(format!("{field}: {reason}")).extend_with(|_, x| {
            x.set("code", code);
            x.set("field", field.clone());
            x.set("reason", reason.clone());
        }),
        Error::ActorChoiceRequired(choices) => {
            let list = async_graphql::Value::List(choices.iter().map(choice_value).collect());
            async_graphql::Error::new(Error::ActorChoiceRequired(Vec::new()).to_string())
                .extend_with(|_, x| {
                    x.set("code", code);
                    x.set("choices", list.clone());
                })
        }
        other => {
            async_graphql::Error::new(other.to_string()).extend_with(|_, x| x.set("code", code))
        }
    }
}

/// One choice as `extensions.choices` shows it: its kind, what it is, and the
/// headers that pick it.
fn choice_value(c: &kernel::ActorChoice) -> async_graphql::Value {
    use kernel::ActorChoice as C;
    let v = match c {
        C::Association {
            tenant_id,
            slug,
            role,
        } => serde_json::json!({
            "kind": "ASSOCIATION",
            "tenantId": kernel::gid::encode("Tenant", tenant_id.0),
            "tenantSlug": slug,
            "role": role.as_str().to_ascii_uppercase(),
            "headers": {"X-Passerelle-Act-As": c.act_as(), "X-Passerelle-Tenant": slug},
        }),
        C::Partner(p) => serde_json::json!({
            "kind": "PARTNER",
            "partnerId": kernel::gid::encode("PartnerOrganisation", p.0),
            "headers": {"X-Passerelle-Act-As": c.act_as()},
        }),
        C::Union(r) => serde_json::json!({
            "kind": "UNION",
            "unionRole": r.as_str().to_ascii_uppercase(),
            "headers": {"X-Passerelle-Act-As": c.act_as()},
        }),
    };
    async_graphql::Value::from_json(v).unwrap_or(async_graphql::Value::Null)
}

/// Logs an INTERNAL error for operators: our own description (never database
/// text: `db::DbError` prints only its class and SQLSTATE) and the class of
/// failure, "application" when no database error is behind it.
pub fn log_internal(e: &(dyn std::error::Error + 'static)) {
    match db::Diagnosis::find(e) {
        Some(d) => tracing::error!(
            error = %e,
            class = d.class.as_str(),
            sqlstate = d.sqlstate.as_deref().unwrap_or(""),
            constraint = d.constraint.as_deref().unwrap_or(""),
            "internal error"
        ),
        None => tracing::error!(error = %e, class = "application", "internal error"),
    }
}

/// Logs an UNAVAILABLE answer: the client was told to retry; operators see why.
pub fn log_unavailable(cause: Option<&(dyn std::error::Error + Send + Sync + 'static)>) {
    let d = cause.and_then(|c| db::Diagnosis::find(c));
    tracing::warn!(
        class = d.as_ref().map_or("unknown", |d| d.class.as_str()),
        sqlstate = d.as_ref().and_then(|d| d.sqlstate.as_deref()).unwrap_or(""),
        "unavailable: the database could not serve the request"
    );
}

pub(crate) trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> Gql<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}

/// Errors raised by async-graphql itself (syntax, unknown fields, limits, input
/// coercion) carry no code: they are the client's bad input, so VALIDATION.
pub fn finish_errors(errors: &mut [ServerError]) {
    for e in errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if !has_code {
            let ext = e.extensions.get_or_insert_with(Default::default);
            ext.set("code", "VALIDATION");
        }
    }
}
