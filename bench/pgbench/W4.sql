-- W4 ceiling: what Passerelle issues to compute the union's statistics of the last
-- 12 months by month and by region from the rollups: in one transaction opened with
-- the analyst's scope, the three rollups over the year and the 6 months before it
-- (trends), the same a year earlier, then the regions' names. Passerelle answers W4
-- from its cache (0 statements, bench/README.md), so this is the cost of a cache miss,
-- not a ceiling of what the bench runs. As its login role under row-level security;
-- the first line reads the analyst and the months (bench/pgbench/setup.sql).
select user_id, (first_day - interval '6 months')::date as cur_from, last_day as cur_to, (first_day - interval '12 months')::date as ly_from, (last_day - interval '12 months')::date as ly_to from bench_pgbench.w4 where n = 1 \gset
begin;
select set_config('app.tenant_id', '', true), set_config('app.tenant_role', '', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', 'analyst', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true);
select date_trunc('month', x.day)::date, coalesce(d.region_code, ''), sum(x.visits)::bigint, sum(x.minutes)::bigint from visit_daily x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.day between :cur_from and :cur_to group by 1, 2;
select date_trunc('month', x.day)::date, coalesce(d.region_code, ''), sum(x.requests)::bigint, sum(x.mediation_acts)::bigint from request_daily x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.day between :cur_from and :cur_to group by 1, 2;
select date_trunc('month', x.day)::date, coalesce(d.region_code, ''), sum(x.workshops)::bigint, sum(x.attendees)::bigint from workshop_daily x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.day between :cur_from and :cur_to group by 1, 2;
select date_trunc('month', x.day)::date, coalesce(d.region_code, ''), sum(x.visits)::bigint, sum(x.minutes)::bigint from visit_daily x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.day between :ly_from and :ly_to group by 1, 2;
select date_trunc('month', x.day)::date, coalesce(d.region_code, ''), sum(x.requests)::bigint, sum(x.mediation_acts)::bigint from request_daily x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.day between :ly_from and :ly_to group by 1, 2;
select date_trunc('month', x.day)::date, coalesce(d.region_code, ''), sum(x.workshops)::bigint, sum(x.attendees)::bigint from workshop_daily x join sites s on s.tenant_id = x.tenant_id and s.id = x.site_id left join departments d on d.code = s.department where x.day between :ly_from and :ly_to group by 1, 2;
select code, name from regions where code = any(array(select code from regions));
commit;
