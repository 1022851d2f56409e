use crate::model::ContractStatus;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_contracts", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub reference: String,
    pub signed_on: Date,
    pub term_ends_on: Date,
    pub renewal_on: Date,
    pub status: ContractStatus,
    pub catalogue_version_id: Uuid,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}
