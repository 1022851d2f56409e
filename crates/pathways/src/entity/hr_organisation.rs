use crate::model::OrganisationKind;
use sea_orm::entity::prelude::*;

db::entity! { "hr_organisations", key { tenant_id: Uuid, id: Uuid }
    pub name: String,
    pub kind: OrganisationKind,
    pub created_at: DateTimeWithTimeZone,
}
