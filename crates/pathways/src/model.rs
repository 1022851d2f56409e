//! The domain's codes (stored as text, with their French labels), its rows (the
//! entities' models) and the inputs its service takes.

use chrono::NaiveDate;
use kernel::code_enum;
use uuid::Uuid;

code_enum!(
    /// For the network's statistics (the share of women among mediators).
    stored Sex {
        Female = "female" / "Femme",
        Male = "male" / "Homme",
    }
);

code_enum!(
    /// The kinds of contract a PIMMS hires on, subsidised ones first.
    stored ContractKind {
        AdulteRelais = "adulte_relais" / "Adulte-relais",
        Pec = "pec" / "Parcours emploi compétences (CUI-CAE)",
        Apprenticeship = "apprenticeship" / "Contrat d'apprentissage",
        Professionalisation = "professionalisation" / "Contrat de professionnalisation",
        Cdd = "cdd" / "CDD",
        Cdi = "cdi" / "CDI",
        Other = "other" / "Autre contrat",
    }
);

code_enum!(
    stored Programme {
        AdulteRelais = "adulte_relais" / "Poste adulte-relais",
        Pec = "pec" / "Parcours emploi compétences",
        ApprenticeshipAid = "apprenticeship_aid" / "Aide à l'apprentissage",
        ProfessionalisationAid = "professionalisation_aid" / "Aide au contrat de professionnalisation",
        Other = "other" / "Autre dispositif",
    }
);

code_enum!(
    stored Funder {
        State = "state" / "État",
        Departement = "departement" / "Département",
        Region = "region" / "Région",
        FranceTravail = "france_travail" / "France Travail",
        Municipality = "municipality" / "Commune ou intercommunalité",
        Other = "other" / "Autre financeur",
    }
);

code_enum!(
    /// Prescribers and referents of a pathway: organisations, never people.
    stored OrganisationKind {
        FranceTravail = "france_travail" / "France Travail",
        MissionLocale = "mission_locale" / "Mission locale",
        CapEmploi = "cap_emploi" / "Cap emploi",
        Plie = "plie" / "PLIE",
        Departement = "departement" / "Conseil départemental",
        Other = "other" / "Autre organisme",
    }
);

code_enum!(
    /// A training session, or time spent on the professional project.
    stored EntryKind {
        Training = "training" / "Formation",
        Immersion = "immersion" / "Immersion en entreprise",
        JobSearchWorkshop = "job_search_workshop" / "Atelier de recherche d'emploi",
        Interview = "interview" / "Entretien (projet professionnel)",
        OtherProject = "other_project" / "Autre temps de projet professionnel",
    }
);

code_enum!(
    stored ExitReason {
        EndOfContract = "end_of_contract" / "Fin de contrat",
        ResignationForJob = "resignation_for_job" / "Démission pour un emploi",
        Dismissal = "dismissal" / "Licenciement",
        Other = "other" / "Autre motif",
    }
);

code_enum!(
    /// Where an employee went, in the categories the network reports.
    stored ExitOutcome {
        LastingJob = "lasting_job" / "Emploi durable (CDI, CDD ou intérim de 6 mois et plus)",
        OtherJob = "other_job" / "Autre emploi",
        QualifyingTraining = "qualifying_training" / "Formation qualifiante",
        BusinessCreation = "business_creation" / "Création d'entreprise",
        JobSearch = "job_search" / "Recherche d'emploi",
        Inactive = "inactive" / "Inactivité",
        Unknown = "unknown" / "Situation inconnue",
    }
);

impl ExitOutcome {
    /// The network's "positive exit": a job, a qualifying training or a business.
    pub fn is_positive(self) -> bool {
        matches!(
            self,
            ExitOutcome::LastingJob
                | ExitOutcome::OtherJob
                | ExitOutcome::QualifyingTraining
                | ExitOutcome::BusinessCreation
        )
    }
}

code_enum!(
    stored EmployerSector {
        PublicServiceFirm = "public_service_firm" / "Entreprise de service public",
        PublicSector = "public_sector" / "Fonction publique",
        Private = "private" / "Entreprise privée",
        SocialEconomy = "social_economy" / "Économie sociale et solidaire",
        Other = "other" / "Autre secteur",
    }
);

pub use crate::entity::absence::Model as Absence;
pub use crate::entity::employee::Model as Employee;
pub use crate::entity::employee_exit::Model as EmployeeExit;
pub use crate::entity::employment_contract::Model as Contract;
pub use crate::entity::hr_organisation::Model as Organisation;
pub use crate::entity::qualification::Model as Qualification;
pub use crate::entity::subsidy::Model as Subsidy;
pub use crate::entity::training_entry::Model as TrainingEntry;

impl Contract {
    /// The last day worked under it: its early end, else its planned end (None:
    /// open-ended).
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.ended_on.or(self.planned_end_on)
    }
}

/// The association's HR settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub coordinators_manage_hr: bool,
}

#[derive(Clone, Debug)]
pub struct NewContract {
    pub kind: ContractKind,
    pub starts_on: NaiveDate,
    pub planned_end_on: Option<NaiveDate>,
    pub weekly_hours: f64,
    pub job_title: String,
    pub site_ids: Vec<Uuid>,
}

#[derive(Clone, Debug)]
pub struct NewSubsidy {
    pub programme: Programme,
    pub funder: Funder,
    pub agreement_reference: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub amount_cents: Option<i64>,
    pub rate_percent: Option<f64>,
    pub renewal_deadline: Option<NaiveDate>,
}

#[derive(Clone, Debug)]
pub struct Hire {
    pub full_name: String,
    /// The person's membership in the association, when they have an account.
    pub membership_id: Option<Uuid>,
    pub birth_year: i32,
    pub sex: Sex,
    pub prescriber_id: Option<Uuid>,
    pub referent_id: Option<Uuid>,
    pub contract: NewContract,
    pub subsidy: Option<NewSubsidy>,
}

/// A renewal: the next contract of the pathway, from the day after the renewed one.
#[derive(Clone, Debug)]
pub struct Renewal {
    pub contract_id: Uuid,
    pub kind: Option<ContractKind>,
    pub planned_end_on: Option<NaiveDate>,
    pub weekly_hours: Option<f64>,
    pub job_title: Option<String>,
    /// None: the same sites.
    pub site_ids: Option<Vec<Uuid>>,
    pub subsidy: Option<NewSubsidy>,
}

#[derive(Clone, Debug)]
pub struct NewEntry {
    pub employee_id: Uuid,
    pub kind: EntryKind,
    pub title: String,
    pub provider: Option<String>,
    pub certification: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub hours: f64,
    pub counts_toward_quota: bool,
}

#[derive(Clone, Debug)]
pub struct NewExit {
    pub employee_id: Uuid,
    pub exit_on: NaiveDate,
    pub reason: ExitReason,
    pub outcome: ExitOutcome,
    pub employer_sector: Option<EmployerSector>,
    pub employer_partner_id: Option<Uuid>,
}

/// Something worth knowing that did not stop the write (French message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// A contract or subsidy ending, or a subsidy to renew, soon.
#[derive(Clone, Debug, PartialEq)]
pub struct Deadline {
    pub on: NaiveDate,
    pub kind: DeadlineKind,
    pub employee_id: Uuid,
    pub contract_id: Uuid,
    pub subsidy_id: Option<Uuid>,
}

code_enum!(
    DeadlineKind {
        ContractEnd = "contract_end" / "Fin de contrat",
        SubsidyEnd = "subsidy_end" / "Fin d'aide",
        SubsidyRenewal = "subsidy_renewal" / "Date limite de renouvellement de l'aide",
    }
);
