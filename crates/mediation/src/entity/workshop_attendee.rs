//! `workshop_attendees`: the named (consenting) beneficiaries of a workshop.

use sea_orm::entity::prelude::*;

db::entity! { "workshop_attendees", key { tenant_id: Uuid, id: Uuid }
    pub workshop_id: Uuid,
    pub beneficiary_id: Uuid,
}
