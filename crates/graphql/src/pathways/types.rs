//! The objects and enums of HR pathways.

use crate::loaders::{load, load_of};
use crate::node::{RowObject, encode_id};
use crate::privacy::log_reads;
use crate::sites::types::Site;
use crate::tenancy::types::{PartnerOrganisation, Tenant, User};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;

mirror_enum!(EmployeeSex => "::pathways::Sex" { Female, Male });
mirror_enum!(
    /// Adulte-relais, parcours emploi compétences (CUI-CAE), apprenticeship,
    /// professionalisation, CDD, CDI, other.
    ContractKind => "::pathways::ContractKind" {
        AdulteRelais, Pec, Apprenticeship, Professionalisation, Cdd, Cdi, Other,
    }
);
mirror_enum!(SubsidyProgramme => "::pathways::Programme" {
    AdulteRelais, Pec, ApprenticeshipAid, ProfessionalisationAid, Other,
});
mirror_enum!(SubsidyFunder => "::pathways::Funder" {
    State, Departement, Region, FranceTravail, Municipality, Other,
});
mirror_enum!(
    /// Prescribers and referents are organisations, never people.
    HrOrganisationKind => "::pathways::OrganisationKind" {
        FranceTravail, MissionLocale, CapEmploi, Plie, Departement, Other,
    }
);
mirror_enum!(
    /// A training session, or professional-project time.
    TrainingEntryKind => "::pathways::EntryKind" {
        Training, Immersion, JobSearchWorkshop, Interview, OtherProject,
    }
);
mirror_enum!(ExitReason => "::pathways::ExitReason" {
    EndOfContract, ResignationForJob, Dismissal, Other,
});
mirror_enum!(
    /// The network's categories. Positive: LASTING_JOB, OTHER_JOB,
    /// QUALIFYING_TRAINING, BUSINESS_CREATION.
    ExitOutcome => "::pathways::ExitOutcome" {
        /// CDI, CDD or temporary work of six months or more.
        LastingJob, OtherJob, QualifyingTraining, BusinessCreation, JobSearch, Inactive, Unknown,
    }
);
mirror_enum!(EmployerSector => "::pathways::EmployerSector" {
    PublicServiceFirm, PublicSector, Private, SocialEconomy, Other,
});
mirror_enum!(HrDeadlineKind => "::pathways::DeadlineKind" {
    ContractEnd, SubsidyEnd, SubsidyRenewal,
});

/// Something worth knowing that did not stop the write.
#[derive(SimpleObject)]
pub struct PathwayWarning {
    /// PATHWAY_TOO_SHORT or PATHWAY_TOO_LONG.
    pub code: String,
    /// In French.
    pub message: String,
    pub field: Option<String>,
}

pub(crate) fn warnings(ws: Vec<pathways::Warning>) -> Vec<PathwayWarning> {
    ws.into_iter()
        .map(|w| PathwayWarning {
            code: w.code.to_owned(),
            message: w.message,
            field: w.field,
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct HrSettings {
    /// Whether the association's coordinators manage HR records as the director does.
    pub coordinators_manage_hr: bool,
}

row_objects! {
    /// An employee of the association. Read by its HR managers (the director, and
    /// coordinators when allowed) and by the employee themselves.
    pub struct Employee(pub ::pathways::Employee);
    /// A contract of an employee's pathway.
    pub struct EmploymentContract(pub ::pathways::Contract);
    /// A prescriber or referent of pathways (France Travail, mission locale...).
    pub struct HrOrganisation(pub ::pathways::Organisation);
}

/// The sequence of an employee's contracts with the association.
#[derive(SimpleObject)]
pub struct Pathway {
    starts_on: Option<NaiveDate>,
    /// The last contract's end (actual or planned); null when open-ended.
    ends_on: Option<NaiveDate>,
    /// Outside eight months to three years: a warning, never a refusal.
    warning: Option<PathwayWarning>,
}

#[Object]
impl Employee {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// Null once the record is anonymised (five years after the exit).
    async fn full_name(&self) -> Option<&str> {
        self.0.full_name.as_deref()
    }
    /// The person's account, when they have one.
    async fn account(&self, c: &Context<'_>) -> Result<Option<User>> {
        load(c, self.0.user_id).await
    }
    async fn birth_year(&self) -> i32 {
        self.0.birth_year.into()
    }
    async fn sex(&self) -> EmployeeSex {
        self.0.sex.into()
    }
    async fn prescriber(&self, c: &Context<'_>) -> Result<Option<HrOrganisation>> {
        load(c, self.0.prescriber_id).await
    }
    async fn referent(&self, c: &Context<'_>) -> Result<Option<HrOrganisation>> {
        load(c, self.0.referent_id).await
    }
    /// Reduced to its statistics fields.
    async fn anonymised(&self) -> bool {
        self.0.anonymised_at.is_some()
    }
    /// Oldest first.
    async fn contracts(&self, c: &Context<'_>) -> Result<Vec<EmploymentContract>> {
        let rows = load_of(c, |l| &l.pathways.contracts, self.0.id).await?;
        log_reads(c, "EmploymentContract", rows.iter().map(|k| k.id)).await?;
        Ok(rows.into_iter().map(EmploymentContract).collect())
    }
    async fn pathway(&self, c: &Context<'_>) -> Result<Pathway> {
        let rows = load_of(c, |l| &l.pathways.contracts, self.0.id).await?;
        let open = rows.iter().any(|c| c.last_day().is_none());
        Ok(Pathway {
            starts_on: rows.iter().map(|c| c.starts_on).min(),
            ends_on: if open {
                None
            } else {
                rows.iter().filter_map(|c| c.last_day()).max()
            },
            warning: pathways_warning(&rows),
        })
    }
    /// The 9 % ledger, month by month, from the pathway's start to today or the exit
    /// (`from`/`to` narrow the months shown; balances stay cumulative).
    async fn ledger(
        &self,
        c: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<TrainingLedger> {
        let l = load_of(c, |l| &l.pathways.ledger, self.0.id).await?;
        Ok(TrainingLedger::of(l, from, to))
    }
    /// Newest last.
    async fn training_entries(&self, c: &Context<'_>) -> Result<Vec<TrainingEntry>> {
        let rows = load_of(c, |l| &l.pathways.entries, self.0.id).await?;
        log_reads(c, "TrainingEntry", rows.iter().map(|e| e.id)).await?;
        Ok(rows.into_iter().map(TrainingEntry).collect())
    }
    async fn absences(&self, c: &Context<'_>) -> Result<Vec<Absence>> {
        let rows = load_of(c, |l| &l.pathways.absences, self.0.id).await?;
        log_reads(c, "Absence", rows.iter().map(|a| a.id)).await?;
        Ok(rows
            .into_iter()
            .map(|a| Absence {
                id: encode_id("Absence", a.id),
                starts_on: a.starts_on,
                ends_on: a.ends_on,
            })
            .collect())
    }
    async fn qualifications(&self, c: &Context<'_>) -> Result<Vec<Qualification>> {
        let rows = load_of(c, |l| &l.pathways.qualifications, self.0.id).await?;
        log_reads(c, "Qualification", rows.iter().map(|q| q.id)).await?;
        Ok(rows
            .into_iter()
            .map(|q| Qualification {
                id: encode_id("Qualification", q.id),
                title: q.title,
                obtained_on: q.obtained_on,
            })
            .collect())
    }
    async fn exit(&self, c: &Context<'_>) -> Result<Option<EmployeeExit>> {
        let rows = load_of(c, |l| &l.pathways.exit, self.0.id).await?;
        let exit = rows.into_iter().next();
        log_reads(c, "EmployeeExit", exit.iter().map(|x| x.id)).await?;
        Ok(exit.map(EmployeeExit))
    }
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
}

fn pathways_warning(rows: &[::pathways::Contract]) -> Option<PathwayWarning> {
    ::pathways::pathway_warning(rows)
        .map(|w| warnings(vec![w]))
        .and_then(|mut v| v.pop())
}

#[Object]
impl EmploymentContract {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn employee(&self, c: &Context<'_>) -> Result<Option<Employee>> {
        load(c, self.0.employee_id).await
    }
    async fn kind(&self) -> ContractKind {
        self.0.kind.into()
    }
    /// French label of the kind.
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fr()
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// Null for an open-ended contract.
    async fn planned_end_on(&self) -> Option<NaiveDate> {
        self.0.planned_end_on
    }
    /// Set when it ended before its planned end (early end, exit).
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.0.ended_on
    }
    async fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }
    async fn weekly_hours(&self) -> f64 {
        self.0.weekly_hours
    }
    async fn job_title(&self) -> &str {
        &self.0.job_title
    }
    /// The contract this one renews.
    async fn renews(&self, c: &Context<'_>) -> Result<Option<EmploymentContract>> {
        load(c, self.0.renews_id).await
    }
    /// Where the employee works under it.
    async fn sites(&self, c: &Context<'_>) -> Result<Vec<Site>> {
        let ids = load_of(c, |l| &l.pathways.sites, self.0.id).await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(s) = load::<Site>(c, id).await? {
                out.push(s);
            }
        }
        Ok(out)
    }
    /// Its subsidies (HR managers only: the employee does not read them).
    async fn subsidies(&self, c: &Context<'_>) -> Result<Vec<Subsidy>> {
        let rows = load_of(c, |l| &l.pathways.subsidies, self.0.id).await?;
        log_reads(c, "Subsidy", rows.iter().map(|s| s.id)).await?;
        Ok(rows.into_iter().map(Subsidy).collect())
    }
}

pub struct Subsidy(pub ::pathways::Subsidy);

#[Object]
impl Subsidy {
    async fn id(&self) -> ID {
        encode_id("Subsidy", self.0.id)
    }
    async fn programme(&self) -> SubsidyProgramme {
        self.0.programme.into()
    }
    async fn programme_label(&self) -> &'static str {
        self.0.programme.label_fr()
    }
    async fn funder(&self) -> SubsidyFunder {
        self.0.funder.into()
    }
    async fn funder_label(&self) -> &'static str {
        self.0.funder.label_fr()
    }
    async fn agreement_reference(&self) -> Option<&str> {
        self.0.agreement_reference.as_deref()
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    /// In euro cents.
    async fn amount_cents(&self) -> Option<i64> {
        self.0.amount_cents
    }
    /// Share of the pay covered, in percent.
    async fn rate_percent(&self) -> Option<f64> {
        self.0.rate_percent
    }
    async fn renewal_deadline(&self) -> Option<NaiveDate> {
        self.0.renewal_deadline
    }
}

pub struct TrainingEntry(pub ::pathways::TrainingEntry);

#[Object]
impl TrainingEntry {
    async fn id(&self) -> ID {
        encode_id("TrainingEntry", self.0.id)
    }
    async fn kind(&self) -> TrainingEntryKind {
        self.0.kind.into()
    }
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fr()
    }
    /// Null once the record is anonymised.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    async fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }
    /// The certification sought (titre professionnel, CQP...).
    async fn certification(&self) -> Option<&str> {
        self.0.certification.as_deref()
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    async fn hours(&self) -> f64 {
        self.0.hours
    }
    /// Counts toward the 9 %.
    async fn counts_toward_quota(&self) -> bool {
        self.0.counts_toward_quota
    }
}

/// A declared absence: dates only.
#[derive(SimpleObject)]
pub struct Absence {
    pub id: ID,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(SimpleObject)]
pub struct Qualification {
    pub id: ID,
    pub title: String,
    pub obtained_on: NaiveDate,
}

pub struct EmployeeExit(pub ::pathways::EmployeeExit);

#[Object]
impl EmployeeExit {
    async fn id(&self) -> ID {
        encode_id("EmployeeExit", self.0.id)
    }
    async fn employee(&self, c: &Context<'_>) -> Result<Option<Employee>> {
        load(c, self.0.employee_id).await
    }
    async fn exit_on(&self) -> NaiveDate {
        self.0.exit_on
    }
    async fn reason(&self) -> ExitReason {
        self.0.reason.into()
    }
    async fn outcome(&self) -> ExitOutcome {
        self.0.outcome.into()
    }
    async fn outcome_label(&self) -> &'static str {
        self.0.outcome.label_fr()
    }
    /// A job, a qualifying training or a business creation.
    async fn positive(&self) -> bool {
        self.0.outcome.is_positive()
    }
    async fn employer_sector(&self) -> Option<EmployerSector> {
        self.0.employer_sector.map(Into::into)
    }
    /// The new employer, when it is one of the network's partner firms.
    async fn employer_partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.employer_partner_id).await
    }
    /// The first day the 6-month follow-up may be recorded.
    async fn follow_up_due_on(&self) -> NaiveDate {
        ::pathways::followup_from(self.0.exit_on)
    }
    async fn followed_up_on(&self) -> Option<NaiveDate> {
        self.0.followed_up_on
    }
    /// The situation six months after the exit.
    async fn follow_up_outcome(&self) -> Option<ExitOutcome> {
        self.0.followup_outcome.map(Into::into)
    }
}

#[Object]
impl HrOrganisation {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> HrOrganisationKind {
        self.0.kind.into()
    }
    async fn kind_label(&self) -> &'static str {
        self.0.kind.label_fr()
    }
}

#[derive(SimpleObject)]
pub struct LedgerMonth {
    /// The first day of the month.
    month: NaiveDate,
    /// Weekly hours spread over the working days, minus declared absences.
    worked_hours: f64,
    /// 9 % of the hours worked.
    due_hours: f64,
    /// Entries counting toward the 9 %, in the month they ended.
    done_hours: f64,
    /// Entries that do not count toward the 9 %.
    other_hours: f64,
    cumulative_due: f64,
    cumulative_done: f64,
    /// Cumulative done minus due: negative when hours are owed.
    balance: f64,
    /// More than 20 % of the hours due behind the straight line.
    behind: bool,
}

/// The 9 % rule for one employee.
#[derive(SimpleObject)]
pub struct TrainingLedger {
    months: Vec<LedgerMonth>,
    /// Since the start of the pathway.
    due_hours: f64,
    done_hours: f64,
    balance: f64,
    /// Behind the straight line by more than 20 % of the hours due: the alert.
    behind: bool,
}

impl TrainingLedger {
    fn of(l: ::pathways::Ledger, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Self {
        TrainingLedger {
            due_hours: l.due(),
            done_hours: l.done(),
            balance: (l.balance() * 100.0).round() / 100.0,
            behind: l.behind(),
            months: l
                .months
                .into_iter()
                .filter(|m| from.is_none_or(|f| m.month >= first_of_month(f)))
                .filter(|m| to.is_none_or(|t| m.month <= t))
                .map(|m| LedgerMonth {
                    month: m.month,
                    worked_hours: m.worked_hours,
                    due_hours: m.due_hours,
                    done_hours: m.done_hours,
                    other_hours: m.other_hours,
                    cumulative_due: m.cumulative_due,
                    cumulative_done: m.cumulative_done,
                    balance: m.balance,
                    behind: m.behind,
                })
                .collect(),
        }
    }
}

/// The month a day falls in, as the ledger names months.
fn first_of_month(d: NaiveDate) -> NaiveDate {
    chrono::Datelike::with_day(&d, 1).unwrap_or(d)
}

/// A contract or subsidy ending, or a subsidy to renew, soon.
pub struct HrDeadline(pub ::pathways::Deadline);

#[Object]
impl HrDeadline {
    async fn on(&self) -> NaiveDate {
        self.0.on
    }
    async fn kind(&self) -> HrDeadlineKind {
        self.0.kind.into()
    }
    async fn label(&self) -> &'static str {
        self.0.kind.label_fr()
    }
    async fn employee(&self, c: &Context<'_>) -> Result<Option<Employee>> {
        load(c, self.0.employee_id).await
    }
    async fn contract(&self, c: &Context<'_>) -> Result<Option<EmploymentContract>> {
        load(c, self.0.contract_id).await
    }
    async fn subsidy_id(&self) -> Option<ID> {
        self.0.subsidy_id.map(|id| encode_id("Subsidy", id))
    }
}

/// A count as the reader may see it: for the union, 1 to 4 read "<5".
#[derive(SimpleObject)]
pub struct HrCount {
    /// Null when hidden.
    value: Option<i64>,
    /// "12", or "<5".
    text: String,
}

impl From<::pathways::stats::Count> for HrCount {
    fn from(c: ::pathways::stats::Count) -> Self {
        HrCount {
            value: c.value,
            text: c.text,
        }
    }
}

/// Head counts on the year's last day (today for this year); training hours of the
/// year; exits of the year and their follow-ups. Rates are shares from 0 to 1, null
/// when there is nothing to divide or when a count behind them is hidden.
#[derive(SimpleObject)]
pub struct HrFigures {
    /// Employees in post (mediators employed).
    employed: HrCount,
    women: HrCount,
    share_of_women: Option<f64>,
    /// Employees in post not behind with the 9 % rule.
    on_track: HrCount,
    share_on_track: Option<f64>,
    training_hours: f64,
    exits: HrCount,
    positive_exits: HrCount,
    positive_exit_rate: Option<f64>,
    lasting_job_exits: HrCount,
    lasting_job_rate: Option<f64>,
    /// Exits of the year with their 6-month follow-up recorded.
    followed_up: HrCount,
    positive_at_six_months: HrCount,
    positive_rate_at_six_months: Option<f64>,
    lasting_job_at_six_months: HrCount,
    lasting_job_rate_at_six_months: Option<f64>,
}

impl From<::pathways::stats::Figures> for HrFigures {
    fn from(f: ::pathways::stats::Figures) -> Self {
        HrFigures {
            employed: f.employed.into(),
            women: f.women.into(),
            share_of_women: f.share_of_women,
            on_track: f.on_track.into(),
            share_on_track: f.share_on_track,
            training_hours: f.training_hours,
            exits: f.exits.into(),
            positive_exits: f.positive_exits.into(),
            positive_exit_rate: f.positive_exit_rate,
            lasting_job_exits: f.lasting_job_exits.into(),
            lasting_job_rate: f.lasting_job_rate,
            followed_up: f.followed_up.into(),
            positive_at_six_months: f.positive_at_six_months.into(),
            positive_rate_at_six_months: f.positive_rate_at_six_months,
            lasting_job_at_six_months: f.lasting_job_at_six_months.into(),
            lasting_job_rate_at_six_months: f.lasting_job_rate_at_six_months,
        }
    }
}

pub struct HrAssociationFigures(pub ::pathways::stats::AssociationFigures);

#[Object]
impl HrAssociationFigures {
    async fn tenant(&self, c: &Context<'_>) -> Result<Option<Tenant>> {
        load(c, self.0.tenant_id).await
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn figures(&self) -> HrFigures {
        self.0.figures.clone().into()
    }
}

#[derive(SimpleObject)]
pub struct HrRegionFigures {
    /// INSEE region code; null when the sites' region is unknown.
    code: Option<String>,
    name: String,
    figures: HrFigures,
}

/// One year's HR figures: the network, each region, each association.
#[derive(SimpleObject)]
pub struct HrStatistics {
    year: i32,
    /// The day head counts are taken.
    as_of: NaiveDate,
    /// Whether counts from 1 to 4 are hidden ("<5").
    suppressed: bool,
    network: HrFigures,
    regions: Vec<HrRegionFigures>,
    associations: Vec<HrAssociationFigures>,
}

impl From<::pathways::stats::Statistics> for HrStatistics {
    fn from(s: ::pathways::stats::Statistics) -> Self {
        HrStatistics {
            year: s.year,
            as_of: s.as_of,
            suppressed: s.suppressed,
            network: s.network.into(),
            regions: s
                .regions
                .into_iter()
                .map(|r| HrRegionFigures {
                    code: r.code,
                    name: r.name,
                    figures: r.figures.into(),
                })
                .collect(),
            associations: s
                .associations
                .into_iter()
                .map(HrAssociationFigures)
                .collect(),
        }
    }
}

/// The network's exit rates for one year of exit.
#[derive(SimpleObject)]
pub struct HrExitYear {
    year: i32,
    figures: HrFigures,
}

impl From<::pathways::stats::ExitYear> for HrExitYear {
    fn from(y: ::pathways::stats::ExitYear) -> Self {
        HrExitYear {
            year: y.year,
            figures: y.figures.into(),
        }
    }
}
