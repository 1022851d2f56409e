//! sea-orm entities of the tables this crate owns, one module per table.

pub mod access_log;
pub mod access_log_checkpoint;
pub mod access_log_head;

use db::shape::{TableShape, shape_of};

/// What these entities say their tables look like, for the drift check against
/// PostgreSQL's catalog.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<access_log::Entity>(),
        shape_of::<access_log_head::Entity>(),
        shape_of::<access_log_checkpoint::Entity>(),
    ]
}
