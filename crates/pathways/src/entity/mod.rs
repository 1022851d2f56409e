//! sea-orm entities of the tables this crate owns, one module per table.

pub mod absence;
pub mod contract_site;
pub mod employee;
pub mod employee_exit;
pub mod employment_contract;
pub mod hr_organisation;
pub mod hr_setting;
pub mod qualification;
pub mod subsidy;
pub mod training_entry;

use db::shape::{TableShape, shape_of};

/// What these entities say their tables look like, for the drift check against
/// PostgreSQL's catalog.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<absence::Entity>(),
        shape_of::<contract_site::Entity>(),
        shape_of::<employee::Entity>(),
        shape_of::<employee_exit::Entity>(),
        shape_of::<employment_contract::Entity>(),
        shape_of::<hr_organisation::Entity>(),
        shape_of::<hr_setting::Entity>(),
        shape_of::<qualification::Entity>(),
        shape_of::<subsidy::Entity>(),
        shape_of::<training_entry::Entity>(),
    ]
}
