-- Journal integrity: client keys bound to what was sent, one numbering of request
-- positions, and visits recorded during a closure or outside opening hours marked
-- and counted.
--
-- The data updates below touch tables under forced row-level security: they run as
-- the system actor for this migration's transaction only.
select set_config('app.actor_kind', 'system', true);

-- A client key names one request. The fingerprint (SHA-256 of the normalised input)
-- tells a replay (same input: the first result again) from a reused key (another
-- input: CONFLICT). Rows recorded before this migration have none and replay as before.
alter table visits add column client_fingerprint text;
alter table workshops add column client_fingerprint text;
alter table survey_answers add column client_fingerprint text;

-- Request positions count from 0, as the API always did; the demo and bench seeds
-- counted from 1. Renumbered in their order, then held by a constraint.
update visit_requests r set position = n.pos
from (
  select tenant_id, id,
         (row_number() over (partition by tenant_id, visit_id order by position, id) - 1)::smallint as pos
  from visit_requests) n
where r.tenant_id = n.tenant_id and r.id = n.id and r.position <> n.pos;
alter table visit_requests add constraint visit_requests_position_check check (position >= 0);
alter table visit_requests add constraint visit_requests_position_key unique (tenant_id, visit_id, position);

-- Whether a visit fell in one of its site's closures (any channel), or outside its
-- site's opening hours (on-site visits of a site with hours; the recurrence of a
-- fortnightly permanence has no anchor date, so only the weekday, the time and the
-- week of the month are held against it). Paris time. Runs as the caller.
create function app.visit_flags(p_tenant uuid, p_site uuid, p_at timestamptz, p_channel text,
                                out during_closure boolean, out outside_hours boolean)
language sql stable as $$
  with l as (select (p_at at time zone 'Europe/Paris') as t)
  select
    exists (select 1 from site_closures c
            where c.tenant_id = p_tenant and c.site_id = p_site and l.t::date between c.starts_on and c.ends_on),
    p_channel = 'on_site'
      and exists (select 1 from site_opening_hours h where h.tenant_id = p_tenant and h.site_id = p_site)
      and not exists (
        select 1 from site_opening_hours h
        where h.tenant_id = p_tenant and h.site_id = p_site
          and h.weekday = extract(isodow from l.t)
          and l.t::time >= h.opens and l.t::time < h.closes
          and (h.week_of_month is null
               or h.week_of_month = (extract(day from l.t)::int + 6) / 7
               or (h.week_of_month = 5 and extract(month from l.t + interval '7 days') <> extract(month from l.t))))
  from l
$$;
grant execute on function app.visit_flags(uuid, uuid, timestamptz, text) to passerelle_app;

-- Kept on the visit as found when it was recorded (or last amended), so that the
-- rollup below can be withdrawn exactly even after the site's hours change.
alter table visits add column during_closure boolean not null default false;
alter table visits add column outside_hours boolean not null default false;

update visits v set during_closure = f.during_closure, outside_hours = f.outside_hours
from visits w cross join lateral app.visit_flags(w.tenant_id, w.site_id, w.occurred_at, w.channel) f
where v.tenant_id = w.tenant_id and v.id = w.id and (f.during_closure or f.outside_hours);

-- The dashboard's data-quality figures, per day like the visits they count.
alter table visit_daily add column during_closure integer not null default 0;
alter table visit_daily add column outside_hours integer not null default 0;
alter table visit_daily drop constraint visit_daily_nonnegative;
alter table visit_daily add constraint visit_daily_nonnegative check (
  visits >= 0 and minutes >= 0 and during_closure between 0 and visits and outside_hours between 0 and visits);

update visit_daily d set during_closure = x.c, outside_hours = x.o
from (
  select tenant_id, site_id, (occurred_at at time zone 'Europe/Paris')::date as day, channel,
         count(*) filter (where during_closure)::int as c, count(*) filter (where outside_hours)::int as o
  from visits where status = 'recorded' and (during_closure or outside_hours)
  group by 1, 2, 3, 4) x
where d.tenant_id = x.tenant_id and d.site_id = x.site_id and d.day = x.day and d.channel = x.channel;

select set_config('app.actor_kind', '', true);
