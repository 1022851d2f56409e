use crate::model::Party;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_signatories", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub contract_id: Uuid,
    pub party: Party,
    pub full_name: String,
    pub role_title: String,
}
