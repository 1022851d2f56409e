use sea_orm::entity::prelude::*;

db::entity! { "site_opening_hours", derive(Eq), key { tenant_id: Uuid, id: Uuid }
    pub site_id: Uuid,
    pub weekday: i16,
    pub opens: Time,
    pub closes: Time,
    pub every_n_weeks: i16,
    pub week_of_month: Option<i16>,
}
