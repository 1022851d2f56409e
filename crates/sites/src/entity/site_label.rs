use crate::model::LabelKind;
use sea_orm::entity::prelude::*;

db::entity! { "site_labels", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub site_id: Uuid,
    pub label: LabelKind,
    pub granted_on: Date,
    pub expires_on: Option<Date>,
}
