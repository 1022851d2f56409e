//! Cases: submitted by the partner (a batch or a CSV file, all or nothing), worked by
//! the association's mediators (attempts, then an outcome), read by both.

use super::campaigns::visible;
use super::repo::{
    ATTEMPT_COLUMNS, CASE_COLUMNS, Reader, attempt, caller_membership, case, map_err, stmt,
};
use super::rules::Origin;
use super::*;
use crate::Partners;
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest, PartnerScope};
use sea_orm::ConnectionTrait;

/// What the attempt and closure code needs of a case: the case (as a worker sees it)
/// and its campaign's state.
struct Working {
    case: Case,
    max_attempts: i16,
    /// An earlier attempt reached the person.
    reached: bool,
}

async fn load_for_work(tx: &Scoped, tenant: Uuid, id: Uuid) -> Result<Working, Error> {
    let r = tx
        .query_one_raw(stmt(
            &format!(
                "select {CASE_COLUMNS}, c.status = 'open', c.max_attempts, exists (select 1 from outreach_attempts a \
                   where a.tenant_id = k.tenant_id and a.case_id = k.id and a.result = any($3)) \
                 from outreach_cases k \
                 join outreach_campaigns c on c.tenant_id = k.tenant_id and c.id = k.campaign_id \
                 where k.tenant_id = $1 and k.id = $2 for update of k"
            ),
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
        .await
        .map_err(map_err)?
        .ok_or(Error::NotFound)?;
    let reader = Reader::Staff {
        tenant,
        worker: true,
    };
    let campaign_open: bool = r.try_get_by_index(19).map_err(map_err)?;
    let w = Working {
        case: case(&r, reader)?,
        max_attempts: r.try_get_by_index(20).map_err(map_err)?,
        reached: r.try_get_by_index(21).map_err(map_err)?,
    };
    if !campaign_open {
        return Err(Error::conflict("the campaign is closed"));
    }
    if w.case.status == CaseStatus::Closed {
        return Err(Error::conflict("the case is closed"));
    }
    Ok(w)
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
                "select (now() at time zone 'Europe/Paris')::date",
                vec![],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?
            .try_get_by_index(0)
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
        let taken = tx
            .query_all_raw(stmt(
                "select customer_ref from outreach_cases where tenant_id = $1 and campaign_id = $2 and customer_ref = any($3)",
                vec![campaign.tenant_id.into(), campaign.id.into(), refs.into()],
            ))
            .await
            .map_err(map_err)?;
        if let Some(r) = taken.first() {
            let taken: String = r.try_get_by_index(0).map_err(map_err)?;
            if let Some((at, _)) = cases.iter().find(|(_, c)| c.customer_ref == taken) {
                return Err(at.error(rules::Column::CustomerRef, "already in the campaign"));
            }
        }
        let ids: Vec<Uuid> = cases.iter().map(|_| Uuid::now_v7()).collect();
        let col = |f: fn(&NewCase) -> Option<&String>| -> Vec<String> {
            cases
                .iter()
                .map(|(_, c)| f(c).cloned().unwrap_or_default())
                .collect()
        };
        let rows = tx
            .query_all_raw(stmt(
                &format!(
                    "insert into outreach_cases as k (tenant_id, id, campaign_id, partner_id, customer_ref, full_name, phone, email, \
                     address, postal_code, submitted_by_user, submitted_by_client) \
                     select $1, u.id, $2, $3, u.ref, nullif(u.name, ''), nullif(u.phone, ''), nullif(u.email, ''), \
                       nullif(u.address, ''), nullif(u.postal, ''), $4, $5 \
                     from unnest($6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) \
                       as u(id, ref, name, phone, email, address, postal) \
                     returning {CASE_COLUMNS}"
                ),
                vec![
                    campaign.tenant_id.into(),
                    campaign.id.into(),
                    partner.into(),
                    ctx.user_id().map(|u| u.0).into(),
                    ctx.client_id().map(|c| c.0).into(),
                    ids.into(),
                    // Arrays cannot hold nulls here: empty means none.
                    cases.iter().map(|(_, c)| c.customer_ref.clone()).collect::<Vec<_>>().into(),
                    col(|c| c.full_name.as_ref()).into(),
                    col(|c| c.phone.as_ref()).into(),
                    col(|c| c.email.as_ref()).into(),
                    col(|c| c.address.as_ref()).into(),
                    col(|c| c.postal_code.as_ref()).into(),
                ],
            ))
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
        let mut out = rows
            .iter()
            .map(|r| case(r, Reader::Partner(partner)))
            .collect::<Result<Vec<_>, _>>()?;
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
        let rows = tx
            .query_all_raw(stmt(
                &format!(
                    "select {CASE_COLUMNS} from outreach_cases k where k.tenant_id = $1 and k.campaign_id = $2 \
                     and ($3::text is null or k.status = $3) and ($4::uuid is null or k.id < $4) \
                     order by k.id desc limit $5"
                ),
                vec![
                    c.tenant_id.into(),
                    c.id.into(),
                    status.map(|s| s.as_str().to_owned()).into(),
                    page.after.into(),
                    (page.fetch() as i64).into(),
                ],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        let rows = rows
            .iter()
            .map(|r| case(r, reader))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, &page))
    }

    /// For `node` and loaders: the cases among `ids` the caller may see, cut to what
    /// the caller may read.
    pub async fn outreach_cases_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Case>, Error> {
        let Ok(reader) = Reader::of(ctx) else {
            return Ok(Vec::new());
        };
        let (col, value) = reader.scope();
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!("select {CASE_COLUMNS} from outreach_cases k where k.{col} = $1 and k.id = any($2)"),
                vec![value.into(), ids.to_vec().into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(|r| case(r, reader)).collect()
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
        let tx = self.db.scoped(ctx).await?;
        let rows = tx
            .query_all_raw(stmt(
                &format!(
                    "select {ATTEMPT_COLUMNS} from outreach_attempts a where a.tenant_id = $1 and a.case_id = any($2) \
                     order by a.case_id, a.attempted_at, a.id"
                ),
                vec![scope.tenant_id.0.into(), case_ids.to_vec().into()],
            ))
            .await
            .map_err(map_err)?;
        tx.commit().await?;
        rows.iter().map(|r| attempt(r, worker)).collect()
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
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "insert into outreach_attempts as a (tenant_id, id, case_id, channel, attempted_at, result, note, mediator_id) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8) returning {ATTEMPT_COLUMNS}"
                ),
                vec![
                    tenant.into(),
                    Uuid::now_v7().into(),
                    case_id.into(),
                    a.channel.as_str().into(),
                    a.attempted_at.into(),
                    a.result.as_str().into(),
                    a.note.into(),
                    mediator.into(),
                ],
            ))
            .await
            .map_err(map_err)?
            .ok_or_else(|| Error::internal_msg("no row"))?;
        let attempt = attempt(&r, true)?;
        // The last attempt allowed, and nobody was ever reached: unreachable. The case
        // row is locked, so the count cannot move under us.
        let unreachable = w.case.attempts + 1 >= i32::from(w.max_attempts)
            && !w.reached
            && !attempt.result.reached();
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "update outreach_cases k set attempts = k.attempts + 1, updated_at = now(), \
                       status = case when $3 then 'closed' else 'in_progress' end, \
                       outcome = case when $3 then 'unreachable' end, \
                       closed_at = case when $3 then now() end \
                     where k.tenant_id = $1 and k.id = $2 returning {CASE_COLUMNS}"
                ),
                vec![tenant.into(), case_id.into(), unreachable.into()],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        let reader = Reader::Staff {
            tenant,
            worker: true,
        };
        Ok((case(&r, reader)?, attempt))
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
        let r = tx
            .query_one_raw(stmt(
                &format!(
                    "update outreach_cases k set status = 'closed', outcome = $3, consent_to_report = $4, \
                       report_details = $5, closed_at = now(), updated_at = now() \
                     where k.tenant_id = $1 and k.id = $2 returning {CASE_COLUMNS}"
                ),
                vec![
                    tenant.into(),
                    case_id.into(),
                    c.outcome.as_str().into(),
                    c.consent_to_report.into(),
                    c.report_details.into(),
                ],
            ))
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        case(
            &r,
            Reader::Staff {
                tenant,
                worker: true,
            },
        )
    }
}
