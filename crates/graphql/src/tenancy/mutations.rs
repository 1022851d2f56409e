use super::types::{
    Invitation, Membership, PartnerInvitation, PartnerOrganisation, PartnerReach, PartnerSector,
    Tenant, TenantRole, UnionInvitation, UnionRole,
};
use crate::context::{ctx, services};
use crate::error::Gql;
use crate::node::{encode_id, id_arg};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

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

#[derive(InputObject)]
pub struct InviteMemberInput {
    email: String,
    role: TenantRole,
}

#[derive(InputObject)]
pub struct InviteDirectorInput {
    /// The association, which must not be suspended.
    tenant_id: ID,
    /// Invited as one of its directors.
    email: String,
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

#[derive(InputObject)]
pub struct InviteUnionStaffInput {
    email: String,
    role: UnionRole,
}

#[derive(InputObject)]
pub struct CreatePartnerOrganisationInput {
    name: String,
    sector: PartnerSector,
    reach: PartnerReach,
}

#[derive(InputObject)]
pub struct InvitePartnerUserInput {
    partner_id: ID,
    email: String,
}

payloads! {
    TenantPayload { tenant: Tenant }
    InvitationPayload { invitation: Invitation }
    MembershipPayload { membership: Membership }
    InviteUnionStaffPayload { invitation: UnionInvitation }
    PartnerOrganisationPayload { partner_organisation: PartnerOrganisation }
    InvitePartnerUserPayload { partner_invitation: PartnerInvitation }
}

/// Suspends (with a reason) or reactivates (without) an association.
async fn set_status(
    c: &Context<'_>,
    tenant_id: &ID,
    reason: Option<String>,
) -> Result<TenantPayload> {
    let ctx = ctx(c)?;
    let id = id_arg("tenantId", tenant_id, "Tenant")?;
    let t = services(c)?
        .tenancy
        .set_tenant_status(ctx, id.into(), reason)
        .await
        .gql()?;
    Ok(TenantPayload { tenant: Tenant(t) })
}

async fn change_member(
    c: &Context<'_>,
    membership_id: &ID,
    change: ::tenancy::MemberChange,
) -> Result<MembershipPayload> {
    let ctx = ctx(c)?;
    let id = id_arg("membershipId", membership_id, "Membership")?;
    let m = services(c)?
        .tenancy
        .change_member(ctx, id, change)
        .await
        .gql()?;
    Ok(MembershipPayload {
        membership: Membership(m),
    })
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
    ) -> Result<CreateTenantPayload> {
        let ctx = ctx(c)?;
        let new = ::tenancy::NewTenant {
            slug: input.slug,
            name: input.name,
            first_director_email: input.first_director_email,
        };
        let (t, i) = services(c)?.tenancy.create_tenant(ctx, new).await.gql()?;
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
    ) -> Result<TenantPayload> {
        set_status(c, &input.tenant_id, Some(input.reason)).await
    }

    /// Reactivates a suspended association (union admins).
    async fn reactivate_tenant(
        &self,
        c: &Context<'_>,
        input: ReactivateTenantInput,
    ) -> Result<TenantPayload> {
        set_status(c, &input.tenant_id, None).await
    }

    /// Invites someone by email into the active association (directors).
    async fn invite_member(
        &self,
        c: &Context<'_>,
        input: InviteMemberInput,
    ) -> Result<InvitationPayload> {
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

    /// Invites a director into an existing association, e.g. when its director left
    /// (union admins). A suspended association is CONFLICT on `tenantId`.
    async fn invite_director(
        &self,
        c: &Context<'_>,
        input: InviteDirectorInput,
    ) -> Result<InvitationPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("tenantId", &input.tenant_id, "Tenant")?;
        let i = services(c)?
            .tenancy
            .invite_director(ctx, id.into(), &input.email)
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
    ) -> Result<InvitationPayload> {
        let ctx = ctx(c)?;
        let id = id_arg("invitationId", &input.invitation_id, "Invitation")?;
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
    ) -> Result<MembershipPayload> {
        let change = ::tenancy::MemberChange::Role(input.role.into());
        change_member(c, &input.membership_id, change).await
    }

    /// Deactivates a member; nothing is deleted (directors).
    async fn deactivate_member(
        &self,
        c: &Context<'_>,
        input: MembershipInput,
    ) -> Result<MembershipPayload> {
        change_member(c, &input.membership_id, ::tenancy::MemberChange::Deactivate).await
    }

    /// Reactivates a deactivated member (directors).
    async fn reactivate_member(
        &self,
        c: &Context<'_>,
        input: MembershipInput,
    ) -> Result<MembershipPayload> {
        change_member(c, &input.membership_id, ::tenancy::MemberChange::Reactivate).await
    }

    /// Invites someone to the union's staff (union admins).
    async fn invite_union_staff(
        &self,
        c: &Context<'_>,
        input: InviteUnionStaffInput,
    ) -> Result<InviteUnionStaffPayload> {
        let ctx = ctx(c)?;
        let i = services(c)?
            .tenancy
            .invite_union_staff(ctx, &input.email, input.role.into())
            .await
            .gql()?;
        let role = UnionRole::from(i.role);
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
    ) -> Result<InvitePartnerUserPayload> {
        let ctx = ctx(c)?;
        let partner = id_arg("partnerId", &input.partner_id, "PartnerOrganisation")?;
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
    ) -> Result<PartnerOrganisationPayload> {
        let ctx = ctx(c)?;
        let national = input.reach == PartnerReach::National;
        let p = services(c)?
            .tenancy
            .create_partner(ctx, &input.name, input.sector.into(), national)
            .await
            .gql()?;
        Ok(PartnerOrganisationPayload {
            partner_organisation: PartnerOrganisation(p),
        })
    }
}
