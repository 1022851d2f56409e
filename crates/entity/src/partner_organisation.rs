use sea_orm::entity::prelude::*;

db::entity! { "partner_organisations", derive(Eq), key { id: Uuid }
    pub name: String,
    pub sector: String,
    pub reach: String,
    pub created_at: DateTimeWithTimeZone,
}
