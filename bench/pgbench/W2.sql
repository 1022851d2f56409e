-- W2 ceiling: what Passerelle issues for an association's dashboard of a month by day
-- and by site, computed from the rollups (a cache miss): the dashboard's version (one
-- message with the scope), then in one transaction opened with the actor's scope the
-- three rollups over the month (W2 selects no trend and no last year, so no lookback
-- and no comparison are read), then the sites' names with their association (the
-- statement log bench/results/*-statements-passerelle-W2.log), as its login role under
-- row-level security. The first line picks the association and the month
-- (bench/pgbench/setup.sql): the one statement Passerelle does not issue.
\set n random(1, :nw2)
select tenant_id, user_id, first_day as cur_from, last_day as cur_to, site_ids from bench_pgbench.w2 where n = :n \gset
begin;
select set_config('app.tenant_id', :tenant_id, true), set_config('app.tenant_role', 'director', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', '', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true);
select coalesce((select version from dashboard_versions where tenant_id = (select app.tenant_id())), 0)::bigint;
commit;
begin;
select set_config('app.tenant_id', :tenant_id, true), set_config('app.tenant_role', 'director', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', '', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true);
select date_trunc('day', x.day)::date, x.site_id::text, sum(x.visits)::bigint, sum(x.minutes)::bigint, sum(x.during_closure)::bigint, sum(x.outside_hours)::bigint from visit_daily x where x.day between :cur_from and :cur_to and x.tenant_id = :tenant_id group by 1, 2;
select date_trunc('day', x.day)::date, x.site_id::text, sum(x.requests)::bigint, sum(x.mediation_acts)::bigint from request_daily x where x.day between :cur_from and :cur_to and x.tenant_id = :tenant_id group by 1, 2;
select date_trunc('day', x.day)::date, x.site_id::text, sum(x.workshops)::bigint, sum(x.attendees)::bigint from workshop_daily x where x.day between :cur_from and :cur_to and x.tenant_id = :tenant_id group by 1, 2;
select id::text, name from sites where tenant_id = :tenant_id and id = any(:site_ids::uuid[]);
commit;
