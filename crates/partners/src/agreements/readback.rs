//! The partner read-back: the requests the associations handled for a partner
//! firm (a visit's request of kind `partner` naming it), reported back to it. Counts
//! for every such request (small ones hidden, as in the agreement report); anything
//! beyond counts (the request's day, site, outcome, referral, and the person's
//! pseudonym, age band and sex) only for a request whose resident gave a consent
//! naming that partner as recipient, valid on the request's day and not withdrawn
//! since: a withdrawal stops the read-back from that moment, for earlier requests
//! too. An erased (anonymised) person has no consent left: counts only.
//!
//! The partner reads no journal row (row-level security): the platform reads for
//! it, after the caller's own scope has named the partner, and filters on it.

use super::repo::{map_err, stmt};
use super::report::Shown;
use crate::Partners;
use chrono::NaiveDate;
use kernel::{Ctx, Error, PartnerScope};
use sea_orm::FromQueryResult;
use uuid::Uuid;

/// The widest period one read-back covers.
pub const MAX_DAYS: i64 = 366;
/// Detailed requests one read-back returns at most: beyond, narrow the period.
pub const MAX_DETAILED: usize = 5000;

/// Requests handled for the partner at one site, in one Paris month, on one theme.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadBackCount {
    /// First day of the month.
    pub month: NaiveDate,
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub theme: String,
    pub theme_label: String,
    pub requests: Shown,
}

/// One request reported back in detail, under the resident's consent.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct ReportedRequest {
    /// The request's id.
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub association: String,
    pub site_name: String,
    /// The Paris day of the visit.
    pub day: NaiveDate,
    pub theme: String,
    pub theme_label: String,
    /// The journal's outcome code (informed, oriented, ...).
    pub outcome: String,
    pub mediation_act: bool,
    pub referred_to: Option<String>,
    pub pseudonym: String,
    pub age_band: Option<String>,
    pub sex: Option<String>,
    /// The consent it is reported under.
    pub consent_id: Uuid,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReadBack {
    pub partner_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub counts: Vec<ReadBackCount>,
    pub requests: Vec<ReportedRequest>,
}

#[derive(FromQueryResult)]
struct CountRow {
    month: NaiveDate,
    tenant_id: Uuid,
    site_id: Uuid,
    site_name: String,
    theme: String,
    theme_label: String,
    requests: i64,
}

const HANDLED: &str = "from visit_requests q
  join visits v on v.tenant_id = q.tenant_id and v.id = q.visit_id
  join sites s on s.tenant_id = v.tenant_id and s.id = v.site_id
  join request_themes t on t.code = q.theme
  where q.kind = 'partner' and q.partner_id = $1 and v.status = 'recorded'
    and (v.occurred_at at time zone 'Europe/Paris')::date between $2 and $3";

/// The consent check: a consent of the visit's beneficiary naming the partner, valid
/// on the visit's day, not withdrawn (a withdrawal dates from the day it was made:
/// nothing is reported back after it).
const CONSENTED: &str =
    "join beneficiaries b on b.tenant_id = v.tenant_id and b.id = v.beneficiary_id
    and b.anonymised_at is null
  join lateral (select c.id from consents c
      where c.tenant_id = b.tenant_id and c.beneficiary_id = b.id and c.recipient_partner_id = $1
        and c.given_on <= (v.occurred_at at time zone 'Europe/Paris')::date
        and (v.occurred_at at time zone 'Europe/Paris')::date < c.expires_on
        and (c.withdrawn_on is null or c.withdrawn_on > current_date)
      order by c.given_on desc, c.id limit 1) c on true
  join tenants tn on tn.id = v.tenant_id";

impl Partners {
    /// The read-back of the requests handled for the calling partner (its people, or
    /// an API client with activity:read) from `from` to `to` (Paris days, inclusive).
    pub async fn partner_read_back(
        &self,
        ctx: &Ctx,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ReadBack, Error> {
        let partner = ctx.require_partner(PartnerScope::ActivityRead)?.0;
        if to < from {
            return Err(Error::validation(
                "to",
                "la fin de la période précède son début",
            ));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(Error::validation("to", "une période d'un an au plus"));
        }
        let sys = self
            .db
            .scoped(&Ctx::system(
                "partner read-back: requests handled for the calling partner, details only under a consent naming it",
            ))
            .await?;
        let counts = CountRow::find_by_statement(stmt(
            &format!(
                "select date_trunc('month', (v.occurred_at at time zone 'Europe/Paris'))::date as month, \
                   v.tenant_id, v.site_id, s.name as site_name, q.theme, t.label_fr as theme_label, \
                   count(*)::bigint as requests {HANDLED} \
                 group by 1, 2, 3, 4, 5, 6 order by 1, 4, 3, 6"
            ),
            vec![partner.into(), from.into(), to.into()],
        ))
        .all(&*sys)
        .await
        .map_err(map_err)?;
        let requests = ReportedRequest::find_by_statement(stmt(
            &format!(
                "select q.id, v.tenant_id, tn.name as association, s.name as site_name, \
                   (v.occurred_at at time zone 'Europe/Paris')::date as day, q.theme, t.label_fr as theme_label, \
                   q.outcome, q.mediation_act, q.referred_to, b.pseudonym, b.age_band, b.sex, c.id as consent_id \
                 from visit_requests q \
                 join visits v on v.tenant_id = q.tenant_id and v.id = q.visit_id \
                 join sites s on s.tenant_id = v.tenant_id and s.id = v.site_id \
                 join request_themes t on t.code = q.theme \
                 {CONSENTED} \
                 where q.kind = 'partner' and q.partner_id = $1 and v.status = 'recorded' \
                   and (v.occurred_at at time zone 'Europe/Paris')::date between $2 and $3 \
                 order by day, q.id limit {}",
                MAX_DETAILED + 1
            ),
            vec![partner.into(), from.into(), to.into()],
        ))
        .all(&*sys)
        .await
        .map_err(map_err)?;
        sys.commit().await?;
        if requests.len() > MAX_DETAILED {
            return Err(Error::validation(
                "to",
                format!("plus de {MAX_DETAILED} demandes détaillées : réduisez la période"),
            ));
        }
        Ok(ReadBack {
            partner_id: partner,
            from,
            to,
            counts: counts
                .into_iter()
                .map(|r| ReadBackCount {
                    month: r.month,
                    tenant_id: r.tenant_id,
                    site_id: r.site_id,
                    site_name: r.site_name,
                    theme: r.theme,
                    theme_label: r.theme_label,
                    requests: Shown::new(r.requests, true),
                })
                .collect(),
            requests,
        })
    }
}
