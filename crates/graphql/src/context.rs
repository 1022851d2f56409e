use crate::error::to_gql;
use async_graphql::Context;
use kernel::{Ctx, Error};

/// Request data: who is calling, as the server's auth layer established it.
/// `None` is an anonymous caller.
#[derive(Clone)]
pub struct RequestActor(pub Option<Ctx>);

/// The one way resolvers get the caller: UNAUTHENTICATED, never a panic. A person
/// with several identities who named none for this request gets
/// ACTOR_CHOICE_REQUIRED with the choices: nothing answers as an identity picked
/// for them.
pub(crate) fn ctx<'a>(c: &Context<'a>) -> async_graphql::Result<&'a Ctx> {
    caller(c).map_err(to_gql)
}

/// `ctx` as a domain error, for code that answers with those.
pub(crate) fn caller<'a>(c: &Context<'a>) -> Result<&'a Ctx, Error> {
    let ctx = signed_in(c)?;
    match ctx.choice_required() {
        Some(e) => Err(e),
        None => Ok(ctx),
    }
}

/// The caller, even one who has not chosen what they act as: for `viewer` (which
/// lists the choices) and the loaders under it, nothing else.
pub(crate) fn person<'a>(c: &Context<'a>) -> async_graphql::Result<&'a Ctx> {
    signed_in(c).map_err(to_gql)
}

fn signed_in<'a>(c: &Context<'a>) -> Result<&'a Ctx, Error> {
    c.data_opt::<RequestActor>()
        .and_then(|a| a.0.as_ref())
        .ok_or(Error::Unauthenticated)
}

pub(crate) fn services<'a>(c: &Context<'a>) -> async_graphql::Result<&'a crate::Services> {
    c.data::<crate::Services>()
}
