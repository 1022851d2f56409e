//! `departments`: each department's region (a site's region comes from its
//! department).

use sea_orm::entity::prelude::*;

db::entity! { "departments", key { code: String }
    pub region_code: String,
}
