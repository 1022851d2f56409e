//! Reporting periods that have just closed: each one becomes an event ("the report
//! is available") once, whichever replica's hourly job sees it first.

use super::repo::{map_err, stmt};
use crate::Partners;
use chrono::NaiveDate;
use kernel::{Ctx, Error};
use sea_orm::FromQueryResult;
use uuid::Uuid;

/// A period closed within this many days is announced; older ones are not (a first
/// run on an old database does not announce every period of the past).
const ANNOUNCE_WITHIN_DAYS: i32 = 31;

#[derive(FromQueryResult)]
struct Closed {
    id: Uuid,
    partner_id: Uuid,
    tenant_id: Option<Uuid>,
    reference: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
}

impl Partners {
    /// Writes one event per agreement (active or ended) whose last reporting period
    /// (calendar-aligned, of the agreement's frequency) closed in the last 31 days
    /// and overlapped the agreement. Idempotent (the event's de-duplication key):
    /// several replicas may run it at once. How many events were new.
    pub async fn announce_closed_reporting_periods(&self, today: NaiveDate) -> Result<u64, Error> {
        let ctx = Ctx::system("reporting periods closed");
        let tx = self.db.scoped(&ctx).await?;
        let closed = Closed::find_by_statement(stmt(
            "with f(code, months) as (values ('monthly', 1), ('quarterly', 3), ('semiannual', 6), ('annual', 12)), \
             p as ( \
               select a.id, a.partner_id, a.tenant_id, a.reference, a.starts_on, a.ends_on, f.months, \
                 make_date(extract(year from $1::date)::int, \
                           ((extract(month from $1::date)::int - 1) / f.months) * f.months + 1, 1) as current_start \
               from agreements a join f on f.code = a.reporting_frequency \
               where a.status in ('active', 'ended')) \
             select id, partner_id, tenant_id, reference, \
               (current_start - make_interval(months => months))::date as period_start, \
               (current_start - 1) as period_end \
             from p \
             where starts_on < current_start and ends_on >= (current_start - make_interval(months => months))::date \
               and current_start > $1::date - $2 \
             order by id",
            vec![today.into(), ANNOUNCE_WITHIN_DAYS.into()],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        let mut new = 0;
        for c in closed {
            let data = serde_json::json!({
                "agreement": kernel::gid::encode("Agreement", c.id),
                "reference": c.reference,
                "periodStart": c.period_start.to_string(),
                "periodEnd": c.period_end.to_string(),
            });
            let event = events::Event::new(
                events::EventType::AgreementReportingPeriodClosed,
                c.id,
                data,
            )
            .tenant(c.tenant_id)
            .partner(Some(c.partner_id))
            .dedupe(format!(
                "agreement.reporting_period.closed:{}:{}",
                c.id, c.period_end
            ));
            if events::emit(&tx, event).await?.is_some() {
                new += 1;
            }
        }
        tx.commit().await?;
        Ok(new)
    }
}
