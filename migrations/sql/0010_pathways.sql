-- HR pathways: an association's employees (mediators on subsidised contracts for a
-- qualification pathway), their contracts and the sites they work at, the subsidies
-- behind them, the training ledger (the 9 % rule), declared absences, qualifications
-- obtained, exits with their outcome and the 6-month follow-up; the organisations that
-- prescribe or follow them (France Travail, mission locale...); and, per association,
-- whether coordinators may manage all this.
--
-- Who reads what (row-level security):
-- - the director, and coordinators when the association's hr_settings allow it (the
--   "HR manager", app.hr_manager()), read and write everything of the association;
-- - an employee with an account reads their own record, contracts, ledger, absences,
--   qualifications and exit while acting in that association; nothing of colleagues,
--   nor the subsidies (the employer's funding);
-- - the union reads nothing here: its aggregates are counted by the platform
--   (Ctx::system in pathways::stats) and leave it as counts only, small ones hidden;
-- - partners read nothing here.
-- Personal data is kept to the minimum: a name (or the account), birth year and sex
-- for the network's statistics; no address, social security number or health data
-- (an absence has dates, never a reason). Five years after an exit the record is
-- reduced to its statistics fields (pathways::retention).

create table hr_settings (
  tenant_id uuid not null references tenants (id),
  coordinators_manage_hr boolean not null default false,
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);

-- Whether the acting person may manage the association's HR records: its director,
-- or a coordinator when the director has granted it. Runs as the caller.
create function app.hr_manager() returns boolean language sql stable as $$
  select coalesce(
    app.tenant_role() = 'director'
    or (app.tenant_role() = 'coordinator'
        and exists (select 1 from hr_settings s
                    where s.tenant_id = app.tenant_id() and s.coordinators_manage_hr)),
    false)
$$;

create table hr_organisations (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  name text not null,
  kind text not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint hr_organisations_tenant_name_key unique (tenant_id, name),
  constraint hr_organisations_name_length check (length(btrim(name)) between 2 and 200),
  constraint hr_organisations_kind_check check (kind in
    ('france_travail', 'mission_locale', 'cap_emploi', 'plie', 'departement', 'other'))
);

create table employees (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  -- The person's account, when they have one; cleared by the retention job.
  user_id uuid references users (id),
  -- Cleared by the retention job (then anonymised_at is set).
  full_name text,
  birth_year smallint not null,
  sex text not null,
  prescriber_id uuid,
  referent_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  anonymised_at timestamptz,
  primary key (tenant_id, id),
  constraint employees_tenant_user_key unique (tenant_id, user_id),
  constraint employees_prescriber_fkey foreign key (tenant_id, prescriber_id) references hr_organisations (tenant_id, id),
  constraint employees_referent_fkey foreign key (tenant_id, referent_id) references hr_organisations (tenant_id, id),
  constraint employees_sex_check check (sex in ('female', 'male')),
  constraint employees_birth_year check (birth_year between 1930 and 2015),
  constraint employees_named check ((full_name is null) = (anonymised_at is not null)),
  constraint employees_anonymous check (anonymised_at is null or user_id is null),
  constraint employees_name_length check (length(btrim(full_name)) between 2 and 200)
);
create index employees_user_idx on employees (user_id) where user_id is not null;

create table employment_contracts (
  tenant_id uuid not null,
  id uuid not null,
  employee_id uuid not null,
  kind text not null,
  starts_on date not null,
  planned_end_on date,
  -- Set when the contract ended before its planned end (early end or exit).
  ended_on date,
  end_reason text,
  weekly_hours double precision not null,
  job_title text not null,
  -- The contract this one renews (the pathway is the chain).
  renews_id uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint employment_contracts_employee_fkey foreign key (tenant_id, employee_id) references employees (tenant_id, id),
  constraint employment_contracts_renews_fkey foreign key (tenant_id, renews_id) references employment_contracts (tenant_id, id),
  constraint employment_contracts_renews_key unique (tenant_id, renews_id),
  constraint employment_contracts_kind_check check (kind in
    ('adulte_relais', 'pec', 'apprenticeship', 'professionalisation', 'cdd', 'cdi', 'other')),
  constraint employment_contracts_dates check (planned_end_on is null or planned_end_on >= starts_on),
  constraint employment_contracts_end check (ended_on is null or ended_on >= starts_on),
  constraint employment_contracts_end_reason check ((ended_on is null) = (end_reason is null)),
  constraint employment_contracts_hours check (weekly_hours > 0 and weekly_hours <= 48),
  constraint employment_contracts_job_title_length check (length(btrim(job_title)) between 2 and 200)
);
create index employment_contracts_employee_idx on employment_contracts (tenant_id, employee_id, starts_on);

create table contract_sites (
  tenant_id uuid not null,
  contract_id uuid not null,
  site_id uuid not null,
  -- Carried so that the employee's own-record policy needs no join.
  employee_id uuid not null,
  primary key (tenant_id, contract_id, site_id),
  constraint contract_sites_contract_fkey foreign key (tenant_id, contract_id) references employment_contracts (tenant_id, id),
  constraint contract_sites_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint contract_sites_employee_fkey foreign key (tenant_id, employee_id) references employees (tenant_id, id)
);

create table subsidies (
  tenant_id uuid not null,
  id uuid not null,
  contract_id uuid not null,
  programme text not null,
  funder text not null,
  -- Cleared by the retention job: the State's file may name the person.
  agreement_reference text,
  starts_on date not null,
  ends_on date not null,
  amount_cents bigint,
  rate_percent double precision,
  renewal_deadline date,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint subsidies_contract_fkey foreign key (tenant_id, contract_id) references employment_contracts (tenant_id, id),
  constraint subsidies_programme_check check (programme in
    ('adulte_relais', 'pec', 'apprenticeship_aid', 'professionalisation_aid', 'other')),
  constraint subsidies_funder_check check (funder in
    ('state', 'departement', 'region', 'france_travail', 'municipality', 'other')),
  constraint subsidies_dates check (ends_on >= starts_on),
  constraint subsidies_amount_or_rate check (amount_cents is not null or rate_percent is not null),
  constraint subsidies_amount check (amount_cents is null or amount_cents >= 0),
  constraint subsidies_rate check (rate_percent is null or (rate_percent > 0 and rate_percent <= 100))
);
create index subsidies_contract_idx on subsidies (tenant_id, contract_id);

-- The training ledger: training sessions and professional-project time.
create table training_entries (
  tenant_id uuid not null,
  id uuid not null,
  employee_id uuid not null,
  kind text not null,
  -- Title, provider and certification are cleared by the retention job.
  title text,
  provider text,
  certification text,
  starts_on date not null,
  ends_on date not null,
  hours double precision not null,
  counts_toward_quota boolean not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint training_entries_employee_fkey foreign key (tenant_id, employee_id) references employees (tenant_id, id),
  constraint training_entries_kind_check check (kind in
    ('training', 'immersion', 'job_search_workshop', 'interview', 'other_project')),
  constraint training_entries_dates check (ends_on >= starts_on),
  constraint training_entries_hours check (hours > 0 and hours <= 2000)
);
create index training_entries_employee_idx on training_entries (tenant_id, employee_id, ends_on);

-- Declared absences: dates only (never why: no health data here).
create table absences (
  tenant_id uuid not null,
  id uuid not null,
  employee_id uuid not null,
  starts_on date not null,
  ends_on date not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint absences_employee_fkey foreign key (tenant_id, employee_id) references employees (tenant_id, id),
  constraint absences_dates check (ends_on >= starts_on)
);
create index absences_employee_idx on absences (tenant_id, employee_id, starts_on);

create table qualifications (
  tenant_id uuid not null,
  id uuid not null,
  employee_id uuid not null,
  title text not null,
  obtained_on date not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint qualifications_employee_fkey foreign key (tenant_id, employee_id) references employees (tenant_id, id),
  constraint qualifications_title_length check (length(btrim(title)) between 2 and 200)
);

-- One exit per employee; the follow-up six months later on the same row.
create table employee_exits (
  tenant_id uuid not null,
  id uuid not null,
  employee_id uuid not null,
  exit_on date not null,
  reason text not null,
  outcome text not null,
  employer_sector text,
  -- The new employer, when it is one of the network's partner firms.
  employer_partner_id uuid references partner_organisations (id),
  followed_up_on date,
  followup_outcome text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint employee_exits_employee_key unique (tenant_id, employee_id),
  constraint employee_exits_employee_fkey foreign key (tenant_id, employee_id) references employees (tenant_id, id),
  constraint employee_exits_reason_check check (reason in
    ('end_of_contract', 'resignation_for_job', 'dismissal', 'other')),
  constraint employee_exits_outcome_check check (outcome in
    ('lasting_job', 'other_job', 'qualifying_training', 'business_creation', 'job_search', 'inactive', 'unknown')),
  constraint employee_exits_followup_outcome_check check (followup_outcome in
    ('lasting_job', 'other_job', 'qualifying_training', 'business_creation', 'job_search', 'inactive', 'unknown')),
  constraint employee_exits_sector_check check (employer_sector in
    ('public_service_firm', 'public_sector', 'private', 'social_economy', 'other')),
  constraint employee_exits_followup check ((followed_up_on is null) = (followup_outcome is null)),
  constraint employee_exits_followup_date check (followed_up_on is null or followed_up_on >= exit_on + 181)
);
create index employee_exits_exit_on_idx on employee_exits (exit_on);

-- Row-level security -----------------------------------------------------------------

alter table hr_settings enable row level security;
alter table hr_settings force row level security;
create policy hr_settings_read on hr_settings for select using (
  tenant_id = (select app.tenant_id()) or (select app.is_system()));
create policy hr_settings_write on hr_settings for all
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
              or (select app.is_system()));

alter table hr_organisations enable row level security;
alter table hr_organisations force row level security;
create policy hr_organisations_read on hr_organisations for select using (
  (tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));
create policy hr_organisations_write on hr_organisations for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));

alter table employees enable row level security;
alter table employees force row level security;
create policy employees_read on employees for select using (
  (tenant_id = (select app.tenant_id())
   and ((select app.hr_manager()) or user_id = (select app.user_id())))
  or (select app.is_system()));
create policy employees_insert on employees for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));
create policy employees_update on employees for update
  using ((tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));

-- The employee's own rows: those whose employee_id is the acting person's record in
-- the acting association (read through employees' own policy).
do $$
declare t text;
begin
  foreach t in array array['employment_contracts', 'contract_sites', 'training_entries', 'absences',
                           'qualifications', 'employee_exits'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy %I on %I for select using (
      (tenant_id = (select app.tenant_id())
       and ((select app.hr_manager())
            or employee_id in (select e.id from employees e
                               where e.tenant_id = (select app.tenant_id()) and e.user_id = (select app.user_id()))))
      or (select app.is_system()))$p$, t || '_read', t);
    execute format($p$create policy %I on %I for insert with check (
      (tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()))$p$,
      t || '_insert', t);
    execute format($p$create policy %I on %I for update
      using ((tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()))
      with check ((tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()))$p$,
      t || '_update', t);
  end loop;
end $$;

alter table subsidies enable row level security;
alter table subsidies force row level security;
create policy subsidies_read on subsidies for select using (
  (tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));
create policy subsidies_insert on subsidies for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));
create policy subsidies_update on subsidies for update
  using ((tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.hr_manager())) or (select app.is_system()));

grant execute on function app.hr_manager() to passerelle_app;
grant select, insert, update on hr_settings, employees, employment_contracts, subsidies, training_entries,
  employee_exits to passerelle_app;
grant select, insert on hr_organisations, contract_sites, absences, qualifications to passerelle_app;
