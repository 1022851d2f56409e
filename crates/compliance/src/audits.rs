//! Audits, from the self-assessment to the final report: who may read each part and
//! when, the association's answers and submission, the auditor's review (evidence,
//! observations, scores with indicators pre-filled, findings, notes), the draft
//! report and the contradictory phase, the final report with its grade and
//! corrective actions, and the actions' life (done, accepted or reopened, overdue).

use crate::entity::{
    action as ac, answer as an, audit as au, campaign as ca, criterion as cr, finding as fi,
    note as no, observation as ob, reply as re, report as rp, score as sc,
};
use crate::model::*;
use crate::{AUDITORS, Compliance, author, indicators, map_err, record_history, rules};
use chrono::{Days, NaiveDate};
use db::Scoped;
use kernel::{Ctx, Error, Page, PageRequest, TenantRole, UnionRole};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

const WRITERS: &[TenantRole] = &[TenantRole::Director, TenantRole::Coordinator];
const CLOSED: &str = "le contrôle est clos : son rapport définitif est émis";

/// What the caller may see of an audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// A union admin or auditor: everything, internal notes included.
    Auditor,
    /// The union's analyst: the grade and scores, no text.
    Analyst,
    /// The association's staff: their answers and documents; findings, observations
    /// and the draft once it is sent; never the notes.
    Staff,
    /// The association's viewers (board): the final report and grade only.
    Viewer,
}

impl View {
    fn of(ctx: &Ctx) -> Result<View, Error> {
        match ctx.union_role() {
            Some(UnionRole::Admin | UnionRole::Auditor) => Ok(View::Auditor),
            Some(UnionRole::Analyst) => Ok(View::Analyst),
            None => {
                let s = ctx.require_tenant()?;
                Ok(if s.role == TenantRole::Viewer {
                    View::Viewer
                } else {
                    View::Staff
                })
            }
        }
    }
}

fn audit_snapshot(a: &Audit) -> serde_json::Value {
    json!({
        "status": a.status.as_str(),
        "score": a.score,
        "grade": a.grade.map(|g| g.as_str()),
        "repliesDueOn": a.replies_due_on,
    })
}

/// Writes the audit's `compliance.audit.phase_changed` event: ids and codes, the
/// deadline the new phase sets, whether a review follows a submission.
pub(crate) async fn phase_changed(
    tx: &Scoped,
    a: &Audit,
    previous: Option<AuditStatus>,
    self_assessment_due_on: Option<NaiveDate>,
) -> Result<(), Error> {
    let mut data = json!({
        "audit": crate::jobs::gid("ComplianceAudit", a.id),
        "campaign": crate::jobs::gid("ComplianceCampaign", a.campaign_id),
        "phase": a.status.as_str(),
        "previousPhase": previous.map(|p| p.as_str()),
    });
    match a.status {
        AuditStatus::SelfAssessment => data["selfAssessmentDueOn"] = json!(self_assessment_due_on),
        AuditStatus::Review => data["submitted"] = json!(a.submitted_at.is_some()),
        AuditStatus::Contradictory => data["repliesDueOn"] = json!(a.replies_due_on),
        AuditStatus::Final => data["grade"] = json!(a.grade.map(|g| g.as_str())),
    }
    let event = events::Event::new(events::EventType::AuditPhaseChanged, a.id, data)
        .tenant(Some(a.tenant_id));
    events::emit(tx, event).await?;
    Ok(())
}

/// Keyset paging by id (UUIDv7: creation order): `fetch()` rows after the cursor.
pub(crate) fn keyset<E: EntityTrait>(
    q: sea_orm::Select<E>,
    id: impl ColumnTrait,
    page: &PageRequest,
) -> sea_orm::Select<E> {
    let q = match page.after {
        Some(a) => q.filter(id.gt(a)),
        None => q,
    };
    q.order_by_asc(id).limit(page.fetch())
}

/// An association's caller reads its own rows only (row-level security says so too).
pub(crate) fn tenant_only<E: EntityTrait>(
    ctx: &Ctx,
    q: sea_orm::Select<E>,
    tenant: impl ColumnTrait,
) -> sea_orm::Select<E> {
    match ctx.tenant() {
        Some(t) => q.filter(tenant.eq(t.tenant_id.0)),
        None => q,
    }
}

/// Findings and observations: the auditors' always, the association's staff's once
/// the draft report is sent.
fn sent_to_staff(v: View, s: AuditStatus) -> bool {
    v == View::Auditor
        || (v == View::Staff && matches!(s, AuditStatus::Contradictory | AuditStatus::Final))
}

/// The audits a caller may list: the union's all, an association's its own (a viewer's
/// only the final ones).
fn scoped(
    ctx: &Ctx,
    mut q: sea_orm::Select<au::Entity>,
) -> Result<sea_orm::Select<au::Entity>, Error> {
    match View::of(ctx)? {
        View::Auditor | View::Analyst => {}
        View::Staff | View::Viewer => {
            let s = ctx.require_tenant()?;
            q = q.filter(au::Column::TenantId.eq(s.tenant_id.0));
            if s.role == TenantRole::Viewer {
                q = q.filter(au::Column::Status.eq(AuditStatus::Final.as_str()));
            }
        }
    }
    Ok(q)
}

impl Compliance {
    /// One page of the audits the caller may read (of one campaign, or all), in the
    /// order they were opened.
    pub async fn audits(
        &self,
        ctx: &Ctx,
        campaign: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<Audit>, Error> {
        let mut q = scoped(ctx, au::Entity::find())?;
        if let Some(c) = campaign {
            q = q.filter(au::Column::CampaignId.eq(c));
        }
        let q = keyset(q, au::Column::Id, &page);
        let rows = self.db.select_all(ctx, q, map_err).await?;
        Ok(Page::from_rows(rows, &page))
    }

    /// Of `rows` (each part of an audit), those the caller may read: `sees` says
    /// whether a view reads such a row of an audit in a given phase. The audits
    /// themselves are read as the caller may (another association's are not found).
    async fn visible<T>(
        &self,
        ctx: &Ctx,
        rows: Vec<T>,
        audit_of: fn(&T) -> Uuid,
        sees: fn(View, AuditStatus) -> bool,
    ) -> Result<Vec<T>, Error> {
        let v = View::of(ctx)?;
        if rows.is_empty() {
            return Ok(rows);
        }
        let mut ids: Vec<Uuid> = rows.iter().map(audit_of).collect();
        ids.sort();
        ids.dedup();
        let audits: HashMap<Uuid, AuditStatus> = self
            .audits_by_ids(ctx, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a.status))
            .collect();
        Ok(rows
            .into_iter()
            .filter(|r| audits.get(&audit_of(r)).is_some_and(|s| sees(v, *s)))
            .collect())
    }

    /// Answers by id (the node field): auditors and the association's staff.
    pub async fn answers_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Answer>, Error> {
        let q = an::Entity::find().filter(an::Column::Id.is_in(ids.iter().copied()));
        let rows = self
            .db
            .select_all(ctx, tenant_only(ctx, q, an::Column::TenantId), map_err)
            .await?;
        self.visible(
            ctx,
            rows,
            |r| r.audit_id,
            |v, _| matches!(v, View::Auditor | View::Staff),
        )
        .await
    }

    /// Observations by id: auditors, and the association's staff once the draft is sent.
    pub async fn observations_by_ids(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Observation>, Error> {
        let q = ob::Entity::find().filter(ob::Column::Id.is_in(ids.iter().copied()));
        let rows = self
            .db
            .select_all(ctx, tenant_only(ctx, q, ob::Column::TenantId), map_err)
            .await?;
        self.visible(ctx, rows, |r| r.audit_id, sent_to_staff).await
    }

    /// Findings by id: auditors, and the association's staff once the draft is sent.
    pub async fn findings_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Finding>, Error> {
        let q = fi::Entity::find().filter(fi::Column::Id.is_in(ids.iter().copied()));
        let rows = self
            .db
            .select_all(ctx, tenant_only(ctx, q, fi::Column::TenantId), map_err)
            .await?;
        self.visible(ctx, rows, |r| r.audit_id, sent_to_staff).await
    }

    /// Replies by id: as their findings.
    pub async fn replies_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Reply>, Error> {
        let q = re::Entity::find().filter(re::Column::Id.is_in(ids.iter().copied()));
        let rows = self
            .db
            .select_all(ctx, tenant_only(ctx, q, re::Column::TenantId), map_err)
            .await?;
        let mut findings: Vec<Uuid> = rows.iter().map(|r| r.finding_id).collect();
        findings.sort();
        findings.dedup();
        let readable: Vec<Uuid> = self
            .findings_by_ids(ctx, &findings)
            .await?
            .into_iter()
            .map(|f| f.id)
            .collect();
        Ok(rows
            .into_iter()
            .filter(|r| readable.contains(&r.finding_id))
            .collect())
    }

    /// Corrective actions by id: auditors and the association's staff.
    pub async fn actions_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Action>, Error> {
        let q = ac::Entity::find().filter(ac::Column::Id.is_in(ids.iter().copied()));
        let rows = self
            .db
            .select_all(ctx, tenant_only(ctx, q, ac::Column::TenantId), map_err)
            .await?;
        self.visible(
            ctx,
            rows,
            |r| r.audit_id,
            |v, _| matches!(v, View::Auditor | View::Staff),
        )
        .await
    }

    pub async fn audits_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Audit>, Error> {
        let q = scoped(
            ctx,
            au::Entity::find().filter(au::Column::Id.is_in(ids.iter().copied())),
        )?;
        self.db.select_all(ctx, q, map_err).await
    }

    /// The caller's view of the audit, or NOT_FOUND (another association's, or a
    /// viewer's before the final report).
    pub async fn view(&self, ctx: &Ctx, audit: Uuid) -> Result<(View, Audit), Error> {
        let v = View::of(ctx)?;
        let a = self
            .audits_by_ids(ctx, &[audit])
            .await?
            .pop()
            .ok_or(Error::NotFound)?;
        Ok((v, a))
    }

    async fn audit_in(&self, tx: &Scoped, ctx: &Ctx, id: Uuid) -> Result<Audit, Error> {
        let mut q = au::Entity::find().filter(au::Column::Id.eq(id));
        if let Some(t) = ctx.tenant() {
            q = q.filter(au::Column::TenantId.eq(t.tenant_id.0));
        }
        q.one(&**tx).await.map_err(map_err)?.ok_or(Error::NotFound)
    }

    /// The audit, for its auditor (or a union admin); FORBIDDEN to another auditor.
    async fn audit_for_auditor(&self, tx: &Scoped, ctx: &Ctx, id: Uuid) -> Result<Audit, Error> {
        let role = ctx.require_union_role(AUDITORS)?;
        let a = self.audit_in(tx, ctx, id).await?;
        if role == UnionRole::Auditor && a.auditor_id != author(ctx) {
            return Err(Error::Forbidden(
                "only the audit's assigned auditor or a union admin",
            ));
        }
        Ok(a)
    }

    async fn campaign_of(&self, tx: &Scoped, a: &Audit) -> Result<Campaign, Error> {
        ca::Entity::find_by_id(a.campaign_id)
            .one(&**tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)
    }

    /// A criterion of the audit's version, or VALIDATION on `criterionId`.
    async fn criterion_of(&self, tx: &Scoped, a: &Audit, id: Uuid) -> Result<Criterion, Error> {
        let c = self.campaign_of(tx, a).await?;
        cr::Entity::find_by_id(id)
            .one(&**tx)
            .await
            .map_err(map_err)?
            .filter(|cr| cr.version_id == c.catalogue_version_id)
            .ok_or_else(|| {
                Error::validation("criterionId", "critère inconnu dans la version du contrôle")
            })
    }

    /// Changes the audit with its history entry and, when its phase moves, its
    /// `compliance.audit.phase_changed` event, in the caller's transaction.
    pub(crate) async fn set_audit(
        &self,
        tx: &Scoped,
        ctx: &Ctx,
        a: &Audit,
        action: &str,
        update: sea_orm::UpdateMany<au::Entity>,
    ) -> Result<Audit, Error> {
        let next = db::update_one(
            tx,
            update
                .col_expr(au::Column::UpdatedAt, Expr::current_timestamp())
                .filter(au::Column::TenantId.eq(a.tenant_id))
                .filter(au::Column::Id.eq(a.id)),
            map_err,
        )
        .await?;
        record_history(
            tx,
            ctx,
            a.tenant_id,
            SubjectKind::Audit,
            a.id,
            action,
            audit_snapshot(a),
            None,
        )
        .await?;
        if next.status != a.status {
            phase_changed(tx, &next, Some(a.status), None).await?;
        }
        Ok(next)
    }

    // --- The association's side -------------------------------------------------

    /// A declaration for one criterion (created or replaced) while the self-assessment
    /// is open: the director or a coordinator (who drafts).
    pub async fn answer(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        criterion: Uuid,
        declaration: Option<String>,
    ) -> Result<Answer, Error> {
        let s = ctx.require_tenant_role(WRITERS)?;
        let declaration = kernel::input::opt_text("declaration", declaration, 4000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_in(&tx, ctx, audit).await?;
        if a.status != AuditStatus::SelfAssessment {
            return Err(Error::validation(
                "auditId",
                "l'auto-évaluation est soumise : elle ne se modifie plus",
            ));
        }
        self.self_assessment_open(&tx, &a, "auditId").await?;
        self.criterion_of(&tx, &a, criterion).await?;
        let existing = an::Entity::find()
            .filter(an::Column::TenantId.eq(s.tenant_id.0))
            .filter(an::Column::AuditId.eq(a.id))
            .filter(an::Column::CriterionId.eq(criterion))
            .one(&*tx)
            .await
            .map_err(map_err)?;
        let row = match existing {
            Some(e) => {
                db::update_one(
                    &tx,
                    an::Entity::update_many()
                        .col_expr(an::Column::Declaration, Expr::value(declaration))
                        .col_expr(an::Column::UpdatedBy, Expr::value(author(ctx)))
                        .col_expr(an::Column::UpdatedAt, Expr::current_timestamp())
                        .filter(an::Column::TenantId.eq(e.tenant_id))
                        .filter(an::Column::Id.eq(e.id)),
                    map_err,
                )
                .await?
            }
            None => an::ActiveModel {
                tenant_id: Set(s.tenant_id.0),
                id: Set(Uuid::now_v7()),
                audit_id: Set(a.id),
                criterion_id: Set(criterion),
                declaration: Set(declaration),
                updated_by: Set(author(ctx)),
                ..Default::default()
            }
            .insert(&*tx)
            .await
            .map_err(map_err)?,
        };
        tx.commit().await?;
        Ok(row)
    }

    /// VALIDATION on `field` once the campaign's self-assessment deadline (a Paris
    /// date, the last day answers are taken) has passed: the self-assessment is
    /// closed as it stands (the daily check moves it to review).
    pub(crate) async fn self_assessment_open(
        &self,
        tx: &Scoped,
        a: &Audit,
        field: &str,
    ) -> Result<(), Error> {
        let c = self.campaign_of(tx, a).await?;
        if kernel::time::today() > c.self_assessment_due_on {
            return Err(Error::validation(
                field,
                format!(
                    "le délai d'auto-évaluation est passé (le {}) : elle est close",
                    c.self_assessment_due_on.format("%d/%m/%Y")
                ),
            ));
        }
        Ok(())
    }

    /// The director submits the self-assessment: read-only to the association after.
    pub async fn submit_self_assessment(&self, ctx: &Ctx, audit: Uuid) -> Result<Audit, Error> {
        ctx.require_tenant_role(&[TenantRole::Director])?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_in(&tx, ctx, audit).await?;
        if a.status != AuditStatus::SelfAssessment {
            return Err(Error::validation(
                "auditId",
                "l'auto-évaluation est déjà soumise",
            ));
        }
        self.self_assessment_open(&tx, &a, "auditId").await?;
        let next = self
            .set_audit(
                &tx,
                ctx,
                &a,
                "submitted",
                au::Entity::update_many()
                    .col_expr(
                        au::Column::Status,
                        Expr::value(AuditStatus::Review.as_str()),
                    )
                    .col_expr(au::Column::SubmittedAt, Expr::current_timestamp())
                    .col_expr(au::Column::SubmittedBy, Expr::value(author(ctx))),
            )
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The association's answer to a finding of the draft report, until the
    /// contradictory phase's deadline (Paris date).
    pub async fn reply(&self, ctx: &Ctx, finding: Uuid, body: &str) -> Result<Reply, Error> {
        let s = ctx.require_tenant_role(WRITERS)?;
        let body = kernel::input::text("body", body, 2, 4000)?;
        let tx = self.db.scoped(ctx).await?;
        let f = fi::Entity::find()
            .filter(fi::Column::TenantId.eq(s.tenant_id.0))
            .filter(fi::Column::Id.eq(finding))
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let a = self.audit_in(&tx, ctx, f.audit_id).await?;
        if a.status == AuditStatus::Review {
            // The draft is not sent: its findings do not exist for the association.
            return Err(Error::NotFound);
        }
        let due = a
            .replies_due_on
            .filter(|_| a.status == AuditStatus::Contradictory);
        match due {
            Some(d) if kernel::time::today() <= d => {}
            _ => {
                return Err(Error::validation(
                    "findingId",
                    "la phase contradictoire est close : la réponse n'est plus recevable",
                ));
            }
        }
        let r = re::ActiveModel {
            tenant_id: Set(s.tenant_id.0),
            id: Set(Uuid::now_v7()),
            finding_id: Set(f.id),
            body: Set(body),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(r)
    }

    /// The action's owner side: done, with a note (and evidence attached to it).
    pub async fn complete_action(&self, ctx: &Ctx, id: Uuid, note: &str) -> Result<Action, Error> {
        let s = ctx.require_tenant_role(WRITERS)?;
        let note = kernel::input::text("note", note, 2, 4000)?;
        let tx = self.db.scoped(ctx).await?;
        let act = ac::Entity::find()
            .filter(ac::Column::TenantId.eq(s.tenant_id.0))
            .filter(ac::Column::Id.eq(id))
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        if !matches!(act.status, ActionStatus::Open | ActionStatus::Reopened) {
            return Err(Error::validation("actionId", "l'action n'est plus à faire"));
        }
        let next = self
            .set_action(&tx, ctx, &act, ActionStatus::Done, Some(note), None)
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    async fn set_action(
        &self,
        tx: &Scoped,
        ctx: &Ctx,
        act: &Action,
        status: ActionStatus,
        note: Option<String>,
        reason: Option<String>,
    ) -> Result<Action, Error> {
        let mut u = ac::Entity::update_many()
            .col_expr(ac::Column::Status, Expr::value(status.as_str()))
            .col_expr(ac::Column::UpdatedAt, Expr::current_timestamp())
            .filter(ac::Column::TenantId.eq(act.tenant_id))
            .filter(ac::Column::Id.eq(act.id));
        if let Some(n) = note {
            u = u.col_expr(ac::Column::CompletionNote, Expr::value(n));
        }
        let next = db::update_one(tx, u, map_err).await?;
        record_history(
            tx,
            ctx,
            act.tenant_id,
            SubjectKind::Action,
            act.id,
            status.as_str(),
            json!({
                "status": act.status.as_str(),
                "completionNote": act.completion_note,
                "overdueSince": act.overdue_since,
            }),
            reason,
        )
        .await?;
        Ok(next)
    }

    // --- The auditor's side -----------------------------------------------------

    pub async fn record_observation(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        criterion: Uuid,
        site: Option<Uuid>,
        observed_on: NaiveDate,
        body: &str,
    ) -> Result<Observation, Error> {
        let body = kernel::input::text("body", body, 2, 4000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        self.open_for_review(&a)?;
        self.criterion_of(&tx, &a, criterion).await?;
        if observed_on > kernel::time::today() {
            return Err(Error::validation("observedOn", "une date à venir"));
        }
        let o = ob::ActiveModel {
            tenant_id: Set(a.tenant_id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(a.id),
            criterion_id: Set(criterion),
            site_id: Set(site),
            observed_on: Set(observed_on),
            body: Set(body),
            recorded_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(o)
    }

    fn open_for_review(&self, a: &Audit) -> Result<(), Error> {
        match a.status {
            AuditStatus::Review => Ok(()),
            AuditStatus::SelfAssessment => Err(Error::validation(
                "auditId",
                "l'auto-évaluation n'est pas encore soumise",
            )),
            AuditStatus::Contradictory => Err(Error::validation(
                "auditId",
                "le rapport provisoire est envoyé : la revue est close",
            )),
            AuditStatus::Final => Err(Error::validation("auditId", CLOSED)),
        }
    }

    /// Indicators of the audit's association over the campaign's period, against the
    /// thresholds of the audit's version. For the union's admin and auditors, and the
    /// association's staff.
    pub async fn indicators(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<IndicatorValue>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        if !matches!(v, View::Auditor | View::Staff) {
            return Err(Error::Forbidden(
                "indicators are for auditors and the association's staff",
            ));
        }
        let sys = Ctx::system(
            "compliance: an audit's indicators, counts only, for a caller allowed the audit",
        );
        let tx = self.db.scoped(&sys).await?;
        let out = self.indicators_in(&tx, &a).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn indicators_in(&self, tx: &Scoped, a: &Audit) -> Result<Vec<IndicatorValue>, Error> {
        let c = self.campaign_of(tx, a).await?;
        let criteria = cr::Entity::find()
            .filter(cr::Column::VersionId.eq(c.catalogue_version_id))
            .filter(cr::Column::Measure.eq(Measure::Indicator.as_str()))
            .all(&**tx)
            .await
            .map_err(map_err)?;
        let thresholds: HashMap<Indicator, f64> = criteria
            .iter()
            .filter_map(|c| Some((c.indicator?, c.threshold?)))
            .collect();
        let hr = self
            .pathways
            .training_and_team(
                &Ctx::system("compliance: training time and team size of an audited association, counts only"),
                a.tenant_id,
                c.period_starts_on,
                c.period_ends_on,
            )
            .await?;
        indicators::compute(
            tx,
            a.tenant_id,
            c.period_starts_on,
            c.period_ends_on,
            &hr,
            |i| thresholds.get(&i).copied(),
        )
        .await
    }

    /// Pre-fills the score of every indicator criterion from its indicator (met when
    /// the value reaches the threshold); an indicator without a value is left to the
    /// auditor. A score already given by hand is kept.
    pub async fn prefill_scores(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<Score>, Error> {
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        self.open_for_review(&a)?;
        let c = self.campaign_of(&tx, &a).await?;
        let criteria = cr::Entity::find()
            .filter(cr::Column::VersionId.eq(c.catalogue_version_id))
            .filter(cr::Column::Measure.eq(Measure::Indicator.as_str()))
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let values = {
            let sys =
                Ctx::system("compliance: pre-filling an audit's indicator scores, counts only");
            let stx = self.db.scoped(&sys).await?;
            let v = self.indicators_in(&stx, &a).await?;
            stx.commit().await?;
            v
        };
        let existing: HashMap<Uuid, Score> = sc::Entity::find()
            .filter(sc::Column::TenantId.eq(a.tenant_id))
            .filter(sc::Column::AuditId.eq(a.id))
            .all(&*tx)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|s| (s.criterion_id, s))
            .collect();
        let mut out = Vec::new();
        for crit in criteria {
            let Some(iv) = values.iter().find(|v| Some(v.indicator) == crit.indicator) else {
                continue;
            };
            let Some(value) = iv.value else { continue };
            let result = match crit.threshold {
                Some(t) if value >= t => ScoreResult::Met,
                Some(_) => ScoreResult::NotMet,
                None => continue,
            };
            if let Some(e) = existing.get(&crit.id)
                && e.override_reason.is_some()
            {
                continue;
            }
            let row = self
                .put_score(&tx, ctx, &a, &crit, result, Some(result), Some(value), None)
                .await?;
            out.push(row);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Scores one criterion. An indicator criterion's pre-filled result may be
    /// overridden only with a written reason. Refused once the audit is final.
    pub async fn score(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        criterion: Uuid,
        result: ScoreResult,
        override_reason: Option<String>,
    ) -> Result<Score, Error> {
        let reason = kernel::input::opt_text("overrideReason", override_reason, 2000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        match a.status {
            AuditStatus::Review | AuditStatus::Contradictory => {}
            AuditStatus::SelfAssessment => {
                return Err(Error::validation(
                    "auditId",
                    "l'auto-évaluation n'est pas encore soumise",
                ));
            }
            AuditStatus::Final => return Err(Error::validation("auditId", CLOSED)),
        }
        let crit = self.criterion_of(&tx, &a, criterion).await?;
        let existing = sc::Entity::find()
            .filter(sc::Column::TenantId.eq(a.tenant_id))
            .filter(sc::Column::AuditId.eq(a.id))
            .filter(sc::Column::CriterionId.eq(criterion))
            .one(&*tx)
            .await
            .map_err(map_err)?;
        let prefilled = existing.as_ref().and_then(|e| e.prefilled_result);
        if let Some(p) = prefilled
            && p != result
            && reason.is_none()
        {
            return Err(Error::validation(
                "overrideReason",
                "le résultat pré-rempli par l'indicateur ne se modifie qu'avec une raison écrite",
            ));
        }
        let value = existing.as_ref().and_then(|e| e.indicator_value);
        let reason = if prefilled.is_some_and(|p| p != result) {
            reason
        } else {
            None
        };
        let row = self
            .put_score(&tx, ctx, &a, &crit, result, prefilled, value, reason)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    #[allow(clippy::too_many_arguments)]
    async fn put_score(
        &self,
        tx: &Scoped,
        ctx: &Ctx,
        a: &Audit,
        crit: &Criterion,
        result: ScoreResult,
        prefilled: Option<ScoreResult>,
        value: Option<f64>,
        reason: Option<String>,
    ) -> Result<Score, Error> {
        let existing = sc::Entity::find()
            .filter(sc::Column::TenantId.eq(a.tenant_id))
            .filter(sc::Column::AuditId.eq(a.id))
            .filter(sc::Column::CriterionId.eq(crit.id))
            .one(&**tx)
            .await
            .map_err(map_err)?;
        match existing {
            Some(e) => {
                let next = db::update_one(
                    tx,
                    sc::Entity::update_many()
                        .col_expr(sc::Column::Result, Expr::value(result.as_str()))
                        .col_expr(
                            sc::Column::PrefilledResult,
                            Expr::value(prefilled.map(|p| p.as_str())),
                        )
                        .col_expr(sc::Column::IndicatorValue, Expr::value(value))
                        .col_expr(sc::Column::OverrideReason, Expr::value(reason.clone()))
                        .col_expr(sc::Column::ScoredBy, Expr::value(author(ctx)))
                        .col_expr(sc::Column::ScoredAt, Expr::current_timestamp())
                        .filter(sc::Column::TenantId.eq(e.tenant_id))
                        .filter(sc::Column::Id.eq(e.id)),
                    map_err,
                )
                .await?;
                record_history(
                    tx,
                    ctx,
                    a.tenant_id,
                    SubjectKind::Score,
                    e.id,
                    "scored",
                    json!({
                        "result": e.result.as_str(),
                        "prefilledResult": e.prefilled_result.map(|p| p.as_str()),
                        "indicatorValue": e.indicator_value,
                        "overrideReason": e.override_reason,
                    }),
                    reason,
                )
                .await?;
                Ok(next)
            }
            None => sc::ActiveModel {
                tenant_id: Set(a.tenant_id),
                id: Set(Uuid::now_v7()),
                audit_id: Set(a.id),
                criterion_id: Set(crit.id),
                result: Set(result),
                prefilled_result: Set(prefilled),
                indicator_value: Set(value),
                override_reason: Set(reason),
                scored_by: Set(author(ctx)),
                ..Default::default()
            }
            .insert(&**tx)
            .await
            .map_err(map_err),
        }
    }

    pub async fn add_finding(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        criterion: Uuid,
        body: &str,
    ) -> Result<Finding, Error> {
        let body = kernel::input::text("body", body, 2, 4000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        self.open_for_review(&a)?;
        self.criterion_of(&tx, &a, criterion).await?;
        let f = fi::ActiveModel {
            tenant_id: Set(a.tenant_id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(a.id),
            criterion_id: Set(criterion),
            body: Set(body),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(f)
    }

    /// An internal note: the union's admin and auditors read it, never the association.
    pub async fn add_note(&self, ctx: &Ctx, audit: Uuid, body: &str) -> Result<Note, Error> {
        let body = kernel::input::text("body", body, 2, 4000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        let n = no::ActiveModel {
            tenant_id: Set(a.tenant_id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(a.id),
            body: Set(body),
            created_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(n)
    }

    async fn current_score(&self, tx: &Scoped, a: &Audit) -> Result<Option<f64>, Error> {
        let scores = sc::Entity::find()
            .filter(sc::Column::TenantId.eq(a.tenant_id))
            .filter(sc::Column::AuditId.eq(a.id))
            .all(&**tx)
            .await
            .map_err(map_err)?;
        let ids: Vec<Uuid> = scores.iter().map(|s| s.criterion_id).collect();
        let weights: HashMap<Uuid, i16> = cr::Entity::find()
            .filter(cr::Column::Id.is_in(ids))
            .all(&**tx)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|c| (c.id, c.weight))
            .collect();
        let pairs: Vec<(i16, ScoreResult)> = scores
            .iter()
            .map(|s| (weights.get(&s.criterion_id).copied().unwrap_or(1), s.result))
            .collect();
        Ok(rules::score(&pairs))
    }

    /// Sends the draft report: the contradictory phase opens for the campaign's number
    /// of days (Paris dates); findings, observations and scores become visible to the
    /// association.
    pub async fn send_draft(&self, ctx: &Ctx, audit: Uuid, summary: &str) -> Result<Audit, Error> {
        let summary = kernel::input::text("summary", summary, 2, 8000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        self.open_for_review(&a)?;
        let c = self.campaign_of(&tx, &a).await?;
        let score = self.current_score(&tx, &a).await?.ok_or_else(|| {
            Error::validation(
                "auditId",
                "aucun critère noté : le rapport provisoire n'a pas de score",
            )
        })?;
        let today = kernel::time::today();
        let due = today
            .checked_add_days(Days::new(u64::try_from(c.contradictory_days).unwrap_or(1)))
            .unwrap_or(today);
        rp::ActiveModel {
            tenant_id: Set(a.tenant_id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(a.id),
            kind: Set(ReportKind::Draft),
            summary: Set(summary),
            score: Set(Some(score)),
            grade: Set(None),
            issued_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        let next = self
            .set_audit(
                &tx,
                ctx,
                &a,
                "draft_sent",
                au::Entity::update_many()
                    .col_expr(
                        au::Column::Status,
                        Expr::value(AuditStatus::Contradictory.as_str()),
                    )
                    .col_expr(au::Column::DraftSentAt, Expr::current_timestamp())
                    .col_expr(au::Column::RepliesDueOn, Expr::value(due))
                    .col_expr(au::Column::Score, Expr::value(score)),
            )
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The final report: the grade, what each answered finding became, and the
    /// corrective actions (required unless the grade is compliant).
    pub async fn finalise(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        summary: &str,
        grade: Grade,
        outcomes: Vec<(Uuid, FindingOutcome, Option<String>)>,
        actions: Vec<NewAction>,
    ) -> Result<Audit, Error> {
        let summary = kernel::input::text("summary", summary, 2, 8000)?;
        let tx = self.db.scoped(ctx).await?;
        let a = self.audit_for_auditor(&tx, ctx, audit).await?;
        match a.status {
            AuditStatus::Contradictory => {}
            AuditStatus::Final => return Err(Error::validation("auditId", CLOSED)),
            _ => {
                return Err(Error::validation(
                    "auditId",
                    "le rapport provisoire n'est pas encore envoyé",
                ));
            }
        }
        if grade != Grade::Compliant && actions.is_empty() {
            return Err(Error::validation(
                "actions",
                "un contrôle non conforme ou avec réserves appelle un plan d'actions correctives",
            ));
        }
        let findings = fi::Entity::find()
            .filter(fi::Column::TenantId.eq(a.tenant_id))
            .filter(fi::Column::AuditId.eq(a.id))
            .all(&*tx)
            .await
            .map_err(map_err)?;
        let replied: Vec<Uuid> = re::Entity::find()
            .filter(re::Column::TenantId.eq(a.tenant_id))
            .filter(re::Column::FindingId.is_in(findings.iter().map(|f| f.id)))
            .all(&*tx)
            .await
            .map_err(map_err)?
            .into_iter()
            .map(|r| r.finding_id)
            .collect();
        for (i, (id, _, note)) in outcomes.iter().enumerate() {
            if !findings.iter().any(|f| f.id == *id) {
                return Err(Error::validation(
                    format!("outcomes[{i}].findingId"),
                    "constat inconnu dans ce contrôle",
                ));
            }
            kernel::input::opt_text(&format!("outcomes[{i}].note"), note.clone(), 2000)?;
        }
        for f in &replied {
            if !outcomes.iter().any(|(id, _, _)| id == f) {
                return Err(Error::validation(
                    "outcomes",
                    "chaque réponse de l'association reçoit une suite : constat maintenu, modifié ou levé",
                ));
            }
        }
        let mut checked = Vec::new();
        for (i, n) in actions.into_iter().enumerate() {
            let title = kernel::input::text(&format!("actions[{i}].title"), &n.title, 2, 300)?;
            self.criterion_of(&tx, &a, n.criterion_id)
                .await
                .map_err(|_| {
                    Error::validation(
                        format!("actions[{i}].criterionId"),
                        "critère inconnu dans la version du contrôle",
                    )
                })?;
            if n.due_on <= kernel::time::today() {
                return Err(Error::validation(
                    format!("actions[{i}].dueOn"),
                    "une échéance à venir",
                ));
            }
            checked.push(NewAction { title, ..n });
        }
        for (id, outcome, note) in outcomes {
            let f = findings
                .iter()
                .find(|f| f.id == id)
                .ok_or(Error::NotFound)?;
            db::update_one(
                &tx,
                fi::Entity::update_many()
                    .col_expr(fi::Column::Outcome, Expr::value(outcome.as_str()))
                    .col_expr(fi::Column::OutcomeNote, Expr::value(note.clone()))
                    .filter(fi::Column::TenantId.eq(a.tenant_id))
                    .filter(fi::Column::Id.eq(id)),
                map_err,
            )
            .await?;
            record_history(
                &tx,
                ctx,
                a.tenant_id,
                SubjectKind::Finding,
                id,
                outcome.as_str(),
                json!({ "outcome": f.outcome.map(|o| o.as_str()), "body": f.body }),
                note,
            )
            .await?;
        }
        for n in checked {
            ac::ActiveModel {
                tenant_id: Set(a.tenant_id),
                id: Set(Uuid::now_v7()),
                audit_id: Set(a.id),
                criterion_id: Set(n.criterion_id),
                title: Set(n.title),
                owner_membership_id: Set(n.owner_membership_id),
                due_on: Set(n.due_on),
                status: Set(ActionStatus::Open),
                created_by: Set(author(ctx)),
                ..Default::default()
            }
            .insert(&*tx)
            .await
            .map_err(map_err)?;
        }
        let score = self.current_score(&tx, &a).await?;
        rp::ActiveModel {
            tenant_id: Set(a.tenant_id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(a.id),
            kind: Set(ReportKind::Final),
            summary: Set(summary),
            score: Set(score),
            grade: Set(Some(grade)),
            issued_by: Set(author(ctx)),
            ..Default::default()
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        let next = self
            .set_audit(
                &tx,
                ctx,
                &a,
                "finalised",
                au::Entity::update_many()
                    .col_expr(au::Column::Status, Expr::value(AuditStatus::Final.as_str()))
                    .col_expr(au::Column::FinalisedAt, Expr::current_timestamp())
                    .col_expr(au::Column::Score, Expr::value(score))
                    .col_expr(au::Column::Grade, Expr::value(grade.as_str())),
            )
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// The auditor accepts a done action, or reopens it with a reason.
    pub async fn review_action(
        &self,
        ctx: &Ctx,
        id: Uuid,
        accept: bool,
        reason: Option<String>,
    ) -> Result<Action, Error> {
        let reason = kernel::input::opt_text("reason", reason, 2000)?;
        let tx = self.db.scoped(ctx).await?;
        let act = ac::Entity::find()
            .filter(ac::Column::Id.eq(id))
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        self.audit_for_auditor(&tx, ctx, act.audit_id).await?;
        if act.status != ActionStatus::Done {
            return Err(Error::validation(
                "actionId",
                "seule une action réalisée s'accepte ou se rouvre",
            ));
        }
        if !accept && reason.is_none() {
            return Err(Error::validation(
                "reason",
                "la réouverture d'une action se motive",
            ));
        }
        let status = if accept {
            ActionStatus::Accepted
        } else {
            ActionStatus::Reopened
        };
        let next = self
            .set_action(&tx, ctx, &act, status, None, reason)
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Overdue actions (flagged, still to do): the union's admin and auditors see the
    /// network's, an association's staff its own.
    pub async fn overdue_actions(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Action>, Error> {
        let mut q = ac::Entity::find()
            .filter(ac::Column::OverdueSince.is_not_null())
            .filter(
                ac::Column::Status
                    .is_in([ActionStatus::Open.as_str(), ActionStatus::Reopened.as_str()]),
            );
        match View::of(ctx)? {
            View::Auditor => {}
            View::Staff => {
                let s = ctx.require_tenant()?;
                q = q.filter(ac::Column::TenantId.eq(s.tenant_id.0));
            }
            View::Analyst | View::Viewer => {
                return Err(Error::Forbidden(
                    "reserved to auditors and the association's staff",
                ));
            }
        }
        let q = keyset(q, ac::Column::Id, &page);
        let rows = self.db.select_all(ctx, q, map_err).await?;
        Ok(Page::from_rows(rows, &page))
    }

    // --- Reading an audit's parts, as the caller may --------------------------------

    pub async fn answers(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<Answer>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        if !matches!(v, View::Auditor | View::Staff) {
            return Ok(Vec::new());
        }
        let q = an::Entity::find()
            .filter(an::Column::TenantId.eq(a.tenant_id))
            .filter(an::Column::AuditId.eq(a.id))
            .order_by_asc(an::Column::Id);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn scores(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<Score>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        let sent = matches!(a.status, AuditStatus::Contradictory | AuditStatus::Final);
        match v {
            // The analyst reads the audit's score and grade, not each criterion's
            // (row-level security lets it read no score row either).
            View::Auditor => {}
            View::Staff if sent => {}
            View::Viewer if a.status == AuditStatus::Final => {}
            _ => return Ok(Vec::new()),
        }
        let q = sc::Entity::find()
            .filter(sc::Column::TenantId.eq(a.tenant_id))
            .filter(sc::Column::AuditId.eq(a.id))
            .order_by_asc(sc::Column::Id);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn findings(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        page: PageRequest,
    ) -> Result<Page<Finding>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        if !sent_to_staff(v, a.status) {
            return Ok(Page::from_rows(Vec::new(), &page));
        }
        let q = fi::Entity::find()
            .filter(fi::Column::TenantId.eq(a.tenant_id))
            .filter(fi::Column::AuditId.eq(a.id));
        let rows = self
            .db
            .select_all(ctx, keyset(q, fi::Column::Id, &page), map_err)
            .await?;
        Ok(Page::from_rows(rows, &page))
    }

    pub async fn replies(&self, ctx: &Ctx, finding: &Finding) -> Result<Vec<Reply>, Error> {
        let q = re::Entity::find()
            .filter(re::Column::TenantId.eq(finding.tenant_id))
            .filter(re::Column::FindingId.eq(finding.id));
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn observations(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<Observation>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        let sent = matches!(a.status, AuditStatus::Contradictory | AuditStatus::Final);
        if !(v == View::Auditor || (v == View::Staff && sent)) {
            return Ok(Vec::new());
        }
        let q = ob::Entity::find()
            .filter(ob::Column::TenantId.eq(a.tenant_id))
            .filter(ob::Column::AuditId.eq(a.id))
            .order_by_asc(ob::Column::Id);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn reports(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<Report>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        let mut q = rp::Entity::find()
            .filter(rp::Column::TenantId.eq(a.tenant_id))
            .filter(rp::Column::AuditId.eq(a.id))
            .order_by_asc(rp::Column::IssuedAt);
        match v {
            View::Auditor | View::Staff => {}
            // The board reads the final report; the analyst no text at all.
            View::Viewer => q = q.filter(rp::Column::Kind.eq(ReportKind::Final.as_str())),
            View::Analyst => return Ok(Vec::new()),
        }
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn notes(&self, ctx: &Ctx, audit: Uuid) -> Result<Vec<Note>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        if v != View::Auditor {
            return Ok(Vec::new());
        }
        let q = no::Entity::find()
            .filter(no::Column::TenantId.eq(a.tenant_id))
            .filter(no::Column::AuditId.eq(a.id))
            .order_by_asc(no::Column::Id);
        self.db.select_all(ctx, q, map_err).await
    }

    pub async fn actions(
        &self,
        ctx: &Ctx,
        audit: Uuid,
        page: PageRequest,
    ) -> Result<Page<Action>, Error> {
        let (v, a) = self.view(ctx, audit).await?;
        if !matches!(v, View::Auditor | View::Staff) {
            return Ok(Page::from_rows(Vec::new(), &page));
        }
        let q = ac::Entity::find()
            .filter(ac::Column::TenantId.eq(a.tenant_id))
            .filter(ac::Column::AuditId.eq(a.id));
        let rows = self
            .db
            .select_all(ctx, keyset(q, ac::Column::Id, &page), map_err)
            .await?;
        Ok(Page::from_rows(rows, &page))
    }
}
