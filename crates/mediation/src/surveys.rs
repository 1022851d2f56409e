//! Satisfaction surveys: periodic campaigns per site; answers on a four-point scale
//! (typed in from paper forms or a tablet), giving the share satisfied.

use crate::entity::{survey_answer, survey_campaign};
use crate::model::*;
use crate::repo::{self, map_err, stmt};
use crate::{Journal, LEADS, WRITERS, rules};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::sea_query::{Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
};
use uuid::Uuid;

/// Campaigns with their answers counted: all of them, and the satisfied ones.
fn campaigns() -> Select<survey_campaign::Entity> {
    use survey_campaign::Column as C;
    survey_campaign::Entity::find()
        .select_only()
        .columns([C::Id, C::SiteId, C::Title, C::StartsOn, C::EndsOn])
        .expr_as(answers(None), "answers")
        .expr_as(answers(Some(SATISFIED)), "satisfied")
}

/// "Satisfied" or "very satisfied" on the four-point scale.
const SATISFIED: i16 = 3;

/// The number of answers to the campaign of the outer row, scoring at least `min`.
fn answers(min: Option<i16>) -> Expr {
    use survey_answer::Column as A;
    use survey_campaign::Column as C;
    let mut q = Query::select();
    q.expr(Expr::col(Asterisk).count())
        .from(survey_answer::Entity)
        .and_where(
            Expr::col((survey_answer::Entity, A::TenantId))
                .equals((survey_campaign::Entity, C::TenantId)),
        )
        .and_where(
            Expr::col((survey_answer::Entity, A::CampaignId))
                .equals((survey_campaign::Entity, C::Id)),
        );
    if let Some(min) = min {
        q.and_where(Expr::col((survey_answer::Entity, A::Score)).gte(min));
    }
    q.take().into()
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
        if !repo::known_site(&tx, tenant, site_id).await? {
            return Err(Error::validation("siteId", "unknown site"));
        }
        let id = Uuid::now_v7();
        tx.execute_raw(stmt(
            "insert into survey_campaigns (tenant_id, id, site_id, title, starts_on, ends_on) values ($1, $2, $3, $4, $5, $6)",
            vec![tenant.into(), id.into(), site_id.into(), title.to_owned().into(), starts_on.into(), ends_on.into()],
        ))
        .await
        .map_err(map_err)?;
        let c = campaign(&tx, tenant, id)
            .await?
            .ok_or_else(|| Error::internal_msg("no row"))?;
        tx.commit().await?;
        Ok(c)
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
        let dates = survey_campaign::Entity::find_by_id((tenant, campaign))
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        if answered_on < dates.starts_on || answered_on > dates.ends_on {
            return Err(Error::validation(
                "answeredOn",
                "outside the campaign's dates",
            ));
        }
        // The same key again is a replay only with the same answer: another answer
        // under it is refused rather than dropped.
        let fingerprint = serde_json::json!([campaign, score, answered_on]).to_string();
        let same: bool = repo::scalar(
            &tx,
            &format!(
                "with i as (insert into survey_answers (tenant_id, id, campaign_id, score, answered_on, client_key, client_fingerprint) \
                 values ($1, $2, $3, $4, $5, $6, {fp}) on conflict (tenant_id, client_key) do nothing returning 1) \
                 select exists (select 1 from i) or coalesce((select client_fingerprint = {fp} from survey_answers \
                   where tenant_id = $1 and client_key = $6), true) as same_input",
                fp = crate::visits::fingerprint_sql(7)
            ),
            vec![tenant.into(), Uuid::now_v7().into(), campaign.into(), score.into(), answered_on.into(), key.into(), fingerprint.into()],
            "same_input",
        )
        .await?
        .ok_or_else(|| Error::internal_msg("no row"))?;
        if !same {
            return Err(Error::conflict_on(
                "clientKey",
                "cette clé a déjà servi pour une autre réponse : rien n'a été enregistré",
            ));
        }
        let c = self::campaign(&tx, tenant, campaign)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn list_survey_campaigns(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<SurveyCampaign>, Error> {
        let scope = ctx.require_tenant()?;
        let tx = self.db.scoped(ctx).await?;
        use survey_campaign::Column as C;
        let rows = campaigns()
            .filter(C::TenantId.eq(scope.tenant_id.0))
            .apply_if(page.after, |q, after| q.filter(C::Id.lt(after)))
            .order_by_desc(C::Id)
            .limit(page.fetch())
            .into_model::<SurveyCampaign>()
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
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
        let rows = campaigns()
            .filter(survey_campaign::Column::TenantId.eq(scope.tenant_id.0))
            .filter(survey_campaign::Column::Id.eq_any(ids.iter().copied()))
            .into_model::<SurveyCampaign>()
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        Ok(rows)
    }
}

async fn campaign(
    tx: &db::Scoped,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<SurveyCampaign>, Error> {
    campaigns()
        .filter(survey_campaign::Column::TenantId.eq(tenant))
        .filter(survey_campaign::Column::Id.eq(id))
        .into_model::<SurveyCampaign>()
        .one(&**tx)
        .await
        .map_err(map_err)
}
