//! Sanctions, decided by the union admin with a reason and a date: a warning, a
//! suspension of the brand (for one site, or the whole association), the contract's
//! termination. A suspension or a termination shows on the affected sites' labels
//! (`pimms_suspended`, dated like every label); a termination also ends the contracts
//! in force.

use crate::entity::{contract as co, sanction as sa};
use crate::model::{ContractStatus, NewSanction, Sanction, SanctionKind, SubjectKind};
use crate::{AUDITORS, Compliance, author, map_err, record_history};
use kernel::{Ctx, Error, Page, PageRequest, UnionRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

#[derive(FromQueryResult)]
struct SiteRow {
    id: Uuid,
}

impl Compliance {
    pub async fn record_sanction(&self, ctx: &Ctx, n: NewSanction) -> Result<Sanction, Error> {
        ctx.require_union_role(&[UnionRole::Admin])?;
        let reason = kernel::input::text("reason", &n.reason, 2, 2000)?;
        if n.site_id.is_some() && n.kind != SanctionKind::Suspension {
            return Err(Error::validation(
                "siteId",
                "seule une suspension de la marque vise un site",
            ));
        }
        if let Some(e) = n.ends_on
            && e < n.decided_on
        {
            return Err(Error::validation("endsOn", "la fin précède la décision"));
        }
        if n.kind == SanctionKind::Warning && n.ends_on.is_some() {
            return Err(Error::validation(
                "endsOn",
                "un avertissement n'a pas de fin",
            ));
        }
        let tx = self.db.scoped(ctx).await?;
        let s = sa::ActiveModel {
            tenant_id: Set(n.tenant_id),
            id: Set(Uuid::now_v7()),
            kind: Set(n.kind),
            site_id: Set(n.site_id),
            reason: Set(reason.clone()),
            decided_on: Set(n.decided_on),
            ends_on: Set(n.ends_on),
            decided_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(|e| match db::constraint_of(&e).as_deref() {
            Some("compliance_sanctions_tenant_id_fkey") => {
                Error::validation("tenantId", "association inconnue")
            }
            _ => map_err(e),
        })?;
        if n.kind != SanctionKind::Warning {
            let sites = match n.site_id {
                Some(site) => vec![site],
                None => SiteRow::find_by_statement(db::stmt(
                    "select id from sites where tenant_id = $1 and (closed_on is null or closed_on >= $2) order by id",
                    vec![n.tenant_id.into(), n.decided_on.into()],
                ))
                .all(&*tx)
                .await
                .map_err(map_err)?
                .into_iter()
                .map(|r| r.id)
                .collect(),
            };
            for site in sites {
                tx.execute_raw(db::stmt(
                    "insert into site_labels (tenant_id, id, site_id, label, granted_on, expires_on) \
                     values ($1, $2, $3, 'pimms_suspended', $4, $5) \
                     on conflict on constraint site_labels_site_label_key do nothing",
                    vec![
                        n.tenant_id.into(),
                        Uuid::now_v7().into(),
                        site.into(),
                        n.decided_on.into(),
                        n.ends_on.into(),
                    ],
                ))
                .await
                .map_err(map_err)?;
            }
        }
        if n.kind == SanctionKind::Termination {
            let in_force = co::Entity::find()
                .filter(co::Column::TenantId.eq(n.tenant_id))
                .filter(co::Column::Status.eq(ContractStatus::InForce.as_str()))
                .all(&*tx)
                .await
                .map_err(map_err)?;
            for c in in_force {
                self.set_status_in(&tx, ctx, c.id, ContractStatus::Terminated, reason.clone())
                    .await?;
            }
        }
        record_history(
            &tx,
            ctx,
            n.tenant_id,
            SubjectKind::Sanction,
            s.id,
            "decided",
            json!({}),
            Some(reason),
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// One page of the association's sanctions (its members), or any association's
    /// (union admin and auditors), in the order they were recorded.
    pub async fn sanctions(
        &self,
        ctx: &Ctx,
        tenant: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Sanction>, Error> {
        let q = self.sanctions_query(ctx, sa::Entity::find())?;
        let q = match tenant.filter(|_| ctx.union_role().is_some()) {
            Some(t) => q.filter(sa::Column::TenantId.eq(t)),
            None => q,
        };
        let q = crate::audits::keyset(q, sa::Column::Id, &page);
        let rows = self.db.select_all(ctx, q, map_err).await?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn sanctions_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Sanction>, Error> {
        let q = self.sanctions_query(
            ctx,
            sa::Entity::find().filter(sa::Column::Id.is_in(ids.iter().copied())),
        )?;
        self.db.select_all(ctx, q, map_err).await
    }

    fn sanctions_query(
        &self,
        ctx: &Ctx,
        q: sea_orm::Select<sa::Entity>,
    ) -> Result<sea_orm::Select<sa::Entity>, Error> {
        if ctx.union_role().is_some() {
            ctx.require_union_role(AUDITORS)?;
            Ok(q)
        } else {
            let s = ctx.require_tenant()?;
            Ok(q.filter(sa::Column::TenantId.eq(s.tenant_id.0)))
        }
    }
}
