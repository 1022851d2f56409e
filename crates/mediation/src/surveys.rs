//! Satisfaction surveys: periodic campaigns per site; answers on a four-point scale
//! (typed in from paper forms or a tablet), giving the share satisfied.

use crate::model::*;
use crate::repo::{map_err, stmt};
use crate::{Journal, LEADS, WRITERS, rules};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

const COLUMNS: &str = "c.id, c.site_id, c.title, c.starts_on, c.ends_on, \
    (select count(*) from survey_answers a where a.tenant_id = c.tenant_id and a.campaign_id = c.id), \
    (select count(*) from survey_answers a where a.tenant_id = c.tenant_id and a.campaign_id = c.id and a.score >= 3)";

fn row(r: &QueryResult) -> Result<SurveyCampaign, Error> {
    Ok(SurveyCampaign {
        id: r.try_get_by_index(0).map_err(map_err)?,
        site_id: r.try_get_by_index(1).map_err(map_err)?,
        title: r.try_get_by_index(2).map_err(map_err)?,
        starts_on: r.try_get_by_index(3).map_err(map_err)?,
        ends_on: r.try_get_by_index(4).map_err(map_err)?,
        answers: r.try_get_by_index(5).map_err(map_err)?,
        satisfied: r.try_get_by_index(6).map_err(map_err)?,
    })
}

impl Journal {
    pub async fn create_survey_campaign(
        &self,
        ctx: &Ctx,
        site_id: Uuid,
        title: &str,
        starts_on: chrono::NaiveDate,
        ends_on: chrono::NaiveDate,
    ) -> Result<SurveyCampaign, Error> {
        let scope = ctx.require_tenant_role(LEADS)?;
        let title = title.trim();
        if !(3..=200).contains(&title.chars().count()) {
            return Err(Error::validation("title", "between 3 and 200 characters"));
        }
        if ends_on < starts_on {
            return Err(Error::validation("endsOn", "before the start"));
        }
        if (ends_on - starts_on).num_days() > 366 {
            return Err(Error::validation(
                "endsOn",
                "a campaign lasts at most a year",
            ));
        }
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let site = tx
            .query_one_raw(stmt(
                "select 1 from sites where tenant_id = $1 and id = $2",
                vec![tenant.into(), site_id.into()],
            ))
            .await
            .map_err(map_err)?;
        if site.is_none() {
            return Err(Error::validation("siteId", "unknown site"));
        }
        let id = Uuid::now_v7();
        tx.execute_raw(stmt(
            "insert into survey_campaigns (tenant_id, id, site_id, title, starts_on, ends_on) values ($1, $2, $3, $4, $5, $6)",
            vec![tenant.into(), id.into(), site_id.into(), title.to_owned().into(), starts_on.into(), ends_on.into()],
        ))
        .await
        .map_err(map_err)?;
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "select {COLUMNS} from survey_campaigns c where c.tenant_id = $1 and c.id = $2"
                ),
                vec![tenant.into(), id.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?;
        tx.commit().await?;
        row(&r)
    }

    /// Records one answer (1 very dissatisfied .. 4 very satisfied), idempotent under
    /// the client's key, within the campaign's dates.
    pub async fn record_survey_answer(
        &self,
        ctx: &Ctx,
        campaign: Uuid,
        score: i16,
        answered_on: chrono::NaiveDate,
        client_key: &str,
    ) -> Result<SurveyCampaign, Error> {
        let scope = ctx.require_tenant_role(WRITERS)?;
        let key = rules::check_client_key(client_key)?;
        if !(1..=4).contains(&score) {
            return Err(Error::validation(
                "score",
                "1 (very dissatisfied) to 4 (very satisfied)",
            ));
        }
        if answered_on > kernel::time::today() {
            return Err(Error::validation("answeredOn", "in the future"));
        }
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let dates = tx
            .query_one_raw(stmt(
                "select starts_on, ends_on from survey_campaigns where tenant_id = $1 and id = $2",
                vec![tenant.into(), campaign.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let (starts, ends): (chrono::NaiveDate, chrono::NaiveDate) = (
            dates.try_get_by_index(0).map_err(map_err)?,
            dates.try_get_by_index(1).map_err(map_err)?,
        );
        if answered_on < starts || answered_on > ends {
            return Err(Error::validation(
                "answeredOn",
                "outside the campaign's dates",
            ));
        }
        // The same key again is a replay only with the same answer: another answer
        // under it is refused rather than dropped.
        let fingerprint = serde_json::json!([campaign, score, answered_on]).to_string();
        let same: bool = tx
            .query_one_raw(stmt(
                &format!(
                    "with i as (insert into survey_answers (tenant_id, id, campaign_id, score, answered_on, client_key, client_fingerprint) \
                     values ($1, $2, $3, $4, $5, $6, {fp}) on conflict (tenant_id, client_key) do nothing returning 1) \
                     select exists (select 1 from i) or coalesce((select client_fingerprint = {fp} from survey_answers \
                       where tenant_id = $1 and client_key = $6), true)",
                    fp = crate::visits::fingerprint_sql(7)
                ),
                vec![tenant.into(), Uuid::now_v7().into(), campaign.into(), score.into(), answered_on.into(), key.into(), fingerprint.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?
            .try_get_by_index(0)
            .map_err(map_err)?;
        if !same {
            return Err(Error::conflict_on(
                "clientKey",
                "cette clé a déjà servi pour une autre réponse : rien n'a été enregistré",
            ));
        }
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "select {COLUMNS} from survey_campaigns c where c.tenant_id = $1 and c.id = $2"
                ),
                vec![tenant.into(), campaign.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        row(&r)
    }

    pub async fn list_survey_campaigns(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<SurveyCampaign>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!("select {COLUMNS} from survey_campaigns c where c.tenant_id = $1 and ($2::uuid is null or c.id < $2) order by c.id desc limit $3"),
                vec![scope.tenant_id.0.into(), page.after.into(), (page.fetch() as i64).into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn survey_campaigns_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<SurveyCampaign>, Error> {
        let Some(scope) = ctx.tenant() else {
            return Ok(Vec::new());
        };
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(&format!("select {COLUMNS} from survey_campaigns c where c.tenant_id = $1 and c.id = any($2)"), vec![scope.tenant_id.0.into(), ids.to_vec().into()]))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(row).collect()
    }
}
