//! `visit_requests`: what a visit was about, one row per request.

use crate::model::{Outcome, RequestKind};
use sea_orm::entity::prelude::*;

db::entity! { "visit_requests", key { tenant_id: Uuid, id: Uuid }
    pub visit_id: Uuid,
    pub position: i16,
    pub theme: String,
    pub kind: RequestKind,
    pub partner_id: Option<Uuid>,
    pub outcome: Outcome,
    pub mediation_act: bool,
    pub referred_to: Option<String>,
    pub agreement_id: Option<Uuid>,
}
