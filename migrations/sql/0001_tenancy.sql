-- Tenancy: associations (tenants), people, memberships, invitations, union staff,
-- partner organisations, audit logs.
--
-- Row-level security reads transaction-local settings written by db::scoped with
-- set_config(..., true): app.tenant_id, app.tenant_role, app.user_id, app.union_role,
-- app.partner_id, app.actor_kind ('user' | 'system'). An unset setting reads as NULL,
-- and NULL matches nothing: default deny.

create schema if not exists app;

create function app.tenant_id() returns uuid language sql stable
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;
create function app.tenant_role() returns text language sql stable
  as $$ select nullif(current_setting('app.tenant_role', true), '') $$;
create function app.user_id() returns uuid language sql stable
  as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;
create function app.union_role() returns text language sql stable
  as $$ select nullif(current_setting('app.union_role', true), '') $$;
create function app.partner_id() returns uuid language sql stable
  as $$ select nullif(current_setting('app.partner_id', true), '')::uuid $$;
create function app.is_system() returns boolean language sql stable
  as $$ select coalesce(current_setting('app.actor_kind', true) = 'system', false) $$;

-- Associations ---------------------------------------------------------------

create table tenants (
  id uuid primary key,
  slug text not null,
  name text not null,
  status text not null default 'active',
  suspended_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenants_slug_key unique (slug),
  constraint tenants_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 63),
  constraint tenants_name_length check (length(btrim(name)) between 2 and 200),
  constraint tenants_status_check check (status in ('active', 'suspended'))
);

-- People -----------------------------------------------------------------------

create table users (
  id uuid primary key,
  email text not null,
  display_name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_email_key unique (email),
  constraint users_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint users_display_name_length check (length(btrim(display_name)) between 1 and 200)
);

-- How a person signs in: one row per (issuer, subject).
create table user_identities (
  id uuid primary key,
  user_id uuid not null references users (id),
  issuer text not null,
  subject text not null,
  created_at timestamptz not null default now(),
  last_login_at timestamptz not null default now(),
  constraint user_identities_issuer_subject_key unique (issuer, subject)
);
create index user_identities_user_id_idx on user_identities (user_id);

-- Union staff -------------------------------------------------------------------

create table union_staff (
  user_id uuid primary key references users (id),
  role text not null,
  granted_at timestamptz not null default now(),
  constraint union_staff_role_check check (role in ('admin', 'auditor', 'analyst'))
);

create table union_invitations (
  id uuid primary key,
  email text not null,
  role text not null,
  created_at timestamptz not null default now(),
  accepted_at timestamptz,
  constraint union_invitations_email_key unique (email),
  constraint union_invitations_role_check check (role in ('admin', 'auditor', 'analyst')),
  constraint union_invitations_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);

-- Partner organisations (agreements come with the partners domain) -------------

create table partner_organisations (
  id uuid primary key,
  name text not null,
  sector text not null,
  reach text not null default 'national',
  created_at timestamptz not null default now(),
  constraint partner_organisations_name_key unique (name),
  constraint partner_organisations_reach_check check (reach in ('national', 'local')),
  constraint partner_organisations_sector_check check (sector in
    ('energy', 'water', 'transport', 'postal', 'telecom', 'public_body', 'social_security', 'other'))
);

create table partner_users (
  user_id uuid primary key references users (id),
  partner_id uuid not null references partner_organisations (id),
  created_at timestamptz not null default now()
);
create index partner_users_partner_id_idx on partner_users (partner_id);

-- Memberships: a person's role in one association. Never deleted: deactivated.

create table memberships (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  user_id uuid not null references users (id),
  role text not null,
  status text not null default 'active',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deactivated_at timestamptz,
  primary key (tenant_id, id),
  constraint memberships_tenant_user_key unique (tenant_id, user_id),
  constraint memberships_role_check check (role in ('director', 'coordinator', 'mediator', 'viewer')),
  constraint memberships_status_check check (status in ('active', 'deactivated')),
  constraint memberships_deactivated_at_check check ((status = 'deactivated') = (deactivated_at is not null))
);
create index memberships_user_id_idx on memberships (user_id);

-- An association always keeps one active director. Checked here, under an
-- advisory lock per tenant, so two concurrent demotions cannot both pass.
create function app.memberships_keep_one_director() returns trigger language plpgsql as $$
begin
  if old.role = 'director' and old.status = 'active'
     and (new.role <> 'director' or new.status <> 'active') then
    perform pg_advisory_xact_lock(hashtextextended(old.tenant_id::text, 7301));
    if not exists (select 1 from memberships
                   where tenant_id = old.tenant_id and role = 'director' and status = 'active') then
      raise exception 'an association must keep at least one active director'
        using errcode = '23514', constraint = 'memberships_keep_one_director';
    end if;
  end if;
  return new;
end $$;

create trigger memberships_keep_one_director after update on memberships
  for each row execute function app.memberships_keep_one_director();

create table invitations (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  email text not null,
  role text not null,
  status text not null default 'pending',
  invited_by uuid references users (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references users (id),
  primary key (tenant_id, id),
  constraint invitations_role_check check (role in ('director', 'coordinator', 'mediator', 'viewer')),
  constraint invitations_status_check check (status in ('pending', 'accepted', 'revoked')),
  constraint invitations_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
create unique index invitations_pending_email_key on invitations (tenant_id, email) where status = 'pending';
create index invitations_pending_by_email_idx on invitations (email) where status = 'pending';

-- Audit logs: append-only (the application may insert and read, never update or delete).

create table tenant_audit_log (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  actor_user_id uuid,
  actor_kind text not null,
  action text not null,
  subject_id uuid,
  request_id uuid,
  at timestamptz not null default now(),
  primary key (tenant_id, id)
);

create table union_audit_log (
  id uuid primary key,
  target_tenant_id uuid references tenants (id),
  actor_user_id uuid,
  actor_kind text not null,
  action text not null,
  subject_id uuid,
  request_id uuid,
  at timestamptz not null default now()
);

-- Row-level security ------------------------------------------------------------
-- Every table: ENABLED and FORCED. Settings are read through (select app.x()) so the
-- planner evaluates them once per statement, not once per row.

alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenants_read on tenants for select using (
  id = (select app.tenant_id())
  or (select app.union_role()) is not null
  or (select app.is_system())
  or exists (select 1 from memberships m
             where m.tenant_id = tenants.id and m.user_id = (select app.user_id()) and m.status = 'active'));
create policy tenants_insert on tenants for insert
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));
create policy tenants_update on tenants for update
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table users enable row level security;
alter table users force row level security;
create policy users_read on users for select using (
  id = (select app.user_id())
  or (select app.is_system())
  or exists (select 1 from memberships m
             where m.user_id = users.id and m.tenant_id = (select app.tenant_id())));
create policy users_insert on users for insert with check ((select app.is_system()));
create policy users_update on users for update
  using (id = (select app.user_id()) or (select app.is_system()))
  with check (id = (select app.user_id()) or (select app.is_system()));

alter table user_identities enable row level security;
alter table user_identities force row level security;
create policy user_identities_read on user_identities for select
  using (user_id = (select app.user_id()) or (select app.is_system()));
create policy user_identities_write on user_identities for insert with check ((select app.is_system()));
create policy user_identities_touch on user_identities for update
  using ((select app.is_system())) with check ((select app.is_system()));

alter table union_staff enable row level security;
alter table union_staff force row level security;
create policy union_staff_read on union_staff for select using (
  user_id = (select app.user_id()) or (select app.union_role()) = 'admin' or (select app.is_system()));
create policy union_staff_insert on union_staff for insert
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));
create policy union_staff_update on union_staff for update
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table union_invitations enable row level security;
alter table union_invitations force row level security;
create policy union_invitations_all on union_invitations for all
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table partner_organisations enable row level security;
alter table partner_organisations force row level security;
-- Partner firms are public knowledge inside the network (staff code requests to them).
create policy partner_organisations_read on partner_organisations for select using (
  (select app.user_id()) is not null or (select app.is_system()));
create policy partner_organisations_insert on partner_organisations for insert
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));
create policy partner_organisations_update on partner_organisations for update
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table partner_users enable row level security;
alter table partner_users force row level security;
create policy partner_users_read on partner_users for select using (
  user_id = (select app.user_id())
  or partner_id = (select app.partner_id())
  or (select app.union_role()) = 'admin'
  or (select app.is_system()));
create policy partner_users_insert on partner_users for insert
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table memberships enable row level security;
alter table memberships force row level security;
create policy memberships_read on memberships for select using (
  tenant_id = (select app.tenant_id())
  or user_id = (select app.user_id())
  or (select app.is_system()));
create policy memberships_insert on memberships for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
  or (select app.is_system()));
create policy memberships_update on memberships for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
              or (select app.is_system()));

alter table invitations enable row level security;
alter table invitations force row level security;
-- The union admin may create director invitations (how a new association gets its
-- first director) and read back only the ones it sent: never the association's staff.
create policy invitations_read on invitations for select using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
  or ((select app.union_role()) = 'admin' and role = 'director' and invited_by = (select app.user_id()))
  or (select app.is_system()));
create policy invitations_insert on invitations for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
  or ((select app.union_role()) = 'admin' and role = 'director' and invited_by = (select app.user_id()))
  or (select app.is_system()));
create policy invitations_update on invitations for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
              or (select app.is_system()));

alter table tenant_audit_log enable row level security;
alter table tenant_audit_log force row level security;
create policy tenant_audit_log_read on tenant_audit_log for select using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
  or (select app.union_role()) in ('admin', 'auditor')
  or (select app.is_system()));
create policy tenant_audit_log_insert on tenant_audit_log for insert with check (
  tenant_id = (select app.tenant_id())
  or (select app.union_role()) = 'admin'
  or (select app.is_system()));

alter table union_audit_log enable row level security;
alter table union_audit_log force row level security;
create policy union_audit_log_read on union_audit_log for select using (
  (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()));
create policy union_audit_log_insert on union_audit_log for insert with check (
  (select app.union_role()) is not null or (select app.is_system()));

-- Grants: the application role gets exactly what the services use. No DELETE anywhere:
-- nothing acknowledged is ever lost.
grant usage on schema app to passerelle_app;
grant select, insert, update on tenants, users, user_identities, union_staff, union_invitations,
  partner_organisations, partner_users, memberships, invitations to passerelle_app;
grant select, insert on tenant_audit_log, union_audit_log to passerelle_app;
