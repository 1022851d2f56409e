//! `Ctx`: who is acting, for which request. Every data function takes `&Ctx` as its
//! first argument; the database layer turns it into transaction-local settings that
//! row-level security reads. Cross-tenant readers are built by explicit, greppable
//! constructors (`Ctx::system`), never by a flag someone can forget to clear.

use crate::{
    ApiClientId, Error, PartnerId, PartnerScope, Result, TenantId, TenantRole, UnionRole, UserId,
};
use std::sync::Arc;
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

/// What a person acts as for one request: one of their identities at a time, so
/// that neither the domain checks nor row-level security ever add two up (a partner's
/// person on an association's board reads as the association or as the partner,
/// never as both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acting {
    /// Staff of one association, with their role there.
    Association(TenantScope),
    /// Staff of the national union.
    Union(UnionRole),
    /// A person of a partner firm.
    Partner(PartnerId),
    /// A person with no identity in force (every membership deactivated, say): only
    /// what concerns the person themselves answers.
    Nothing,
    /// A person with several identities who named none: only `viewer` answers, every
    /// other field `ACTOR_CHOICE_REQUIRED` with the choices.
    Undecided,
}

/// One identity a person may act as, and how a request picks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActorChoice {
    Association {
        tenant_id: TenantId,
        slug: String,
        role: TenantRole,
    },
    Union(UnionRole),
    Partner(PartnerId),
}

impl ActorChoice {
    /// The `X-Passerelle-Act-As` value naming this kind of identity.
    pub fn act_as(&self) -> &'static str {
        match self {
            ActorChoice::Association { .. } => "association",
            ActorChoice::Union(_) => "union",
            ActorChoice::Partner(_) => "partner",
        }
    }

    pub fn acting(&self) -> Acting {
        match self {
            ActorChoice::Association {
                tenant_id, role, ..
            } => Acting::Association(TenantScope {
                tenant_id: *tenant_id,
                role: *role,
            }),
            ActorChoice::Union(r) => Acting::Union(*r),
            ActorChoice::Partner(p) => Acting::Partner(*p),
        }
    }
}

/// What the actor may reach, as row-level security will see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A person, acting as one of their identities (`acting`); `choices` lists every
    /// identity they hold, for `viewer` and for the answer asking them to choose.
    User {
        user_id: UserId,
        acting: Acting,
        choices: Arc<[ActorChoice]>,
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
    /// A person acting as `acting`, one of `choices` (every identity they hold).
    pub fn user(
        user_id: UserId,
        acting: Acting,
        choices: Vec<ActorChoice>,
        request_id: RequestId,
    ) -> Self {
        Self {
            actor: Actor {
                scope: Scope::User {
                    user_id,
                    acting,
                    choices: choices.into(),
                },
            },
            request_id,
        }
    }

    /// A person acting as association staff (tests and tools that need no choices).
    pub fn member(user_id: UserId, tenant: TenantScope, request_id: RequestId) -> Self {
        let choice = ActorChoice::Association {
            tenant_id: tenant.tenant_id,
            slug: String::new(),
            role: tenant.role,
        };
        Self::user(
            user_id,
            Acting::Association(tenant),
            vec![choice],
            request_id,
        )
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

    /// What the person acts as; `None` for a machine or the platform.
    pub fn acting(&self) -> Option<Acting> {
        match &self.actor.scope {
            Scope::User { acting, .. } => Some(*acting),
            Scope::Client { .. } | Scope::System { .. } => None,
        }
    }

    /// Every identity the person holds (empty for a machine or the platform).
    pub fn choices(&self) -> &[ActorChoice] {
        match &self.actor.scope {
            Scope::User { choices, .. } => choices,
            Scope::Client { .. } | Scope::System { .. } => &[],
        }
    }

    /// A person with several identities who named none for this request.
    pub fn is_undecided(&self) -> bool {
        self.acting() == Some(Acting::Undecided)
    }

    /// The refusal for an undecided person, with the choices; `None` otherwise.
    pub fn choice_required(&self) -> Option<Error> {
        self.is_undecided()
            .then(|| Error::ActorChoiceRequired(self.choices().to_vec()))
    }

    pub fn tenant(&self) -> Option<TenantScope> {
        match self.acting() {
            Some(Acting::Association(t)) => Some(t),
            _ => None,
        }
    }

    pub fn union_role(&self) -> Option<UnionRole> {
        match self.acting() {
            Some(Acting::Union(r)) => Some(r),
            _ => None,
        }
    }

    pub fn partner_id(&self) -> Option<PartnerId> {
        match &self.actor.scope {
            Scope::User {
                acting: Acting::Partner(p),
                ..
            } => Some(*p),
            Scope::Client { partner_id, .. } => Some(*partner_id),
            Scope::User { .. } | Scope::System { .. } => None,
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
                acting: Acting::Partner(p),
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
            _ => Err(self
                .choice_required()
                .unwrap_or(Error::Forbidden("reserved to partner firms"))),
        }
    }

    /// The active tenant, whatever the role.
    pub fn require_tenant(&self) -> Result<TenantScope> {
        self.tenant().ok_or_else(|| {
            self.choice_required()
                .unwrap_or(Error::Forbidden("no active association for this request"))
        })
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
            _ => Err(self
                .choice_required()
                .unwrap_or(Error::Forbidden("reserved to the national union"))),
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
        let ctx = Ctx::member(UserId::new(), t, RequestId::new());
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

    #[test]
    fn one_identity_at_a_time() {
        let t = TenantScope {
            tenant_id: TenantId::new(),
            role: TenantRole::Viewer,
        };
        let p = PartnerId::new();
        let choices = vec![
            ActorChoice::Association {
                tenant_id: t.tenant_id,
                slug: "a".into(),
                role: t.role,
            },
            ActorChoice::Partner(p),
        ];
        let as_partner = Ctx::user(
            UserId::new(),
            Acting::Partner(p),
            choices.clone(),
            RequestId::new(),
        );
        assert_eq!(as_partner.partner_id(), Some(p));
        assert_eq!(as_partner.tenant(), None);
        assert!(as_partner.require_tenant().is_err());
        let as_member = Ctx::user(
            UserId::new(),
            Acting::Association(t),
            choices.clone(),
            RequestId::new(),
        );
        assert_eq!(as_member.partner_id(), None);
        assert!(
            as_member
                .require_partner(PartnerScope::AgreementsRead)
                .is_err()
        );
        // Undecided: every identity check asks for the choice, with the choices.
        let undecided = Ctx::user(
            UserId::new(),
            Acting::Undecided,
            choices.clone(),
            RequestId::new(),
        );
        assert!(undecided.require_user().is_ok());
        for e in [
            undecided.require_tenant().err(),
            undecided.require_union_role(&[UnionRole::Admin]).err(),
            undecided
                .require_partner(PartnerScope::AgreementsRead)
                .err(),
        ] {
            match e {
                Some(Error::ActorChoiceRequired(c)) => assert_eq!(c, choices),
                other => panic!("expected ACTOR_CHOICE_REQUIRED, got {other:?}"),
            }
        }
        // Nobody in force is a plain refusal.
        let nothing = Ctx::user(UserId::new(), Acting::Nothing, vec![], RequestId::new());
        assert!(matches!(nothing.require_tenant(), Err(Error::Forbidden(_))));
    }
}
