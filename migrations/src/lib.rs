//! Database migrations. They run as the owner role (`passerelle_owner`), never as the
//! application role: the application must own nothing, so that FORCE ROW LEVEL
//! SECURITY binds it. Roles are created by `passerelle migrate` before these run.
//! The schema is plain SQL because policies, grants and triggers are the point
//! of it and sea-query has no vocabulary for them.

use sea_orm_migration::prelude::*;

pub mod dburl;
pub mod setup;

pub use setup::{MigrateError, create_database_if_missing, run as setup};

/// Owns every table, function and policy. NOLOGIN: reached by `SET ROLE` from the
/// admin connection during migrations only.
pub const OWNER_ROLE: &str = "passerelle_owner";
/// Group role holding the application's grants; the login role of DATABASE_URL is
/// made a member of it. NOSUPERUSER NOBYPASSRLS, owns nothing.
pub const APP_ROLE: &str = "passerelle_app";

macro_rules! sql_migration {
    ($module:ident, $name:literal, $file:literal) => {
        mod $module {
            use sea_orm_migration::prelude::*;
            pub struct Migration;
            impl MigrationName for Migration {
                fn name(&self) -> &str {
                    $name
                }
            }
            #[async_trait::async_trait]
            impl MigrationTrait for Migration {
                async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                    manager
                        .get_connection()
                        .execute_unprepared(include_str!($file))
                        .await
                        .map(|_| ())
                }
            }
        }
    };
}

sql_migration!(m0001, "m20261123_000001_tenancy", "../sql/0001_tenancy.sql");
sql_migration!(m0002, "m20261123_000002_sites", "../sql/0002_sites.sql");
sql_migration!(m0003, "m20261123_000003_journal", "../sql/0003_journal.sql");
sql_migration!(
    m0004,
    "m20261123_000004_partners",
    "../sql/0004_partners.sql"
);
sql_migration!(m0005, "m20261123_000005_regions", "../sql/0005_regions.sql");
sql_migration!(
    m0006,
    "m20261123_000006_principal_events",
    "../sql/0006_principal_events.sql"
);
sql_migration!(
    m0007,
    "m20261123_000007_rollup_day_indexes",
    "../sql/0007_rollup_day_indexes.sql"
);
sql_migration!(
    m0008,
    "m20261123_000008_journal_integrity",
    "../sql/0008_journal_integrity.sql"
);
sql_migration!(
    m0009,
    "m20261123_000009_dashboard_versions",
    "../sql/0009_dashboard_versions.sql"
);
sql_migration!(
    m0010,
    "m20261123_000010_pathways",
    "../sql/0010_pathways.sql"
);
sql_migration!(
    m0011,
    "m20261123_000011_compliance",
    "../sql/0011_compliance.sql"
);
sql_migration!(m0013, "m20261123_000013_events", "../sql/0013_events.sql");
sql_migration!(
    m0014,
    "m20261123_000014_access_log",
    "../sql/0014_access_log.sql"
);
sql_migration!(
    m0015,
    "m20261123_000015_privacy_rights",
    "../sql/0015_privacy_rights.sql"
);
sql_migration!(
    m0016,
    "m20261123_000016_compliance_analyst_events",
    "../sql/0016_compliance_analyst_events.sql"
);
sql_migration!(
    m0018,
    "m20261204_000018_policy_planning",
    "../sql/0018_policy_planning.sql"
);
sql_migration!(
    m0019,
    "m20261204_000019_monthly_rollups",
    "../sql/0019_monthly_rollups.sql"
);
sql_migration!(
    m0020,
    "m20261204_000020_consent_recipients_linked",
    "../sql/0020_consent_recipients_linked.sql"
);
sql_migration!(
    m0021,
    "m20261204_000021_activity_monthly",
    "../sql/0021_activity_monthly.sql"
);

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001::Migration),
            Box::new(m0002::Migration),
            Box::new(m0003::Migration),
            Box::new(m0004::Migration),
            Box::new(m0005::Migration),
            Box::new(m0006::Migration),
            Box::new(m0007::Migration),
            Box::new(m0008::Migration),
            Box::new(m0009::Migration),
            Box::new(m0010::Migration),
            Box::new(m0011::Migration),
            Box::new(m0013::Migration),
            Box::new(m0014::Migration),
            Box::new(m0015::Migration),
            Box::new(m0016::Migration),
            Box::new(m0018::Migration),
            Box::new(m0019::Migration),
            Box::new(m0020::Migration),
            Box::new(m0021::Migration),
        ]
    }
}
