//! kernel errors to GraphQL errors: `extensions.code` always set, with `field` and
//! `reason` for VALIDATION. INTERNAL errors are logged with the request id and
//! answered with a fixed message: database text never reaches a client.

use async_graphql::{ErrorExtensions, ServerError};
use kernel::Error;

pub(crate) fn to_gql(e: Error) -> async_graphql::Error {
    let code = e.code().as_str();
    match e {
        Error::Internal(source) => {
            tracing::error!(error = %source, "internal error");
            async_graphql::Error::new("internal error").extend_with(|_, x| x.set("code", code))
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
        other => {
            async_graphql::Error::new(other.to_string()).extend_with(|_, x| x.set("code", code))
        }
    }
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
