-- W4 ceiling: what Passerelle issues to compute the union's statistics of the last 12
-- months by month and by region (a cache miss): in one transaction opened with the
-- analyst's scope and custom plans, each site's months (activity_monthly, migration
-- 0021) read three times, once per rollup the dashboard sums, over the 12 months (W4
-- selects no trend and no last year), then the regions' names.
-- Passerelle answers W4 from its cache (0 statements, bench/README.md), so this is the
-- cost of a cache miss, not a ceiling of what the bench runs. As its login role under
-- row-level security; the first line reads the analyst and the months
-- (bench/pgbench/setup.sql).
select user_id, first_day as cur_from, last_day as cur_to from bench_pgbench.w4 where n = 1 \gset
begin;
set local plan_cache_mode = force_custom_plan;
select set_config('app.tenant_id', '', true), set_config('app.tenant_role', '', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', 'analyst', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true);
select date_trunc('month', x.month)::date, coalesce(d.region_code, ''), sum(x.visits)::bigint, sum(x.minutes)::bigint, sum(x.during_closure)::bigint, sum(x.outside_hours)::bigint from activity_monthly x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.month between :cur_from and :cur_to group by 1, 2;
select date_trunc('month', x.month)::date, coalesce(d.region_code, ''), sum(x.requests)::bigint, sum(x.mediation_acts)::bigint from activity_monthly x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.month between :cur_from and :cur_to group by 1, 2;
select date_trunc('month', x.month)::date, coalesce(d.region_code, ''), sum(x.workshops)::bigint, sum(x.attendees)::bigint from activity_monthly x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.month between :cur_from and :cur_to group by 1, 2;
select code, name from regions where code = any(array(select code from regions));
commit;
