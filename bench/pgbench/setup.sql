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
  user_id uuid not null,
  site_id uuid not null
);
insert into bench_pgbench.w0
select row_number() over (), v.tenant_id, v.id, d.user_id, v.site_id
from (select tenant_id, id, site_id from visits tablesample bernoulli (5) where status = 'recorded' limit 10000) v
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
  last_day date not null,
  -- The sites whose names the dashboard looks up (the keys it found).
  site_ids text not null
);
insert into bench_pgbench.w2
select row_number() over (), t.id, d.user_id, m.first_day, (m.first_day + interval '1 month' - interval '1 day')::date,
       (select array_agg(s.id)::text from sites s where s.tenant_id = t.id)
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

-- W1: a mediator of each association (the bench accounts) with each of its open
-- sites, as the load generator draws them.
create table bench_pgbench.w1 (
  n integer primary key,
  tenant_id uuid not null,
  user_id uuid not null,
  membership_id uuid not null,
  site_id uuid not null,
  edf uuid not null
);
insert into bench_pgbench.w1
select row_number() over (), t.id, m.user_id, m.id, s.id, (select id from partner_organisations where name = 'EDF')
from tenants t
join users u on u.email = 'bench-mediator@' || t.slug || '.bench.example'
join memberships m on m.tenant_id = t.id and m.user_id = u.id and m.status = 'active'
join sites s on s.tenant_id = t.id and s.closed_on is null
where t.slug like 'bench-%' and t.status = 'active';

-- W3: the partners' bench users, each with rows of its coded activity where a
-- previous page may have ended (the keyset the next page starts after).
create table bench_pgbench.w3 (
  n integer primary key,
  partner_id uuid not null,
  user_id uuid not null,
  agreement_id uuid not null,
  tenant_id uuid not null,
  site_id uuid not null,
  month date not null,
  theme text not null
);
insert into bench_pgbench.w3
select row_number() over (), a.partner_id, pu.user_id, a.agreement_id, a.tenant_id, a.site_id, a.month, a.theme
from (select * from agreement_activity_monthly tablesample bernoulli (10) where activity = 'request' limit 10000) a
join partner_users pu on pu.partner_id = a.partner_id
join users u on u.id = pu.user_id and u.email like 'bench@%.bench.example';

-- W4: the union analyst and the last 12 whole months.
create table bench_pgbench.w4 (
  n integer primary key,
  user_id uuid not null,
  first_day date not null,
  last_day date not null
);
insert into bench_pgbench.w4
select 1, us.user_id,
       (date_trunc('month', current_date) - interval '12 months')::date,
       (date_trunc('month', current_date) - interval '1 day')::date
from union_staff us join users u on u.id = us.user_id
where u.email = 'bench-analyst@union.bench.example';

-- W5: beneficiaries not anonymised (the bench dataset's), sampled uniformly, with the
-- association's director and the ids of their consents and of the partners these name
-- (as arrays, for the `= any(...)` reads and the access log's entries).
create table bench_pgbench.w5 (
  n integer primary key,
  tenant_id uuid not null,
  beneficiary_id uuid not null,
  user_id uuid not null,
  consent_ids text not null,
  partner_ids text not null
);
insert into bench_pgbench.w5
select row_number() over (), b.tenant_id, b.id, d.user_id,
       (select coalesce(array_agg(c.id order by c.given_on), '{}')::text from consents c
        where c.tenant_id = b.tenant_id and c.beneficiary_id = b.id),
       (select coalesce(array_agg(distinct c.recipient_partner_id), '{}')::text from consents c
        where c.tenant_id = b.tenant_id and c.beneficiary_id = b.id and c.recipient_partner_id is not null)
from (select tenant_id, id from beneficiaries where anonymised_at is null order by random() limit 10000) b
join lateral (
  select m.user_id from memberships m
  where m.tenant_id = b.tenant_id and m.role = 'director' and m.status = 'active'
  order by m.id limit 1
) d on true;

grant usage on schema bench_pgbench to :"app_role";
grant select on all tables in schema bench_pgbench to :"app_role";
commit;

select 'w0' as ids, count(*) from bench_pgbench.w0
union all select 'w1', count(*) from bench_pgbench.w1
union all select 'w2', count(*) from bench_pgbench.w2
union all select 'w3', count(*) from bench_pgbench.w3
union all select 'w4', count(*) from bench_pgbench.w4
union all select 'w5', count(*) from bench_pgbench.w5;
