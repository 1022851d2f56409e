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

/// Writes one entry: both trails hold the same facts and differ only in where the
/// entry is filed (`$filed`: the association's trail, or the union's own).
macro_rules! write_entry {
    ($tx:expr, $ctx:expr, $action:expr, $subject:expr, $($model:ident)::+ { $($filed:ident: $v:expr),* }) => {
        $($model)::+ {
            $($filed: Set($v),)*
            id: Set(Uuid::now_v7()),
            actor_user_id: Set($ctx.user_id().map(Uuid::from)),
            actor_kind: Set(actor_kind($ctx).to_owned()),
            action: Set($action.to_owned()),
            subject_id: Set($subject),
            request_id: Set(Some($ctx.request_id().0)),
            at: Set(chrono::Utc::now().into()),
        }
        .insert(&**$tx)
        .await
        .map(|_| ())
        .map_err(crate::errors::orm)
    };
}

/// Where an entry is filed: an association's trail, or the union's own (about one
/// association, or about none).
pub(crate) enum Trail {
    Tenant(Uuid),
    Union(Option<Uuid>),
}

pub(crate) async fn event(
    tx: &Scoped,
    ctx: &Ctx,
    trail: Trail,
    action: &str,
    subject_id: Option<Uuid>,
) -> Result<(), Error> {
    match trail {
        Trail::Tenant(tenant_id) => write_entry!(
            tx,
            ctx,
            action,
            subject_id,
            entity::tenant_audit_log::ActiveModel {
                tenant_id: tenant_id
            }
        ),
        Trail::Union(target) => write_entry!(
            tx,
            ctx,
            action,
            subject_id,
            entity::union_audit_log::ActiveModel {
                target_tenant_id: target
            }
        ),
    }
}
