//! `Ctx`: who is acting, for which request. Every data function takes `&Ctx` as its
//! first argument; the database layer turns it into transaction-local settings that
//! row-level security reads. Cross-tenant readers are built by explicit, greppable
//! constructors (`Ctx::system`), never by a flag someone can forget to clear.

use crate::{
    ApiClientId, Error, PartnerId, PartnerScope, Result, TenantId, TenantRole, UnionRole, UserId,
};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestId(pub Uuid);

impl RequestId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

/// The tenant a staff member is working in for this request, and their role there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantScope {
    pub tenant_id: TenantId,
    pub role: TenantRole,
}

/// What the actor may reach, as row-level security will see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A person: possibly association staff (in one active tenant), union staff,
    /// or a partner firm's user. Several may hold for the same person.
    User {
        user_id: UserId,
        tenant: Option<TenantScope>,
        union_role: Option<UnionRole>,
        partner_id: Option<PartnerId>,
    },
    /// A partner firm's machine: an API client authenticated by the client-credentials
    /// grant (or by a token of the external issuer registered for it). It reaches
    /// only what its partner's agreements cover, and only within its scopes.
    Client {
        client_id: ApiClientId,
        partner_id: PartnerId,
        scopes: Vec<PartnerScope>,
    },
    /// The platform itself (login resolution, seeding, bootstrap). The reason is
    /// recorded in the transaction so that logs and audits can say why.
    System { reason: &'static str },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub scope: Scope,
}

#[derive(Clone, Debug)]
pub struct Ctx {
    actor: Actor,
    request_id: RequestId,
}

impl Ctx {
    pub fn user(
        user_id: UserId,
        tenant: Option<TenantScope>,
        union_role: Option<UnionRole>,
        partner_id: Option<PartnerId>,
        request_id: RequestId,
    ) -> Self {
        Self {
            actor: Actor {
                scope: Scope::User {
                    user_id,
                    tenant,
                    union_role,
                    partner_id,
                },
            },
            request_id,
        }
    }

    pub fn client(
        client_id: ApiClientId,
        partner_id: PartnerId,
        scopes: Vec<PartnerScope>,
        request_id: RequestId,
    ) -> Self {
        Self {
            actor: Actor {
                scope: Scope::Client {
                    client_id,
                    partner_id,
                    scopes,
                },
            },
            request_id,
        }
    }

    /// The platform acting for itself, across tenants. Every call site must say why.
    pub fn system(reason: &'static str) -> Self {
        Self {
            actor: Actor {
                scope: Scope::System { reason },
            },
            request_id: RequestId::new(),
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn scope(&self) -> &Scope {
        &self.actor.scope
    }

    pub fn request_id(&self) -> RequestId {
        self.request_id
    }

    pub fn user_id(&self) -> Option<UserId> {
        match &self.actor.scope {
            Scope::User { user_id, .. } => Some(*user_id),
            Scope::Client { .. } | Scope::System { .. } => None,
        }
    }

    pub fn tenant(&self) -> Option<TenantScope> {
        match &self.actor.scope {
            Scope::User { tenant, .. } => *tenant,
            Scope::Client { .. } | Scope::System { .. } => None,
        }
    }

    pub fn union_role(&self) -> Option<UnionRole> {
        match &self.actor.scope {
            Scope::User { union_role, .. } => *union_role,
            Scope::Client { .. } | Scope::System { .. } => None,
        }
    }

    pub fn partner_id(&self) -> Option<PartnerId> {
        match &self.actor.scope {
            Scope::User { partner_id, .. } => *partner_id,
            Scope::Client { partner_id, .. } => Some(*partner_id),
            Scope::System { .. } => None,
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self.actor.scope, Scope::System { .. })
    }

    /// The API client acting, if a machine is.
    pub fn client_id(&self) -> Option<ApiClientId> {
        match &self.actor.scope {
            Scope::Client { client_id, .. } => Some(*client_id),
            _ => None,
        }
    }

    /// The signed-in person; an API client is FORBIDDEN (people only), the platform
    /// itself UNAUTHENTICATED.
    pub fn require_user(&self) -> Result<UserId> {
        match &self.actor.scope {
            Scope::User { user_id, .. } => Ok(*user_id),
            Scope::Client { .. } => Err(Error::Forbidden("reserved to signed-in people")),
            Scope::System { .. } => Err(Error::Unauthenticated),
        }
    }

    /// The partner firm acting, when it holds `scope`: a partner's people hold every
    /// scope, an API client the ones granted to it.
    pub fn require_partner(&self, scope: PartnerScope) -> Result<PartnerId> {
        match &self.actor.scope {
            Scope::User {
                partner_id: Some(p),
                ..
            } => Ok(*p),
            Scope::Client {
                partner_id, scopes, ..
            } => {
                if scopes.contains(&scope) {
                    Ok(*partner_id)
                } else {
                    Err(Error::Forbidden("this API client lacks the scope needed"))
                }
            }
            _ => Err(Error::Forbidden("reserved to partner firms")),
        }
    }

    /// The active tenant, whatever the role.
    pub fn require_tenant(&self) -> Result<TenantScope> {
        self.tenant()
            .ok_or(Error::Forbidden("no active association for this request"))
    }

    /// The active tenant, when the member holds one of `roles` there.
    pub fn require_tenant_role(&self, roles: &[TenantRole]) -> Result<TenantScope> {
        let scope = self.require_tenant()?;
        if roles.contains(&scope.role) {
            Ok(scope)
        } else {
            Err(Error::Forbidden(
                "your role in this association does not allow this",
            ))
        }
    }

    pub fn require_union_role(&self, roles: &[UnionRole]) -> Result<UnionRole> {
        match self.union_role() {
            Some(r) if roles.contains(&r) => Ok(r),
            _ => Err(Error::Forbidden("reserved to the national union")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_checks() {
        let t = TenantScope {
            tenant_id: TenantId::new(),
            role: TenantRole::Mediator,
        };
        let ctx = Ctx::user(UserId::new(), Some(t), None, None, RequestId::new());
        assert!(ctx.require_tenant_role(&[TenantRole::Director]).is_err());
        assert!(ctx.require_tenant_role(&[TenantRole::Mediator]).is_ok());
        assert!(ctx.require_union_role(&[UnionRole::Admin]).is_err());
        assert!(Ctx::system("test").require_user().is_err());
        let p = PartnerId::new();
        let client = Ctx::client(
            ApiClientId::new(),
            p,
            vec![PartnerScope::OutreachRead],
            RequestId::new(),
        );
        assert_eq!(
            client.require_partner(PartnerScope::OutreachRead).ok(),
            Some(p)
        );
        assert!(client.require_partner(PartnerScope::OutreachWrite).is_err());
        assert!(client.require_user().is_err());
        assert!(client.require_tenant().is_err());
        assert!(ctx.require_partner(PartnerScope::AgreementsRead).is_err());
    }
}
