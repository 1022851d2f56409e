//! Campaigns: opened by the association under an agreement, closed by it; read by
//! its staff and the commissioning partner, with their dashboard.

use super::repo::{Reader, map_err, stmt};
use super::*;
use crate::Partners;
use crate::agreements::AgreementStatus;
use crate::entity::outreach_campaign::{self, Column};
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

/// A campaign's numbers: cases by status and outcome, attempts. Counts survive the
/// purge (only contact data and free text go).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dashboard {
    pub cases: i64,
    /// Every status, zeros included, in the order of `CaseStatus::ALL`.
    pub by_status: Vec<(CaseStatus, i64)>,
    /// Every outcome, zeros included, in the order of `Outcome::ALL`.
    pub by_outcome: Vec<(Outcome, i64)>,
    pub attempts: i64,
}

impl Dashboard {
    pub fn closed(&self) -> i64 {
        self.by_status
            .iter()
            .filter(|(s, _)| *s == CaseStatus::Closed)
            .map(|(_, n)| n)
            .sum()
    }

    /// Closed cases whose outcome restored contact.
    pub fn contacted(&self) -> i64 {
        self.by_outcome
            .iter()
            .filter(|(o, _)| o.is_contact())
            .map(|(_, n)| n)
            .sum()
    }

    /// Contacted / closed cases; None before any case is closed.
    pub fn contact_rate(&self) -> Option<f64> {
        let closed = self.closed();
        (closed > 0).then(|| self.contacted() as f64 / closed as f64)
    }

    /// Attempts per submitted case; None without cases.
    pub fn attempts_per_case(&self) -> Option<f64> {
        (self.cases > 0).then(|| self.attempts as f64 / self.cases as f64)
    }
}

/// French spreadsheets write decimals with a comma.
fn decimal(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.3}").replace('.', ","))
        .unwrap_or_default()
}

/// The dashboard as CSV, as French spreadsheets open it: semicolons, UTF-8 with a BOM.
pub fn to_csv(title: &str, d: &Dashboard) -> String {
    let mut out = String::from("\u{feff}campagne;indicateur;code;libellé;valeur\r\n");
    let title = kernel::csv::field(title);
    let mut line = |indicator: &str, code: &str, label: &str, value: String| {
        out.push_str(&format!(
            "{title};{indicator};{code};{};{value}\r\n",
            kernel::csv::field(label)
        ));
    };
    line("cas", "total", "Cas transmis", d.cases.to_string());
    for (s, n) in &d.by_status {
        line("statut", s.as_str(), s.label_fr(), n.to_string());
    }
    for (o, n) in &d.by_outcome {
        line("issue", o.as_str(), o.label_fr(), n.to_string());
    }
    line("tentatives", "total", "Tentatives", d.attempts.to_string());
    line(
        "tentatives",
        "par_cas",
        "Tentatives par cas",
        decimal(d.attempts_per_case()),
    );
    line(
        "contact",
        "taux",
        "Taux de contact (cas clôturés)",
        decimal(d.contact_rate()),
    );
    out
}

/// A campaign the reader may see, or None (another's and a missing one alike).
pub(crate) async fn visible(
    tx: &Scoped,
    reader: Reader,
    id: Uuid,
    lock: bool,
) -> Result<Option<Campaign>, Error> {
    let mut select = outreach_campaign::Entity::find()
        .filter(Column::Id.eq(id))
        .filter(reader.scope(Column::TenantId, Column::PartnerId));
    if lock {
        select = select.lock_exclusive();
    }
    Ok(select
        .one(&**tx)
        .await
        .map_err(map_err)?
        .map(Campaign::from))
}

/// What opening a campaign needs of its agreement, read as the association.
#[derive(FromQueryResult)]
struct Binding {
    partner_id: Uuid,
    status: AgreementStatus,
    outreach: bool,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    /// Today, in Paris.
    today: NaiveDate,
}

/// A campaign's cases of one status and outcome, and their attempts.
#[derive(FromQueryResult)]
struct CaseCount {
    status: CaseStatus,
    outcome: Option<Outcome>,
    cases: i64,
    attempts: i64,
}

impl Partners {
    /// Opens a campaign (the association's director or coordinator) under an agreement
    /// that is active, covers outreach and binds this association: local to it, or
    /// national and covering one of its sites. Its period lies within the agreement's
    /// and is not over yet.
    pub async fn open_outreach_campaign(
        &self,
        ctx: &Ctx,
        input: NewCampaign,
    ) -> Result<Campaign, Error> {
        let scope = ctx.require_tenant_role(LEADS)?;
        let user = ctx.require_user()?;
        let c = rules::check_campaign(input)?;
        let tenant = scope.tenant_id.0;
        let tx = self.db.scoped(ctx).await?;
        // The binding is checked here, not left to row-level security: a director who
        // is also union staff reads every agreement.
        let a = Binding::find_by_statement(stmt(
            "select a.partner_id, a.status, 'outreach' = any (a.services) as outreach, a.starts_on, a.ends_on, \
               (select (now() at time zone 'Europe/Paris')::date) as today \
             from agreements a where a.id = $1 \
               and (a.tenant_id = $2 or (a.tenant_id is null and exists \
                    (select 1 from agreement_sites s where s.agreement_id = a.id and s.tenant_id = $2)))",
            vec![c.agreement_id.into(), tenant.into()],
        ))
        .one(&*tx)
        .await
        .map_err(map_err)?
        .ok_or_else(|| Error::validation("agreementId", "unknown agreement"))?;
        let (a_start, a_end) = (a.starts_on, a.ends_on);
        if a.status != AgreementStatus::Active {
            return Err(Error::validation(
                "agreementId",
                "the agreement is not active",
            ));
        }
        if !a.outreach {
            return Err(Error::validation(
                "agreementId",
                "the agreement does not cover outreach",
            ));
        }
        if c.starts_on < a_start {
            return Err(Error::validation(
                "startsOn",
                format!("before the agreement's start ({a_start})"),
            ));
        }
        if c.ends_on > a_end {
            return Err(Error::validation(
                "endsOn",
                format!("after the agreement's end ({a_end})"),
            ));
        }
        if c.ends_on < a.today {
            return Err(Error::validation("endsOn", "already over"));
        }
        let m = outreach_campaign::ActiveModel {
            tenant_id: Set(tenant),
            id: Set(Uuid::now_v7()),
            agreement_id: Set(c.agreement_id),
            partner_id: Set(a.partner_id),
            title: Set(c.title),
            purpose: Set(c.purpose),
            legal_basis: Set(c.legal_basis),
            starts_on: Set(c.starts_on),
            ends_on: Set(c.ends_on),
            max_attempts: Set(c.max_attempts as i16),
            retention_days: Set(c.retention_days),
            created_by: Set(Some(user.0)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// Closes a campaign (director or coordinator): no more cases are submitted or
    /// worked; cases still open stay as they are. The retention period runs from now.
    pub async fn close_outreach_campaign(&self, ctx: &Ctx, id: Uuid) -> Result<Campaign, Error> {
        let scope = ctx.require_tenant_role(LEADS)?;
        let reader = Reader::Staff {
            tenant: scope.tenant_id.0,
            worker: true,
        };
        let tx = self.db.scoped(ctx).await?;
        let c = visible(&tx, reader, id, true)
            .await?
            .ok_or(Error::NotFound)?;
        if c.status == CampaignStatus::Closed {
            return Err(Error::conflict("the campaign is already closed"));
        }
        let update = outreach_campaign::Entity::update_many()
            .col_expr(Column::Status, Expr::value(CampaignStatus::Closed))
            .col_expr(Column::ClosedAt, Expr::current_timestamp())
            .filter(Column::TenantId.eq(c.tenant_id))
            .filter(Column::Id.eq(id));
        let m = crate::update_one(&tx, update, map_err).await?;
        let data = serde_json::json!({ "campaign": kernel::gid::encode("OutreachCampaign", m.id) });
        let event = events::Event::new(events::EventType::OutreachCampaignClosed, m.id, data)
            .tenant(Some(m.tenant_id))
            .partner(Some(m.partner_id));
        events::emit(&tx, event).await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// The association's campaigns, or the partner's (across associations), newest first.
    pub async fn outreach_campaigns(
        &self,
        ctx: &Ctx,
        status: Option<CampaignStatus>,
        page: PageRequest,
    ) -> Result<Page<Campaign>, Error> {
        let reader = Reader::of(ctx)?;
        let select = outreach_campaign::Entity::find()
            .filter(reader.scope(Column::TenantId, Column::PartnerId))
            .apply_if(status, |q, s| q.filter(Column::Status.eq(s)))
            .apply_if(page.after, |q, after| q.filter(Column::Id.lt(after)))
            .order_by_desc(Column::Id);
        self.select_page(ctx, select, &page, map_err, |m| Ok(m.into()))
            .await
    }

    /// For `node` and loaders: the campaigns among `ids` the caller may see.
    pub async fn outreach_campaigns_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Campaign>, Error> {
        use Column as C;
        let rows = self
            .visible_by_ids::<outreach_campaign::Entity>(
                ctx,
                ids,
                [C::TenantId, C::PartnerId, C::Id],
            )
            .await?;
        Ok(rows
            .map(|(_, rows)| rows.into_iter().map(Campaign::from).collect())
            .unwrap_or_default())
    }

    /// A campaign's numbers (the association's staff, viewers included, and the partner).
    pub async fn outreach_dashboard(&self, ctx: &Ctx, id: Uuid) -> Result<Dashboard, Error> {
        let reader = Reader::of(ctx)?;
        let tx = self.db.scoped(ctx).await?;
        let c = visible(&tx, reader, id, false)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = CaseCount::find_by_statement(stmt(
            "select status, outcome, count(*) as cases, coalesce(sum(attempts), 0)::bigint as attempts \
             from outreach_cases where tenant_id = $1 and campaign_id = $2 group by 1, 2",
            vec![c.tenant_id.into(), c.id.into()],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        let mut d = Dashboard {
            by_status: CaseStatus::ALL.iter().map(|s| (*s, 0)).collect(),
            by_outcome: Outcome::ALL.iter().map(|o| (*o, 0)).collect(),
            ..Dashboard::default()
        };
        for r in rows {
            d.cases += r.cases;
            d.attempts += r.attempts;
            if let Some(e) = d.by_status.iter_mut().find(|(s, _)| *s == r.status) {
                e.1 += r.cases;
            }
            if let Some(e) = d.by_outcome.iter_mut().find(|(o, _)| Some(*o) == r.outcome) {
                e.1 += r.cases;
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dash() -> Dashboard {
        let mut d = Dashboard {
            cases: 5,
            attempts: 7,
            by_status: vec![
                (CaseStatus::Pending, 1),
                (CaseStatus::InProgress, 1),
                (CaseStatus::Closed, 3),
            ],
            by_outcome: Outcome::ALL.iter().map(|o| (*o, 0)).collect(),
        };
        for (o, n) in d.by_outcome.iter_mut() {
            *n = match o {
                Outcome::PaymentPlanAgreed => 1,
                Outcome::Refused | Outcome::Unreachable => 1,
                _ => 0,
            };
        }
        d
    }

    #[test]
    fn rates() {
        let d = dash();
        assert_eq!(d.closed(), 3);
        assert_eq!(d.contacted(), 1, "a refusal restores no contact");
        assert_eq!(d.contact_rate(), Some(1.0 / 3.0));
        assert_eq!(d.attempts_per_case(), Some(1.4));
        assert_eq!(Dashboard::default().contact_rate(), None);
    }

    #[test]
    fn csv_for_spreadsheets() {
        let csv = to_csv("=Impayés; hiver", &dash());
        assert!(csv.starts_with("\u{feff}campagne;indicateur;code;libellé;valeur\r\n"));
        assert!(csv.contains(
            "\"'=Impayés; hiver\";contact;taux;Taux de contact (cas clôturés);0,333\r\n"
        ));
        assert!(csv.contains(";tentatives;par_cas;Tentatives par cas;1,400\r\n"));
    }
}
