//! `regions`: France's regions, by INSEE code (the dashboard's regional split).

use sea_orm::entity::prelude::*;

db::entity! { "regions", key { code: String }
    pub name: String,
}
