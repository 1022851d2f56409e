//! sea-orm entities of the tables this crate owns, one module per table.

pub mod action;
pub mod amendment;
pub mod answer;
pub mod audit;
pub mod campaign;
pub mod catalogue_version;
pub mod contract;
pub mod criterion;
pub mod document;
pub mod finding;
pub mod history;
pub mod note;
pub mod observation;
pub mod principle;
pub mod reply;
pub mod report;
pub mod sanction;
pub mod score;
pub mod signatory;

use db::shape::{TableShape, shape_of};

/// What these entities say their tables look like, for the drift check against
/// PostgreSQL's catalog.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<action::Entity>(),
        shape_of::<amendment::Entity>(),
        shape_of::<answer::Entity>(),
        shape_of::<audit::Entity>(),
        shape_of::<campaign::Entity>(),
        shape_of::<catalogue_version::Entity>(),
        shape_of::<contract::Entity>(),
        shape_of::<criterion::Entity>(),
        shape_of::<document::Entity>(),
        shape_of::<finding::Entity>(),
        shape_of::<history::Entity>(),
        shape_of::<note::Entity>(),
        shape_of::<observation::Entity>(),
        shape_of::<principle::Entity>(),
        shape_of::<reply::Entity>(),
        shape_of::<report::Entity>(),
        shape_of::<sanction::Entity>(),
        shape_of::<score::Entity>(),
        shape_of::<signatory::Entity>(),
    ]
}
