//! Associations: created, suspended and reactivated by union admins; read by their
//! members and by the union.

use crate::audit::Trail;
use crate::{Tenancy, audit, errors, validate};
use entity::{invitation, tenant};
use kernel::{Ctx, Error, Page, PageRequest, TenantId, TenantRole, UnionRole};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryTrait, Set};
use uuid::Uuid;

pub use entity::tenant::TenantStatus;

pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub first_director_email: String,
}

impl Tenancy {
    pub async fn create_tenant(
        &self,
        ctx: &Ctx,
        input: NewTenant,
    ) -> Result<(tenant::Model, invitation::Model), Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let slug = validate::slug(&input.slug)?;
        let name = validate::text("name", &input.name, 2, 200)?;
        let email = validate::email("firstDirectorEmail", &input.first_director_email)?;
        let tx = self.db.scoped(ctx).await?;
        let now = chrono::Utc::now();
        let t = tenant::ActiveModel {
            id: Set(Uuid::now_v7()),
            slug: Set(slug),
            name: Set(name),
            status: Set(TenantStatus::Active),
            suspended_reason: Set(None),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
        }
        .insert(&*tx)
        .await
        .map_err(errors::orm)?;
        audit::event(
            &tx,
            ctx,
            Trail::Union(Some(t.id)),
            "tenant.created",
            Some(t.id),
        )
        .await?;
        let inv = crate::members::invite(&tx, ctx, t.id, email, TenantRole::Director).await?;
        tx.commit().await?;
        Ok((t, inv))
    }

    /// Invites a director into an existing association (union admins): when its
    /// director left, say. The same invitation, audit entry and e-mail as any other
    /// (`members::invite`), plus an entry in the union's own trail. A suspended
    /// association is refused (CONFLICT on `tenantId`): reactivate it first. The union
    /// does not read an association's members, so nothing is checked against them: a
    /// member who accepts becomes its director (login turns the invitation into the
    /// role, see `principal::accept_pending`).
    pub async fn invite_director(
        &self,
        ctx: &Ctx,
        tenant_id: TenantId,
        email: &str,
    ) -> Result<invitation::Model, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let email = validate::email("email", email)?;
        let tx = self.db.scoped(ctx).await?;
        let t = tenant::Entity::find_by_id(tenant_id.0)
            .one(&*tx)
            .await
            .map_err(errors::orm)?
            .ok_or(Error::NotFound)?;
        if t.status == TenantStatus::Suspended {
            return Err(Error::conflict_on(
                "tenantId",
                "the association is suspended: reactivate it before inviting a director",
            ));
        }
        audit::event(
            &tx,
            ctx,
            Trail::Union(Some(t.id)),
            "director.invited",
            Some(t.id),
        )
        .await?;
        let inv = crate::members::invite(&tx, ctx, t.id, email, TenantRole::Director).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// Suspends (`Some(reason)`) or reactivates (`None`) an association. A suspended
    /// association's members can no longer select it; nothing is deleted.
    pub async fn set_tenant_status(
        &self,
        ctx: &Ctx,
        tenant_id: TenantId,
        suspend_reason: Option<String>,
    ) -> Result<tenant::Model, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let reason = suspend_reason
            .map(|r| validate::text("reason", &r, 3, 500))
            .transpose()?;
        let tx = self.db.scoped(ctx).await?;
        let current = tenant::Entity::find_by_id(tenant_id.0)
            .one(&*tx)
            .await
            .map_err(errors::orm)?
            .ok_or(Error::NotFound)?;
        let (status, action) = match reason {
            Some(_) => (TenantStatus::Suspended, "tenant.suspended"),
            None => (TenantStatus::Active, "tenant.reactivated"),
        };
        if current.status == status {
            return Err(Error::conflict(format!(
                "the association is already {}",
                status.as_str()
            )));
        }
        let mut am: tenant::ActiveModel = current.into();
        am.status = Set(status);
        am.suspended_reason = Set(reason);
        am.updated_at = Set(chrono::Utc::now().into());
        let t = am.update(&*tx).await.map_err(errors::orm)?;
        audit::event(&tx, ctx, Trail::Union(Some(t.id)), action, Some(t.id)).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The pending director invitations into association `tenant_id` that this union
    /// admin sent (row-level security shows an admin the director invitations they
    /// sent, nothing else of an association's invitations).
    pub async fn list_director_invitations(
        &self,
        ctx: &Ctx,
        tenant_id: TenantId,
        page: PageRequest,
    ) -> Result<Page<invitation::Model>, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let q = invitation::Entity::find()
            .filter(invitation::Column::TenantId.eq(tenant_id.0))
            .filter(invitation::Column::Role.eq(TenantRole::Director))
            .filter(invitation::Column::Status.eq(entity::invitation::InvitationStatus::Pending))
            .filter(invitation::Column::InvitedBy.eq(ctx.user_id().map(Uuid::from)));
        self.page_of(ctx, q, invitation::Column::Id, page).await
    }

    /// The union's list of associations.
    pub async fn list_tenants(
        &self,
        ctx: &Ctx,
        page: PageRequest,
        status: Option<TenantStatus>,
    ) -> Result<Page<tenant::Model>, Error> {
        ctx.require_union_role(&UnionRole::ALL)?;
        let q =
            tenant::Entity::find().apply_if(status, |q, s| q.filter(tenant::Column::Status.eq(s)));
        self.page_of(ctx, q, tenant::Column::Id, page).await
    }

    /// Batch lookup for DataLoaders and `node`: what row-level security lets the
    /// actor see, nothing more.
    pub async fn tenants_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<tenant::Model>, Error> {
        self.by_ids(ctx, tenant::Entity::find(), tenant::Column::Id, ids)
            .await
    }
}
