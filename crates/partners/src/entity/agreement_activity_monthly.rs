use crate::agreements::ActivityKind;
use sea_orm::entity::prelude::*;

db::entity! { "agreement_activity_monthly", key { agreement_id: Uuid }
    pub partner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub site_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity: ActivityKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub theme: String,
    pub count: i32,
    pub mediation_acts: i32,
    pub attendees: i32,
}
