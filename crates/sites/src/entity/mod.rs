//! sea-orm entities of the tables this crate owns, one module per table.

pub mod site;
pub mod site_closure;
pub mod site_label;
pub mod site_opening_hour;

use db::shape::{TableShape, shape_of};

/// What these entities say their tables look like, for the drift check against
/// PostgreSQL's catalog.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<site::Entity>(),
        shape_of::<site_closure::Entity>(),
        shape_of::<site_label::Entity>(),
        shape_of::<site_opening_hour::Entity>(),
    ]
}
