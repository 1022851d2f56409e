//! `workshop_themes`: the network's catalogue of workshop themes.

use sea_orm::entity::prelude::*;

db::entity! { "workshop_themes", key { code: String }
    pub label_fr: String,
    pub position: i16,
}
