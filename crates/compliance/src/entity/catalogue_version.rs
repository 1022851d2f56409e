use crate::model::VersionStatus;
use sea_orm::entity::prelude::*;

db::entity! { "compliance_catalogue_versions", key { id: Uuid }
    pub version: i32,
    pub title: String,
    pub status: VersionStatus,
    pub copied_from: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeWithTimeZone,
    pub published_at: Option<DateTimeWithTimeZone>,
    pub published_by: Option<Uuid>,
    pub retired_at: Option<DateTimeWithTimeZone>,
    pub retired_by: Option<Uuid>,
}
