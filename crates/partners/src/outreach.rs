//! Outbound mediation (médiation sortante). A partner commissions an association,
//! under an agreement covering outreach, to reach its customers: the association's
//! director or coordinator opens a campaign; the partner hands over cases (a batch or
//! a CSV file), all or nothing; mediators record attempts (phone, door to door,
//! letter, SMS) and an outcome; the partner reads status and outcome of its cases,
//! never their contact data, and report details only with the resident's consent.
//! Once a campaign is closed and its retention has passed, `purge_expired_outreach`
//! erases contact data and free text, keeping the anonymised outcome counts.
//!
//! Who reads what: the association's staff read campaigns and cases, contact data
//! and attempt notes only for those who work cases (not the read-only viewer); the
//! commissioning partner reads its own; the union reads none of it (row-level
//! security agrees: see migration 0004).

mod campaigns;
mod cases;
mod purge;
mod repo;
mod rules;

pub use campaigns::{Dashboard, to_csv};
pub use purge::Purged;
pub use rules::MAX_CASES;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kernel::TenantRole;
use uuid::Uuid;

/// Who works cases: every staff role but the read-only viewer.
pub(crate) const WORKERS: &[TenantRole] = &[
    TenantRole::Director,
    TenantRole::Coordinator,
    TenantRole::Mediator,
];
/// Who opens and closes campaigns.
pub(crate) const LEADS: &[TenantRole] = &[TenantRole::Director, TenantRole::Coordinator];

use kernel::code_enum;

code_enum!(
    /// What the partner wants settled with its customers.
    stored Purpose {
        UnpaidEnergyBills = "unpaid_energy_bills" / "Factures d'énergie impayées",
        UnpaidWaterBills = "unpaid_water_bills" / "Factures d'eau impayées",
        EnergyVouchers = "energy_vouchers" / "Chèque énergie",
        SocialTariff = "social_tariff" / "Tarifs sociaux",
        TransportFines = "transport_fines" / "Amendes de transport",
        MeterAccess = "meter_access" / "Accès au compteur",
        DigitalInclusion = "digital_inclusion" / "Inclusion numérique",
        Other = "other" / "Autre",
    }
);

code_enum!(
    /// The GDPR legal basis on which the partner hands over its customers' data.
    stored LegalBasis {
        LegitimateInterest = "legitimate_interest" / "Intérêt légitime",
        Contract = "contract" / "Exécution d'un contrat",
        LegalObligation = "legal_obligation" / "Obligation légale",
        Consent = "consent" / "Consentement",
        PublicInterest = "public_interest" / "Mission d'intérêt public",
    }
);

code_enum!(
    stored CampaignStatus {
        Open = "open" / "Ouverte",
        Closed = "closed" / "Clôturée",
    }
);

code_enum!(
    stored CaseStatus {
        Pending = "pending" / "À traiter",
        InProgress = "in_progress" / "En cours",
        Closed = "closed" / "Clôturé",
    }
);

code_enum!(
    /// How a case ended.
    stored Outcome {
        ContactRestored = "contact_restored" / "Contact rétabli",
        PaymentPlanAgreed = "payment_plan_agreed" / "Échéancier convenu",
        ReferredToSocialServices = "referred_to_social_services" / "Orientation vers les services sociaux",
        WrongNumber = "wrong_number" / "Coordonnées erronées",
        Refused = "refused" / "Refus de la personne",
        Unreachable = "unreachable" / "Injoignable",
    }
);

code_enum!(
    stored AttemptChannel {
        Phone = "phone" / "Téléphone",
        DoorToDoor = "door_to_door" / "Porte-à-porte",
        Letter = "letter" / "Courrier",
        Sms = "sms" / "SMS",
    }
);

code_enum!(
    stored AttemptResult {
        Reached = "reached" / "Personne jointe",
        NoAnswer = "no_answer" / "Pas de réponse",
        LeftMessage = "left_message" / "Message laissé",
        WrongNumber = "wrong_number" / "Mauvais numéro",
        Refused = "refused" / "Refus",
        LetterSent = "letter_sent" / "Courrier envoyé",
        MovedAway = "moved_away" / "N'habite plus à l'adresse",
    }
);

impl Outcome {
    /// Contact with the partner restored: what the contact rate counts. A refusal
    /// reached the person but restored nothing.
    pub fn is_contact(self) -> bool {
        matches!(
            self,
            Outcome::ContactRestored
                | Outcome::PaymentPlanAgreed
                | Outcome::ReferredToSocialServices
        )
    }

    /// The person was reached (and so could consent to details being reported).
    pub fn reached(self) -> bool {
        self.is_contact() || self == Outcome::Refused
    }
}

impl AttemptResult {
    /// The person was reached: such a case is never closed as unreachable on its own.
    pub fn reached(self) -> bool {
        matches!(self, AttemptResult::Reached | AttemptResult::Refused)
    }
}

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub agreement_id: Uuid,
    pub title: String,
    pub purpose: Purpose,
    pub legal_basis: LegalBasis,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub max_attempts: i32,
    pub retention_days: i32,
}

#[derive(Clone, Debug)]
pub struct Campaign {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub agreement_id: Uuid,
    pub partner_id: Uuid,
    pub title: String,
    pub purpose: Purpose,
    pub legal_basis: LegalBasis,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub max_attempts: i16,
    pub retention_days: i32,
    pub status: CampaignStatus,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub purged_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

/// A case as the partner hands it over: its customer reference and the minimum to
/// reach the person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewCase {
    pub customer_ref: String,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
}

/// How to reach the person: only for those who work cases, and gone after the purge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
}

/// A case as its reader may see it: `contact` is None for the viewer and the partner,
/// `customer_ref` None for the viewer, `report_details` only for those who work
/// cases and, with consent, the partner.
#[derive(Clone, Debug)]
pub struct Case {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub campaign_id: Uuid,
    pub partner_id: Uuid,
    pub customer_ref: Option<String>,
    pub contact: Option<Contact>,
    pub status: CaseStatus,
    pub outcome: Option<Outcome>,
    pub consent_to_report: bool,
    pub report_details: Option<String>,
    pub attempts: i32,
    pub submitted_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub purged_at: Option<DateTime<FixedOffset>>,
}

#[derive(Clone, Debug)]
pub struct NewAttempt {
    pub channel: AttemptChannel,
    pub attempted_at: DateTime<Utc>,
    pub result: AttemptResult,
    pub note: Option<String>,
}

/// One attempt to reach the person. `note` only for those who work cases.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub id: Uuid,
    pub case_id: Uuid,
    pub channel: AttemptChannel,
    pub attempted_at: DateTime<FixedOffset>,
    pub result: AttemptResult,
    pub note: Option<String>,
    pub mediator_id: Uuid,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Clone, Debug)]
pub struct CaseClosure {
    pub outcome: Outcome,
    pub consent_to_report: bool,
    pub report_details: Option<String>,
}

/// What a submission recorded: the campaign and the new cases, in the given order.
#[derive(Clone, Debug)]
pub struct Submitted {
    pub campaign: Campaign,
    pub cases: Vec<Case>,
}
