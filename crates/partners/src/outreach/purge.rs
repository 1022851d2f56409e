//! The retention purge: once a campaign has been closed longer than its retention
//! period, the contact data of its cases, their customer references, report details
//! and the attempts' notes are erased. Statuses, outcomes, consent flags and attempt
//! counts stay, so the campaign's numbers survive without anyone in them.

use super::repo::{map_err, stmt};
use crate::Partners;
use kernel::{Ctx, Error};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

/// A campaign whose retention has passed.
#[derive(FromQueryResult)]
struct Expired {
    tenant_id: Uuid,
    id: Uuid,
}

/// What one run erased.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub campaigns: u64,
    pub cases: u64,
    pub attempt_notes: u64,
}

impl Partners {
    /// Purges every campaign whose retention has passed, across associations, in one
    /// transaction. Idempotent: a purged campaign is never purged again. Meant for a
    /// scheduled job (`passerelle purge`).
    pub async fn purge_expired_outreach(&self) -> Result<Purged, Error> {
        let ctx = Ctx::system("outreach retention purge");
        let tx = self.db.scoped(&ctx).await?;
        let expired = Expired::find_by_statement(stmt(
            "select tenant_id, id from outreach_campaigns \
             where status = 'closed' and purged_at is null \
               and closed_at + make_interval(days => retention_days) <= now() \
             order by tenant_id, id for update",
            vec![],
        ))
        .all(&*tx)
        .await
        .map_err(map_err)?;
        if expired.is_empty() {
            tx.commit().await?;
            return Ok(Purged::default());
        }
        let tenants: Vec<Uuid> = expired.iter().map(|e| e.tenant_id).collect();
        let ids: Vec<Uuid> = expired.iter().map(|e| e.id).collect();
        let pairs = "select * from unnest($1::uuid[], $2::uuid[]) as e(tenant_id, id)";
        let notes = tx
            .execute_raw(stmt(
                &format!(
                    "update outreach_attempts a set note = null from outreach_cases k, ({pairs}) e \
                     where k.tenant_id = e.tenant_id and k.campaign_id = e.id \
                       and a.tenant_id = k.tenant_id and a.case_id = k.id and a.note is not null"
                ),
                vec![tenants.clone().into(), ids.clone().into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        let cases = tx
            .execute_raw(stmt(
                &format!(
                    "update outreach_cases k set customer_ref = null, full_name = null, phone = null, email = null, \
                       address = null, postal_code = null, report_details = null, purged_at = now(), updated_at = now() \
                     from ({pairs}) e where k.tenant_id = e.tenant_id and k.campaign_id = e.id"
                ),
                vec![tenants.clone().into(), ids.clone().into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        let campaigns = tx
            .execute_raw(stmt(
                &format!(
                    "update outreach_campaigns c set purged_at = now() from ({pairs}) e \
                     where c.tenant_id = e.tenant_id and c.id = e.id"
                ),
                vec![tenants.into(), ids.into()],
            ))
            .await
            .map_err(map_err)?
            .rows_affected();
        tx.commit().await?;
        tracing::info!(campaigns, cases, attempt_notes = notes, "outreach purge");
        Ok(Purged {
            campaigns,
            cases,
            attempt_notes: notes,
        })
    }
}
