use crate::error::to_gql;
use async_graphql::Context;
use kernel::{Ctx, Error};

/// Request data: who is calling, as the server's auth layer established it.
/// `None` is an anonymous caller.
#[derive(Clone)]
pub struct RequestActor(pub Option<Ctx>);

/// The one way resolvers get the caller: UNAUTHENTICATED, never a panic.
pub(crate) fn ctx<'a>(c: &Context<'a>) -> async_graphql::Result<&'a Ctx> {
    c.data_opt::<RequestActor>()
        .and_then(|a| a.0.as_ref())
        .ok_or_else(|| to_gql(Error::Unauthenticated))
}

pub(crate) fn services<'a>(c: &Context<'a>) -> async_graphql::Result<&'a crate::Services> {
    c.data::<crate::Services>()
}
