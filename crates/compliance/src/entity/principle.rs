use sea_orm::entity::prelude::*;

db::entity! { "compliance_principles", derive(Eq), key { id: Uuid }
    pub version_id: Uuid,
    pub position: i16,
    pub code: String,
    pub label: String,
    pub description: Option<String>,
}
