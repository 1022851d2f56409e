//! Union staff: admins invite colleagues as admin, auditor or analyst.

use crate::audit::Trail;
use crate::{Tenancy, audit, errors, validate};
use entity::union_invitation;
use kernel::{Ctx, Error, UnionRole};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

impl Tenancy {
    /// Grants `role` to the person with `email`: at once if they already have an
    /// account, otherwise at their first login.
    pub async fn invite_union_staff(
        &self,
        ctx: &Ctx,
        email: &str,
        role: UnionRole,
    ) -> Result<union_invitation::Model, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let email = validate::email("email", email)?;
        let tx = self.db.scoped(ctx).await?;
        let inv = union_invitation::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(email.clone()),
            role: Set(role),
            created_at: Set(chrono::Utc::now().into()),
            accepted_at: Set(None),
        }
        .insert(&*tx)
        .await
        .map_err(errors::orm)?;
        audit::event(
            &tx,
            ctx,
            Trail::Union(None),
            "union_staff.invited",
            Some(inv.id),
        )
        .await?;
        crate::members::invitation_created(&tx, crate::members::Invited::Union, inv.id).await?;
        tx.commit().await?;
        Ok(inv)
    }
}
