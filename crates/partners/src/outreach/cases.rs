//! Cases: submitted by the partner (a batch or a CSV file, all or nothing), worked by
//! the association's mediators (attempts, then an outcome), read by both.

use super::campaigns::visible;
use super::repo::{Reader, attempt, caller_membership, case, cases_for, map_err, stmt};
use super::rules::Origin;
use super::*;
use crate::Partners;
use crate::entity::outreach_attempt;
use crate::entity::outreach_case::{self, Column};
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest, PartnerScope};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, UpdateMany,
};

/// What the attempt and closure code needs of a case: the case (as a worker sees it)
/// and its campaign's state.
struct Working {
    case: Case,
    max_attempts: i16,
    /// An earlier attempt reached the person.
    reached: bool,
}

/// A case row locked for work, with its campaign's state.
#[derive(FromQueryResult)]
struct WorkRow {
    #[sea_orm(nested)]
    case: outreach_case::Model,
    campaign_open: bool,
    max_attempts: i16,
    reached: bool,
}

async fn load_for_work(tx: &Scoped, tenant: Uuid, id: Uuid) -> Result<Working, Error> {
    let r = WorkRow::find_by_statement(stmt(
        "select k.*, c.status = 'open' as campaign_open, c.max_attempts, exists (select 1 from outreach_attempts a \
           where a.tenant_id = k.tenant_id and a.case_id = k.id and a.result = any($3)) as reached \
         from outreach_cases k \
         join outreach_campaigns c on c.tenant_id = k.tenant_id and c.id = k.campaign_id \
         where k.tenant_id = $1 and k.id = $2 for update of k",
        vec![
            tenant.into(),
            id.into(),
            AttemptResult::ALL
                .iter()
                .filter(|r| r.reached())
                .map(|r| r.as_str().to_owned())
                .collect::<Vec<_>>()
                .into(),
        ],
    ))
    .one(&**tx)
    .await
    .map_err(map_err)?
    .ok_or(Error::NotFound)?;
    let reader = Reader::Staff {
        tenant,
        worker: true,
    };
    if !r.campaign_open {
        return Err(Error::conflict("the campaign is closed"));
    }
    let w = Working {
        case: case(r.case, reader),
        max_attempts: r.max_attempts,
        reached: r.reached,
    };
    if w.case.status == CaseStatus::Closed {
        return Err(Error::conflict("the case is closed"));
    }
    Ok(w)
}

/// An update of one case as a worker, and the case after (as a worker sees it).
async fn update_case(
    tx: &Scoped,
    tenant: Uuid,
    id: Uuid,
    update: UpdateMany<outreach_case::Entity>,
) -> Result<Case, Error> {
    let update = update
        .col_expr(Column::UpdatedAt, Expr::current_timestamp())
        .filter(Column::TenantId.eq(tenant))
        .filter(Column::Id.eq(id));
    let m = crate::update_one(tx, update, map_err).await?;
    Ok(case(
        m,
        Reader::Staff {
            tenant,
            worker: true,
        },
    ))
}

/// The outcome-recorded event, in the transaction that closed the case: the partner
/// learns the case and its outcome (which it may always read), never contact data
/// or the details, which it reads through the API only when the resident consented.
async fn outcome_recorded(tx: &Scoped, case: &Case) -> Result<(), Error> {
    let data = serde_json::json!({
        "case": kernel::gid::encode("OutreachCase", case.id),
        "campaign": kernel::gid::encode("OutreachCampaign", case.campaign_id),
        "outcome": case.outcome.map(|o| o.as_str()),
        "reportDetailsAvailable": case.consent_to_report && case.report_details.is_some(),
    });
    let event = events::Event::new(
        events::EventType::OutreachCaseOutcomeRecorded,
        case.id,
        data,
    )
    .tenant(Some(case.tenant_id))
    .partner(Some(case.partner_id));
    events::emit(tx, event).await?;
    Ok(())
}

impl Partners {
    /// Hands cases over to one of the partner's open campaigns, within its period.
    /// All or nothing: one bad case, or a customer reference given twice or already
    /// in the campaign, and nothing is recorded.
    pub async fn submit_outreach_cases(
        &self,
        ctx: &Ctx,
        campaign_id: Uuid,
        cases: Vec<NewCase>,
    ) -> Result<Submitted, Error> {
        ctx.require_partner(PartnerScope::OutreachWrite)?;
        if cases.len() > MAX_CASES {
            return Err(Error::validation(
                "cases",
                format!("between 1 and {MAX_CASES} cases"),
            ));
        }
        let cases = cases
            .into_iter()
            .enumerate()
            .map(|(i, c)| (Origin::Batch(i), c))
            .collect();
        self.submit(ctx, campaign_id, Err(cases)).await
    }

    /// The same from a CSV file's text: a header line naming the columns
    /// (customer_ref, full_name, phone, email, address, postal_code), `;` or `,`.
    /// Errors name the line: field `csv`, reason `ligne 4 : ...`.
    pub async fn upload_outreach_cases_csv(
        &self,
        ctx: &Ctx,
        campaign_id: Uuid,
        csv: &str,
    ) -> Result<Submitted, Error> {
        ctx.require_partner(PartnerScope::OutreachWrite)?;
        self.submit(ctx, campaign_id, Ok(csv)).await
    }

    /// `input`: the CSV text, or the batch. The campaign is checked before the cases,
    /// so that a wrong campaign is not hidden behind line errors.
    async fn submit(
        &self,
        ctx: &Ctx,
        campaign_id: Uuid,
        input: Result<&str, Vec<(Origin, NewCase)>>,
    ) -> Result<Submitted, Error> {
        let partner = ctx.require_partner(PartnerScope::OutreachWrite)?.0;
        let tx = self.db.scoped(ctx).await?;
        let unknown = || Error::validation("campaignId", "unknown campaign");
        let campaign = visible(&tx, Reader::Partner(partner), campaign_id, false)
            .await?
            .ok_or_else(unknown)?;
        if campaign.status == CampaignStatus::Closed {
            return Err(Error::validation("campaignId", "the campaign is closed"));
        }
        let today: NaiveDate = tx
            .query_one_raw(stmt(
                "select (now() at time zone 'Europe/Paris')::date as today",
                vec![],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?
            .try_get("", "today")
            .map_err(map_err)?;
        if today < campaign.starts_on || today > campaign.ends_on {
            return Err(Error::validation(
                "campaignId",
                format!(
                    "the campaign runs from {} to {}",
                    campaign.starts_on, campaign.ends_on
                ),
            ));
        }
        let cases = match input {
            Ok(text) => rules::parse_csv(text)?,
            Err(batch) => batch,
        };
        let cases = rules::check_cases(cases)?;
        let refs: Vec<String> = cases.iter().map(|(_, c)| c.customer_ref.clone()).collect();
        let taken = outreach_case::Entity::find()
            .select_only()
            .column(Column::CustomerRef)
            .filter(Column::TenantId.eq(campaign.tenant_id))
            .filter(Column::CampaignId.eq(campaign.id))
            .filter(Column::CustomerRef.eq_any(refs.clone()))
            .into_tuple::<String>()
            .one(&*tx)
            .await
            .map_err(map_err)?;
        if let Some(taken) = taken
            && let Some((at, _)) = cases.iter().find(|(_, c)| c.customer_ref == taken)
        {
            return Err(at.error(rules::Column::CustomerRef, "already in the campaign"));
        }
        let ids: Vec<Uuid> = cases.iter().map(|_| Uuid::now_v7()).collect();
        let col = |f: fn(&NewCase) -> Option<&String>| -> Vec<String> {
            cases
                .iter()
                .map(|(_, c)| f(c).cloned().unwrap_or_default())
                .collect()
        };
        let rows = outreach_case::Model::find_by_statement(stmt(
            "insert into outreach_cases as k (tenant_id, id, campaign_id, partner_id, customer_ref, full_name, phone, email, \
             address, postal_code, submitted_by_user, submitted_by_client) \
             select $1, u.id, $2, $3, u.ref, nullif(u.name, ''), nullif(u.phone, ''), nullif(u.email, ''), \
               nullif(u.address, ''), nullif(u.postal, ''), $4, $5 \
             from unnest($6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) \
               as u(id, ref, name, phone, email, address, postal) \
             returning k.*",
            vec![
                campaign.tenant_id.into(),
                campaign.id.into(),
                partner.into(),
                ctx.user_id().map(|u| u.0).into(),
                ctx.client_id().map(|c| c.0).into(),
                ids.into(),
                refs.into(),
                // Arrays cannot hold nulls here: empty means none.
                col(|c| c.full_name.as_ref()).into(),
                col(|c| c.phone.as_ref()).into(),
                col(|c| c.email.as_ref()).into(),
                col(|c| c.address.as_ref()).into(),
                col(|c| c.postal_code.as_ref()).into(),
            ],
        ))
        .all(&*tx)
        .await
        .map_err(|e| {
            // The policy admits cases to open campaigns only: closed meanwhile.
            if db::error::is_denied(&e) {
                Error::validation("campaignId", "the campaign is closed")
            } else {
                map_err(e)
            }
        })?;
        tx.commit().await?;
        let mut out = cases_for(rows, Reader::Partner(partner));
        // UUIDv7 in submission order: the payload lists cases as they were given.
        out.sort_by_key(|c| c.id);
        Ok(Submitted {
            campaign,
            cases: out,
        })
    }

    /// A campaign's cases, newest first (the association's staff, the partner).
    pub async fn outreach_cases(
        &self,
        ctx: &Ctx,
        campaign_id: Uuid,
        status: Option<CaseStatus>,
        page: PageRequest,
    ) -> Result<Page<Case>, Error> {
        let reader = Reader::of(ctx)?;
        let tx = self.db.scoped(ctx).await?;
        let c = visible(&tx, reader, campaign_id, false)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = outreach_case::Entity::find()
            .filter(Column::TenantId.eq(c.tenant_id))
            .filter(Column::CampaignId.eq(c.id))
            .apply_if(status, |q, s| q.filter(Column::Status.eq(s)))
            .apply_if(page.after, |q, after| q.filter(Column::Id.lt(after)))
            .order_by_desc(Column::Id)
            .limit(page.fetch())
            .all(&*tx)
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows = cases_for(rows, reader);
        Ok(Page::from_rows(rows, &page))
    }

    /// For `node` and loaders: the cases among `ids` the caller may see, cut to what
    /// the caller may read.
    pub async fn outreach_cases_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Case>, Error> {
        use Column as C;
        let rows = self
            .visible_by_ids::<outreach_case::Entity>(ctx, ids, [C::TenantId, C::PartnerId, C::Id])
            .await?;
        Ok(rows
            .map(|(reader, rows)| cases_for(rows, reader))
            .unwrap_or_default())
    }

    /// The attempts on cases, oldest first: the association's staff only (notes for
    /// those who work cases); attempts never leave the association.
    pub async fn outreach_attempts_of(
        &self,
        ctx: &Ctx,
        case_ids: &[Uuid],
    ) -> Result<Vec<Attempt>, Error> {
        let scope = ctx
            .tenant()
            .ok_or(Error::Forbidden("attempts stay inside the association"))?;
        let worker = WORKERS.contains(&scope.role);
        use outreach_attempt::Column as A;
        let select = outreach_attempt::Entity::find()
            .filter(A::TenantId.eq(scope.tenant_id.0))
            .filter(A::CaseId.eq_any(case_ids.iter().copied()))
            .order_by_asc(A::CaseId)
            .order_by_asc(A::AttemptedAt)
            .order_by_asc(A::Id);
        let rows = self.db.select_all(ctx, select, map_err).await?;
        Ok(rows.into_iter().map(|m| attempt(m, worker)).collect())
    }

    /// Records an attempt to reach the person (directors, coordinators, mediators): a
    /// pending case is now in progress; after the campaign's `max_attempts` attempts
    /// without ever reaching the person, the case closes as unreachable.
    pub async fn record_outreach_attempt(
        &self,
        ctx: &Ctx,
        case_id: Uuid,
        input: NewAttempt,
    ) -> Result<(Case, Attempt), Error> {
        let scope = ctx.require_tenant_role(WORKERS)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        let w = load_for_work(&tx, tenant, case_id).await?;
        let a = rules::check_attempt(input, w.case.submitted_at, chrono::Utc::now())?;
        let mediator = caller_membership(&tx, ctx, tenant).await?;
        let attempt = attempt(
            outreach_attempt::ActiveModel {
                tenant_id: Set(tenant),
                id: Set(Uuid::now_v7()),
                case_id: Set(case_id),
                channel: Set(a.channel),
                attempted_at: Set(a.attempted_at.into()),
                result: Set(a.result),
                note: Set(a.note),
                mediator_id: Set(mediator),
                ..Default::default()
            }
            .insert(&*tx)
            .await
            .map_err(map_err)?,
            true,
        );
        // The last attempt allowed, and nobody was ever reached: unreachable. The case
        // row is locked, so the count cannot move under us.
        let unreachable = w.case.attempts + 1 >= i32::from(w.max_attempts)
            && !w.reached
            && !attempt.result.reached();
        let (status, outcome, closed_at) = if unreachable {
            (
                CaseStatus::Closed,
                Some(Outcome::Unreachable),
                Expr::current_timestamp(),
            )
        } else {
            (
                CaseStatus::InProgress,
                None,
                Expr::value(None::<DateTime<FixedOffset>>),
            )
        };
        let update = outreach_case::Entity::update_many()
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .col_expr(Column::Status, Expr::value(status))
            .col_expr(Column::Outcome, Expr::value(outcome))
            .col_expr(Column::ClosedAt, closed_at);
        let case = update_case(&tx, tenant, case_id, update).await?;
        if unreachable {
            outcome_recorded(&tx, &case).await?;
        }
        tx.commit().await?;
        Ok((case, attempt))
    }

    /// Records how a case ended (directors, coordinators, mediators), after at least
    /// one attempt; report details for the partner only with the resident's consent.
    pub async fn close_outreach_case(
        &self,
        ctx: &Ctx,
        case_id: Uuid,
        input: CaseClosure,
    ) -> Result<Case, Error> {
        let scope = ctx.require_tenant_role(WORKERS)?;
        let tenant = scope.tenant_id.0;
        let c = rules::check_closure(input)?;
        let tx = self.db.scoped(ctx).await?;
        let w = load_for_work(&tx, tenant, case_id).await?;
        if w.case.attempts == 0 {
            return Err(Error::conflict(
                "record at least one attempt before closing the case",
            ));
        }
        let update = outreach_case::Entity::update_many()
            .set(outreach_case::ActiveModel {
                status: Set(CaseStatus::Closed),
                outcome: Set(Some(c.outcome)),
                consent_to_report: Set(c.consent_to_report),
                report_details: Set(c.report_details),
                ..Default::default()
            })
            .col_expr(Column::ClosedAt, Expr::current_timestamp());
        let case = update_case(&tx, tenant, case_id, update).await?;
        outcome_recorded(&tx, &case).await?;
        tx.commit().await?;
        Ok(case)
    }
}
