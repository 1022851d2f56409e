//! The objects and enums of associations, members, invitations, union staff and
//! partner organisations.

use crate::connection::paged;
use crate::context::{ctx, person, services};
use crate::error::{Gql, to_gql};
use crate::loaders::{load, load_of};
use crate::node::{RowObject, encode_id};
use crate::partners::types::PartnerContact;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset};
use kernel::Error;

// ---------------------------------------------------------------------------
// Enums

mirror_enum!(
    /// A member's role in an association.
    TenantRole => "kernel::TenantRole" { Director, Coordinator, Mediator, Viewer });
mirror_enum!(
    /// A role at the national union.
    UnionRole => "kernel::UnionRole" { Admin, Auditor, Analyst });

mirror_enum!(TenantStatus => "entity::tenant::TenantStatus" { Active, Suspended });
mirror_enum!(MembershipStatus => "entity::membership::MembershipStatus" { Active, Deactivated });
mirror_enum!(InvitationStatus => "entity::invitation::InvitationStatus" { Pending, Accepted, Revoked });
mirror_enum!(PartnerSector => "entity::partner_organisation::PartnerSector" {
    Energy, Water, Transport, Postal, Telecom, PublicBody, SocialSecurity, Other
});
mirror_enum!(PartnerReach => "entity::partner_organisation::PartnerReach" { National, Local });

// ---------------------------------------------------------------------------
// Objects

row_objects! {
    /// A member association (a PIMMS): one tenant of the platform.
    pub struct Tenant(pub entity::tenant::Model);
    /// A person's role in one association.
    pub struct Membership(pub entity::membership::Model);
    /// A person with an account. Visible to themselves and to their associations' staff.
    pub struct User(pub entity::user::Model);
    /// An invitation to join an association, accepted at the invitee's first login.
    pub struct Invitation(pub entity::invitation::Model);
    /// A partner firm or public body (EDF, ENGIE, SNCF, La Poste, CAF...).
    pub struct PartnerOrganisation(pub entity::partner_organisation::Model);
}

#[Object]
impl Tenant {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// Short stable name, used in the X-Passerelle-Tenant header.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> TenantStatus {
        self.0.status.into()
    }
    /// Why the union suspended it (union staff and the association's directors).
    async fn suspended_reason(&self, c: &Context<'_>) -> Result<Option<&str>> {
        let ctx = person(c)?;
        let director_here = ctx
            .tenant()
            .is_some_and(|t| t.tenant_id.0 == self.0.id && t.role == kernel::TenantRole::Director);
        Ok(if ctx.union_role().is_some() || director_here {
            self.0.suspended_reason.as_deref()
        } else {
            None
        })
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    /// Members of this association; only readable from inside it (active association).
    async fn members(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_deactivated: bool,
    ) -> Result<Connection<String, Membership>> {
        self.inside(c)?;
        paged(c, first, after, |s, ctx, p| {
            s.tenancy.list_members(ctx, p, !include_deactivated)
        })
        .await
    }
    /// Invitations sent by this association (directors and coordinators).
    async fn invitations(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = true)] pending_only: bool,
    ) -> Result<Connection<String, Invitation>> {
        self.inside(c)?;
        paged(c, first, after, |s, ctx, p| {
            s.tenancy.list_invitations(ctx, p, pending_only)
        })
        .await
    }
    /// The pending director invitations into this association sent by the signed-in
    /// union admin (`inviteDirector`; union admins only).
    async fn director_invitations(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Invitation>> {
        let id = kernel::TenantId(self.0.id);
        paged(c, first, after, move |s, ctx, p| {
            s.tenancy.list_director_invitations(ctx, id, p)
        })
        .await
    }
}

impl Tenant {
    /// Whether the caller acts inside this very association.
    fn inside(&self, c: &Context<'_>) -> Result<()> {
        match ctx(c)?.tenant() {
            Some(t) if t.tenant_id.0 == self.0.id => Ok(()),
            _ => Err(to_gql(Error::Forbidden(
                "members are only visible from inside the association",
            ))),
        }
    }
}

#[Object]
impl Membership {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn role(&self) -> TenantRole {
        self.0.role.into()
    }
    /// The role as shown to users (French).
    async fn role_label(&self) -> &'static str {
        self.0.role.label_fr()
    }
    async fn status(&self) -> MembershipStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn deactivated_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.deactivated_at
    }
    async fn user(&self, c: &Context<'_>) -> Result<Option<User>> {
        load(c, self.0.user_id).await
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
}

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
}

#[Object]
impl Invitation {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn role(&self) -> TenantRole {
        self.0.role.into()
    }
    async fn status(&self) -> InvitationStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn expires_at(&self) -> DateTime<FixedOffset> {
        self.0.expires_at
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
}

#[Object]
impl PartnerOrganisation {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn sector(&self) -> PartnerSector {
        self.0.sector.into()
    }
    async fn reach(&self) -> PartnerReach {
        self.0.reach.into()
    }
    /// The people to deal with there (the union, and the partner itself).
    async fn contacts(&self, c: &Context<'_>) -> Result<Vec<PartnerContact>> {
        let rows = load_of(c, |l| &l.partners.contacts, self.0.id).await?;
        Ok(rows.into_iter().map(PartnerContact::from).collect())
    }
}

/// An invitation to join the union's staff.
#[derive(SimpleObject)]
pub struct UnionInvitation {
    pub(crate) id: ID,
    pub(crate) email: String,
    pub(crate) role: UnionRole,
    pub(crate) created_at: DateTime<FixedOffset>,
    pub(crate) accepted_at: Option<DateTime<FixedOffset>>,
}

/// An invitation for a partner firm's person: they become one of its users at their
/// first login with this (verified) email.
pub struct PartnerInvitation(pub ::tenancy::partners::PartnerInvitation);

#[Object]
impl PartnerInvitation {
    async fn id(&self) -> ID {
        encode_id("PartnerInvitation", self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.partner_id).await
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn accepted_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.accepted_at
    }
}

// ---------------------------------------------------------------------------
// The caller

/// What a person acts as in a request.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ActorKind {
    /// Staff of one association (X-Passerelle-Act-As: association, with
    /// X-Passerelle-Tenant naming it).
    Association,
    /// A partner firm's person (X-Passerelle-Act-As: partner).
    Partner,
    /// The national union's staff (X-Passerelle-Act-As: union).
    Union,
}

fn kind_of(c: &kernel::ActorChoice) -> ActorKind {
    match c {
        kernel::ActorChoice::Association { .. } => ActorKind::Association,
        kernel::ActorChoice::Partner(_) => ActorKind::Partner,
        kernel::ActorChoice::Union(_) => ActorKind::Union,
    }
}

/// One identity the signed-in person may act as, and the headers that pick it.
pub struct ActorChoice {
    choice: kernel::ActorChoice,
    active: bool,
}

#[Object]
impl ActorChoice {
    async fn kind(&self) -> ActorKind {
        kind_of(&self.choice)
    }
    /// The X-Passerelle-Act-As value that picks it.
    async fn act_as(&self) -> &'static str {
        self.choice.act_as()
    }
    /// For an association: the value of X-Passerelle-Tenant that picks it.
    async fn tenant_slug(&self) -> Option<&str> {
        match &self.choice {
            kernel::ActorChoice::Association { slug, .. } => Some(slug),
            _ => None,
        }
    }
    /// For an association: the association.
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        match &self.choice {
            kernel::ActorChoice::Association { tenant_id, .. } => load(c, tenant_id.0).await,
            _ => Ok(None),
        }
    }
    /// For an association: the person's role there.
    async fn role(&self) -> Option<TenantRole> {
        match &self.choice {
            kernel::ActorChoice::Association { role, .. } => Some((*role).into()),
            _ => None,
        }
    }
    /// For a partner firm: the firm.
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        match &self.choice {
            kernel::ActorChoice::Partner(p) => load(c, p.0).await,
            _ => Ok(None),
        }
    }
    /// For the union: the person's role there.
    async fn union_role(&self) -> Option<UnionRole> {
        match &self.choice {
            kernel::ActorChoice::Union(r) => Some((*r).into()),
            _ => None,
        }
    }
    /// Whether this request acts as it.
    async fn active(&self) -> bool {
        self.active
    }
}

/// Who is calling. `activeTenant`, `activeRole`, `unionRole` and `partner` describe
/// the one identity this request acts as; `choices` lists every identity the person
/// holds.
pub struct Viewer;

#[Object]
impl Viewer {
    async fn user(&self, c: &Context<'_>) -> Result<Option<User>> {
        let ctx = person(c)?;
        let id = ctx.require_user().gql()?;
        load(c, id.0).await
    }
    /// Every association this person belongs to, including deactivated memberships.
    async fn memberships(&self, c: &Context<'_>) -> Result<Vec<Membership>> {
        let ctx = person(c)?;
        let rows = services(c)?.tenancy.my_memberships(ctx).await.gql()?;
        Ok(rows.into_iter().map(Membership).collect())
    }
    /// What this request acts as; null when the person holds no identity, or holds
    /// several and named none (then every field but `viewer` answers
    /// ACTOR_CHOICE_REQUIRED).
    async fn acting_as(&self, c: &Context<'_>) -> Result<Option<ActorKind>> {
        Ok(match person(c)?.acting() {
            Some(kernel::Acting::Association(_)) => Some(ActorKind::Association),
            Some(kernel::Acting::Partner(_)) => Some(ActorKind::Partner),
            Some(kernel::Acting::Union(_)) => Some(ActorKind::Union),
            Some(kernel::Acting::Nothing | kernel::Acting::Undecided) | None => None,
        })
    }
    /// Every identity this person may act as: each active membership with its role,
    /// the partner firm, the union role. A request picks one with
    /// X-Passerelle-Act-As (and X-Passerelle-Tenant for an association); with one
    /// choice only, no header is needed.
    async fn choices(&self, c: &Context<'_>) -> Result<Vec<ActorChoice>> {
        let ctx = person(c)?;
        let acting = ctx.acting();
        Ok(ctx
            .choices()
            .iter()
            .map(|choice| ActorChoice {
                active: Some(choice.acting()) == acting,
                choice: choice.clone(),
            })
            .collect())
    }
    /// The association this request acts as (X-Passerelle-Tenant, or the only one).
    async fn active_tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        let ctx = person(c)?;
        load(c, ctx.tenant().map(|t| t.tenant_id.0)).await
    }
    /// The person's role in the association this request acts as.
    async fn active_role(&self, c: &Context<'_>) -> Result<Option<TenantRole>> {
        Ok(person(c)?.tenant().map(|t| t.role.into()))
    }
    /// The union role, when this request acts as the union.
    async fn union_role(&self, c: &Context<'_>) -> Result<Option<UnionRole>> {
        Ok(person(c)?.union_role().map(Into::into))
    }
    /// The partner firm, when this request acts as its person (or its API client).
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        let ctx = person(c)?;
        load(c, ctx.partner_id().map(|p| p.0)).await
    }
}
