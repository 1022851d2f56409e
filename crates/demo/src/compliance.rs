//! The demo's franchise compliance: a published standards catalogue (five principles,
//! 22 criteria, every measure kind, the built-in indicators with the network's
//! thresholds), every demo association's contract (one reaching its term within 90
//! days), a closed campaign of last year with graded audits, findings and action
//! plans (one action overdue), and this year's campaign in its contradictory phase
//! (draft reports sent, one finding already answered). Written through the
//! `compliance` entities under the seed's system scope; a database that already has a
//! catalogue is left alone.

use crate::Error;
use chrono::{Datelike, Days, NaiveDate};
use compliance::entity::{
    action, amendment, audit, campaign, catalogue_version, contract, criterion, finding, note,
    observation, principle, reply, report, score, signatory,
};
use compliance::{
    ActionStatus, AuditStatus, CampaignStatus, ContractStatus, FindingOutcome, Indicator, Measure,
    Party, ReportKind, ScoreResult, Selection, VersionStatus,
};
use db::Scoped;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, Set,
};
use std::fmt;
use uuid::Uuid;

/// (code, label, [(code, label, weight, measure, indicator, threshold)]).
type PrincipleSpec = (
    &'static str,
    &'static str,
    &'static [(
        &'static str,
        &'static str,
        i16,
        Measure,
        Option<Indicator>,
        Option<f64>,
    )],
);

const CATALOGUE: &[PrincipleSpec] = &[
    (
        "PROX",
        "Proximité",
        &[
            (
                "PROX.1",
                "Ouverture d'au moins 24 heures par semaine dans chaque point d'accueil",
                3,
                Measure::Indicator,
                Some(Indicator::WeeklyOpeningHours),
                Some(24.0),
            ),
            (
                "PROX.2",
                "Au moins un point d'accueil ouvert sur la période",
                2,
                Measure::Indicator,
                Some(Indicator::SitesOpen),
                Some(1.0),
            ),
            (
                "PROX.3",
                "Implantation en quartier prioritaire ou à son contact",
                2,
                Measure::Declaration,
                None,
                None,
            ),
            (
                "PROX.4",
                "Horaires affichés à l'entrée et en ligne",
                1,
                Measure::Observation,
                None,
                None,
            ),
            (
                "PROX.5",
                "Accueil physique sans rendez-vous",
                2,
                Measure::Observation,
                None,
                None,
            ),
        ],
    ),
    (
        "MED",
        "Médiation",
        &[
            (
                "MED.1",
                "Personnes reçues par site sur la période",
                3,
                Measure::Indicator,
                Some(Indicator::PeopleReceivedPerSite),
                Some(500.0),
            ),
            (
                "MED.2",
                "Actes de médiation par site",
                2,
                Measure::Indicator,
                Some(Indicator::MediationActsPerSite),
                Some(150.0),
            ),
            (
                "MED.3",
                "Ateliers collectifs tenus",
                1,
                Measure::Indicator,
                Some(Indicator::WorkshopsHeld),
                Some(6.0),
            ),
            (
                "MED.4",
                "Part de personnes satisfaites supérieure à 90 %",
                2,
                Measure::Indicator,
                Some(Indicator::SatisfactionShare),
                Some(90.0),
            ),
            (
                "MED.5",
                "Procédure d'orientation vers les services compétents",
                1,
                Measure::Evidence,
                None,
                None,
            ),
        ],
    ),
    (
        "PART",
        "Partenariat",
        &[
            (
                "PART.1",
                "Conventions partenaires en vigueur",
                2,
                Measure::Indicator,
                Some(Indicator::AgreementsInForce),
                Some(2.0),
            ),
            (
                "PART.2",
                "Équilibre des demandes partenaires et généralistes (au moins 30 % partenaires)",
                1,
                Measure::Indicator,
                Some(Indicator::PartnerShare),
                Some(30.0),
            ),
            (
                "PART.3",
                "Comité de pilotage partenarial réuni dans l'année",
                2,
                Measure::Evidence,
                None,
                None,
            ),
            (
                "PART.4",
                "Bilans transmis aux partenaires dans les délais",
                1,
                Measure::Declaration,
                None,
                None,
            ),
        ],
    ),
    (
        "NEUT",
        "Neutralité et déontologie",
        &[
            (
                "NEUT.1",
                "Charte de neutralité signée par chaque salarié",
                2,
                Measure::Evidence,
                None,
                None,
            ),
            (
                "NEUT.2",
                "Gratuité du service pour les habitants",
                2,
                Measure::Declaration,
                None,
                None,
            ),
            (
                "NEUT.3",
                "Confidentialité des échanges (espace d'accueil adapté)",
                2,
                Measure::Observation,
                None,
                None,
            ),
            (
                "NEUT.4",
                "Aucune vente ni promotion commerciale à l'accueil",
                1,
                Measure::Observation,
                None,
                None,
            ),
        ],
    ),
    (
        "PRO",
        "Professionnalisation",
        &[
            (
                "PRO.1",
                "Temps de formation des médiateurs d'au moins 9 % du temps travaillé",
                2,
                Measure::Indicator,
                Some(Indicator::TrainingTimeShare),
                Some(9.0),
            ),
            (
                "PRO.2",
                "Effectif d'au moins deux médiateurs par site",
                1,
                Measure::Indicator,
                Some(Indicator::TeamSizePerSite),
                Some(2.0),
            ),
            (
                "PRO.3",
                "Plan de formation annuel adopté",
                2,
                Measure::Evidence,
                None,
                None,
            ),
            (
                "PRO.4",
                "Entretiens professionnels tenus",
                1,
                Measure::Declaration,
                None,
                None,
            ),
        ],
    ),
];

/// What `seed_compliance` added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ComplianceSummary {
    pub criteria: u64,
    pub contracts: u64,
    pub audits: u64,
    pub actions: u64,
}

impl fmt::Display for ComplianceSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "compliance: a catalogue of {} criteria, {} contracts, {} audits in two campaigns, {} corrective actions",
            self.criteria, self.contracts, self.audits, self.actions
        )
    }
}

#[derive(FromQueryResult)]
struct Association {
    id: Uuid,
    slug: String,
    name: String,
    coordinator: Option<Uuid>,
    site: Option<Uuid>,
}

fn at(d: NaiveDate) -> Result<chrono::DateTime<chrono::FixedOffset>, Error> {
    d.and_hms_opt(10, 0, 0)
        .map(|t| t.and_utc().fixed_offset())
        .ok_or_else(|| Error::Demo(format!("no time on {d}")))
}

fn add(d: NaiveDate, n: u64) -> Result<NaiveDate, Error> {
    d.checked_add_days(Days::new(n))
        .ok_or_else(|| Error::Demo(format!("{d} + {n} days")))
}

fn sub(d: NaiveDate, n: u64) -> Result<NaiveDate, Error> {
    d.checked_sub_days(Days::new(n))
        .ok_or_else(|| Error::Demo(format!("{d} - {n} days")))
}

/// A demo audit's results: each criterion's result by its position in the catalogue
/// (a pattern per association, so grades differ).
fn result(pattern: usize, i: usize) -> ScoreResult {
    match (pattern + i) % 9 {
        0 if pattern > 0 => ScoreResult::NotMet,
        4 if pattern > 1 => ScoreResult::PartlyMet,
        7 if pattern > 2 => ScoreResult::NotMet,
        _ => ScoreResult::Met,
    }
}

pub(crate) async fn seed_compliance(
    tx: &Scoped,
    today: NaiveDate,
) -> Result<ComplianceSummary, Error> {
    if catalogue_version::Entity::find().count(&**tx).await? > 0 {
        return Ok(ComplianceSummary::default());
    }
    let mut summary = ComplianceSummary::default();
    let published = at(sub(today, 500)?)?;
    let version = catalogue_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        version: Set(1),
        title: Set("Référentiel de la franchise sociale PIMMS (2024)".into()),
        status: Set(VersionStatus::Draft),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    let mut criteria: Vec<compliance::Criterion> = Vec::new();
    for (pi, (code, label, items)) in CATALOGUE.iter().enumerate() {
        let p = principle::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(version.id),
            position: Set(pi as i16),
            code: Set((*code).into()),
            label: Set((*label).into()),
            description: Set(None),
        }
        .insert(&**tx)
        .await?;
        for (ci, (code, label, weight, measure, indicator, threshold)) in items.iter().enumerate() {
            criteria.push(
                criterion::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    version_id: Set(version.id),
                    principle_id: Set(p.id),
                    position: Set(ci as i16),
                    code: Set((*code).into()),
                    label: Set((*label).into()),
                    guidance: Set(Some(format!(
                        "Voir le guide de l'auditeur, critère {code}."
                    ))),
                    weight: Set(*weight),
                    measure: Set(*measure),
                    indicator: Set(*indicator),
                    threshold: Set(*threshold),
                }
                .insert(&**tx)
                .await?,
            );
        }
    }
    summary.criteria = criteria.len() as u64;
    catalogue_version::Entity::update_many()
        .col_expr(
            catalogue_version::Column::Status,
            sea_orm::sea_query::Expr::value(VersionStatus::Published.as_str()),
        )
        .col_expr(
            catalogue_version::Column::PublishedAt,
            sea_orm::sea_query::Expr::value(published),
        )
        .filter(catalogue_version::Column::Id.eq(version.id))
        .exec(&**tx)
        .await?;

    let associations = Association::find_by_statement(db::stmt(
        "select t.id, t.slug, t.name, \
           (select m.id from memberships m where m.tenant_id = t.id and m.role = 'coordinator' order by m.id limit 1) as coordinator, \
           (select s.id from sites s where s.tenant_id = t.id and s.kind = 'site' order by s.opened_on, s.id limit 1) as site \
         from tenants t order by t.slug",
        vec![],
    ))
    .all(&**tx)
    .await?;

    // Contracts: every association bound since 2006 (or its joining), renewed for
    // five years; the first one reaches its term within 90 days.
    for (i, a) in associations.iter().enumerate() {
        let term = if i == 0 {
            add(today, 45)?
        } else {
            add(today, 400 + 90 * i as u64)?
        };
        let c = contract::ActiveModel {
            tenant_id: Set(a.id),
            id: Set(Uuid::now_v7()),
            reference: Set(format!("CFS-{}", a.slug.to_uppercase())),
            signed_on: Set(NaiveDate::from_ymd_opt(2006 + (i as i32 % 4) * 3, 5, 12)
                .ok_or_else(|| Error::Demo("date".into()))?),
            term_ends_on: Set(term),
            renewal_on: Set(sub(term, 30)?),
            status: Set(ContractStatus::InForce),
            catalogue_version_id: Set(version.id),
            ..Default::default()
        }
        .insert(&**tx)
        .await?;
        for (party, name, role) in [
            (
                Party::Association,
                format!("Présidence de {}", a.name),
                "Président·e",
            ),
            (
                Party::Union,
                "Présidence de l'Union nationale des PIMMS".to_owned(),
                "Président·e de l'union",
            ),
        ] {
            signatory::ActiveModel {
                tenant_id: Set(a.id),
                id: Set(Uuid::now_v7()),
                contract_id: Set(c.id),
                party: Set(party),
                full_name: Set(name),
                role_title: Set(role.into()),
            }
            .insert(&**tx)
            .await?;
        }
        amendment::ActiveModel {
            tenant_id: Set(a.id),
            id: Set(Uuid::now_v7()),
            contract_id: Set(c.id),
            signed_on: Set(
                NaiveDate::from_ymd_opt(2021, 1, 15).ok_or_else(|| Error::Demo("date".into()))?
            ),
            summary: Set(
                "Avenant : adoption du référentiel révisé et de la charte numérique".into(),
            ),
            ..Default::default()
        }
        .insert(&**tx)
        .await?;
        summary.contracts += 1;
    }

    // Last year's campaign, closed; this year's, in its contradictory phase.
    let last_year = today.year() - 1;
    let ymd = |y: i32, m: u32, d: u32| {
        NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| Error::Demo("date".into()))
    };
    let closed = campaign::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(format!("Campagne de contrôle {last_year}")),
        catalogue_version_id: Set(version.id),
        period_starts_on: Set(ymd(last_year - 1, 1, 1)?),
        period_ends_on: Set(ymd(last_year - 1, 12, 31)?),
        self_assessment_due_on: Set(ymd(last_year, 3, 31)?),
        visits_from: Set(ymd(last_year, 4, 1)?),
        visits_until: Set(ymd(last_year, 6, 30)?),
        contradictory_days: Set(30),
        closes_on: Set(ymd(last_year, 10, 31)?),
        sample_percent: Set(Some(60)),
        status: Set(CampaignStatus::Closed),
        closed_at: Set(Some(at(ymd(last_year, 10, 31)?)?)),
        created_at: Set(at(ymd(last_year, 1, 10)?)?),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    let current = campaign::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(format!("Campagne de contrôle {}", today.year())),
        catalogue_version_id: Set(version.id),
        period_starts_on: Set(sub(today, 365)?),
        period_ends_on: Set(sub(today, 1)?),
        self_assessment_due_on: Set(sub(today, 40)?),
        visits_from: Set(sub(today, 35)?),
        visits_until: Set(sub(today, 12)?),
        contradictory_days: Set(30),
        closes_on: Set(add(today, 60)?),
        sample_percent: Set(None),
        status: Set(CampaignStatus::Open),
        created_at: Set(at(sub(today, 90)?)?),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;

    for (i, a) in associations.iter().enumerate() {
        // Last year: the first three; this year: the others (never twice running).
        let (camp, final_) = if i < 3 {
            (&closed, true)
        } else {
            (&current, false)
        };
        let Some(owner) = a.coordinator else { continue };
        let scores: Vec<(i16, ScoreResult)> = criteria
            .iter()
            .enumerate()
            .map(|(ci, c)| (c.weight, result(i % 4, ci)))
            .collect();
        let pct = compliance::score(&scores);
        let grade = pct.map(compliance::grade_for);
        let sent = if final_ {
            at(ymd(last_year, 7, 10)?)?
        } else {
            at(sub(today, 8)?)?
        };
        let au = audit::ActiveModel {
            tenant_id: Set(a.id),
            id: Set(Uuid::now_v7()),
            campaign_id: Set(camp.id),
            auditor_id: Set(None),
            selection: Set(if i == 0 {
                Selection::Chosen
            } else {
                Selection::Sampled
            }),
            status: Set(if final_ {
                AuditStatus::Final
            } else {
                AuditStatus::Contradictory
            }),
            submitted_at: Set(Some(if final_ {
                at(ymd(last_year, 3, 28)?)?
            } else {
                at(sub(today, 41)?)?
            })),
            draft_sent_at: Set(Some(sent)),
            replies_due_on: Set(Some(if final_ {
                ymd(last_year, 8, 9)?
            } else {
                add(today, 22)?
            })),
            finalised_at: Set(if final_ {
                Some(at(ymd(last_year, 9, 15)?)?)
            } else {
                None
            }),
            score: Set(pct),
            grade: Set(if final_ { grade } else { None }),
            ..Default::default()
        }
        .insert(&**tx)
        .await?;
        summary.audits += 1;
        for (c, (_, r)) in criteria.iter().zip(&scores) {
            score::ActiveModel {
                tenant_id: Set(a.id),
                id: Set(Uuid::now_v7()),
                audit_id: Set(au.id),
                criterion_id: Set(c.id),
                result: Set(*r),
                prefilled_result: Set((c.measure == Measure::Indicator
                    && c.indicator != Some(Indicator::TrainingTimeShare)
                    && c.indicator != Some(Indicator::TeamSizePerSite))
                .then_some(*r)),
                indicator_value: Set(None),
                override_reason: Set(None),
                scored_by: Set(None),
                scored_at: Set(sent),
            }
            .insert(&**tx)
            .await?;
        }
        note::ActiveModel {
            tenant_id: Set(a.id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(au.id),
            body: Set(
                "Note interne : équipe motivée, direction à soutenir sur le partenariat.".into(),
            ),
            ..Default::default()
        }
        .insert(&**tx)
        .await?;
        let missed: Vec<&compliance::Criterion> = criteria
            .iter()
            .zip(&scores)
            .filter(|(_, (_, r))| *r != ScoreResult::Met)
            .map(|(c, _)| c)
            .collect();
        for (k, c) in missed.iter().enumerate() {
            if c.measure == Measure::Observation {
                observation::ActiveModel {
                    tenant_id: Set(a.id),
                    id: Set(Uuid::now_v7()),
                    audit_id: Set(au.id),
                    criterion_id: Set(c.id),
                    site_id: Set(a.site),
                    observed_on: Set(sub(sent.date_naive(), 20)?),
                    body: Set(format!(
                        "Constaté lors de la visite : « {} » n'est pas respecté.",
                        c.label
                    )),
                    ..Default::default()
                }
                .insert(&**tx)
                .await?;
            }
            let f = finding::ActiveModel {
                tenant_id: Set(a.id),
                id: Set(Uuid::now_v7()),
                audit_id: Set(au.id),
                criterion_id: Set(c.id),
                body: Set(format!("Critère {} : {}. Écart relevé.", c.code, c.label)),
                outcome: Set(final_.then_some(if k == 0 {
                    FindingOutcome::Amended
                } else {
                    FindingOutcome::Maintained
                })),
                outcome_note: Set((final_ && k == 0).then(|| {
                    "Réponse de l'association prise en compte : écart requalifié.".to_owned()
                })),
                ..Default::default()
            }
            .insert(&**tx)
            .await?;
            if k == 0 {
                reply::ActiveModel {
                    tenant_id: Set(a.id),
                    id: Set(Uuid::now_v7()),
                    finding_id: Set(f.id),
                    body: Set("Nous avons engagé la correction ; justificatif à venir.".into()),
                    created_at: Set(add(sent.date_naive(), 5).map(at)??),
                    ..Default::default()
                }
                .insert(&**tx)
                .await?;
            }
        }
        report::ActiveModel {
            tenant_id: Set(a.id),
            id: Set(Uuid::now_v7()),
            audit_id: Set(au.id),
            kind: Set(ReportKind::Draft),
            summary: Set(format!(
                "Rapport provisoire de {} : {} écart(s).",
                a.name,
                missed.len()
            )),
            score: Set(pct),
            grade: Set(None),
            issued_by: Set(None),
            issued_at: Set(sent),
        }
        .insert(&**tx)
        .await?;
        if final_ {
            report::ActiveModel {
                tenant_id: Set(a.id),
                id: Set(Uuid::now_v7()),
                audit_id: Set(au.id),
                kind: Set(ReportKind::Final),
                summary: Set(format!("Rapport définitif de {}.", a.name)),
                score: Set(pct),
                grade: Set(grade),
                issued_by: Set(None),
                issued_at: Set(at(ymd(last_year, 9, 15)?)?),
            }
            .insert(&**tx)
            .await?;
            // The plan: one action per gap, at most three; one overdue.
            for (k, c) in missed.iter().take(3).enumerate() {
                let (status, due, overdue) = match k {
                    0 => (ActionStatus::Accepted, ymd(last_year, 12, 15)?, None),
                    1 => (ActionStatus::Open, sub(today, 10)?, Some(sub(today, 9)?)),
                    _ => (ActionStatus::Open, add(today, 45)?, None),
                };
                action::ActiveModel {
                    tenant_id: Set(a.id),
                    id: Set(Uuid::now_v7()),
                    audit_id: Set(au.id),
                    criterion_id: Set(c.id),
                    title: Set(format!("Mettre en conformité : {}", c.label)),
                    owner_membership_id: Set(owner),
                    due_on: Set(due),
                    status: Set(status),
                    completion_note: Set((status == ActionStatus::Accepted)
                        .then(|| "Fait et vérifié lors du suivi.".to_owned())),
                    overdue_since: Set(overdue),
                    ..Default::default()
                }
                .insert(&**tx)
                .await?;
                summary.actions += 1;
            }
        }
    }
    Ok(summary)
}
