//! `request_themes`: the network's catalogue of request themes.

use sea_orm::entity::prelude::*;

db::entity! { "request_themes", key { code: String }
    pub label_fr: String,
    pub position: i16,
}
