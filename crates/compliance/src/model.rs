//! The domain's codes (stored as text, checked by the database) and the shapes the
//! service takes and returns. Rows are the entities' models.

use chrono::NaiveDate;
use kernel::code_enum;
use uuid::Uuid;

pub use crate::entity::action::Model as Action;
pub use crate::entity::amendment::Model as Amendment;
pub use crate::entity::answer::Model as Answer;
pub use crate::entity::audit::Model as Audit;
pub use crate::entity::campaign::Model as Campaign;
pub use crate::entity::catalogue_version::Model as CatalogueVersion;
pub use crate::entity::contract::Model as Contract;
pub use crate::entity::criterion::Model as Criterion;
pub use crate::entity::document::Model as Document;
pub use crate::entity::finding::Model as Finding;
pub use crate::entity::history::Model as HistoryEntry;
pub use crate::entity::note::Model as Note;
pub use crate::entity::observation::Model as Observation;
pub use crate::entity::principle::Model as Principle;
pub use crate::entity::reply::Model as Reply;
pub use crate::entity::report::Model as Report;
pub use crate::entity::sanction::Model as Sanction;
pub use crate::entity::score::Model as Score;
pub use crate::entity::signatory::Model as Signatory;

code_enum!(
    /// A catalogue version: edited while a draft, frozen once published, retired when
    /// a newer one replaces it.
    stored VersionStatus {
        Draft = "draft" / "Brouillon",
        Published = "published" / "Publiée",
        Retired = "retired" / "Retirée",
    }
);

code_enum!(
    /// How a criterion is assessed.
    stored Measure {
        Indicator = "indicator" / "Indicateur calculé",
        Declaration = "declaration" / "Déclaration de l'association",
        Evidence = "evidence" / "Pièce justificative",
        Observation = "observation" / "Constat sur site",
    }
);

code_enum!(
    /// The built-in indicators, computed from the platform's data for an association
    /// and a period (see `indicators`).
    stored Indicator {
        WeeklyOpeningHours = "weekly_opening_hours" / "Heures d'ouverture hebdomadaires (par site, minimum)",
        SitesOpen = "sites_open" / "Sites ouverts sur la période",
        PeopleReceivedPerSite = "people_received_per_site" / "Personnes reçues par site",
        MediationActsPerSite = "mediation_acts_per_site" / "Actes de médiation par site",
        PartnerShare = "partner_share" / "Part des demandes partenaires (%)",
        WorkshopsHeld = "workshops_held" / "Ateliers collectifs tenus",
        SatisfactionShare = "satisfaction_share" / "Part de personnes satisfaites (%)",
        AgreementsInForce = "agreements_in_force" / "Conventions partenaires en vigueur",
        AgreementDeliverables = "agreement_deliverables" / "Objectifs des conventions locales atteints (%, au prorata de la période)",
        TeamSizePerSite = "team_size_per_site" / "Effectif de l'équipe par site",
        TrainingTimeShare = "training_time_share" / "Temps de formation des médiateurs (% du temps travaillé)",
    }
);

code_enum!(
    stored ContractStatus {
        Draft = "draft" / "Projet",
        InForce = "in_force" / "En vigueur",
        Expired = "expired" / "Échu",
        Terminated = "terminated" / "Résilié",
    }
);

code_enum!(
    /// Which side of the contract a signatory signed for.
    stored Party {
        Association = "association" / "Association",
        Union = "union" / "Union nationale",
    }
);

code_enum!(
    stored CampaignStatus {
        Open = "open" / "En cours",
        Closed = "closed" / "Close",
    }
);

code_enum!(
    /// How an association came into a campaign's scope.
    stored Selection {
        Chosen = "chosen" / "Choisie",
        Sampled = "sampled" / "Tirée au sort",
    }
);

code_enum!(
    stored AuditStatus {
        SelfAssessment = "self_assessment" / "Auto-évaluation",
        Review = "review" / "Revue et visite",
        Contradictory = "contradictory" / "Phase contradictoire",
        Final = "final" / "Rapport définitif",
    }
);

code_enum!(
    stored ScoreResult {
        Met = "met" / "Atteint",
        PartlyMet = "partly_met" / "Partiellement atteint",
        NotMet = "not_met" / "Non atteint",
        NotApplicable = "not_applicable" / "Sans objet",
    }
);

code_enum!(
    stored Grade {
        Compliant = "compliant" / "Conforme",
        CompliantWithReservations = "compliant_with_reservations" / "Conforme avec réserves",
        NonCompliant = "non_compliant" / "Non conforme",
    }
);

code_enum!(
    /// What the final report says of a finding after the association's answer.
    stored FindingOutcome {
        Maintained = "maintained" / "Constat maintenu",
        Amended = "amended" / "Constat modifié",
        Withdrawn = "withdrawn" / "Constat levé",
    }
);

code_enum!(
    stored ReportKind {
        Draft = "draft" / "Rapport provisoire",
        Final = "final" / "Rapport définitif",
    }
);

code_enum!(
    stored ActionStatus {
        Open = "open" / "À faire",
        Done = "done" / "Réalisée",
        Accepted = "accepted" / "Acceptée",
        Reopened = "reopened" / "Rouverte",
    }
);

code_enum!(
    stored SanctionKind {
        Warning = "warning" / "Avertissement",
        Suspension = "suspension" / "Suspension de la marque",
        Termination = "termination" / "Résiliation du contrat",
    }
);

code_enum!(
    /// The record a document is attached to.
    stored OwnerKind {
        Contract = "contract" / "Contrat (annexe)",
        Answer = "answer" / "Réponse à un critère",
        Observation = "observation" / "Constat",
        Reply = "reply" / "Réponse contradictoire",
        Action = "action" / "Action corrective",
    }
);

code_enum!(
    stored Review {
        Pending = "pending" / "À examiner",
        Accepted = "accepted" / "Acceptée",
        Refused = "refused" / "Refusée",
    }
);

code_enum!(
    stored SubjectKind {
        Contract = "contract" / "Contrat",
        Audit = "audit" / "Contrôle",
        Score = "score" / "Notation",
        Document = "document" / "Pièce",
        Finding = "finding" / "Constat",
        Action = "action" / "Action corrective",
        Sanction = "sanction" / "Sanction",
    }
);

/// A criterion as written in a draft version.
#[derive(Clone, Debug)]
pub struct NewCriterion {
    pub principle_id: Uuid,
    pub code: String,
    pub label: String,
    pub guidance: Option<String>,
    pub weight: i16,
    pub measure: Measure,
    pub indicator: Option<Indicator>,
    pub threshold: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct NewContract {
    pub tenant_id: Uuid,
    pub reference: String,
    pub signed_on: NaiveDate,
    pub term_ends_on: NaiveDate,
    pub renewal_on: Option<NaiveDate>,
    pub status: ContractStatus,
    pub catalogue_version_id: Uuid,
    pub signatories: Vec<(Party, String, String)>,
}

/// A campaign's period, version, calendar and scope.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub title: String,
    pub catalogue_version_id: Uuid,
    pub period_starts_on: NaiveDate,
    pub period_ends_on: NaiveDate,
    pub self_assessment_due_on: NaiveDate,
    pub visits_from: NaiveDate,
    pub visits_until: NaiveDate,
    pub contradictory_days: i16,
    pub closes_on: NaiveDate,
    /// Associations chosen by hand.
    pub chosen: Vec<Uuid>,
    /// A share of the network drawn at random (at least one per region).
    pub sample_percent: Option<i16>,
    /// The auditor assigned to every audit (the one opening it when absent).
    pub auditor_id: Option<Uuid>,
    /// The draw's seed: random for each campaign the API opens, fixed in unit tests.
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct NewAction {
    pub criterion_id: Uuid,
    pub title: String,
    pub owner_membership_id: Uuid,
    pub due_on: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct NewSanction {
    pub tenant_id: Uuid,
    pub kind: SanctionKind,
    pub site_id: Option<Uuid>,
    pub reason: String,
    pub decided_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// One indicator's value for an association and a period: `value` is `None` when the
/// data behind it is not available (never 0 in its place).
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorValue {
    pub indicator: Indicator,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub met: Option<bool>,
    /// Per site, where the indicator is per site: (site id, site name, value).
    pub per_site: Vec<(Uuid, String, f64)>,
    /// Why there is no value, in French.
    pub unavailable_reason: Option<&'static str>,
}

/// What the union's compliance dashboard counts.
#[derive(Clone, Debug, Default)]
pub struct ComplianceDashboard {
    /// Latest final grade of each association: (grade, associations).
    pub by_grade: Vec<(Grade, i64)>,
    /// Criteria most often not met in final audits: (code, label, times).
    pub criteria_not_met: Vec<(String, String, i64)>,
    pub overdue_actions: i64,
    pub contracts_to_renew: i64,
    /// Per campaign, oldest first: (title, audits finalised, mean score).
    pub trend: Vec<(String, i64, Option<f64>)>,
}
