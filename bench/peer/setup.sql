-- PostGraphile 5 peer for the benchmarks (bench/WORKLOADS.md): its login role and the
-- SQL functions answering W2 and W4. Run by bench/run as the superuser, after
-- `passerelle migrate` (it needs the roles passerelle_owner and passerelle_app and the
-- public tables). Idempotent: the role is created once and reset to what it must be;
-- schema bench_peer is dropped and rebuilt (nothing outside it depends on it).
--
-- Nothing here touches public tables, their policies or grants.
-- Run: psql -v ON_ERROR_STOP=1 "$ADMIN_URL" -f bench/peer/setup.sql

set client_min_messages = warning;

begin;

-- The peer's login role: exactly the application's grants (member of passerelle_app),
-- bound by the same row-level security policies (not superuser, not BYPASSRLS, owns
-- nothing).
do $$
begin
  if not exists (select from pg_roles where rolname = 'passerelle_peer') then
    create role passerelle_peer;
  end if;
end $$;
alter role passerelle_peer login password 'peer' nosuperuser nobypassrls nocreatedb nocreaterole inherit;
grant passerelle_app to passerelle_peer;

drop schema if exists bench_peer cascade;
create schema bench_peer authorization passerelle_owner;

-- Everything below is owned by the schema owner, like the application's own objects.
set local role passerelle_owner;

-- Departments and their region (INSEE region codes). A site's department follows from
-- its postcode: the first two digits, three overseas (97x); Corsica's postcodes start
-- with 20. Same mapping as Passerelle's own network statistics.
create table bench_peer.departments (
  department text primary key,
  region_code text not null,
  region_name text not null
);
-- Not part of the GraphQL API (and public may hold a table of the same name).
comment on table bench_peer.departments is E'@behavior -*';

insert into bench_peer.departments (department, region_code, region_name)
select d, r.code, r.name
from (values
  ('84', 'Auvergne-Rhône-Alpes', array['01', '03', '07', '15', '26', '38', '42', '43', '63', '69', '73', '74']),
  ('27', 'Bourgogne-Franche-Comté', array['21', '25', '39', '58', '70', '71', '89', '90']),
  ('53', 'Bretagne', array['22', '29', '35', '56']),
  ('24', 'Centre-Val de Loire', array['18', '28', '36', '37', '41', '45']),
  ('94', 'Corse', array['20']),
  ('44', 'Grand Est', array['08', '10', '51', '52', '54', '55', '57', '67', '68', '88']),
  ('32', 'Hauts-de-France', array['02', '59', '60', '62', '80']),
  ('11', 'Île-de-France', array['75', '77', '78', '91', '92', '93', '94', '95']),
  ('28', 'Normandie', array['14', '27', '50', '61', '76']),
  ('75', 'Nouvelle-Aquitaine', array['16', '17', '19', '23', '24', '33', '40', '47', '64', '79', '86', '87']),
  ('76', 'Occitanie', array['09', '11', '12', '30', '31', '32', '34', '46', '48', '65', '66', '81', '82']),
  ('52', 'Pays de la Loire', array['44', '49', '53', '72', '85']),
  ('93', 'Provence-Alpes-Côte d''Azur', array['04', '05', '06', '13', '83', '84']),
  ('01', 'Guadeloupe', array['971']),
  ('02', 'Martinique', array['972']),
  ('03', 'Guyane', array['973']),
  ('04', 'La Réunion', array['974']),
  ('06', 'Mayotte', array['976'])
) as r(code, name, departments)
cross join lateral unnest(r.departments) as d;

-- A public catalogue, but every table gets row-level security here.
alter table bench_peer.departments enable row level security;
alter table bench_peer.departments force row level security;
create policy departments_read on bench_peer.departments for select using (true);

-- W2: an association's dashboard for a date range, by day and by site, from the daily
-- rollups (visit_daily, request_daily): the same two rollups Passerelle's dashboard
-- reads. The association is the caller's (app.tenant_id); row-level security applies
-- on top, as the function runs with the caller's rights.
create type bench_peer.dashboard_row as (
  day date,
  site_id uuid,
  visits integer,
  minutes integer,
  requests integer,
  mediation_acts integer
);
comment on column bench_peer.dashboard_row.day is E'@notNull';
comment on column bench_peer.dashboard_row.site_id is E'@notNull';
comment on column bench_peer.dashboard_row.visits is E'@notNull';
comment on column bench_peer.dashboard_row.minutes is E'@notNull';
comment on column bench_peer.dashboard_row.requests is E'@notNull';
comment on column bench_peer.dashboard_row.mediation_acts is E'@notNull';

create function bench_peer.dashboard(from_day date, to_day date)
returns setof bench_peer.dashboard_row
language sql stable security invoker parallel safe
as $$
  with v as (
    select x.day, x.site_id, sum(x.visits)::integer as visits, sum(x.minutes)::integer as minutes
    from public.visit_daily x
    where x.tenant_id = (select app.tenant_id()) and x.day between from_day and to_day
    group by 1, 2
  ), r as (
    select x.day, x.site_id, sum(x.requests)::integer as requests, sum(x.mediation_acts)::integer as mediation_acts
    from public.request_daily x
    where x.tenant_id = (select app.tenant_id()) and x.day between from_day and to_day
    group by 1, 2
  )
  select coalesce(v.day, r.day), coalesce(v.site_id, r.site_id),
         coalesce(v.visits, 0), coalesce(v.minutes, 0),
         coalesce(r.requests, 0), coalesce(r.mediation_acts, 0)
  from v full join r on r.day = v.day and r.site_id = v.site_id
  order by 1, 2
$$;
comment on function bench_peer.dashboard(date, date) is
  E'@behavior -connection +list\nW2: the association''s dashboard by day and by site (from the daily rollups).';

-- W4: network statistics by month and by region for a date range (the union: row-level
-- security lets union staff read every association's rollups and sites). Sites whose
-- department is unknown fall under region ''.
create type bench_peer.network_row as (
  month date,
  region_code text,
  region_name text,
  visits integer,
  minutes integer,
  requests integer,
  mediation_acts integer
);
comment on column bench_peer.network_row.month is E'@notNull';
comment on column bench_peer.network_row.region_code is E'@notNull';
comment on column bench_peer.network_row.region_name is E'@notNull';
comment on column bench_peer.network_row.visits is E'@notNull';
comment on column bench_peer.network_row.minutes is E'@notNull';
comment on column bench_peer.network_row.requests is E'@notNull';
comment on column bench_peer.network_row.mediation_acts is E'@notNull';

create function bench_peer.network_stats(from_day date, to_day date)
returns setof bench_peer.network_row
language sql stable security invoker parallel safe
as $$
  with v as (
    select date_trunc('month', x.day)::date as month, x.tenant_id, x.site_id,
           sum(x.visits) as visits, sum(x.minutes) as minutes
    from public.visit_daily x
    where x.day between from_day and to_day
    group by 1, 2, 3
  ), r as (
    select date_trunc('month', x.day)::date as month, x.tenant_id, x.site_id,
           sum(x.requests) as requests, sum(x.mediation_acts) as mediation_acts
    from public.request_daily x
    where x.day between from_day and to_day
    group by 1, 2, 3
  ), per_site as (
    select coalesce(v.month, r.month) as month, coalesce(v.tenant_id, r.tenant_id) as tenant_id,
           coalesce(v.site_id, r.site_id) as site_id,
           coalesce(v.visits, 0) as visits, coalesce(v.minutes, 0) as minutes,
           coalesce(r.requests, 0) as requests, coalesce(r.mediation_acts, 0) as mediation_acts
    from v full join r on r.month = v.month and r.tenant_id = v.tenant_id and r.site_id = v.site_id
  )
  select p.month, coalesce(d.region_code, ''), coalesce(d.region_name, ''),
         sum(p.visits)::integer, sum(p.minutes)::integer,
         sum(p.requests)::integer, sum(p.mediation_acts)::integer
  from per_site p
  join public.sites s on s.tenant_id = p.tenant_id and s.id = p.site_id
  left join bench_peer.departments d
    on d.department = case when s.postcode like '97%' then left(s.postcode, 3) else left(s.postcode, 2) end
  group by 1, 2, 3
  order by 1, 2
$$;
comment on function bench_peer.network_stats(date, date) is
  E'@behavior -connection +list\nW4: network statistics by month and by region (from the daily rollups).';

-- The application role (hence the peer) may use them; nothing else is granted.
revoke all on schema bench_peer from public;
revoke all on function bench_peer.dashboard(date, date), bench_peer.network_stats(date, date) from public;
grant usage on schema bench_peer to passerelle_app;
grant select on bench_peer.departments to passerelle_app;
grant usage on type bench_peer.dashboard_row, bench_peer.network_row to passerelle_app;
grant execute on function bench_peer.dashboard(date, date), bench_peer.network_stats(date, date) to passerelle_app;

reset role;
commit;
