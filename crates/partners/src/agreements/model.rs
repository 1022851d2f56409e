//! Agreements (conventions de partenariat) and what hangs off them. Codes are the
//! strings stored in PostgreSQL (check constraints), so they are part of the
//! database contract; labels are French, for people.

use chrono::{DateTime, FixedOffset, NaiveDate};
use uuid::Uuid;

use kernel::code_enum;

code_enum!(
    /// draft -> active <-> suspended, active or suspended -> ended (final).
    stored AgreementStatus {
        Draft = "draft" / "Projet",
        Active = "active" / "En vigueur",
        Suspended = "suspended" / "Suspendue",
        Ended = "ended" / "Terminée",
    }
);

code_enum!(
    /// What the partner funds.
    stored Service {
        PartnerVisits = "partner_visits" / "Accueil partenaire",
        Outreach = "outreach" / "Médiation sortante",
        Workshops = "workshops" / "Animations collectives",
    }
);

code_enum!(
    stored ReportingFrequency {
        Monthly = "monthly" / "Mensuelle",
        Quarterly = "quarterly" / "Trimestrielle",
        Semiannual = "semiannual" / "Semestrielle",
        Annual = "annual" / "Annuelle",
    }
);

code_enum!(
    /// The deliverables an agreement may set yearly targets for.
    stored Indicator {
        PartnerRequests = "partner_requests" / "Demandes partenaire",
        MediationActs = "mediation_acts" / "Actes de médiation",
        Workshops = "workshops" / "Ateliers",
        WorkshopAttendees = "workshop_attendees" / "Participants aux ateliers",
        OutreachCases = "outreach_cases" / "Dossiers de médiation sortante reçus",
        OutreachContacts = "outreach_contacts" / "Contacts rétablis (médiation sortante)",
    }
);

code_enum!(
    stored PaymentKind {
        Scheduled = "scheduled" / "Échéance prévue",
        Received = "received" / "Versement reçu",
    }
);

code_enum!(
    /// What a row of coded activity counts.
    stored ActivityKind {
        Request = "request" / "Demandes partenaire",
        Workshop = "workshop" / "Ateliers",
    }
);

code_enum!(
    /// What a revision of an agreement's history records.
    stored RevisionAction {
        Amended = "amended" / "Avenant",
        Status = "status" / "Changement de statut",
    }
);

impl AgreementStatus {
    /// Whether the workflow allows going from `self` to `to`.
    pub fn may_become(self, to: AgreementStatus) -> bool {
        use AgreementStatus::*;
        matches!(
            (self, to),
            (Draft, Active)
                | (Active, Suspended)
                | (Suspended, Active)
                | (Active, Ended)
                | (Suspended, Ended)
        )
    }
}

impl Indicator {
    /// The service an indicator measures: a target needs the agreement to cover it.
    pub fn service(self) -> Service {
        match self {
            Indicator::PartnerRequests | Indicator::MediationActs => Service::PartnerVisits,
            Indicator::Workshops | Indicator::WorkshopAttendees => Service::Workshops,
            Indicator::OutreachCases | Indicator::OutreachContacts => Service::Outreach,
        }
    }
}

impl ReportingFrequency {
    /// Length of one reporting period, in months.
    pub fn months(self) -> u32 {
        match self {
            ReportingFrequency::Monthly => 1,
            ReportingFrequency::Quarterly => 3,
            ReportingFrequency::Semiannual => 6,
            ReportingFrequency::Annual => 12,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    pub id: Uuid,
    pub partner_id: Uuid,
    /// None: a national framework between the partner and the union.
    pub tenant_id: Option<Uuid>,
    pub reference: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: AgreementStatus,
    pub services: Vec<Service>,
    pub themes: Vec<String>,
    pub workshop_themes: Vec<String>,
    /// None when the reader may not see it: a national framework's funding is the
    /// union's and the partner's business, not an association's.
    pub funding_cents: Option<i64>,
    pub reporting_frequency: ReportingFrequency,
    pub revision: i32,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl Agreement {
    pub fn is_national(&self) -> bool {
        self.tenant_id.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub indicator: Indicator,
    pub annual_target: i32,
}

/// A site an agreement covers, with its association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoveredSite {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    pub id: Uuid,
    pub kind: PaymentKind,
    pub on_date: NaiveDate,
    pub amount_cents: i64,
    pub label: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// Covered sites, targets and payments of one agreement, as the reader may see them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details {
    pub sites: Vec<CoveredSite>,
    pub targets: Vec<Target>,
    pub payments: Vec<Payment>,
}

/// Money of an agreement, in cents. `outstanding` is agreed minus received: negative
/// when more was received than agreed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Funding {
    pub agreed: i64,
    pub scheduled: i64,
    pub received: i64,
    pub outstanding: i64,
}

impl Funding {
    pub fn of(agreed: i64, payments: &[Payment]) -> Self {
        let sum = |k: PaymentKind| {
            payments
                .iter()
                .filter(|p| p.kind == k)
                .map(|p| p.amount_cents)
                .sum::<i64>()
        };
        let received = sum(PaymentKind::Received);
        Funding {
            agreed,
            scheduled: sum(PaymentKind::Scheduled),
            received,
            outstanding: agreed - received,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub revision: i32,
    /// "amended" or "status".
    pub action: String,
    /// The agreement as it was before (covered sites and targets included).
    pub previous: serde_json::Value,
    pub reason: String,
    pub changed_at: DateTime<FixedOffset>,
}

/// What an amendment may change: everything but the parties and the reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Terms {
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub services: Vec<Service>,
    pub themes: Vec<String>,
    pub workshop_themes: Vec<String>,
    pub site_ids: Vec<Uuid>,
    pub targets: Vec<Target>,
    pub funding_cents: i64,
    pub reporting_frequency: ReportingFrequency,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewAgreement {
    pub partner_id: Uuid,
    /// None: a national framework.
    pub tenant_id: Option<Uuid>,
    pub reference: String,
    pub terms: Terms,
}

/// An amendment: what is `Some` replaces the current value (lists as a whole).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Amendment {
    pub title: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub services: Option<Vec<Service>>,
    pub themes: Option<Vec<String>>,
    pub workshop_themes: Option<Vec<String>>,
    pub site_ids: Option<Vec<Uuid>>,
    pub targets: Option<Vec<Target>>,
    pub funding_cents: Option<i64>,
    pub reporting_frequency: Option<ReportingFrequency>,
}

impl Amendment {
    pub fn is_empty(&self) -> bool {
        *self == Amendment::default()
    }

    /// The terms after the amendment.
    pub fn apply(self, t: Terms) -> Terms {
        Terms {
            title: self.title.unwrap_or(t.title),
            starts_on: self.starts_on.unwrap_or(t.starts_on),
            ends_on: self.ends_on.unwrap_or(t.ends_on),
            services: self.services.unwrap_or(t.services),
            themes: self.themes.unwrap_or(t.themes),
            workshop_themes: self.workshop_themes.unwrap_or(t.workshop_themes),
            site_ids: self.site_ids.unwrap_or(t.site_ids),
            targets: self.targets.unwrap_or(t.targets),
            funding_cents: self.funding_cents.unwrap_or(t.funding_cents),
            reporting_frequency: self.reporting_frequency.unwrap_or(t.reporting_frequency),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewPayment {
    pub kind: PaymentKind,
    pub on_date: NaiveDate,
    pub amount_cents: i64,
    pub label: Option<String>,
}

/// One of a partner's contacts: the row as it is.
pub type Contact = crate::entity::partner_contact::Model;

#[derive(Clone, Debug, PartialEq)]
pub struct NewContact {
    pub full_name: String,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AgreementFilter {
    pub status: Option<AgreementStatus>,
    pub partner_id: Option<Uuid>,
}
