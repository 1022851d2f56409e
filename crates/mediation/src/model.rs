use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

use kernel::code_enum;

code_enum!(
    /// How the person was reached.
    stored Channel {
        OnSite = "on_site" / "Accueil sur site",
        Phone = "phone" / "Téléphone",
        Home = "home" / "À domicile",
        Remote = "remote" / "À distance (visio, messagerie)",
    }
);

code_enum!(
    stored RequestKind {
        Partner = "partner" / "Accueil partenaire",
        General = "general" / "Accueil généraliste",
    }
);

code_enum!(
    stored Outcome {
        Informed = "informed" / "Information donnée",
        Oriented = "oriented" / "Orientation",
        Accompanied = "accompanied" / "Accompagnement",
        Mediated = "mediated" / "Médiation avec l'organisme",
        Resolved = "resolved" / "Résolu",
    }
);

code_enum!(
    stored AgeBand {
        Under18 = "under_18" / "Moins de 18 ans",
        From18To25 = "18_25" / "18-25 ans",
        From26To40 = "26_40" / "26-40 ans",
        From41To60 = "41_60" / "41-60 ans",
        From61To75 = "61_75" / "61-75 ans",
        Over75 = "over_75" / "Plus de 75 ans",
    }
);

code_enum!(
    stored Sex {
        Female = "female" / "Femme",
        Male = "male" / "Homme",
        Other = "other" / "Autre",
    }
);

code_enum!(
    stored ConsentChannel {
        Written = "written" / "Écrit",
        Oral = "oral" / "Oral",
        Electronic = "electronic" / "Électronique",
    }
);

code_enum!(
    /// Whether a visit counts: a voided one is kept, out of every total.
    stored VisitStatus {
        Recorded = "recorded" / "Enregistré",
        Voided = "voided" / "Annulé",
    }
);

code_enum!(
    /// Whether a workshop counts: a voided one is kept, out of every total.
    stored WorkshopStatus {
        Held = "held" / "Réalisé",
        Voided = "voided" / "Annulé",
    }
);

code_enum!(
    /// What a correction did to a visit (its history keeps the state before).
    stored RevisionAction {
        Amended = "amended" / "Modification",
        Voided = "voided" / "Annulation",
    }
);

// Channel and kind are part of the rollups' composite keys, and sea-orm asks every
// key column for a conversion from an auto-increment id: a code never is one.
impl sea_orm::TryFromU64 for Channel {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("Channel"))
    }
}

impl sea_orm::TryFromU64 for RequestKind {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("RequestKind"))
    }
}

impl Outcome {
    /// The network counts a mediation act when the mediator acted with the organisation.
    pub fn is_mediation_act(self) -> bool {
        matches!(self, Outcome::Mediated | Outcome::Resolved)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewRequest {
    pub theme: String,
    pub kind: RequestKind,
    pub partner_id: Option<Uuid>,
    pub outcome: Outcome,
    /// Defaults to what the outcome implies.
    pub mediation_act: Option<bool>,
    pub referred_to: Option<String>,
    /// The partner agreement this request is coded to (partner requests only).
    pub agreement_id: Option<Uuid>,
    /// Amendments only: no agreement was given (as opposed to an explicit none), so
    /// the coding of the request at this position is kept while it still fits.
    pub keep_coding: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VisitInput {
    pub site_id: Uuid,
    /// The mediator's membership; defaults to the caller's.
    pub mediator_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub channel: Channel,
    pub duration_minutes: i32,
    pub language: Option<String>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub beneficiary_id: Option<Uuid>,
    pub requests: Vec<NewRequest>,
}

#[derive(Clone, Debug)]
pub struct Visit {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub mediator_id: Uuid,
    pub occurred_at: DateTime<FixedOffset>,
    pub channel: Channel,
    pub duration_minutes: i32,
    pub language: Option<String>,
    pub age_band: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub neighbourhood: Option<String>,
    pub beneficiary_id: Option<Uuid>,
    pub voided: bool,
    pub revision: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    /// Recorded on a day its site declared closed (as found at recording time).
    pub during_closure: bool,
    /// Recorded on site outside its site's opening hours (as found at recording time).
    pub outside_hours: bool,
}

/// Something worth a second look in what was just recorded: the write went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningCode {
    /// The visit falls in one of its site's declared closures.
    VisitDuringClosure,
    /// An on-site visit outside its site's opening hours.
    VisitOutsideOpeningHours,
    /// An amendment removed a request's agreement coding that no longer fits.
    AgreementCodingRemoved,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub code: WarningCode,
    /// In French, for the front desk.
    pub message: String,
    /// The input concerned, when there is one (e.g. `requests[1].agreementId`).
    pub field: Option<String>,
}

impl Visit {
    /// The warnings its recorded state carries (closure, opening hours).
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        if self.during_closure {
            out.push(Warning {
                code: WarningCode::VisitDuringClosure,
                message: "Passage enregistré pendant une fermeture déclarée du site.".into(),
                field: Some("occurredAt".into()),
            });
        }
        if self.outside_hours {
            out.push(Warning {
                code: WarningCode::VisitOutsideOpeningHours,
                message: "Passage sur site enregistré en dehors des horaires d'ouverture du site."
                    .into(),
                field: Some("occurredAt".into()),
            });
        }
        out
    }
}

/// A request is its row of `visit_requests`.
pub use crate::entity::visit_request::Model as Request;

/// Codes (or, with no agreement, uncodes) the request at `position` of a visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestCoding {
    pub position: i16,
    pub agreement_id: Option<Uuid>,
}

#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct Revision {
    pub revision: i32,
    pub action: String,
    /// As stored: raw ids and codes (see `repo::snapshot`); the gateway presents it
    /// in the schema's terms.
    pub previous: serde_json::Value,
    pub reason: Option<String>,
    pub changed_by: Option<Uuid>,
    /// The author's membership in the association, when they still have one.
    pub changed_by_membership: Option<Uuid>,
    pub changed_at: DateTime<FixedOffset>,
}

/// A note is its row of `visit_notes`.
pub use crate::entity::visit_note::Model as Note;

#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct Theme {
    pub code: String,
    pub label_fr: String,
}

#[derive(Clone, Debug)]
pub struct NewConsent {
    pub purpose: String,
    /// The partner organisation the person agrees their data goes to; none: the
    /// association only.
    pub recipient_partner_id: Option<Uuid>,
    pub given_on: NaiveDate,
    pub channel: ConsentChannel,
    pub expires_on: NaiveDate,
}

/// A consent is its row of `consents`.
pub use crate::entity::consent::Model as Consent;

impl Consent {
    pub fn active_on(&self, day: NaiveDate) -> bool {
        self.given_on <= day && day < self.expires_on && self.withdrawn_on.is_none_or(|w| w > day)
    }
}

/// A beneficiary is their row of `beneficiaries`: a pseudonym, never a name.
pub use crate::entity::beneficiary::Model as Beneficiary;

#[derive(Clone, Debug)]
pub struct WorkshopInput {
    pub site_id: Uuid,
    pub theme: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub facilitator_id: Option<Uuid>,
    pub funding_partner_id: Option<Uuid>,
    pub attendees: i32,
    pub named_attendees: Vec<Uuid>,
    /// The partner agreement the workshop is coded to; its partner becomes the
    /// funding partner when none is given.
    pub agreement_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct Workshop {
    pub id: Uuid,
    pub site_id: Uuid,
    pub theme: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub facilitator_id: Uuid,
    pub funding_partner_id: Option<Uuid>,
    pub attendees: i32,
    pub agreement_id: Option<Uuid>,
    pub voided: bool,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct SurveyCampaign {
    pub id: Uuid,
    pub site_id: Uuid,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub answers: i64,
    pub satisfied: i64,
}

impl SurveyCampaign {
    /// Share of answers "satisfied" or "very satisfied", when there is any answer.
    pub fn share_satisfied(&self) -> Option<f64> {
        (self.answers > 0).then(|| self.satisfied as f64 / self.answers as f64)
    }
}
