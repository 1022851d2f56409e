//! The demo's HR pathways: eight employees in each demo association, the first ones
//! linked to its mediators' accounts, on mixed contracts (adulte-relais, parcours
//! emploi compétences, apprenticeship, professionalisation, CDD, CDI) started up to
//! three years ago, some renewed, with their subsidies, a monthly training ledger
//! (one employee in each association falling behind), an absence each, and seventeen
//! exits across the network, ten of them positive (59 %, the network's published
//! rate), some to partner firms, followed up six months later when that time has
//! come. Written through the `pathways` entities under the seed's system scope; a
//! run finds an association that already has employees and leaves it alone.

use crate::Error;
use chrono::{Datelike, Days, Months, NaiveDate};
use db::Scoped;
use pathways::entity::{
    absence, contract_site, employee, employee_exit, employment_contract, hr_organisation,
    qualification, subsidy, training_entry,
};
use pathways::{
    ContractKind, EmployerSector, EntryKind, ExitOutcome, ExitReason, Funder, OrganisationKind,
    Programme, Sex,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::fmt;
use uuid::Uuid;

const PER_ASSOCIATION: u32 = 8;

const FIRST_NAMES: &[(&str, Sex)] = &[
    ("Samira", Sex::Female),
    ("Karim", Sex::Male),
    ("Aïcha", Sex::Female),
    ("Julien", Sex::Male),
    ("Fatou", Sex::Female),
    ("Nadia", Sex::Female),
    ("Mehdi", Sex::Male),
    ("Claire", Sex::Female),
    ("Yasmina", Sex::Female),
    ("Thomas", Sex::Male),
    ("Leïla", Sex::Female),
    ("Moussa", Sex::Male),
    ("Sophie", Sex::Female),
];
const LAST_NAMES: &[&str] = &[
    "Benali", "Haddad", "Diallo", "Martin", "Ndiaye", "Moreau", "Bouaziz", "Girard", "Traoré",
    "Lefèvre", "Mansouri", "Camara", "Roussel", "Bertrand", "Chérif",
];
const KINDS: &[ContractKind] = &[
    ContractKind::AdulteRelais,
    ContractKind::Pec,
    ContractKind::AdulteRelais,
    ContractKind::Apprenticeship,
    ContractKind::Professionalisation,
    ContractKind::Cdd,
    ContractKind::Pec,
    ContractKind::Cdi,
];
/// The network's seventeen exits, in the order they are handed out: ten positive.
const OUTCOMES: &[ExitOutcome] = &[
    ExitOutcome::LastingJob,
    ExitOutcome::JobSearch,
    ExitOutcome::OtherJob,
    ExitOutcome::QualifyingTraining,
    ExitOutcome::LastingJob,
    ExitOutcome::Inactive,
    ExitOutcome::JobSearch,
    ExitOutcome::LastingJob,
    ExitOutcome::BusinessCreation,
    ExitOutcome::Unknown,
    ExitOutcome::OtherJob,
    ExitOutcome::LastingJob,
    ExitOutcome::JobSearch,
    ExitOutcome::QualifyingTraining,
    ExitOutcome::LastingJob,
    ExitOutcome::Inactive,
    ExitOutcome::JobSearch,
];
/// Partner firms that hire mediators leaving a pathway.
const HIRING_PARTNERS: &[&str] = &["EDF", "La Poste", "SNCF", "Keolis"];

/// What one run added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathwaySummary {
    pub employees: u64,
    pub contracts: u64,
    pub training_entries: u64,
    pub exits: u64,
}

impl fmt::Display for PathwaySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parcours : {} salariés, {} contrats, {} entrées de formation, {} sorties",
            self.employees, self.contracts, self.training_entries, self.exits
        )
    }
}

/// Employees 5 to 7 of every association have left, and employee 4 of the first and
/// third: seventeen exits for the five demo associations.
fn leaves(k: u32, ti: usize) -> bool {
    k >= 5 || (k == 4 && (ti == 0 || ti == 2))
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn months_back(today: NaiveDate, n: u32) -> NaiveDate {
    first_of_month(today) - Months::new(n)
}

/// The contract's length by kind (None: open-ended).
fn length(kind: ContractKind) -> Option<u32> {
    match kind {
        ContractKind::AdulteRelais => Some(36),
        ContractKind::Apprenticeship => Some(24),
        ContractKind::Cdi => None,
        _ => Some(12),
    }
}

fn subsidy_of(kind: ContractKind) -> Option<(Programme, Funder, Option<i64>, Option<f64>)> {
    match kind {
        ContractKind::AdulteRelais => Some((
            Programme::AdulteRelais,
            Funder::State,
            Some(2_213_900),
            None,
        )),
        ContractKind::Pec => Some((Programme::Pec, Funder::FranceTravail, None, Some(60.0))),
        ContractKind::Apprenticeship => Some((
            Programme::ApprenticeshipAid,
            Funder::State,
            Some(600_000),
            None,
        )),
        ContractKind::Professionalisation => Some((
            Programme::ProfessionalisationAid,
            Funder::FranceTravail,
            Some(400_000),
            None,
        )),
        _ => None,
    }
}

struct Ctx<'a> {
    tx: &'a Scoped,
    tenant: Uuid,
    today: NaiveDate,
    out: &'a mut PathwaySummary,
}

impl Ctx<'_> {
    /// A contract of `who` (the employee, their site, their number in the demo).
    async fn contract(
        &mut self,
        who: (Uuid, Uuid, u32),
        kind: ContractKind,
        starts_on: NaiveDate,
        planned_end_on: Option<NaiveDate>,
        renews: Option<Uuid>,
    ) -> Result<Uuid, Error> {
        let (employee, site, n) = who;
        let id = Uuid::now_v7();
        employment_contract::Entity::insert(employment_contract::ActiveModel {
            tenant_id: Set(self.tenant),
            id: Set(id),
            employee_id: Set(employee),
            kind: Set(kind),
            starts_on: Set(starts_on),
            planned_end_on: Set(planned_end_on),
            ended_on: Set(None),
            end_reason: Set(None),
            weekly_hours: Set(if kind == ContractKind::Pec {
                26.0
            } else {
                35.0
            }),
            job_title: Set("Agent médiateur social".to_owned()),
            renews_id: Set(renews),
            ..Default::default()
        })
        .exec_without_returning(&**self.tx)
        .await?;
        contract_site::Entity::insert(contract_site::ActiveModel {
            tenant_id: Set(self.tenant),
            contract_id: Set(id),
            site_id: Set(site),
            employee_id: Set(employee),
        })
        .exec_without_returning(&**self.tx)
        .await?;
        if let Some((programme, funder, amount, rate)) = subsidy_of(kind) {
            let ends_on = planned_end_on.unwrap_or(starts_on + Months::new(12));
            subsidy::Entity::insert(subsidy::ActiveModel {
                tenant_id: Set(self.tenant),
                id: Set(Uuid::now_v7()),
                contract_id: Set(id),
                programme: Set(programme),
                funder: Set(funder),
                agreement_reference: Set(Some(format!(
                    "{}-{}-{n:03}",
                    programme.as_str().to_uppercase(),
                    starts_on.year()
                ))),
                starts_on: Set(starts_on),
                ends_on: Set(ends_on),
                amount_cents: Set(amount),
                rate_percent: Set(rate),
                renewal_deadline: Set(Some(ends_on - Days::new(45))),
                ..Default::default()
            })
            .exec_without_returning(&**self.tx)
            .await?;
        }
        self.out.contracts += 1;
        Ok(id)
    }
}

async fn sites_of(tx: &Scoped, tenant: Uuid) -> Result<Vec<Uuid>, Error> {
    use sites::entity::site::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::TenantId.eq(tenant))
        .filter(Column::Kind.eq(sites::SiteKind::Site))
        .order_by_asc(Column::Name)
        .all(&**tx)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

async fn mediators_of(tx: &Scoped, tenant: Uuid) -> Result<Vec<Uuid>, Error> {
    use entity::membership::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::TenantId.eq(tenant))
        .filter(Column::Role.eq("mediator"))
        .order_by_asc(Column::Id)
        .all(&**tx)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

async fn partner_ids(tx: &Scoped) -> Result<Vec<Uuid>, Error> {
    use entity::partner_organisation::{Column, Entity};
    let mut out = Vec::new();
    for name in HIRING_PARTNERS {
        if let Some(p) = Entity::find()
            .filter(Column::Name.eq(*name))
            .one(&**tx)
            .await?
        {
            out.push(p.id);
        }
    }
    Ok(out)
}

pub(crate) async fn seed_pathways(tx: &Scoped, today: NaiveDate) -> Result<PathwaySummary, Error> {
    let mut out = PathwaySummary::default();
    let partners = partner_ids(tx).await?;
    let mut exits_handed = 0usize;
    for (ti, t) in crate::TENANTS.iter().enumerate() {
        let Some(tenant) = entity::tenant::Entity::find()
            .filter(entity::tenant::Column::Slug.eq(t.slug))
            .one(&**tx)
            .await?
        else {
            continue;
        };
        let has = employee::Entity::find()
            .filter(employee::Column::TenantId.eq(tenant.id))
            .count(&**tx)
            .await?;
        let sites = sites_of(tx, tenant.id).await?;
        if has > 0 || sites.is_empty() {
            // Counted so the network's exits stay the same whichever associations
            // were seeded before.
            exits_handed += (0..PER_ASSOCIATION).filter(|k| leaves(*k, ti)).count();
            continue;
        }
        let mediators = mediators_of(tx, tenant.id).await?;
        let mut orgs = Vec::new();
        for (name, kind) in [
            ("France Travail", OrganisationKind::FranceTravail),
            ("Mission locale", OrganisationKind::MissionLocale),
            ("Cap emploi", OrganisationKind::CapEmploi),
        ] {
            let id = Uuid::now_v7();
            hr_organisation::Entity::insert(hr_organisation::ActiveModel {
                tenant_id: Set(tenant.id),
                id: Set(id),
                name: Set(name.to_owned()),
                kind: Set(kind),
                ..Default::default()
            })
            .exec_without_returning(&**tx)
            .await?;
            orgs.push(id);
        }
        let mut c = Ctx {
            tx,
            tenant: tenant.id,
            today,
            out: &mut out,
        };
        for k in 0..PER_ASSOCIATION {
            let n = ti as u32 * PER_ASSOCIATION + k;
            let (first, sex) = FIRST_NAMES[n as usize % FIRST_NAMES.len()];
            let last = LAST_NAMES[(n as usize * 7) % LAST_NAMES.len()];
            let leaves = leaves(k, ti);
            let kind = KINDS[(k as usize + ti) % KINDS.len()];
            let start = if leaves {
                months_back(today, 18 + (k + ti as u32 * 3) % 18)
            } else {
                months_back(today, 2 + (k * 5 + ti as u32 * 2) % 30)
            };
            let id = Uuid::now_v7();
            employee::Entity::insert(employee::ActiveModel {
                tenant_id: Set(tenant.id),
                id: Set(id),
                user_id: Set(mediators.get(k as usize).copied()),
                full_name: Set(Some(format!("{first} {last}"))),
                birth_year: Set(1970 + ((n * 11) % 33) as i16),
                sex: Set(sex),
                prescriber_id: Set(Some(orgs[k as usize % orgs.len()])),
                referent_id: Set(Some(orgs[(k as usize + 1) % orgs.len()])),
                ..Default::default()
            })
            .exec_without_returning(&**tx)
            .await?;
            c.out.employees += 1;
            let site = sites[k as usize % sites.len()];
            let exit = leaves.then(|| {
                let outcome = OUTCOMES[exits_handed % OUTCOMES.len()];
                exits_handed += 1;
                (start + Months::new(8 + (k + ti as u32) % 10), outcome)
            });
            let planned = length(kind).map(|m| start + Months::new(m) - Days::new(1));
            let first_id = c
                .contract((id, site, n), kind, start, planned, None)
                .await?;
            let (mut last_day, mut previous) = (planned, first_id);
            // A one-year contract already over is renewed for a year, and again,
            // unless its holder left before.
            while let (Some(end), Some(12)) = (last_day, length(kind))
                && end < today
                && exit.is_none_or(|(on, _)| on > end)
            {
                let next_end = end + Months::new(12);
                previous = c
                    .contract(
                        (id, site, n),
                        kind,
                        end + Days::new(1),
                        Some(next_end),
                        Some(previous),
                    )
                    .await?;
                last_day = Some(next_end);
            }
            if let Some((exit_on, outcome)) = exit {
                end_contracts(&mut c, id, exit_on, outcome).await?;
                record_exit(&mut c, id, exit_on, outcome, &partners, n).await?;
            }
            let until = exit
                .map(|(on, _)| on)
                .or(last_day)
                .map_or(today, |d| d.min(today));
            ledger(&mut c, id, start, until, k == 3, n).await?;
        }
    }
    Ok(out)
}

/// Contracts running past the exit end with it.
async fn end_contracts(
    c: &mut Ctx<'_>,
    employee: Uuid,
    exit_on: NaiveDate,
    outcome: ExitOutcome,
) -> Result<(), Error> {
    use employment_contract::Column as C;
    use sea_orm::sea_query::Expr;
    let reason = if matches!(outcome, ExitOutcome::LastingJob | ExitOutcome::OtherJob) {
        "Démission pour un emploi"
    } else {
        "Fin anticipée du contrat"
    };
    employment_contract::Entity::update_many()
        .col_expr(C::EndedOn, Expr::value(exit_on))
        .col_expr(C::EndReason, Expr::value(reason))
        .filter(C::TenantId.eq(c.tenant))
        .filter(C::EmployeeId.eq(employee))
        .filter(C::StartsOn.lte(exit_on))
        .filter(
            sea_orm::Condition::any()
                .add(C::PlannedEndOn.is_null())
                .add(C::PlannedEndOn.gt(exit_on)),
        )
        .exec(&**c.tx)
        .await?;
    Ok(())
}

async fn record_exit(
    c: &mut Ctx<'_>,
    employee: Uuid,
    exit_on: NaiveDate,
    outcome: ExitOutcome,
    partners: &[Uuid],
    n: u32,
) -> Result<(), Error> {
    let job = matches!(outcome, ExitOutcome::LastingJob | ExitOutcome::OtherJob);
    // Every other lasting job is at a partner firm: hiring mediators is part of the model.
    let partner = (outcome == ExitOutcome::LastingJob && n.is_multiple_of(2))
        .then(|| partners.get(n as usize % partners.len().max(1)).copied())
        .flatten();
    let sector = job.then_some(if partner.is_some() {
        EmployerSector::PublicServiceFirm
    } else if n.is_multiple_of(3) {
        EmployerSector::PublicSector
    } else {
        EmployerSector::SocialEconomy
    });
    let due = pathways::followup_from(exit_on);
    // Six months on, some looking for work have found some.
    let later = (due <= c.today).then_some(match outcome {
        ExitOutcome::JobSearch if n.is_multiple_of(2) => ExitOutcome::OtherJob,
        other => other,
    });
    employee_exit::Entity::insert(employee_exit::ActiveModel {
        tenant_id: Set(c.tenant),
        id: Set(Uuid::now_v7()),
        employee_id: Set(employee),
        exit_on: Set(exit_on),
        reason: Set(if job {
            ExitReason::ResignationForJob
        } else {
            ExitReason::EndOfContract
        }),
        outcome: Set(outcome),
        employer_sector: Set(sector),
        employer_partner_id: Set(partner),
        followed_up_on: Set(later.map(|_| due)),
        followup_outcome: Set(later),
        ..Default::default()
    })
    .exec_without_returning(&**c.tx)
    .await?;
    if outcome.is_positive() {
        qualification::Entity::insert(qualification::ActiveModel {
            tenant_id: Set(c.tenant),
            id: Set(Uuid::now_v7()),
            employee_id: Set(employee),
            title: Set("Titre professionnel médiateur social accès aux droits et services".into()),
            obtained_on: Set(exit_on - Days::new(20)),
            ..Default::default()
        })
        .exec_without_returning(&**c.tx)
        .await?;
    }
    c.out.exits += 1;
    Ok(())
}

/// A training entry a month (a week's session from the 8th), about the 9 % due; one
/// employee a PIMMS does half as much and falls behind. An absence in the first year.
async fn ledger(
    c: &mut Ctx<'_>,
    employee: Uuid,
    start: NaiveDate,
    until: NaiveDate,
    behind: bool,
    n: u32,
) -> Result<(), Error> {
    let mut rows = Vec::new();
    let mut month = first_of_month(start);
    let mut i = 0u32;
    while month + Days::new(13) <= until {
        if month + Days::new(7) >= start {
            let hours = 11.0 + f64::from((n * 7 + i * 3) % 6);
            let (kind, title, counts) = match i % 6 {
                4 => (
                    EntryKind::JobSearchWorkshop,
                    "Atelier CV et entretien d'embauche",
                    true,
                ),
                5 if i % 12 == 5 => (
                    EntryKind::Immersion,
                    "Immersion en entreprise partenaire",
                    false,
                ),
                _ => (
                    EntryKind::Training,
                    "Titre professionnel médiateur social : accès aux droits",
                    true,
                ),
            };
            rows.push(training_entry::ActiveModel {
                tenant_id: Set(c.tenant),
                id: Set(Uuid::now_v7()),
                employee_id: Set(employee),
                kind: Set(kind),
                title: Set(Some(title.to_owned())),
                provider: Set(Some(
                    if kind == EntryKind::Training {
                        "AFPA"
                    } else {
                        "France Travail"
                    }
                    .to_owned(),
                )),
                certification: Set(
                    (kind == EntryKind::Training).then(|| "Titre professionnel MSADS".to_owned())
                ),
                starts_on: Set(month + Days::new(7)),
                ends_on: Set(month + Days::new(13)),
                hours: Set(if behind { hours / 2.0 } else { hours }),
                counts_toward_quota: Set(counts),
                ..Default::default()
            });
        }
        month = month + Months::new(1);
        i += 1;
    }
    c.out.training_entries += rows.len() as u64;
    if !rows.is_empty() {
        training_entry::Entity::insert_many(rows)
            .exec_without_returning(&**c.tx)
            .await?;
    }
    let away = first_of_month(start) + Months::new(3) + Days::new(2);
    if away + Days::new(2) <= until {
        absence::Entity::insert(absence::ActiveModel {
            tenant_id: Set(c.tenant),
            id: Set(Uuid::now_v7()),
            employee_id: Set(employee),
            starts_on: Set(away),
            ends_on: Set(away + Days::new(2)),
            ..Default::default()
        })
        .exec_without_returning(&**c.tx)
        .await?;
    }
    Ok(())
}
