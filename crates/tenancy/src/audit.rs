//! Append-only audit trail. Ids only: never a name, an email or a free text.

use db::Scoped;
use kernel::{Ctx, Error};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

fn actor_kind(ctx: &Ctx) -> &'static str {
    if ctx.is_system() {
        "system"
    } else if ctx.union_role().is_some() && ctx.tenant().is_none() {
        "union"
    } else {
        "user"
    }
}

pub(crate) async fn tenant_event(
    tx: &Scoped,
    ctx: &Ctx,
    tenant_id: Uuid,
    action: &str,
    subject_id: Option<Uuid>,
) -> Result<(), Error> {
    entity::tenant_audit_log::ActiveModel {
        tenant_id: Set(tenant_id),
        id: Set(Uuid::now_v7()),
        actor_user_id: Set(ctx.user_id().map(Uuid::from)),
        actor_kind: Set(actor_kind(ctx).to_owned()),
        action: Set(action.to_owned()),
        subject_id: Set(subject_id),
        request_id: Set(Some(ctx.request_id().0)),
        at: Set(chrono::Utc::now().into()),
    }
    .insert(&**tx)
    .await
    .map(|_| ())
    .map_err(crate::errors::orm)
}

pub(crate) async fn union_event(
    tx: &Scoped,
    ctx: &Ctx,
    target_tenant_id: Option<Uuid>,
    action: &str,
    subject_id: Option<Uuid>,
) -> Result<(), Error> {
    entity::union_audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        target_tenant_id: Set(target_tenant_id),
        actor_user_id: Set(ctx.user_id().map(Uuid::from)),
        actor_kind: Set(actor_kind(ctx).to_owned()),
        action: Set(action.to_owned()),
        subject_id: Set(subject_id),
        request_id: Set(Some(ctx.request_id().0)),
        at: Set(chrono::Utc::now().into()),
    }
    .insert(&**tx)
    .await
    .map(|_| ())
    .map_err(crate::errors::orm)
}
