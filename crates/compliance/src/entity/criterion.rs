use crate::model::{Indicator, Measure};
use sea_orm::entity::prelude::*;

db::entity! { "compliance_criteria", key { id: Uuid }
    pub version_id: Uuid,
    pub principle_id: Uuid,
    pub position: i16,
    pub code: String,
    pub label: String,
    pub guidance: Option<String>,
    pub weight: i16,
    pub measure: Measure,
    pub indicator: Option<Indicator>,
    pub threshold: Option<f64>,
}
