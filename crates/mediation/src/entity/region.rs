//! `regions`: France's regions, by INSEE code (the dashboard's regional split).

use sea_orm::entity::prelude::*;

entity! {
    "regions",
    key { code: String }
    pub name: String,
}
