use sea_orm::entity::prelude::*;

db::entity! { "agreement_sites", key { agreement_id: Uuid }
    pub partner_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub site_id: Uuid,
}
