-- One row per site and month: what the network's statistics by month read (W4).
--
-- Migration 0019 folded each daily rollup by month with all its keys (channel, theme,
-- kind, partner). Measured on the bench dataset M, that kept most of the rows: the
-- requests folded 2,967,078 daily rows into 1,076,961 monthly ones (a year of them
-- still took 2.5-3 s for the network by region, against 7-8 s from the days). What a
-- national year by region or by association needs is each site's month, whatever the
-- channel, theme or partner: 39,000 rows for the same data. This table holds that, and
-- replaces 0019's three; a split by channel, theme, kind or partner reads the daily
-- rollups (one association's, or the network's on a shorter range).
--
-- Kept like 0019's by row triggers on the daily rollups, in the writer's statement and
-- under its settings (the same row-level security as the daily rows). Every write of a
-- site's day now also locks the site's month: writes of one site wait for each other
-- there, as they already do on the day's row of the same channel.

drop trigger visit_daily_monthly on visit_daily;
drop trigger request_daily_monthly on request_daily;
drop trigger workshop_daily_monthly on workshop_daily;
drop function app.visit_monthly_apply();
drop function app.request_monthly_apply();
drop function app.workshop_monthly_apply();
drop function if exists app.visit_monthly_add(uuid, uuid, date, text, integer, bigint, integer, integer);
drop function if exists app.request_monthly_add(uuid, uuid, date, text, text, text, uuid, integer, integer);
drop function if exists app.workshop_monthly_add(uuid, uuid, date, text, integer, integer);
drop table visit_monthly, request_monthly, workshop_monthly;

create table activity_monthly (
  tenant_id uuid not null,
  site_id uuid not null,
  month date not null,
  visits integer not null default 0,
  minutes bigint not null default 0,
  during_closure integer not null default 0,
  outside_hours integer not null default 0,
  requests integer not null default 0,
  mediation_acts integer not null default 0,
  workshops integer not null default 0,
  attendees integer not null default 0,
  primary key (tenant_id, site_id, month),
  constraint activity_monthly_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint activity_monthly_month_check check (month = date_trunc('month', month)::date),
  constraint activity_monthly_nonnegative check (
    visits >= 0 and minutes >= 0 and during_closure between 0 and visits and outside_hours between 0 and visits
    and requests >= 0 and mediation_acts >= 0 and workshops >= 0 and attendees >= 0)
);
create index activity_monthly_month_idx on activity_monthly (month);

-- The daily rollups' policies (migration 0003): aggregates, read by the association
-- and the union; written by whoever writes the association's journal.
alter table activity_monthly enable row level security;
alter table activity_monthly force row level security;
create policy activity_monthly_read on activity_monthly for select using (
  tenant_id = (select app.tenant_id()) or (select app.union_role()) is not null or (select app.is_system()));
create policy activity_monthly_insert on activity_monthly for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.is_system()));
create policy activity_monthly_update on activity_monthly for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
              or (select app.is_system()));
grant select, insert, update on activity_monthly to passerelle_app;

-- Adds a change to a site's month: an update when the row exists, else an insert
-- (PostgreSQL checks an insert's constraints before it looks for a conflict, so a
-- withdrawal cannot be an upsert). A withdrawal from a month that does not hold it
-- inserts a negative count, which the check constraint refuses: the write fails
-- instead of skewing the figures.
create function app.activity_monthly_add(
  t uuid, s uuid, d date, v integer, mi bigint, dc integer, oh integer,
  r integer, a integer, w integer, att integer) returns void language plpgsql as $$
declare m date := date_trunc('month', d)::date;
begin
  update activity_monthly set visits = visits + v, minutes = minutes + mi,
         during_closure = during_closure + dc, outside_hours = outside_hours + oh,
         requests = requests + r, mediation_acts = mediation_acts + a,
         workshops = workshops + w, attendees = attendees + att
   where tenant_id = t and site_id = s and month = m;
  if not found then
    insert into activity_monthly as x (tenant_id, site_id, month, visits, minutes, during_closure, outside_hours,
                                       requests, mediation_acts, workshops, attendees)
    values (t, s, m, v, mi, dc, oh, r, a, w, att)
    on conflict (tenant_id, site_id, month) do update
      set visits = x.visits + excluded.visits, minutes = x.minutes + excluded.minutes,
          during_closure = x.during_closure + excluded.during_closure,
          outside_hours = x.outside_hours + excluded.outside_hours,
          requests = x.requests + excluded.requests, mediation_acts = x.mediation_acts + excluded.mediation_acts,
          workshops = x.workshops + excluded.workshops, attendees = x.attendees + excluded.attendees;
  end if;
end $$;

-- One trigger function for the three daily rollups: each row's counts, as
-- (visits, minutes, during_closure, outside_hours, requests, mediation_acts,
-- workshops, attendees), the columns a table lacks being zero. An update that keeps
-- the site and the month (every journal write) is one change; a row that moved or
-- went is withdrawn from its old month.
create function app.activity_monthly_apply() returns trigger language plpgsql as $$
declare
  n int8[];
  o int8[];
begin
  -- One branch per table: PL/pgSQL resolves a record's fields when it prepares a
  -- statement, so a statement naming another table's column may only run for it.
  if tg_table_name = 'visit_daily' then
    if tg_op <> 'DELETE' then n := array[new.visits, new.minutes, new.during_closure, new.outside_hours, 0, 0, 0, 0]; end if;
    if tg_op <> 'INSERT' then o := array[old.visits, old.minutes, old.during_closure, old.outside_hours, 0, 0, 0, 0]; end if;
  elsif tg_table_name = 'request_daily' then
    if tg_op <> 'DELETE' then n := array[0, 0, 0, 0, new.requests, new.mediation_acts, 0, 0]; end if;
    if tg_op <> 'INSERT' then o := array[0, 0, 0, 0, old.requests, old.mediation_acts, 0, 0]; end if;
  else
    if tg_op <> 'DELETE' then n := array[0, 0, 0, 0, 0, 0, new.workshops, new.attendees]; end if;
    if tg_op <> 'INSERT' then o := array[0, 0, 0, 0, 0, 0, old.workshops, old.attendees]; end if;
  end if;
  if tg_op = 'UPDATE' and (new.tenant_id, new.site_id, date_trunc('month', new.day))
                          is not distinct from (old.tenant_id, old.site_id, date_trunc('month', old.day)) then
    perform app.activity_monthly_add(new.tenant_id, new.site_id, new.day,
      (n[1] - o[1])::int, n[2] - o[2], (n[3] - o[3])::int, (n[4] - o[4])::int,
      (n[5] - o[5])::int, (n[6] - o[6])::int, (n[7] - o[7])::int, (n[8] - o[8])::int);
    return null;
  end if;
  if o is not null then
    perform app.activity_monthly_add(old.tenant_id, old.site_id, old.day,
      -o[1]::int, -o[2], -o[3]::int, -o[4]::int, -o[5]::int, -o[6]::int, -o[7]::int, -o[8]::int);
  end if;
  if n is not null then
    perform app.activity_monthly_add(new.tenant_id, new.site_id, new.day,
      n[1]::int, n[2], n[3]::int, n[4]::int, n[5]::int, n[6]::int, n[7]::int, n[8]::int);
  end if;
  return null;
end $$;

-- What the daily rollups hold, folded once, as the system (row-level security is
-- forced on every table, the migrating role included), with the daily rollups locked
-- until the triggers exist: no write can fall between the two.
lock table visit_daily, request_daily, workshop_daily in share row exclusive mode;
select set_config('app.actor_kind', 'system', true);
insert into activity_monthly (tenant_id, site_id, month, visits, minutes, during_closure, outside_hours,
                              requests, mediation_acts, workshops, attendees)
select tenant_id, site_id, month, sum(v), sum(mi), sum(dc), sum(oh), sum(r), sum(a), sum(w), sum(att)
from (
  select tenant_id, site_id, date_trunc('month', day)::date as month,
         visits as v, minutes as mi, during_closure as dc, outside_hours as oh, 0 as r, 0 as a, 0 as w, 0 as att
  from visit_daily
  union all
  select tenant_id, site_id, date_trunc('month', day)::date, 0, 0, 0, 0, requests, mediation_acts, 0, 0
  from request_daily
  union all
  select tenant_id, site_id, date_trunc('month', day)::date, 0, 0, 0, 0, 0, 0, workshops, attendees
  from workshop_daily
) x
group by tenant_id, site_id, month;
select set_config('app.actor_kind', '', true);

create trigger visit_daily_activity_monthly after insert or update or delete on visit_daily
  for each row execute function app.activity_monthly_apply();
create trigger request_daily_activity_monthly after insert or update or delete on request_daily
  for each row execute function app.activity_monthly_apply();
create trigger workshop_daily_activity_monthly after insert or update or delete on workshop_daily
  for each row execute function app.activity_monthly_apply();
