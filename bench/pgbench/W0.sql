-- W0 ceiling: what Passerelle issues for one visit by id since round two (statement
-- log bench/results/*-statements-passerelle-W0.log): one read transaction opened with
-- the actor's scope, the visit with its requests in one statement (a left join), then
-- its site; as its login role under row-level security, with generic plans as
-- Passerelle's connections (bench/run sets PGOPTIONS). The first line picks the ids
-- (bench/pgbench/setup.sql): the one statement Passerelle does not issue.
\set n random(1, :nw0)
select tenant_id, visit_id, user_id, site_id from bench_pgbench.w0 where n = :n \gset
begin;
select pg_backend_pid() as pid, set_config('app.tenant_id', :tenant_id, true), set_config('app.tenant_role', 'director', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', '', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true), set_config('statement_timeout', '5000', true), set_config('lock_timeout', '2000', true), set_config('idle_in_transaction_session_timeout', '10000', true);
select v.*, r.* from visits v left join visit_requests r on (r.tenant_id, r.visit_id) = (v.tenant_id, v.id) where v.tenant_id = :tenant_id and v.id = any(array[:visit_id]::uuid[]) order by v.id, r.position;
select id, tenant_id, name, kind, parent_site_id, host_place, street, postcode, city, insee_code, latitude, longitude, qpv_code, opened_on, closed_on, services, created_at, updated_at from sites where id = any(array[:site_id]::uuid[]) and tenant_id = :tenant_id;
commit;
