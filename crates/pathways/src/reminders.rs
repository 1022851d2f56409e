//! The subsidies to renew, announced to the association's HR managers: a daily check
//! (the server's hourly housekeeping) writes one `pathways.subsidy.to_renew` event per
//! subsidy and date, when the subsidy's renewal deadline (or, without one, its end)
//! comes within 60 days, the `hrCalendar`'s default horizon. Someone who has left is
//! no longer a deadline. The event carries ids and dates only.

use crate::Pathways;
use chrono::{Days, NaiveDate};
use kernel::{Ctx, Error};
use sea_orm::FromQueryResult;
use serde_json::json;
use uuid::Uuid;

/// How far ahead subsidies to renew are announced.
pub const SUBSIDY_NOTICE_DAYS: u64 = 60;

#[derive(FromQueryResult)]
struct Due {
    tenant_id: Uuid,
    id: Uuid,
    contract_id: Uuid,
    ends_on: NaiveDate,
    renewal_deadline: Option<NaiveDate>,
    due_on: NaiveDate,
}

impl Pathways {
    /// Announces the subsidies to renew as of `today`; how many were new (a second run
    /// the same day, or another replica's, announces nothing again).
    pub async fn announce_subsidies_to_renew(&self, today: NaiveDate) -> Result<u64, Error> {
        let ctx = Ctx::system("HR pathways: subsidies to renew announced");
        let tx = self.db.scoped(&ctx).await?;
        let until = today
            .checked_add_days(Days::new(SUBSIDY_NOTICE_DAYS))
            .unwrap_or(today);
        let due = Due::find_by_statement(db::stmt(
            "select s.tenant_id, s.id, s.contract_id, s.ends_on, s.renewal_deadline, \
               coalesce(s.renewal_deadline, s.ends_on) as due_on \
             from subsidies s join employment_contracts c on c.tenant_id = s.tenant_id and c.id = s.contract_id \
             where coalesce(s.renewal_deadline, s.ends_on) between $1 and $2 \
               and not exists (select 1 from employee_exits x where x.tenant_id = c.tenant_id and x.employee_id = c.employee_id) \
             order by s.tenant_id, s.id",
            vec![today.into(), until.into()],
        ))
        .all(&*tx)
        .await
        .map_err(crate::repo::map_err)?;
        let mut n = 0;
        for s in due {
            let event = events::Event::new(
                events::EventType::SubsidyToRenew,
                s.id,
                json!({
                    "subsidy": kernel::gid::encode("Subsidy", s.id),
                    "contract": kernel::gid::encode("EmploymentContract", s.contract_id),
                    "on": s.due_on,
                    "endsOn": s.ends_on,
                    "renewalDeadline": s.renewal_deadline,
                }),
            )
            .tenant(Some(s.tenant_id))
            .dedupe(format!("pathways.subsidy.to_renew:{}:{}", s.id, s.due_on));
            if events::emit(&tx, event).await?.is_some() {
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }
}
