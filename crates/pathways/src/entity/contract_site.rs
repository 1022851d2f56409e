use sea_orm::entity::prelude::*;

db::entity! { "contract_sites", key { tenant_id: Uuid, contract_id: Uuid, site_id: Uuid }
    pub employee_id: Uuid,
}
