-- W0 ceiling: exactly what Passerelle issues for one visit by id (statement log
-- bench/results/*-statements-passerelle-W0.log: one read transaction shared by the
-- visit, its site and its requests, opened with the actor's scope), run as its login
-- role under row-level security. The first line picks the ids (bench/pgbench/setup.sql):
-- the one statement Passerelle does not issue.
\set n random(1, :nw0)
select tenant_id, visit_id, user_id from bench_pgbench.w0 where n = :n \gset
begin;
select set_config('app.tenant_id', :tenant_id, true), set_config('app.tenant_role', 'director', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', '', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true);
select id, tenant_id, site_id, mediator_id, occurred_at, channel, duration_minutes, language, age_band, sex, neighbourhood, beneficiary_id, status, revision, created_by, created_at, updated_at from visits where tenant_id = :tenant_id and id = any(array[:visit_id]::uuid[]) \gset v_
select id, tenant_id, name, kind, parent_site_id, host_place, street, postcode, city, insee_code, latitude, longitude, qpv_code, opened_on, closed_on, services, created_at, updated_at from sites where id = any(array[:v_site_id]::uuid[]) and (:tenant_id::uuid is null or tenant_id = :tenant_id);
select id, visit_id, position, theme, kind, partner_id, outcome, mediation_act, referred_to, agreement_id from visit_requests where tenant_id = :tenant_id and visit_id = any(array[:visit_id]::uuid[]) order by visit_id, position;
commit;
