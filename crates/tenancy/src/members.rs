//! Members of an association: invited by email, given a role, deactivated (never
//! deleted). Directors manage; the whole association reads the member list.

use crate::audit::Trail;
use crate::{Tenancy, audit, errors, validate};
use entity::invitation::InvitationStatus;
use entity::membership::MembershipStatus;
use entity::{invitation, membership, user};
use kernel::{Ctx, Error, Page, PageRequest, TenantRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QueryTrait, Set,
};
use uuid::Uuid;

const MANAGERS: &[TenantRole] = &[TenantRole::Director];
const INVITATION_READERS: &[TenantRole] = &[TenantRole::Director, TenantRole::Coordinator];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    Role(TenantRole),
    Deactivate,
    Reactivate,
}

/// An invitation to association `tenant_id`, sent by the actor at `now`, valid for
/// `INVITATION_TTL_DAYS`.
fn pending_invitation(
    ctx: &Ctx,
    tenant_id: Uuid,
    email: String,
    role: TenantRole,
    now: chrono::DateTime<chrono::Utc>,
) -> invitation::ActiveModel {
    invitation::ActiveModel {
        tenant_id: Set(tenant_id),
        id: Set(Uuid::now_v7()),
        email: Set(email),
        role: Set(role),
        status: Set(InvitationStatus::Pending),
        invited_by: Set(ctx.user_id().map(Uuid::from)),
        created_at: Set(now.into()),
        expires_at: Set((now + chrono::Duration::days(crate::INVITATION_TTL_DAYS)).into()),
        accepted_at: Set(None),
        accepted_by: Set(None),
    }
}

/// Who an invitation is from: an association, the union, a partner firm.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Invited {
    Association(Uuid),
    Union,
    Partner(Uuid),
}

/// The invitation-created event, in the transaction that created the invitation:
/// the invitation e-mail goes out only if it committed. The payload names the
/// invitation by global id, never the address (read from the invitation when sending).
pub(crate) async fn invitation_created(
    tx: &db::Scoped,
    invited: Invited,
    invitation_id: Uuid,
) -> Result<(), Error> {
    let (kind, gid_type, tenant, partner) = match invited {
        Invited::Association(t) => ("association", "Invitation", Some(t), None),
        Invited::Union => ("union", "UnionInvitation", None, None),
        Invited::Partner(p) => ("partner", "PartnerInvitation", None, Some(p)),
    };
    let data = serde_json::json!({
        "invitation": kernel::gid::encode(gid_type, invitation_id),
        "kind": kind,
    });
    let event = events::Event::new(events::EventType::InvitationCreated, invitation_id, data)
        .tenant(tenant)
        .partner(partner);
    events::emit(tx, event).await?;
    Ok(())
}

/// Invites `email` into association `tenant_id` with `role`, in `tx`: the pending
/// invitation, its entry in the association's audit trail and its event (the e-mail
/// goes out once the transaction commits). The one path of every invitation into an
/// association: a director's (`invite_member`), the first director's
/// (`create_tenant`) and a union admin's director (`invite_director`).
pub(crate) async fn invite(
    tx: &db::Scoped,
    ctx: &Ctx,
    tenant_id: Uuid,
    email: String,
    role: TenantRole,
) -> Result<invitation::Model, Error> {
    let inv = pending_invitation(ctx, tenant_id, email, role, chrono::Utc::now())
        .insert(&**tx)
        .await
        .map_err(errors::orm)?;
    audit::event(
        tx,
        ctx,
        Trail::Tenant(tenant_id),
        "invitation.created",
        Some(inv.id),
    )
    .await?;
    invitation_created(tx, Invited::Association(tenant_id), inv.id).await?;
    Ok(inv)
}

impl Tenancy {
    pub async fn invite_member(
        &self,
        ctx: &Ctx,
        email: &str,
        role: TenantRole,
    ) -> Result<invitation::Model, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let email = validate::email("email", email)?;
        let tx = self.db.scoped(ctx).await?;
        // Already an active member? (Users are visible to their associations' staff.)
        let member = tx
            .query_one_raw(db::stmt(
                "select 1 from memberships m join users u on u.id = m.user_id \
                 where m.tenant_id = $1 and m.status = 'active' and u.email = $2",
                vec![scope.tenant_id.0.into(), email.clone().into()],
            ))
            .await
            .map_err(errors::orm)?;
        if member.is_some() {
            return Err(Error::conflict("this person is already an active member"));
        }
        let inv = invite(&tx, ctx, scope.tenant_id.0, email, role).await?;
        tx.commit().await?;
        Ok(inv)
    }

    pub async fn revoke_invitation(&self, ctx: &Ctx, id: Uuid) -> Result<invitation::Model, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let tx = self.db.scoped(ctx).await?;
        let inv = invitation::Entity::find_by_id((scope.tenant_id.0, id))
            .one(&*tx)
            .await
            .map_err(errors::orm)?
            .ok_or(Error::NotFound)?;
        if inv.status != InvitationStatus::Pending {
            return Err(Error::conflict(format!(
                "the invitation is already {}",
                inv.status
            )));
        }
        let mut am: invitation::ActiveModel = inv.into();
        am.status = Set(InvitationStatus::Revoked);
        let inv = am.update(&*tx).await.map_err(errors::orm)?;
        audit::event(
            &tx,
            ctx,
            Trail::Tenant(scope.tenant_id.0),
            "invitation.revoked",
            Some(inv.id),
        )
        .await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// Changes a member's role, deactivates or reactivates them. The database keeps
    /// at least one active director (trigger under a per-tenant lock), which this maps
    /// to CONFLICT.
    pub async fn change_member(
        &self,
        ctx: &Ctx,
        membership_id: Uuid,
        change: MemberChange,
    ) -> Result<membership::Model, Error> {
        let scope = ctx.require_tenant_role(MANAGERS)?;
        let tx = self.db.scoped(ctx).await?;
        let m = membership::Entity::find_by_id((scope.tenant_id.0, membership_id))
            .one(&*tx)
            .await
            .map_err(errors::orm)?
            .ok_or(Error::NotFound)?;
        let now = chrono::Utc::now();
        let mut am: membership::ActiveModel = m.clone().into();
        let action = match change {
            MemberChange::Role(r) => {
                if m.role == r {
                    return Err(Error::conflict(format!(
                        "the member already has the role {}",
                        r.as_str()
                    )));
                }
                am.role = Set(r);
                "membership.role_changed"
            }
            MemberChange::Deactivate => {
                if m.status == MembershipStatus::Deactivated {
                    return Err(Error::conflict("the member is already deactivated"));
                }
                am.status = Set(MembershipStatus::Deactivated);
                am.deactivated_at = Set(Some(now.into()));
                "membership.deactivated"
            }
            MemberChange::Reactivate => {
                if m.status == MembershipStatus::Active {
                    return Err(Error::conflict("the member is already active"));
                }
                am.status = Set(MembershipStatus::Active);
                am.deactivated_at = Set(None);
                "membership.reactivated"
            }
        };
        am.updated_at = Set(now.into());
        let m = am.update(&*tx).await.map_err(errors::orm)?;
        audit::event(
            &tx,
            ctx,
            Trail::Tenant(scope.tenant_id.0),
            action,
            Some(m.id),
        )
        .await?;
        tx.commit().await?;
        Ok(m)
    }

    /// The active association's members (any role may read the list).
    pub async fn list_members(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        active_only: bool,
    ) -> Result<Page<membership::Model>, Error> {
        let scope = ctx.require_tenant()?;
        let q = membership::Entity::find()
            .filter(membership::Column::TenantId.eq(scope.tenant_id.0))
            .apply_if(active_only.then_some("active"), |q, s| {
                q.filter(membership::Column::Status.eq(s))
            });
        self.page_of(ctx, q, membership::Column::Id, page).await
    }

    pub async fn list_invitations(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        pending_only: bool,
    ) -> Result<Page<invitation::Model>, Error> {
        let scope = ctx.require_tenant_role(INVITATION_READERS)?;
        let q = invitation::Entity::find()
            .filter(invitation::Column::TenantId.eq(scope.tenant_id.0))
            .apply_if(pending_only.then_some("pending"), |q, s| {
                q.filter(invitation::Column::Status.eq(s))
            });
        self.page_of(ctx, q, invitation::Column::Id, page).await
    }

    /// The signed-in person's own memberships, in every association (active or not).
    pub async fn my_memberships(&self, ctx: &Ctx) -> Result<Vec<membership::Model>, Error> {
        let user_id = ctx.require_user()?;
        let tx = self.db.scoped(ctx).await?;
        let rows = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user_id.0))
            .order_by_asc(membership::Column::Id)
            .all(&*tx)
            .await
            .map_err(errors::orm)?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn memberships_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<membership::Model>, Error> {
        // Explicit tenant filter on top of RLS, except for one's own memberships.
        let mine_or_here = ctx.tenant().zip(ctx.user_id()).map(|(scope, user)| {
            Condition::any()
                .add(membership::Column::TenantId.eq(scope.tenant_id.0))
                .add(membership::Column::UserId.eq(user.0))
        });
        let q = membership::Entity::find().apply_if(mine_or_here, QueryFilter::filter);
        self.by_ids(ctx, q, membership::Column::Id, ids).await
    }

    pub async fn invitations_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<invitation::Model>, Error> {
        let q = invitation::Entity::find();
        self.by_ids(ctx, q, invitation::Column::Id, ids).await
    }

    pub async fn users_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<user::Model>, Error> {
        self.by_ids(ctx, user::Entity::find(), user::Column::Id, ids)
            .await
    }
}
