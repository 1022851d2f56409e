-- The version of an association's dashboard: cached views are keyed by it, so a
-- write makes them stale at once. It lives here, not in Redis: a Redis that comes
-- back with old data (a persistent one restarted, a promoted replica, the end of a
-- partition) would bring old versions back with the old views, and serve them.
--
-- Bumped by a deferred trigger on the rollups, so every write that changes them
-- (the journal's, the seeds', any later one) bumps it, in its own transaction, with
-- nothing for the code to remember. Deferred to the commit, the lock on the
-- association's row is taken last and held only for the commit: concurrent writes
-- of one association wait for each other there and nowhere else, and cannot
-- deadlock on it (they already hold every rollup row they need). A transaction
-- bumps an association once, however many rollup rows it touches.
--
-- The dashboard reads it with its view (db::Db::scoped_scalar): a view is cached
-- under the version the reader saw before reading the rollups, so a cached view
-- never holds data older than its key.

create table dashboard_versions (
  tenant_id uuid primary key references tenants (id),
  version bigint not null default 0,
  changed_at timestamptz not null default now()
);

alter table dashboard_versions enable row level security;
alter table dashboard_versions force row level security;
-- The association's own staff read it (every role: viewers see dashboards too).
create policy dashboard_versions_read on dashboard_versions for select using (
  tenant_id = (select app.tenant_id()) or (select app.is_system()));
-- Written only by the trigger, under the writer's own settings: whoever may write
-- the association's rollups may bump its version.
create policy dashboard_versions_insert on dashboard_versions for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.is_system()));
create policy dashboard_versions_update on dashboard_versions for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
              or (select app.is_system()));
grant select, insert, update on dashboard_versions to passerelle_app;

create function app.bump_dashboard_version() returns trigger language plpgsql as $$
declare
  t uuid := coalesce(new.tenant_id, old.tenant_id);
  -- Transaction-local: set once the association is bumped, gone at the end.
  done text := 'app.dashver_' || replace(t::text, '-', '');
begin
  if current_setting(done, true) is distinct from '1' then
    insert into dashboard_versions as v (tenant_id, version) values (t, 1)
      on conflict (tenant_id) do update set version = v.version + 1, changed_at = now();
    perform set_config(done, '1', true);
  end if;
  return null;
end $$;

do $$
declare r text;
begin
  foreach r in array array['visit_daily', 'request_daily', 'workshop_daily'] loop
    execute format('create constraint trigger %I after insert or update or delete on %I '
                   'deferrable initially deferred for each row execute function app.bump_dashboard_version()',
                   r || '_bump_dashboard_version', r);
  end loop;
end $$;
