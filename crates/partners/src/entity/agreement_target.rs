use crate::agreements::Indicator;
use sea_orm::entity::prelude::*;

db::entity! { "agreement_targets", key { agreement_id: Uuid }
    pub partner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator: Indicator,
    pub annual_target: i32,
}
