-- Monthly rollups: the daily ones folded by Paris calendar month (issue "Performance,
-- round two", W4). A network year by month read the daily rollups of every site for
-- 365 days (seconds on a large network, bench/README.md); the same figures from
-- these tables are about thirty times fewer rows. A dashboard by month reads them
-- (crates/mediation, dashboard.rs); by day or week it reads the daily ones.
--
-- Kept by row triggers on the daily rollups, in the statement that changes them: every
-- writer of a daily row (the journal, the seeds, the tests' fixtures, any later one)
-- keeps the month exact in its own transaction, with nothing for the code to remember
-- and no statement more on the wire. The trigger runs under the writer's settings, so
-- the same row-level security applies as to the daily rows. A month's row is locked
-- with its day's, by the same writers, so no new lock order appears.

create table visit_monthly (
  tenant_id uuid not null,
  site_id uuid not null,
  month date not null,
  channel text not null,
  visits integer not null default 0,
  minutes bigint not null default 0,
  during_closure integer not null default 0,
  outside_hours integer not null default 0,
  primary key (tenant_id, site_id, month, channel),
  constraint visit_monthly_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint visit_monthly_month_check check (month = date_trunc('month', month)::date),
  constraint visit_monthly_nonnegative check (
    visits >= 0 and minutes >= 0 and during_closure between 0 and visits and outside_hours between 0 and visits)
);
create index visit_monthly_month_idx on visit_monthly (tenant_id, month);

create table request_monthly (
  tenant_id uuid not null,
  site_id uuid not null,
  month date not null,
  channel text not null,
  theme text not null,
  kind text not null,
  partner_key uuid not null,
  requests integer not null default 0,
  mediation_acts integer not null default 0,
  primary key (tenant_id, site_id, month, channel, theme, kind, partner_key),
  constraint request_monthly_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint request_monthly_month_check check (month = date_trunc('month', month)::date),
  constraint request_monthly_nonnegative check (requests >= 0 and mediation_acts >= 0)
);
create index request_monthly_month_idx on request_monthly (tenant_id, month);

create table workshop_monthly (
  tenant_id uuid not null,
  site_id uuid not null,
  month date not null,
  theme text not null,
  workshops integer not null default 0,
  attendees integer not null default 0,
  primary key (tenant_id, site_id, month, theme),
  constraint workshop_monthly_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint workshop_monthly_month_check check (month = date_trunc('month', month)::date),
  constraint workshop_monthly_nonnegative check (workshops >= 0 and attendees >= 0)
);
create index workshop_monthly_month_idx on workshop_monthly (tenant_id, month);

-- The same policies as the daily rollups (migration 0003): aggregates, read by the
-- association and the union; written by whoever writes the association's journal.
do $$
declare t text;
begin
  foreach t in array array['visit_monthly', 'request_monthly', 'workshop_monthly'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy %I on %I for select using (
      tenant_id = (select app.tenant_id()) or (select app.union_role()) is not null or (select app.is_system()))$p$,
      t || '_read', t);
    execute format($p$create policy %I on %I for insert with check (
      (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
      or (select app.is_system()))$p$, t || '_insert', t);
    execute format($p$create policy %I on %I for update
      using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
             or (select app.is_system()))
      with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
                  or (select app.is_system()))$p$, t || '_update', t);
  end loop;
end $$;
grant select, insert, update on visit_monthly, request_monthly, workshop_monthly to passerelle_app;

-- Each trigger adds the row's change (new minus old) to its month. An update that
-- keeps the key (every journal write: counts go up or down) is one change; a row that
-- moved or went is withdrawn from its old month. A change updates the month's row when
-- it exists and inserts it otherwise: PostgreSQL checks an insert's constraints before
-- it looks for a conflict, so a withdrawal cannot be an upsert. A withdrawal from a
-- month that does not hold it inserts a negative count, which the check constraint
-- refuses: the write fails instead of skewing the figures.
create function app.visit_monthly_add(t uuid, s uuid, m date, ch text, v integer, mi bigint, dc integer, oh integer)
returns void language plpgsql as $$
begin
  update visit_monthly set visits = visits + v, minutes = minutes + mi,
         during_closure = during_closure + dc, outside_hours = outside_hours + oh
   where tenant_id = t and site_id = s and month = m and channel = ch;
  if not found then
    insert into visit_monthly as x (tenant_id, site_id, month, channel, visits, minutes, during_closure, outside_hours)
    values (t, s, m, ch, v, mi, dc, oh)
    on conflict (tenant_id, site_id, month, channel) do update
      set visits = x.visits + excluded.visits, minutes = x.minutes + excluded.minutes,
          during_closure = x.during_closure + excluded.during_closure,
          outside_hours = x.outside_hours + excluded.outside_hours;
  end if;
end $$;

create function app.request_monthly_add(t uuid, s uuid, m date, ch text, th text, k text, p uuid, r integer, a integer)
returns void language plpgsql as $$
begin
  update request_monthly set requests = requests + r, mediation_acts = mediation_acts + a
   where tenant_id = t and site_id = s and month = m and channel = ch and theme = th and kind = k and partner_key = p;
  if not found then
    insert into request_monthly as x (tenant_id, site_id, month, channel, theme, kind, partner_key, requests, mediation_acts)
    values (t, s, m, ch, th, k, p, r, a)
    on conflict (tenant_id, site_id, month, channel, theme, kind, partner_key) do update
      set requests = x.requests + excluded.requests, mediation_acts = x.mediation_acts + excluded.mediation_acts;
  end if;
end $$;

create function app.workshop_monthly_add(t uuid, s uuid, m date, th text, w integer, a integer)
returns void language plpgsql as $$
begin
  update workshop_monthly set workshops = workshops + w, attendees = attendees + a
   where tenant_id = t and site_id = s and month = m and theme = th;
  if not found then
    insert into workshop_monthly as x (tenant_id, site_id, month, theme, workshops, attendees)
    values (t, s, m, th, w, a)
    on conflict (tenant_id, site_id, month, theme) do update
      set workshops = x.workshops + excluded.workshops, attendees = x.attendees + excluded.attendees;
  end if;
end $$;

create function app.visit_monthly_apply() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and (new.tenant_id, new.site_id, date_trunc('month', new.day), new.channel)
                          is not distinct from (old.tenant_id, old.site_id, date_trunc('month', old.day), old.channel) then
    perform app.visit_monthly_add(new.tenant_id, new.site_id, date_trunc('month', new.day)::date, new.channel,
      new.visits - old.visits, new.minutes - old.minutes,
      new.during_closure - old.during_closure, new.outside_hours - old.outside_hours);
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform app.visit_monthly_add(old.tenant_id, old.site_id, date_trunc('month', old.day)::date, old.channel,
      -old.visits, -old.minutes, -old.during_closure, -old.outside_hours);
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    perform app.visit_monthly_add(new.tenant_id, new.site_id, date_trunc('month', new.day)::date, new.channel,
      new.visits, new.minutes, new.during_closure, new.outside_hours);
  end if;
  return null;
end $$;

create function app.request_monthly_apply() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and (new.tenant_id, new.site_id, date_trunc('month', new.day), new.channel, new.theme, new.kind, new.partner_key)
                          is not distinct from
                          (old.tenant_id, old.site_id, date_trunc('month', old.day), old.channel, old.theme, old.kind, old.partner_key) then
    perform app.request_monthly_add(new.tenant_id, new.site_id, date_trunc('month', new.day)::date, new.channel,
      new.theme, new.kind, new.partner_key, new.requests - old.requests, new.mediation_acts - old.mediation_acts);
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform app.request_monthly_add(old.tenant_id, old.site_id, date_trunc('month', old.day)::date, old.channel,
      old.theme, old.kind, old.partner_key, -old.requests, -old.mediation_acts);
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    perform app.request_monthly_add(new.tenant_id, new.site_id, date_trunc('month', new.day)::date, new.channel,
      new.theme, new.kind, new.partner_key, new.requests, new.mediation_acts);
  end if;
  return null;
end $$;

create function app.workshop_monthly_apply() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and (new.tenant_id, new.site_id, date_trunc('month', new.day), new.theme)
                          is not distinct from (old.tenant_id, old.site_id, date_trunc('month', old.day), old.theme) then
    perform app.workshop_monthly_add(new.tenant_id, new.site_id, date_trunc('month', new.day)::date, new.theme,
      new.workshops - old.workshops, new.attendees - old.attendees);
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform app.workshop_monthly_add(old.tenant_id, old.site_id, date_trunc('month', old.day)::date, old.theme,
      -old.workshops, -old.attendees);
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    perform app.workshop_monthly_add(new.tenant_id, new.site_id, date_trunc('month', new.day)::date, new.theme,
      new.workshops, new.attendees);
  end if;
  return null;
end $$;

-- What the daily rollups already hold, folded once (as the system: row-level security
-- is forced on every table, the migrating role included). Locked first, in the
-- migration's transaction: no write of the daily rollups can fall between the fold
-- and the triggers.
lock table visit_daily, request_daily, workshop_daily in share row exclusive mode;
select set_config('app.actor_kind', 'system', true);
insert into visit_monthly (tenant_id, site_id, month, channel, visits, minutes, during_closure, outside_hours)
select tenant_id, site_id, date_trunc('month', day)::date, channel,
       sum(visits), sum(minutes), sum(during_closure), sum(outside_hours)
from visit_daily group by 1, 2, 3, 4;
insert into request_monthly (tenant_id, site_id, month, channel, theme, kind, partner_key, requests, mediation_acts)
select tenant_id, site_id, date_trunc('month', day)::date, channel, theme, kind, partner_key,
       sum(requests), sum(mediation_acts)
from request_daily group by 1, 2, 3, 4, 5, 6, 7;
insert into workshop_monthly (tenant_id, site_id, month, theme, workshops, attendees)
select tenant_id, site_id, date_trunc('month', day)::date, theme, sum(workshops), sum(attendees)
from workshop_daily group by 1, 2, 3, 4;
select set_config('app.actor_kind', '', true);

create trigger visit_daily_monthly after insert or update or delete on visit_daily
  for each row execute function app.visit_monthly_apply();
create trigger request_daily_monthly after insert or update or delete on request_daily
  for each row execute function app.request_monthly_apply();
create trigger workshop_daily_monthly after insert or update or delete on workshop_daily
  for each row execute function app.workshop_monthly_apply();
