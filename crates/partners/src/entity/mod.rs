//! sea-orm entities of the tables this crate writes, one module per table: what rows
//! are read into by column name. Machine-shaped, no behaviour; codes are the domain's
//! enums. `tables()` gives their shapes to the test that holds them against the
//! migrated catalog.

pub mod agreement;
pub mod agreement_activity_monthly;
pub mod agreement_payment;
pub mod agreement_revision;
pub mod agreement_site;
pub mod agreement_target;
pub mod outreach_attempt;
pub mod outreach_campaign;
pub mod outreach_case;
pub mod partner_access_token;
pub mod partner_api_client;
pub mod partner_contact;

use db::shape::{TableShape, shape_of};

/// Codes that are part of a composite primary key: sea-orm asks every key column for
/// a conversion from an auto-increment id, which a code never is.
macro_rules! code_in_key {
    ($($t:ty),*) => {$(
        impl sea_orm::TryFromU64 for $t {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($t)))
            }
        }
    )*};
}

code_in_key!(
    crate::agreements::ActivityKind,
    crate::agreements::Indicator
);

/// The shape every entity of this crate declares.
pub fn tables() -> Vec<TableShape> {
    vec![
        shape_of::<agreement::Entity>(),
        shape_of::<agreement_activity_monthly::Entity>(),
        shape_of::<agreement_payment::Entity>(),
        shape_of::<agreement_revision::Entity>(),
        shape_of::<agreement_site::Entity>(),
        shape_of::<agreement_target::Entity>(),
        shape_of::<outreach_attempt::Entity>(),
        shape_of::<outreach_campaign::Entity>(),
        shape_of::<outreach_case::Entity>(),
        shape_of::<partner_access_token::Entity>(),
        shape_of::<partner_api_client::Entity>(),
        shape_of::<partner_contact::Entity>(),
    ]
}
