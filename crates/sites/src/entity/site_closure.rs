use sea_orm::entity::prelude::*;

db::entity! { "site_closures", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub site_id: Uuid,
    pub starts_on: Date,
    pub ends_on: Date,
    pub reason: String,
}
