//! Associations, members, invitations, union staff and partner organisations.

use crate::connection::{connection, page_request};
use crate::context::{ctx, person, services};
use crate::error::{Gql, to_gql};
use crate::loaders::loaders;
use crate::node::{decode_id, encode_id};
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, FixedOffset};
use kernel::Error;

// ---------------------------------------------------------------------------
// Enums

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "kernel::TenantRole")]
/// A member's role in an association.
pub enum TenantRole {
    Director,
    Coordinator,
    Mediator,
    Viewer,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "kernel::UnionRole")]
/// A role at the national union.
pub enum UnionRole {
    Admin,
    Auditor,
    Analyst,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TenantStatus {
    Active,
    Suspended,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MembershipStatus {
    Active,
    Deactivated,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PartnerSector {
    Energy,
    Water,
    Transport,
    Postal,
    Telecom,
    PublicBody,
    SocialSecurity,
    Other,
}

impl PartnerSector {
    fn as_str(self) -> &'static str {
        match self {
            PartnerSector::Energy => "energy",
            PartnerSector::Water => "water",
            PartnerSector::Transport => "transport",
            PartnerSector::Postal => "postal",
            PartnerSector::Telecom => "telecom",
            PartnerSector::PublicBody => "public_body",
            PartnerSector::SocialSecurity => "social_security",
            PartnerSector::Other => "other",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "energy" => PartnerSector::Energy,
            "water" => PartnerSector::Water,
            "transport" => PartnerSector::Transport,
            "postal" => PartnerSector::Postal,
            "telecom" => PartnerSector::Telecom,
            "public_body" => PartnerSector::PublicBody,
            "social_security" => PartnerSector::SocialSecurity,
            _ => PartnerSector::Other,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PartnerReach {
    National,
    Local,
}

fn role_of(s: &str) -> async_graphql::Result<TenantRole> {
    kernel::TenantRole::parse(s)
        .map(TenantRole::from)
        .ok_or_else(|| to_gql(Error::internal_msg("unknown role in database")))
}

// ---------------------------------------------------------------------------
// Objects

/// A member association (a PIMMS): one tenant of the platform.
pub struct Tenant(pub entity::tenant::Model);

#[Object]
impl Tenant {
    pub async fn id(&self) -> ID {
        encode_id("Tenant", self.0.id)
    }
    /// Short stable name, used in the X-Passerelle-Tenant header.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> TenantStatus {
        if self.0.status == "suspended" {
            TenantStatus::Suspended
        } else {
            TenantStatus::Active
        }
    }
    /// Why the union suspended it (union staff and the association's directors).
    async fn suspended_reason(&self, c: &Context<'_>) -> async_graphql::Result<Option<&str>> {
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
    ) -> async_graphql::Result<Connection<String, Membership>> {
        let ctx = ctx(c)?;
        self.require_active(ctx)?;
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .tenancy
            .list_members(ctx, page, !include_deactivated)
            .await
            .gql()?;
        Ok(connection(p, |m| m.id, Membership))
    }
    /// Invitations sent by this association (directors and coordinators).
    async fn invitations(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = true)] pending_only: bool,
    ) -> async_graphql::Result<Connection<String, Invitation>> {
        let ctx = ctx(c)?;
        self.require_active(ctx)?;
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .tenancy
            .list_invitations(ctx, page, pending_only)
            .await
            .gql()?;
        Ok(connection(p, |m| m.id, Invitation))
    }
}

impl Tenant {
    fn require_active(&self, ctx: &kernel::Ctx) -> async_graphql::Result<()> {
        match ctx.tenant() {
            Some(t) if t.tenant_id.0 == self.0.id => Ok(()),
            _ => Err(to_gql(Error::Forbidden(
                "members are only visible from inside the association",
            ))),
        }
    }
}

/// A person's role in one association.
pub struct Membership(pub entity::membership::Model);

#[Object]
impl Membership {
    pub async fn id(&self) -> ID {
        encode_id("Membership", self.0.id)
    }
    async fn role(&self) -> async_graphql::Result<TenantRole> {
        role_of(&self.0.role)
    }
    /// The role as shown to users (French).
    async fn role_label(&self) -> &'static str {
        kernel::TenantRole::parse(&self.0.role)
            .map(kernel::TenantRole::label_fr)
            .unwrap_or("")
    }
    async fn status(&self) -> MembershipStatus {
        if self.0.status == "active" {
            MembershipStatus::Active
        } else {
            MembershipStatus::Deactivated
        }
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn deactivated_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.deactivated_at
    }
    async fn user(&self, c: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(loaders(c)?.user.load_one(self.0.user_id).await?.map(User))
    }
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        Ok(loaders(c)?
            .tenant
            .load_one(self.0.tenant_id)
            .await?
            .map(Tenant))
    }
}

/// A person with an account. Visible to themselves and to their associations' staff.
pub struct User(pub entity::user::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        encode_id("User", self.0.id)
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
}

/// An invitation to join an association, accepted at the invitee's first login.
pub struct Invitation(pub entity::invitation::Model);

#[Object]
impl Invitation {
    pub async fn id(&self) -> ID {
        encode_id("Invitation", self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn role(&self) -> async_graphql::Result<TenantRole> {
        role_of(&self.0.role)
    }
    async fn status(&self) -> InvitationStatus {
        match self.0.status.as_str() {
            "accepted" => InvitationStatus::Accepted,
            "revoked" => InvitationStatus::Revoked,
            _ => InvitationStatus::Pending,
        }
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn expires_at(&self) -> DateTime<FixedOffset> {
        self.0.expires_at
    }
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        Ok(loaders(c)?
            .tenant
            .load_one(self.0.tenant_id)
            .await?
            .map(Tenant))
    }
}

/// A partner firm or public body (EDF, ENGIE, SNCF, La Poste, CAF...).
pub struct PartnerOrganisation(pub entity::partner_organisation::Model);

#[Object]
impl PartnerOrganisation {
    pub async fn id(&self) -> ID {
        encode_id("PartnerOrganisation", self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn sector(&self) -> PartnerSector {
        PartnerSector::parse(&self.0.sector)
    }
    async fn reach(&self) -> PartnerReach {
        if self.0.reach == "local" {
            PartnerReach::Local
        } else {
            PartnerReach::National
        }
    }
    /// The people to deal with there (the union, and the partner itself).
    async fn contacts(
        &self,
        c: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::partners::PartnerContact>> {
        Ok(loaders(c)?
            .partner_contacts
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(crate::partners::contact)
            .collect())
    }
}

/// An invitation to join the union's staff.
#[derive(SimpleObject)]
pub struct UnionInvitation {
    id: ID,
    email: String,
    role: UnionRole,
    created_at: DateTime<FixedOffset>,
    accepted_at: Option<DateTime<FixedOffset>>,
}

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
    async fn tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        match &self.choice {
            kernel::ActorChoice::Association { tenant_id, .. } => {
                Ok(loaders(c)?.tenant.load_one(tenant_id.0).await?.map(Tenant))
            }
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
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        match &self.choice {
            kernel::ActorChoice::Partner(p) => Ok(loaders(c)?
                .partner
                .load_one(p.0)
                .await?
                .map(PartnerOrganisation)),
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
    async fn user(&self, c: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let ctx = person(c)?;
        let id = ctx.require_user().gql()?;
        Ok(loaders(c)?.user.load_one(id.0).await?.map(User))
    }
    /// Every association this person belongs to, including deactivated memberships.
    async fn memberships(&self, c: &Context<'_>) -> async_graphql::Result<Vec<Membership>> {
        let ctx = person(c)?;
        let rows = services(c)?.tenancy.my_memberships(ctx).await.gql()?;
        Ok(rows.into_iter().map(Membership).collect())
    }
    /// What this request acts as; null when the person holds no identity, or holds
    /// several and named none (then every field but `viewer` answers
    /// ACTOR_CHOICE_REQUIRED).
    async fn acting_as(&self, c: &Context<'_>) -> async_graphql::Result<Option<ActorKind>> {
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
    async fn choices(&self, c: &Context<'_>) -> async_graphql::Result<Vec<ActorChoice>> {
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
    async fn active_tenant(&self, c: &Context<'_>) -> async_graphql::Result<Option<Tenant>> {
        let ctx = person(c)?;
        match ctx.tenant() {
            Some(t) => Ok(loaders(c)?
                .tenant
                .load_one(t.tenant_id.0)
                .await?
                .map(Tenant)),
            None => Ok(None),
        }
    }
    /// The person's role in the association this request acts as.
    async fn active_role(&self, c: &Context<'_>) -> async_graphql::Result<Option<TenantRole>> {
        Ok(person(c)?.tenant().map(|t| t.role.into()))
    }
    /// The union role, when this request acts as the union.
    async fn union_role(&self, c: &Context<'_>) -> async_graphql::Result<Option<UnionRole>> {
        Ok(person(c)?.union_role().map(Into::into))
    }
    /// The partner firm, when this request acts as its person (or its API client).
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        let ctx = person(c)?;
        match ctx.partner_id() {
            Some(p) => Ok(loaders(c)?
                .partner
                .load_one(p.0)
                .await?
                .map(PartnerOrganisation)),
            None => Ok(None),
        }
    }
}

// ---------------------------------------------------------------------------
// Queries

#[derive(Default)]
pub struct TenancyQuery;

#[Object]
impl TenancyQuery {
    /// The signed-in person, their memberships, what this request acts as and what
    /// it could act as. Answers even before the person has chosen.
    async fn viewer(&self, c: &Context<'_>) -> async_graphql::Result<Viewer> {
        person(c)?;
        Ok(Viewer)
    }

    /// Every association of the network (union staff).
    async fn tenants(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<TenantStatus>,
    ) -> async_graphql::Result<Connection<String, Tenant>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let status = status.map(|s| match s {
            TenantStatus::Active => ::tenancy::TenantStatus::Active,
            TenantStatus::Suspended => ::tenancy::TenantStatus::Suspended,
        });
        let p = services(c)?
            .tenancy
            .list_tenants(ctx, page, status)
            .await
            .gql()?;
        Ok(connection(p, |m| m.id, Tenant))
    }

    /// The network's partner organisations.
    async fn partner_organisations(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, PartnerOrganisation>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let p = services(c)?.tenancy.list_partners(ctx, page).await.gql()?;
        Ok(connection(p, |m| m.id, PartnerOrganisation))
    }
}

// ---------------------------------------------------------------------------
// Mutations: one input, one payload each.

#[derive(InputObject)]
pub struct CreateTenantInput {
    /// Lowercase letters, digits and hyphens, e.g. "pimms-lyon-metropole".
    slug: String,
    name: String,
    /// Invited as the association's first director.
    first_director_email: String,
}

#[derive(SimpleObject)]
pub struct CreateTenantPayload {
    tenant: Tenant,
    invitation: Invitation,
}

#[derive(InputObject)]
pub struct SuspendTenantInput {
    tenant_id: ID,
    reason: String,
}

#[derive(InputObject)]
pub struct ReactivateTenantInput {
    tenant_id: ID,
}

#[derive(SimpleObject)]
pub struct TenantPayload {
    tenant: Tenant,
}

#[derive(InputObject)]
pub struct InviteMemberInput {
    email: String,
    role: TenantRole,
}

#[derive(SimpleObject)]
pub struct InvitationPayload {
    invitation: Invitation,
}

#[derive(InputObject)]
pub struct RevokeInvitationInput {
    invitation_id: ID,
}

#[derive(InputObject)]
pub struct ChangeMemberRoleInput {
    membership_id: ID,
    role: TenantRole,
}

#[derive(InputObject)]
pub struct MembershipInput {
    membership_id: ID,
}

#[derive(SimpleObject)]
pub struct MembershipPayload {
    membership: Membership,
}

#[derive(InputObject)]
pub struct InviteUnionStaffInput {
    email: String,
    role: UnionRole,
}

#[derive(SimpleObject)]
pub struct InviteUnionStaffPayload {
    invitation: UnionInvitation,
}

#[derive(InputObject)]
pub struct CreatePartnerOrganisationInput {
    name: String,
    sector: PartnerSector,
    reach: PartnerReach,
}

#[derive(SimpleObject)]
pub struct PartnerOrganisationPayload {
    partner_organisation: PartnerOrganisation,
}

#[derive(InputObject)]
pub struct InvitePartnerUserInput {
    partner_id: ID,
    email: String,
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
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        Ok(loaders(c)?
            .partner
            .load_one(self.0.partner_id)
            .await?
            .map(PartnerOrganisation))
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn accepted_at(&self) -> Option<DateTime<FixedOffset>> {
        self.0.accepted_at
    }
}

#[derive(SimpleObject)]
pub struct InvitePartnerUserPayload {
    partner_invitation: PartnerInvitation,
}

#[derive(Default)]
pub struct TenancyMutation;

#[Object]
impl TenancyMutation {
    /// Creates an association and invites its first director (union admins).
    async fn create_tenant(
        &self,
        c: &Context<'_>,
        input: CreateTenantInput,
    ) -> async_graphql::Result<CreateTenantPayload> {
        let ctx = ctx(c)?;
        let (t, i) = services(c)?
            .tenancy
            .create_tenant(
                ctx,
                ::tenancy::NewTenant {
                    slug: input.slug,
                    name: input.name,
                    first_director_email: input.first_director_email,
                },
            )
            .await
            .gql()?;
        Ok(CreateTenantPayload {
            tenant: Tenant(t),
            invitation: Invitation(i),
        })
    }

    /// Suspends an association: its members can no longer work in it (union admins).
    async fn suspend_tenant(
        &self,
        c: &Context<'_>,
        input: SuspendTenantInput,
    ) -> async_graphql::Result<TenantPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("tenantId", &input.tenant_id, "Tenant").gql()?;
        let t = services(c)?
            .tenancy
            .set_tenant_status(ctx, id.into(), Some(input.reason))
            .await
            .gql()?;
        Ok(TenantPayload { tenant: Tenant(t) })
    }

    /// Reactivates a suspended association (union admins).
    async fn reactivate_tenant(
        &self,
        c: &Context<'_>,
        input: ReactivateTenantInput,
    ) -> async_graphql::Result<TenantPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("tenantId", &input.tenant_id, "Tenant").gql()?;
        let t = services(c)?
            .tenancy
            .set_tenant_status(ctx, id.into(), None)
            .await
            .gql()?;
        Ok(TenantPayload { tenant: Tenant(t) })
    }

    /// Invites someone by email into the active association (directors).
    async fn invite_member(
        &self,
        c: &Context<'_>,
        input: InviteMemberInput,
    ) -> async_graphql::Result<InvitationPayload> {
        let ctx = ctx(c)?;
        let i = services(c)?
            .tenancy
            .invite_member(ctx, &input.email, input.role.into())
            .await
            .gql()?;
        Ok(InvitationPayload {
            invitation: Invitation(i),
        })
    }

    /// Withdraws a pending invitation (directors).
    async fn revoke_invitation(
        &self,
        c: &Context<'_>,
        input: RevokeInvitationInput,
    ) -> async_graphql::Result<InvitationPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("invitationId", &input.invitation_id, "Invitation").gql()?;
        let i = services(c)?
            .tenancy
            .revoke_invitation(ctx, id)
            .await
            .gql()?;
        Ok(InvitationPayload {
            invitation: Invitation(i),
        })
    }

    /// Changes a member's role (directors; the association keeps one active director).
    async fn change_member_role(
        &self,
        c: &Context<'_>,
        input: ChangeMemberRoleInput,
    ) -> async_graphql::Result<MembershipPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("membershipId", &input.membership_id, "Membership").gql()?;
        let m = services(c)?
            .tenancy
            .change_member(ctx, id, ::tenancy::MemberChange::Role(input.role.into()))
            .await
            .gql()?;
        Ok(MembershipPayload {
            membership: Membership(m),
        })
    }

    /// Deactivates a member; nothing is deleted (directors).
    async fn deactivate_member(
        &self,
        c: &Context<'_>,
        input: MembershipInput,
    ) -> async_graphql::Result<MembershipPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("membershipId", &input.membership_id, "Membership").gql()?;
        let m = services(c)?
            .tenancy
            .change_member(ctx, id, ::tenancy::MemberChange::Deactivate)
            .await
            .gql()?;
        Ok(MembershipPayload {
            membership: Membership(m),
        })
    }

    /// Reactivates a deactivated member (directors).
    async fn reactivate_member(
        &self,
        c: &Context<'_>,
        input: MembershipInput,
    ) -> async_graphql::Result<MembershipPayload> {
        let ctx = ctx(c)?;
        let id = decode_id("membershipId", &input.membership_id, "Membership").gql()?;
        let m = services(c)?
            .tenancy
            .change_member(ctx, id, ::tenancy::MemberChange::Reactivate)
            .await
            .gql()?;
        Ok(MembershipPayload {
            membership: Membership(m),
        })
    }

    /// Invites someone to the union's staff (union admins).
    async fn invite_union_staff(
        &self,
        c: &Context<'_>,
        input: InviteUnionStaffInput,
    ) -> async_graphql::Result<InviteUnionStaffPayload> {
        let ctx = ctx(c)?;
        let i = services(c)?
            .tenancy
            .invite_union_staff(ctx, &input.email, input.role.into())
            .await
            .gql()?;
        let role = kernel::UnionRole::parse(&i.role)
            .map(UnionRole::from)
            .ok_or_else(|| to_gql(Error::internal_msg("unknown union role in database")))?;
        Ok(InviteUnionStaffPayload {
            invitation: UnionInvitation {
                id: encode_id("UnionInvitation", i.id),
                email: i.email,
                role,
                created_at: i.created_at,
                accepted_at: i.accepted_at,
            },
        })
    }

    /// Invites a person of a partner firm (union admins).
    async fn invite_partner_user(
        &self,
        c: &Context<'_>,
        input: InvitePartnerUserInput,
    ) -> async_graphql::Result<InvitePartnerUserPayload> {
        let ctx = ctx(c)?;
        let partner = decode_id("partnerId", &input.partner_id, "PartnerOrganisation").gql()?;
        let inv = services(c)?
            .tenancy
            .invite_partner_user(ctx, partner, &input.email)
            .await
            .gql()?;
        Ok(InvitePartnerUserPayload {
            partner_invitation: PartnerInvitation(inv),
        })
    }

    /// Registers a partner organisation (union admins).
    async fn create_partner_organisation(
        &self,
        c: &Context<'_>,
        input: CreatePartnerOrganisationInput,
    ) -> async_graphql::Result<PartnerOrganisationPayload> {
        let ctx = ctx(c)?;
        let p = services(c)?
            .tenancy
            .create_partner(
                ctx,
                &input.name,
                input.sector.as_str(),
                input.reach == PartnerReach::National,
            )
            .await
            .gql()?;
        Ok(PartnerOrganisationPayload {
            partner_organisation: PartnerOrganisation(p),
        })
    }
}
