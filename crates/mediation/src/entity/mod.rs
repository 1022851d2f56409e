//! sea-orm entities of the tables the journal owns, and of the two reference tables
//! its dashboard reads (regions, departments): every column, as PostgreSQL has it.
//! Rows map to them (or to the shapes of hand-written statements) by column name.

pub mod activity_monthly;
pub mod beneficiary;
pub mod beneficiary_revision;
pub mod consent;
pub mod dashboard_version;
pub mod department;
pub mod region;
pub mod request_daily;
pub mod request_theme;
pub mod survey_answer;
pub mod survey_campaign;
pub mod visit;
pub mod visit_daily;
pub mod visit_note;
pub mod visit_request;
pub mod visit_revision;
pub mod workshop;
pub mod workshop_attendee;
pub mod workshop_daily;
pub mod workshop_theme;

use db::shape::{TableShape, shape_of};

/// What each entity says its table looks like, for the check against the catalog.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<activity_monthly::Entity>(),
        shape_of::<beneficiary::Entity>(),
        shape_of::<beneficiary_revision::Entity>(),
        shape_of::<consent::Entity>(),
        shape_of::<dashboard_version::Entity>(),
        shape_of::<department::Entity>(),
        shape_of::<region::Entity>(),
        shape_of::<request_daily::Entity>(),
        shape_of::<request_theme::Entity>(),
        shape_of::<survey_answer::Entity>(),
        shape_of::<survey_campaign::Entity>(),
        shape_of::<visit::Entity>(),
        shape_of::<visit_daily::Entity>(),
        shape_of::<visit_note::Entity>(),
        shape_of::<visit_request::Entity>(),
        shape_of::<visit_revision::Entity>(),
        shape_of::<workshop::Entity>(),
        shape_of::<workshop_attendee::Entity>(),
        shape_of::<workshop_daily::Entity>(),
        shape_of::<workshop_theme::Entity>(),
    ]
}
