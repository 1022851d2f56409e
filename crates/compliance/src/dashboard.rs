//! The union's compliance dashboard: associations by latest grade, the criteria most
//! often not met, overdue actions, contracts to renew, the trend across campaigns.
//! Aggregates only, so every union role reads it (the analyst included); counted as
//! the platform (`Ctx::system`) because the analyst may not read the rows behind it.

use crate::contracts::RENEWAL_WINDOW_DAYS;
use crate::model::{ComplianceDashboard, Grade};
use crate::{Compliance, map_err};
use chrono::Days;
use kernel::{Ctx, Error, UnionRole};
use sea_orm::FromQueryResult;

#[derive(FromQueryResult)]
struct GradeCount {
    grade: Grade,
    n: i64,
}

#[derive(FromQueryResult)]
struct CriterionCount {
    code: String,
    label: String,
    n: i64,
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

#[derive(FromQueryResult)]
struct Trend {
    title: String,
    n: i64,
    mean: Option<f64>,
}

impl Compliance {
    pub async fn dashboard(&self, ctx: &Ctx) -> Result<ComplianceDashboard, Error> {
        ctx.require_union_role(&UnionRole::ALL)?;
        let sys = Ctx::system("compliance: the union's dashboard, aggregates only");
        let tx = self.db.scoped(&sys).await?;
        let today = kernel::time::today();
        let until = today
            .checked_add_days(Days::new(RENEWAL_WINDOW_DAYS))
            .unwrap_or(today);
        let by_grade = GradeCount::find_by_statement(db::stmt(
            "select grade, count(*) as n from (select distinct on (tenant_id) tenant_id, grade \
               from compliance_audits where status = 'final' order by tenant_id, finalised_at desc) x \
             group by grade order by grade",
            vec![],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        let criteria = CriterionCount::find_by_statement(db::stmt(
            "select c.code, c.label, count(*) as n from compliance_scores s \
               join compliance_audits a on a.tenant_id = s.tenant_id and a.id = s.audit_id \
               join compliance_criteria c on c.id = s.criterion_id \
             where a.status = 'final' and s.result = 'not_met' \
             group by c.code, c.label order by n desc, c.code limit 10",
            vec![],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        let overdue = Count::find_by_statement(db::stmt(
            "select count(*) as n from compliance_actions \
             where overdue_since is not null and status in ('open', 'reopened')",
            vec![],
        ))
        .one(&*tx)
        .await
        .map_err(map_err)?
        .map_or(0, |c| c.n);
        let renew = Count::find_by_statement(db::stmt(
            "select count(*) as n from compliance_contracts where status = 'in_force' \
             and term_ends_on between $2 and $1",
            vec![until.into(), today.into()],
        ))
        .one(&*tx)
        .await
        .map_err(map_err)?
        .map_or(0, |c| c.n);
        let trend = Trend::find_by_statement(db::stmt(
            "select c.title, count(a.id) filter (where a.status = 'final') as n, \
               round((avg(a.score) filter (where a.status = 'final'))::numeric, 1)::float8 as mean \
             from compliance_campaigns c left join compliance_audits a on a.campaign_id = c.id \
             group by c.id, c.title, c.created_at order by c.created_at",
            vec![],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(ComplianceDashboard {
            by_grade: by_grade.into_iter().map(|g| (g.grade, g.n)).collect(),
            criteria_not_met: criteria
                .into_iter()
                .map(|c| (c.code, c.label, c.n))
                .collect(),
            overdue_actions: overdue,
            contracts_to_renew: renew,
            trend: trend.into_iter().map(|t| (t.title, t.n, t.mean)).collect(),
        })
    }
}
