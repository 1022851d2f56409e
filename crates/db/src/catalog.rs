//! The isolation floor, checked from PostgreSQL's own catalog. Each row returned is
//! a violation; `passerelle migrate` refuses to finish and the test suite fails on any.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};

/// Every check is one query returning `(check, object)` rows for what is wrong.
/// `$1` is the application login role, `$2` the application group role.
/// A tenant table has a NOT NULL `tenant_id`; a network table whose rows may belong to
/// one association (an agreement: national when `tenant_id` is null) is checked for
/// row-level security like every table, but is keyed network-wide.
const CHECKS: &str = r#"
with tenant_tables as (
  select c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p')
    and exists (select 1 from pg_attribute a
                where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnotnull and not a.attisdropped)
), app_roles as (
  select r.oid, r.rolname, r.rolsuper, r.rolbypassrls
  from pg_roles r where r.rolname in ($1, $2)
)
select 'rls not enabled' as check, relname::text as object from tenant_tables where not relrowsecurity
union all
select 'rls not forced', relname::text from tenant_tables where not relforcerowsecurity
union all
select 'no policy', t.relname::text from tenant_tables t
  where not exists (select 1 from pg_policy p where p.polrelid = t.oid)
union all
select 'unique index without tenant_id', i.relname::text
  from tenant_tables t
  join pg_index x on x.indrelid = t.oid and x.indisunique
  join pg_class i on i.oid = x.indexrelid
  where not exists (select 1 from pg_attribute a
                    where a.attrelid = t.oid and a.attname = 'tenant_id'
                      and a.attnum = any (x.indkey::int2[]))
union all
select 'foreign key between tenant tables without tenant_id', con.conname::text
  from pg_constraint con
  join tenant_tables src on src.oid = con.conrelid
  join tenant_tables dst on dst.oid = con.confrelid
  where con.contype = 'f'
    and not exists (select 1 from pg_attribute a
                    where a.attrelid = src.oid and a.attname = 'tenant_id'
                      and a.attnum = any (con.conkey))
union all
select 'application role is superuser', rolname::text from app_roles where rolsuper
union all
select 'application role bypasses rls', rolname::text from app_roles where rolbypassrls
union all
select 'application role can become the owner', rolname::text
  from app_roles where pg_has_role(oid, 'passerelle_owner', 'MEMBER')
union all
select 'application role owns a relation', c.relname::text
  from pg_class c join app_roles r on r.oid = c.relowner
union all
select 'application role owns a function', p.proname::text
  from pg_proc p join app_roles r on r.oid = p.proowner
union all
select 'table without rls', c.relname::text
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
    and c.relname <> 'seaql_migrations'
    and has_table_privilege($1, c.oid, 'select')
union all
select 'security definer function', n.nspname || '.' || p.proname
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')
    -- Reviewed: the access log's append and purge (migration 0014), the only way the
    -- application writes that table. Each must keep its search path pinned and its
    -- owner the owner role.
    and not (n.nspname = 'app' and p.proname in ('access_log_append', 'access_log_purge')
             and p.proconfig @> array['search_path=pg_catalog, public']
             and pg_get_userbyid(p.proowner) = 'passerelle_owner')
union all
select 'owner-rights view readable by the application', c.relname::text
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('v', 'm') and n.nspname not in ('pg_catalog', 'information_schema')
    and has_table_privilege($1, c.oid, 'select')
    and not coalesce('security_invoker=true' = any (c.reloptions), false)
union all
select 'application role missing', r.name
  from (values ($1), ($2)) as r(name)
  where not exists (select 1 from pg_roles where rolname = r.name)
order by 1, 2
"#;

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Violation {
    pub check: String,
    pub object: String,
}

/// Runs every check; an empty vector means the floor is in place.
pub async fn violations<C: ConnectionTrait>(
    conn: &C,
    app_login_role: &str,
    app_group_role: &str,
) -> Result<Vec<Violation>, crate::DbError> {
    Violation::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        CHECKS,
        [app_login_role.into(), app_group_role.into()],
    ))
    .all(conn)
    .await
    .map_err(crate::DbError::from)
}
