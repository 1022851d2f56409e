use crate::model::SiteKind;
use sea_orm::entity::prelude::*;

db::entity! { "sites", key { tenant_id: Uuid, id: Uuid }
    pub name: String,
    pub kind: SiteKind,
    pub parent_site_id: Option<Uuid>,
    pub host_place: Option<String>,
    pub street: Option<String>,
    pub postcode: String,
    pub city: String,
    pub insee_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub qpv_code: Option<String>,
    pub opened_on: Date,
    pub closed_on: Option<Date>,
    pub services: Vec<String>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    /// Generated from the postcode by PostgreSQL: read, never written.
    pub department: Option<String>,
}
