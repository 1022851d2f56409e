//! sea-orm entities of the tables this crate writes, one module per table: what rows
//! are read into by column name. `tables()` gives their shapes to the test that holds
//! them against the migrated catalog.

pub mod email_message;
pub mod event_outbox;
pub mod notification_preference;
pub mod webhook_delivery;
pub mod webhook_endpoint;

use db::shape::{TableShape, shape_of};

/// The shape every entity of this crate declares.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<email_message::Entity>(),
        shape_of::<event_outbox::Entity>(),
        shape_of::<notification_preference::Entity>(),
        shape_of::<webhook_delivery::Entity>(),
        shape_of::<webhook_endpoint::Entity>(),
    ]
}
