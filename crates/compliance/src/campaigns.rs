//! Campaigns: a period, a standards version, a calendar and the associations in scope
//! (chosen by hand, drawn at random, or both), one audit each, opened at once: the
//! self-assessment opens when the campaign does.

use crate::entity::{audit as au, campaign as ca};
use crate::model::{AuditStatus, Campaign, CampaignStatus, NewCampaign, Selection};
use crate::{AUDITORS, Compliance, author, map_err, rules};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeSet;
use uuid::Uuid;

/// An association that may be drawn, with its region (of its oldest site).
#[derive(FromQueryResult)]
struct Candidate {
    id: Uuid,
    region: Option<String>,
}

impl Compliance {
    /// Opens a campaign and its audits, assigned to `auditor_id` (or the caller).
    pub async fn open_campaign(&self, ctx: &Ctx, n: NewCampaign) -> Result<Campaign, Error> {
        ctx.require_union_role(AUDITORS)?;
        let n = rules::check_campaign(n)?;
        let tx = self.db.scoped(ctx).await?;
        self.published_version(&tx, n.catalogue_version_id, "catalogueVersionId")
            .await?;
        let candidates = Candidate::find_by_statement(db::stmt(
            "select t.id, (select d.region_code from sites s join departments d on d.code = s.department \
              where s.tenant_id = t.id order by s.opened_on, s.id limit 1) as region \
             from tenants t where t.status = 'active' order by t.id",
            vec![],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        let known: BTreeSet<Uuid> = candidates.iter().map(|c| c.id).collect();
        for (i, t) in n.chosen.iter().enumerate() {
            if !known.contains(t) {
                return Err(Error::validation(
                    format!("tenantIds[{i}]"),
                    "association inconnue ou suspendue",
                ));
            }
        }
        // Never the same association two campaigns running, unless chosen by hand.
        let previous = ca::Entity::find()
            .order_by_desc(ca::Column::CreatedAt)
            .one(&*tx)
            .await
            .map_err(map_err)?;
        let mut excluded: BTreeSet<Uuid> = n.chosen.iter().copied().collect();
        if let Some(p) = &previous {
            let last: Vec<Uuid> = au::Entity::find()
                .select_only()
                .column(au::Column::TenantId)
                .filter(au::Column::CampaignId.eq(p.id))
                .into_tuple()
                .all(&*tx)
                .await
                .map_err(map_err)?;
            excluded.extend(last);
        }
        let sampled = match n.sample_percent {
            Some(p) => rules::draw_sample(
                &candidates
                    .iter()
                    .map(|c| (c.id, c.region.clone()))
                    .collect::<Vec<_>>(),
                &excluded,
                p,
                n.seed,
            ),
            None => Vec::new(),
        };
        if n.chosen.is_empty() && sampled.is_empty() {
            return Err(Error::validation(
                "samplePercent",
                "aucune association à tirer au sort (toutes contrôlées lors de la campagne précédente)",
            ));
        }
        let c = ca::ActiveModel {
            id: Set(Uuid::now_v7()),
            title: Set(n.title.clone()),
            catalogue_version_id: Set(n.catalogue_version_id),
            period_starts_on: Set(n.period_starts_on),
            period_ends_on: Set(n.period_ends_on),
            self_assessment_due_on: Set(n.self_assessment_due_on),
            visits_from: Set(n.visits_from),
            visits_until: Set(n.visits_until),
            contradictory_days: Set(n.contradictory_days),
            closes_on: Set(n.closes_on),
            sample_percent: Set(n.sample_percent),
            status: Set(CampaignStatus::Open),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        let auditor = n.auditor_id.or_else(|| author(ctx));
        let scope = n
            .chosen
            .iter()
            .map(|t| (*t, Selection::Chosen))
            .chain(sampled.iter().map(|t| (*t, Selection::Sampled)));
        for (tenant, selection) in scope {
            let audit = au::ActiveModel {
                tenant_id: Set(tenant),
                id: Set(Uuid::now_v7()),
                campaign_id: Set(c.id),
                auditor_id: Set(auditor),
                selection: Set(selection),
                status: Set(AuditStatus::SelfAssessment),
                ..Default::default()
            }
            .insert(&*tx)
            .await
            .map_err(|e| match db::constraint_of(&e).as_deref() {
                Some("compliance_audits_auditor_id_fkey") => {
                    Error::validation("auditorId", "auditeur inconnu")
                }
                _ => map_err(e),
            })?;
            // The self-assessment opens: the association's directors are told.
            crate::audits::phase_changed(&tx, &audit, None, Some(n.self_assessment_due_on)).await?;
        }
        tx.commit().await?;
        Ok(c)
    }

    /// Closes a campaign once every audit in it is final.
    pub async fn close_campaign(&self, ctx: &Ctx, id: Uuid) -> Result<Campaign, Error> {
        ctx.require_union_role(AUDITORS)?;
        let tx = self.db.scoped(ctx).await?;
        let c = ca::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        if c.status == CampaignStatus::Closed {
            return Err(Error::validation(
                "campaignId",
                "la campagne est déjà close",
            ));
        }
        let open = au::Entity::find()
            .filter(au::Column::CampaignId.eq(id))
            .filter(au::Column::Status.ne(AuditStatus::Final.as_str()))
            .one(&*tx)
            .await
            .map_err(map_err)?;
        if open.is_some() {
            return Err(Error::validation(
                "campaignId",
                "des contrôles de la campagne n'ont pas encore de rapport définitif",
            ));
        }
        let c = db::update_one(
            &tx,
            ca::Entity::update_many()
                .col_expr(
                    ca::Column::Status,
                    Expr::value(CampaignStatus::Closed.as_str()),
                )
                .col_expr(ca::Column::ClosedAt, Expr::current_timestamp())
                .filter(ca::Column::Id.eq(id)),
            map_err,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// One page of the campaigns, in the order they were opened: the union's every
    /// one; an association's those it is audited in.
    pub async fn campaigns(&self, ctx: &Ctx, page: PageRequest) -> Result<Page<Campaign>, Error> {
        let mut q = ca::Entity::find();
        if ctx.union_role().is_none() {
            let s = ctx.require_tenant()?;
            q = q.filter(
                ca::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(au::Column::CampaignId)
                        .from(au::Entity)
                        .and_where(Expr::col(au::Column::TenantId).eq(s.tenant_id.0))
                        .to_owned(),
                ),
            );
        }
        let q = crate::audits::keyset(q, ca::Column::Id, &page);
        let rows = self.db.select_all(ctx, q, map_err).await?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn campaigns_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Campaign>, Error> {
        let mut q = ca::Entity::find().filter(ca::Column::Id.is_in(ids.iter().copied()));
        if ctx.union_role().is_none() {
            let s = ctx.require_tenant()?;
            q = q.filter(
                ca::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(au::Column::CampaignId)
                        .from(au::Entity)
                        .and_where(Expr::col(au::Column::TenantId).eq(s.tenant_id.0))
                        .to_owned(),
                ),
            );
        }
        self.db.select_all(ctx, q, map_err).await
    }
}
