//! The domain's daily checks, run as the platform by the server's hourly housekeeping
//! (so the Paris date's change is seen within the hour) and by `passerelle purge`:
//! contracts past their term expire, contracts reaching their term within 90 days are
//! announced (once per contract and term), self-assessments past their deadline close,
//! corrective actions past their due date are flagged. Each change is written with its
//! history and its event (`events::emit`) in one transaction; rows are claimed
//! `FOR UPDATE SKIP LOCKED` and events carry a de-duplication key, so replicas running
//! them at once change and announce each thing once.

use crate::contracts::RENEWAL_WINDOW_DAYS;
use crate::entity::{action as ac, audit as au, campaign as ca, contract as co};
use crate::model::*;
use crate::{Compliance, map_err, record_history};
use chrono::{Days, NaiveDate};
use kernel::{Ctx, Error};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

/// What one run of the daily checks did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DailyChecks {
    pub contracts_expired: u64,
    pub contracts_to_renew_announced: u64,
    pub self_assessments_closed: u64,
    pub actions_flagged: u64,
}

pub(crate) fn gid(type_name: &str, id: Uuid) -> String {
    kernel::gid::encode(type_name, id)
}

fn system(why: &'static str) -> Ctx {
    Ctx::system(why)
}

/// A date as French readers write it, for reasons kept in the history.
fn fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

impl Compliance {
    /// Every daily check, in order (a contract that expires today is not announced).
    pub async fn daily_checks(&self) -> Result<DailyChecks, Error> {
        Ok(DailyChecks {
            contracts_expired: self.expire_contracts().await?,
            contracts_to_renew_announced: self.announce_contracts_to_renew().await?,
            self_assessments_closed: self.close_overdue_self_assessments().await?,
            actions_flagged: self.flag_overdue_actions().await?,
        })
    }

    /// Contracts in force whose term (Paris date) has passed become expired, each with
    /// its history entry (no author: the platform; the reason names the term). Why a
    /// stored status rather than one computed at each read: the change gets its place
    /// in the history, and every query filtering on the status (renewal calendar,
    /// dashboard, termination by sanction) agrees with what is shown. Until the check
    /// has run (within the hour), reads already show such a contract expired.
    pub async fn expire_contracts(&self) -> Result<u64, Error> {
        let sys = system("compliance: contracts past their term expire");
        let tx = self.db.scoped(&sys).await?;
        let today = kernel::time::today();
        let due = co::Entity::find()
            .filter(co::Column::Status.eq(ContractStatus::InForce.as_str()))
            .filter(co::Column::TermEndsOn.lt(today))
            .order_by_asc(co::Column::Id)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let n = due.len() as u64;
        for c in due {
            self.set_status_in(
                &tx,
                &sys,
                c.id,
                ContractStatus::Expired,
                format!("terme du contrat atteint le {}", fr(c.term_ends_on)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Announces each contract in force reaching its term within 90 days: one
    /// `compliance.contract.to_renew` event per contract and term (an amendment moving
    /// the term announces it again when the new term comes near). How many were new.
    pub async fn announce_contracts_to_renew(&self) -> Result<u64, Error> {
        let sys = system("compliance: contracts to renew announced");
        let tx = self.db.scoped(&sys).await?;
        let today = kernel::time::today();
        let until = today
            .checked_add_days(Days::new(RENEWAL_WINDOW_DAYS))
            .unwrap_or(today);
        let due = co::Entity::find()
            .filter(co::Column::Status.eq(ContractStatus::InForce.as_str()))
            .filter(co::Column::TermEndsOn.gte(today))
            .filter(co::Column::TermEndsOn.lte(until))
            .order_by_asc(co::Column::Id)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let mut n = 0;
        for c in due {
            let event = events::Event::new(
                events::EventType::FranchiseContractToRenew,
                c.id,
                json!({
                    "contract": gid("FranchiseContract", c.id),
                    "reference": c.reference,
                    "termEndsOn": c.term_ends_on,
                }),
            )
            .tenant(Some(c.tenant_id))
            .dedupe(format!(
                "compliance.contract.to_renew:{}:{}",
                c.id, c.term_ends_on
            ));
            if events::emit(&tx, event).await?.is_some() {
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Self-assessments still open after their campaign's deadline (Paris date) close:
    /// the audit moves to review as it stands, unsubmitted, with its history entry
    /// and a phase event for the auditor. Answers, files and submission are refused
    /// from the day after the deadline whether or not this has run yet.
    pub async fn close_overdue_self_assessments(&self) -> Result<u64, Error> {
        let sys = system("compliance: self-assessments past their deadline close");
        let tx = self.db.scoped(&sys).await?;
        let today = kernel::time::today();
        let late_campaigns = Query::select()
            .column(ca::Column::Id)
            .from(ca::Entity)
            .and_where(Expr::col(ca::Column::SelfAssessmentDueOn).lt(today))
            .to_owned();
        let due = au::Entity::find()
            .filter(au::Column::Status.eq(AuditStatus::SelfAssessment.as_str()))
            .filter(au::Column::CampaignId.in_subquery(late_campaigns))
            .order_by_asc(au::Column::Id)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let n = due.len() as u64;
        for a in due {
            self.set_audit(
                &tx,
                &sys,
                &a,
                "self_assessment_closed",
                au::Entity::update_many().col_expr(
                    au::Column::Status,
                    Expr::value(AuditStatus::Review.as_str()),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Flags actions past their due date (Paris) and not done, each with its
    /// `compliance.action.overdue` event (once per action: a flagged action is not
    /// flagged again). How many were flagged.
    pub async fn flag_overdue_actions(&self) -> Result<u64, Error> {
        let sys = system("compliance: flagging overdue corrective actions");
        let tx = self.db.scoped(&sys).await?;
        let today = kernel::time::today();
        let due = ac::Entity::find()
            .filter(
                ac::Column::Status
                    .is_in([ActionStatus::Open.as_str(), ActionStatus::Reopened.as_str()]),
            )
            .filter(ac::Column::DueOn.lt(today))
            .filter(ac::Column::OverdueSince.is_null())
            .order_by_asc(ac::Column::Id)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let n = due.len() as u64;
        for act in due {
            db::update_one(
                &tx,
                ac::Entity::update_many()
                    .col_expr(ac::Column::OverdueSince, Expr::value(today))
                    .filter(ac::Column::TenantId.eq(act.tenant_id))
                    .filter(ac::Column::Id.eq(act.id)),
                map_err,
            )
            .await?;
            record_history(
                &tx,
                &sys,
                act.tenant_id,
                SubjectKind::Action,
                act.id,
                "overdue",
                json!({
                    "status": act.status.as_str(),
                    "dueOn": act.due_on,
                    "overdueSince": null,
                }),
                None,
            )
            .await?;
            let event = events::Event::new(
                events::EventType::CorrectiveActionOverdue,
                act.id,
                json!({
                    "action": gid("CorrectiveAction", act.id),
                    "audit": gid("ComplianceAudit", act.audit_id),
                    "dueOn": act.due_on,
                    "overdueSince": today,
                }),
            )
            .tenant(Some(act.tenant_id))
            .dedupe(format!("compliance.action.overdue:{}", act.id));
            events::emit(&tx, event).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}
