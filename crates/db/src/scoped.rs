use crate::DbError;
use kernel::{Ctx, Scope};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};
use std::ops::Deref;

/// A transaction whose scope settings are in place. Dropping it without `commit`
/// rolls back. It derefs to sea-orm's transaction so repositories use the ORM as usual.
pub struct Scoped {
    tx: DatabaseTransaction,
}

/// The settings row-level security reads, as (tenant, tenant_role, user, union_role,
/// partner, actor_kind). Empty string means "none": policies read it as NULL.
fn settings(ctx: &Ctx) -> [String; 6] {
    match ctx.scope() {
        Scope::User {
            user_id,
            tenant,
            union_role,
            partner_id,
        } => [
            tenant.map(|t| t.tenant_id.to_string()).unwrap_or_default(),
            tenant
                .map(|t| t.role.as_str().to_owned())
                .unwrap_or_default(),
            user_id.to_string(),
            union_role
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            partner_id.map(|p| p.to_string()).unwrap_or_default(),
            "user".to_owned(),
        ],
        Scope::Client { partner_id, .. } => [
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            partner_id.to_string(),
            "client".to_owned(),
        ],
        Scope::System { .. } => [
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "system".to_owned(),
        ],
    }
}

const SET_SCOPE: &str = "select set_config('app.tenant_id', $1, true), \
     set_config('app.tenant_role', $2, true), \
     set_config('app.user_id', $3, true), \
     set_config('app.union_role', $4, true), \
     set_config('app.partner_id', $5, true), \
     set_config('app.actor_kind', $6, true)";

impl Scoped {
    pub(crate) async fn begin(conn: &DatabaseConnection, ctx: &Ctx) -> Result<Self, DbError> {
        let tx = conn.begin().await?;
        let values = settings(ctx).map(sea_orm::Value::from);
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SET_SCOPE,
            values,
        ))
        .await?;
        Ok(Self { tx })
    }

    pub async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await.map_err(DbError::from)
    }
}

impl Deref for Scoped {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::{RequestId, TenantId, TenantRole, TenantScope, UserId};

    #[test]
    fn system_scope_sets_no_tenant() {
        let s = settings(&Ctx::system("test"));
        assert_eq!(s[0], "");
        assert_eq!(s[5], "system");
    }

    #[test]
    fn user_scope_carries_tenant_and_role() {
        let t = TenantId::new();
        let ctx = Ctx::user(
            UserId::new(),
            Some(TenantScope {
                tenant_id: t,
                role: TenantRole::Viewer,
            }),
            None,
            None,
            RequestId::new(),
        );
        let s = settings(&ctx);
        assert_eq!(s[0], t.to_string());
        assert_eq!(s[1], "viewer");
        assert_eq!(s[5], "user");
    }
}
