use super::types::{Employee, EmploymentContract, HrOrganisation};
use crate::loaders::{Load, Scope, batch, by_id, by_parent};
use pathways::{Absence, Contract, EmployeeExit, Ledger, Qualification, Subsidy, TrainingEntry};
use std::sync::Arc;
use uuid::Uuid;

pub(crate) struct Loaders {
    pub employee: Load<pathways::Employee>,
    pub contract: Load<Contract>,
    pub organisation: Load<pathways::Organisation>,
    /// By employee.
    pub contracts: Load<Vec<Contract>>,
    pub entries: Load<Vec<TrainingEntry>>,
    pub absences: Load<Vec<Absence>>,
    pub qualifications: Load<Vec<Qualification>>,
    pub exit: Load<Vec<EmployeeExit>>,
    pub ledger: Load<Ledger>,
    /// By contract: its sites' ids, its subsidies.
    pub sites: Load<Vec<Uuid>>,
    pub subsidies: Load<Vec<Subsidy>>,
}

impl Loaders {
    pub fn new(s: &Arc<Scope>) -> Self {
        Self {
            employee: s.loader(|svc, ctx, ids| by_id::<Employee>(svc.pathways.by_ids(ctx, ids))),
            contract: s.loader(|svc, ctx, ids| {
                by_id::<EmploymentContract>(svc.pathways.contracts_by_ids(ctx, ids))
            }),
            organisation: s.loader(|svc, ctx, ids| {
                by_id::<HrOrganisation>(svc.pathways.organisations_by_ids(ctx, ids))
            }),
            contracts: s.loader(|svc, ctx, ids| {
                by_parent(svc.pathways.contracts_of(ctx, ids), |c| c.employee_id)
            }),
            entries: s.loader(|svc, ctx, ids| {
                by_parent(svc.pathways.entries_of(ctx, ids), |e| e.employee_id)
            }),
            absences: s.loader(|svc, ctx, ids| {
                by_parent(svc.pathways.absences_of(ctx, ids), |a| a.employee_id)
            }),
            qualifications: s.loader(|svc, ctx, ids| {
                by_parent(svc.pathways.qualifications_of(ctx, ids), |q| q.employee_id)
            }),
            exit: s.loader(|svc, ctx, ids| {
                by_parent(svc.pathways.exits_of(ctx, ids), |x| x.employee_id)
            }),
            ledger: s.loader(|svc, ctx, ids| {
                batch(svc.pathways.ledgers(ctx, ids), |rows| {
                    rows.into_iter().collect()
                })
            }),
            sites: s.loader(|svc, ctx, ids| {
                batch(svc.pathways.contract_sites(ctx, ids), |rows| {
                    let mut out = std::collections::HashMap::<Uuid, Vec<Uuid>>::new();
                    for (contract, site) in rows {
                        out.entry(contract).or_default().push(site);
                    }
                    out
                })
            }),
            subsidies: s.loader(|svc, ctx, ids| {
                by_parent(svc.pathways.subsidies_of(ctx, ids), |s| s.contract_id)
            }),
        }
    }
}

loadable! {
    Employee => pathways.employee,
    EmploymentContract => pathways.contract,
    HrOrganisation => pathways.organisation,
}
