-- Sites: reception points, permanences (recurring slots held elsewhere), mobile
-- units; their weekly hours, exceptional closures, labels and services.
-- Managed by directors and coordinators, read by the whole association, and by the
-- union (it keeps the network map).

create table sites (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  name text not null,
  kind text not null,
  -- A permanence belongs to a site and is held at a host place.
  parent_site_id uuid,
  host_place text,
  street text,
  postcode text not null,
  city text not null,
  insee_code text,
  latitude double precision,
  longitude double precision,
  qpv_code text,
  opened_on date not null,
  closed_on date,
  services text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint sites_tenant_name_key unique (tenant_id, name),
  constraint sites_parent_fkey foreign key (tenant_id, parent_site_id) references sites (tenant_id, id),
  constraint sites_kind_check check (kind in ('site', 'permanence', 'mobile')),
  constraint sites_permanence_parent check ((kind = 'permanence') = (parent_site_id is not null)),
  constraint sites_name_length check (length(btrim(name)) between 2 and 200),
  constraint sites_postcode_format check (postcode ~ '^[0-9]{5}$'),
  constraint sites_insee_format check (insee_code ~ '^[0-9][0-9AB][0-9]{3}$'),
  constraint sites_qpv_format check (qpv_code ~ '^Q[A-Z0-9]{6,8}$'),
  constraint sites_coordinates check (
    (latitude is null) = (longitude is null)
    and (latitude is null or (latitude between -90 and 90 and longitude between -180 and 180))),
  constraint sites_dates check (closed_on is null or closed_on >= opened_on)
);
create index sites_parent_idx on sites (tenant_id, parent_site_id) where parent_site_id is not null;

-- Weekly schedule. every_n_weeks/week_of_month describe a permanence's recurrence
-- (e.g. every other Tuesday, or the first Thursday of the month).
create table site_opening_hours (
  tenant_id uuid not null,
  id uuid not null,
  site_id uuid not null,
  weekday smallint not null,
  opens time not null,
  closes time not null,
  every_n_weeks smallint not null default 1,
  week_of_month smallint,
  primary key (tenant_id, id),
  constraint site_opening_hours_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint site_opening_hours_weekday check (weekday between 1 and 7),
  constraint site_opening_hours_order check (closes > opens),
  constraint site_opening_hours_recurrence check (
    every_n_weeks between 1 and 4 and (week_of_month is null or week_of_month between 1 and 5))
);
create index site_opening_hours_site_idx on site_opening_hours (tenant_id, site_id);

-- Exceptions: holidays and closures, whole days.
create table site_closures (
  tenant_id uuid not null,
  id uuid not null,
  site_id uuid not null,
  starts_on date not null,
  ends_on date not null,
  reason text not null,
  primary key (tenant_id, id),
  constraint site_closures_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint site_closures_dates check (ends_on >= starts_on),
  constraint site_closures_reason_length check (length(btrim(reason)) between 2 and 200)
);
create index site_closures_site_idx on site_closures (tenant_id, site_id, starts_on);

create table site_labels (
  tenant_id uuid not null,
  id uuid not null,
  site_id uuid not null,
  label text not null,
  granted_on date not null,
  expires_on date,
  primary key (tenant_id, id),
  constraint site_labels_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint site_labels_label_check check (label in
    ('france_services', 'msap', 'point_conseil_budget_1', 'point_conseil_budget_2', 'aidants_connect', 'conseiller_numerique')),
  constraint site_labels_dates check (expires_on is null or expires_on >= granted_on),
  constraint site_labels_site_label_key unique (tenant_id, site_id, label, granted_on)
);

alter table sites enable row level security;
alter table sites force row level security;
create policy sites_read on sites for select using (
  tenant_id = (select app.tenant_id()) or (select app.union_role()) is not null or (select app.is_system()));
create policy sites_write on sites for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
  or (select app.is_system()));
create policy sites_update on sites for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
              or (select app.is_system()));

-- The three child tables share one shape of policy.
do $$
declare t text;
begin
  foreach t in array array['site_opening_hours', 'site_closures', 'site_labels'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy %I on %I for select using (
      tenant_id = (select app.tenant_id()) or (select app.union_role()) is not null or (select app.is_system()))$p$,
      t || '_read', t);
    execute format($p$create policy %I on %I for all
      using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
             or (select app.is_system()))
      with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
                  or (select app.is_system()))$p$,
      t || '_write', t);
  end loop;
end $$;

grant select, insert, update on sites to passerelle_app;
-- Schedules, closures and labels are configuration: replaced and corrected freely.
grant select, insert, update, delete on site_opening_hours, site_closures, site_labels to passerelle_app;
