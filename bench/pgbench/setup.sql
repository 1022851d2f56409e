-- Ids for the pgbench ceilings (bench/README.md): the scripts draw a row number with
-- pgbench's random() and read the ids from these tables (one primary-key read). Run by
-- bench/run as the superuser on the bench database, with -v app_role=<login role>;
-- bench/run drops the schema afterwards, so nothing stays beside the migrations.
set client_min_messages = warning;
begin;
drop schema if exists bench_pgbench cascade;
create schema bench_pgbench;

-- W0: recorded visits, sampled uniformly (so weighted by association size), with the
-- association's director.
create table bench_pgbench.w0 (
  n integer primary key,
  tenant_id uuid not null,
  visit_id uuid not null,
  user_id uuid not null
);
insert into bench_pgbench.w0
select row_number() over (), v.tenant_id, v.id, d.user_id
from (select tenant_id, id from visits tablesample bernoulli (5) where status = 'recorded' limit 10000) v
join lateral (
  select m.user_id from memberships m
  where m.tenant_id = v.tenant_id and m.role = 'director' and m.status = 'active'
  order by m.id limit 1
) d on true;

-- W2: (association, month) pairs, the last 12 whole months, with the director.
create table bench_pgbench.w2 (
  n integer primary key,
  tenant_id uuid not null,
  user_id uuid not null,
  first_day date not null,
  last_day date not null
);
insert into bench_pgbench.w2
select row_number() over (), t.id, d.user_id, m.first_day, (m.first_day + interval '1 month' - interval '1 day')::date
from tenants t
join lateral (
  select mm.user_id from memberships mm
  where mm.tenant_id = t.id and mm.role = 'director' and mm.status = 'active'
  order by mm.id limit 1
) d on true
cross join (
  select (date_trunc('month', current_date) - k * interval '1 month')::date as first_day
  from generate_series(1, 12) k
) m
where t.status = 'active';

grant usage on schema bench_pgbench to :"app_role";
grant select on all tables in schema bench_pgbench to :"app_role";
commit;

select 'w0' as ids, count(*) from bench_pgbench.w0
union all select 'w2', count(*) from bench_pgbench.w2;
