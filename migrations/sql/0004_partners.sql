-- Partners: agreements (conventions) with partner firms, the journal coded to them,
-- partner API clients and their tokens, and outbound mediation (campaigns, cases,
-- attempts).
--
-- A partner's setting (app.partner_id) reaches: its own organisation and contacts,
-- its agreements and their children, the sites and associations those agreements
-- cover (public facts), the monthly aggregates coded to its agreements, and the
-- outreach campaigns and cases it commissioned. Nothing else: no journal row, no
-- resident, no other partner.
--
-- Policies that look at another table only ever look "down" (agreements ->
-- agreement_sites, sites -> agreement_sites, tenants -> agreements), never back,
-- so row-level security cannot recurse. Children carry the partner id (and, where it
-- matters, the tenant id) themselves, kept equal to the parent's by composite
-- foreign keys.

-- Partner organisations: contacts -------------------------------------------------

create policy partner_organisations_own on partner_organisations for select
  using (id = (select app.partner_id()));

create table partner_contacts (
  id uuid primary key,
  partner_id uuid not null references partner_organisations (id),
  full_name text not null,
  job_title text,
  email text,
  phone text,
  created_at timestamptz not null default now(),
  constraint partner_contacts_full_name_length check (length(btrim(full_name)) between 1 and 200),
  constraint partner_contacts_email_format check (email is null or (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')),
  constraint partner_contacts_phone_format check (phone is null or phone ~ '^\+?[0-9 .-]{6,20}$')
);
create index partner_contacts_partner_idx on partner_contacts (partner_id);

-- A partner's people join by invitation from the union admin: at their first login
-- with the invited (verified) email they become partner users.
create table partner_invitations (
  id uuid primary key,
  partner_id uuid not null references partner_organisations (id),
  email text not null,
  invited_by uuid references users (id),
  created_at timestamptz not null default now(),
  accepted_at timestamptz,
  constraint partner_invitations_email_format check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
create unique index partner_invitations_pending_email_key on partner_invitations (email) where accepted_at is null;
create index partner_invitations_partner_idx on partner_invitations (partner_id);

-- Agreements ---------------------------------------------------------------------------
-- A national framework binds the partner and the union (tenant_id null); a local
-- agreement binds the partner and one association.

create table agreements (
  id uuid primary key,
  partner_id uuid not null references partner_organisations (id),
  tenant_id uuid references tenants (id),
  reference text not null,
  title text not null,
  starts_on date not null,
  ends_on date not null,
  status text not null default 'draft',
  services text[] not null,
  themes text[] not null default '{}',
  workshop_themes text[] not null default '{}',
  funding_cents bigint not null default 0,
  reporting_frequency text not null default 'quarterly',
  revision integer not null default 1,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint agreements_reference_key unique (reference),
  constraint agreements_id_partner_key unique (id, partner_id),
  constraint agreements_reference_format check (reference ~ '^[A-Za-z0-9][A-Za-z0-9_./-]{1,63}$'),
  constraint agreements_title_length check (length(btrim(title)) between 2 and 200),
  constraint agreements_dates check (ends_on >= starts_on),
  constraint agreements_status_check check (status in ('draft', 'active', 'suspended', 'ended')),
  constraint agreements_services_check check (
    cardinality(services) >= 1 and services <@ array['partner_visits', 'outreach', 'workshops']),
  constraint agreements_funding_check check (funding_cents >= 0),
  constraint agreements_reporting_frequency_check check (
    reporting_frequency in ('monthly', 'quarterly', 'semiannual', 'annual'))
);
create index agreements_partner_idx on agreements (partner_id);
create index agreements_tenant_idx on agreements (tenant_id) where tenant_id is not null;

-- Amendments and status changes keep the previous state (action: 'amended' or
-- 'status').
create table agreement_revisions (
  id uuid primary key,
  agreement_id uuid not null,
  partner_id uuid not null,
  tenant_id uuid,
  revision integer not null,
  action text not null default 'amended',
  previous jsonb not null,
  reason text not null,
  changed_by uuid,
  changed_at timestamptz not null default now(),
  constraint agreement_revisions_agreement_fkey foreign key (agreement_id, partner_id) references agreements (id, partner_id),
  constraint agreement_revisions_key unique (agreement_id, revision),
  constraint agreement_revisions_action_check check (action in ('amended', 'status'))
);

-- The sites an agreement covers. A local agreement covers only its association's sites.
create table agreement_sites (
  agreement_id uuid not null,
  partner_id uuid not null,
  tenant_id uuid not null,
  site_id uuid not null,
  primary key (agreement_id, tenant_id, site_id),
  constraint agreement_sites_agreement_fkey foreign key (agreement_id, partner_id) references agreements (id, partner_id),
  constraint agreement_sites_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id)
);
create index agreement_sites_site_idx on agreement_sites (tenant_id, site_id);
create index agreement_sites_partner_idx on agreement_sites (partner_id, tenant_id, site_id);

create function app.agreement_sites_local_check() returns trigger language plpgsql as $$
declare t uuid;
begin
  select a.tenant_id into t from agreements a where a.id = new.agreement_id;
  if t is not null and t <> new.tenant_id then
    raise exception 'a local agreement covers only its own association''s sites'
      using errcode = '23514', constraint = 'agreement_sites_local_tenant';
  end if;
  return new;
end $$;
create trigger agreement_sites_local_check before insert or update on agreement_sites
  for each row execute function app.agreement_sites_local_check();

-- Yearly targets: deliverables the partner funds.
create table agreement_targets (
  agreement_id uuid not null,
  partner_id uuid not null,
  indicator text not null,
  annual_target integer not null,
  primary key (agreement_id, indicator),
  constraint agreement_targets_agreement_fkey foreign key (agreement_id, partner_id) references agreements (id, partner_id),
  constraint agreement_targets_indicator_check check (indicator in
    ('partner_requests', 'mediation_acts', 'workshops', 'workshop_attendees', 'outreach_cases', 'outreach_contacts')),
  constraint agreement_targets_positive check (annual_target > 0)
);

-- Funding: the payment schedule (scheduled) and what was received (received).
create table agreement_payments (
  id uuid primary key,
  agreement_id uuid not null,
  partner_id uuid not null,
  kind text not null,
  on_date date not null,
  amount_cents bigint not null,
  label text,
  created_by uuid,
  created_at timestamptz not null default now(),
  constraint agreement_payments_agreement_fkey foreign key (agreement_id, partner_id) references agreements (id, partner_id),
  constraint agreement_payments_kind_check check (kind in ('scheduled', 'received')),
  constraint agreement_payments_amount_check check (amount_cents > 0),
  constraint agreement_payments_label_length check (label is null or length(label) <= 200)
);
create index agreement_payments_agreement_idx on agreement_payments (agreement_id, on_date);

-- The journal coded to agreements --------------------------------------------------------

alter table visit_requests add column agreement_id uuid references agreements (id);
alter table workshops add column agreement_id uuid references agreements (id);
create index visit_requests_agreement_idx on visit_requests (agreement_id) where agreement_id is not null;
create index workshops_agreement_idx on workshops (agreement_id) where agreement_id is not null;

-- The agreements an activity fits: the site is covered, the day within the period, the
-- service and theme covered, the partner the same; draft and suspended agreements
-- take nothing. Runs as the caller, so it sees only agreements the caller may read.
create function app.agreement_candidates(p_tenant uuid, p_site uuid, p_day date, p_service text,
                                         p_theme text, p_partner uuid)
returns setof uuid language sql stable as $$
  select a.id
  from agreement_sites s join agreements a on a.id = s.agreement_id
  where s.tenant_id = p_tenant and s.site_id = p_site
    and a.status in ('active', 'ended')
    and p_day between a.starts_on and a.ends_on
    and p_service = any (a.services)
    and (p_partner is null or a.partner_id = p_partner)
    and p_theme = any (case when p_service = 'workshops' then a.workshop_themes else a.themes end)
  order by a.id
$$;

-- Monthly aggregates of the activity coded to each agreement, written in the same
-- transaction as the journal (like the daily rollups). Month is the first day of the
-- Paris calendar month. activity: 'request' (count = requests) or 'workshop'
-- (count = workshops).
create table agreement_activity_monthly (
  agreement_id uuid not null,
  partner_id uuid not null,
  tenant_id uuid not null,
  site_id uuid not null,
  month date not null,
  activity text not null,
  theme text not null,
  count integer not null default 0,
  mediation_acts integer not null default 0,
  attendees integer not null default 0,
  primary key (agreement_id, tenant_id, site_id, month, activity, theme),
  constraint agreement_activity_monthly_agreement_fkey foreign key (agreement_id, partner_id) references agreements (id, partner_id),
  constraint agreement_activity_monthly_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint agreement_activity_monthly_activity_check check (activity in ('request', 'workshop')),
  constraint agreement_activity_monthly_month_check check (month = date_trunc('month', month)::date),
  constraint agreement_activity_monthly_nonnegative check (count >= 0 and mediation_acts >= 0 and attendees >= 0)
);
-- A partner's listing pages through its rows in this order.
create index agreement_activity_monthly_partner_idx on agreement_activity_monthly
  (partner_id, agreement_id, tenant_id, site_id, month, activity, theme);
create index agreement_activity_monthly_tenant_idx on agreement_activity_monthly (tenant_id, month);

-- Partner API clients and their tokens --------------------------------------------------------

create table partner_api_clients (
  id uuid primary key,
  partner_id uuid not null references partner_organisations (id),
  client_id text not null,
  name text not null,
  -- argon2id PHC string; null for a client that only signs in at the external issuer.
  secret_hash text,
  external_issuer text,
  external_subject text,
  scopes text[] not null,
  status text not null default 'active',
  created_by uuid,
  created_at timestamptz not null default now(),
  rotated_at timestamptz,
  revoked_at timestamptz,
  constraint partner_api_clients_client_id_key unique (client_id),
  constraint partner_api_clients_external_key unique (external_issuer, external_subject),
  constraint partner_api_clients_client_id_format check (client_id ~ '^pc_[A-Za-z0-9]{16,64}$'),
  constraint partner_api_clients_name_length check (length(btrim(name)) between 2 and 100),
  constraint partner_api_clients_scopes_check check (
    cardinality(scopes) >= 1
    and scopes <@ array['agreements:read', 'activity:read', 'outreach:read', 'outreach:write']),
  constraint partner_api_clients_status_check check (status in ('active', 'revoked')),
  constraint partner_api_clients_revoked_check check ((status = 'revoked') = (revoked_at is not null)),
  constraint partner_api_clients_credentials_check check (secret_hash is not null or external_subject is not null),
  constraint partner_api_clients_external_check check ((external_issuer is null) = (external_subject is null))
);
create index partner_api_clients_partner_idx on partner_api_clients (partner_id);

-- Issued access tokens: only their SHA-256 is stored. Read and written by the platform
-- itself (the token endpoint and request authentication), never by a signed-in actor.
create table partner_access_tokens (
  token_hash bytea primary key,
  client_id uuid not null references partner_api_clients (id),
  scopes text[] not null,
  issued_at timestamptz not null default now(),
  expires_at timestamptz not null,
  constraint partner_access_tokens_expiry check (expires_at > issued_at)
);
create index partner_access_tokens_client_idx on partner_access_tokens (client_id);
create index partner_access_tokens_expires_idx on partner_access_tokens (expires_at);

-- Outbound mediation ---------------------------------------------------------------------

create table outreach_campaigns (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  agreement_id uuid not null,
  partner_id uuid not null,
  title text not null,
  purpose text not null,
  legal_basis text not null,
  starts_on date not null,
  ends_on date not null,
  max_attempts smallint not null default 3,
  retention_days integer not null default 90,
  status text not null default 'open',
  closed_at timestamptz,
  purged_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint outreach_campaigns_partner_key unique (tenant_id, id, partner_id),
  constraint outreach_campaigns_agreement_fkey foreign key (agreement_id, partner_id) references agreements (id, partner_id),
  constraint outreach_campaigns_title_length check (length(btrim(title)) between 2 and 200),
  constraint outreach_campaigns_purpose_check check (purpose in
    ('unpaid_energy_bills', 'unpaid_water_bills', 'energy_vouchers', 'social_tariff', 'transport_fines',
     'meter_access', 'digital_inclusion', 'other')),
  constraint outreach_campaigns_legal_basis_check check (legal_basis in
    ('legitimate_interest', 'contract', 'legal_obligation', 'consent', 'public_interest')),
  constraint outreach_campaigns_dates check (ends_on >= starts_on),
  constraint outreach_campaigns_max_attempts check (max_attempts between 1 and 10),
  constraint outreach_campaigns_retention check (retention_days between 0 and 1095),
  constraint outreach_campaigns_status_check check (status in ('open', 'closed')),
  constraint outreach_campaigns_closed_check check ((status = 'closed') = (closed_at is not null)),
  constraint outreach_campaigns_purged_check check (purged_at is null or closed_at is not null)
);
create index outreach_campaigns_partner_idx on outreach_campaigns (partner_id);

-- A case: one of the partner's customers to reach. Contact data is the minimum to
-- reach them, and is purged (set to null) once the campaign is closed and its
-- retention has passed; status, outcome and attempt counts stay, anonymised.
create table outreach_cases (
  tenant_id uuid not null,
  id uuid not null,
  campaign_id uuid not null,
  partner_id uuid not null,
  customer_ref text,
  full_name text,
  phone text,
  email text,
  address text,
  postal_code text,
  status text not null default 'pending',
  outcome text,
  consent_to_report boolean not null default false,
  report_details text,
  attempts integer not null default 0,
  submitted_by_user uuid,
  submitted_by_client uuid references partner_api_clients (id),
  submitted_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz,
  purged_at timestamptz,
  primary key (tenant_id, id),
  constraint outreach_cases_campaign_fkey foreign key (tenant_id, campaign_id, partner_id)
    references outreach_campaigns (tenant_id, id, partner_id),
  constraint outreach_cases_customer_ref_key unique (tenant_id, campaign_id, customer_ref),
  constraint outreach_cases_customer_ref_format check (customer_ref ~ '^[A-Za-z0-9][A-Za-z0-9_./-]{0,63}$'),
  constraint outreach_cases_contact_check check (purged_at is not null or customer_ref is not null),
  constraint outreach_cases_phone_format check (phone is null or phone ~ '^\+?[0-9 .-]{6,20}$'),
  constraint outreach_cases_email_format check (email is null or email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  constraint outreach_cases_postal_code_format check (postal_code is null or postal_code ~ '^[0-9]{5}$'),
  constraint outreach_cases_status_check check (status in ('pending', 'in_progress', 'closed')),
  constraint outreach_cases_outcome_check check (outcome in
    ('contact_restored', 'payment_plan_agreed', 'referred_to_social_services', 'wrong_number', 'refused',
     'unreachable')),
  constraint outreach_cases_closed_check check ((status = 'closed') = (outcome is not null and closed_at is not null)),
  constraint outreach_cases_report_check check (report_details is null or (consent_to_report and length(report_details) <= 1000)),
  constraint outreach_cases_attempts_check check (attempts >= 0)
);
create index outreach_cases_campaign_idx on outreach_cases (tenant_id, campaign_id, status);
create index outreach_cases_partner_idx on outreach_cases (partner_id, campaign_id);

create table outreach_attempts (
  tenant_id uuid not null,
  id uuid not null,
  case_id uuid not null,
  channel text not null,
  attempted_at timestamptz not null,
  result text not null,
  note text,
  mediator_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint outreach_attempts_case_fkey foreign key (tenant_id, case_id) references outreach_cases (tenant_id, id),
  constraint outreach_attempts_mediator_fkey foreign key (tenant_id, mediator_id) references memberships (tenant_id, id),
  constraint outreach_attempts_channel_check check (channel in ('phone', 'door_to_door', 'letter', 'sms')),
  constraint outreach_attempts_result_check check (result in
    ('reached', 'no_answer', 'left_message', 'wrong_number', 'refused', 'letter_sent', 'moved_away')),
  constraint outreach_attempts_note_length check (note is null or length(note) <= 1000)
);
create index outreach_attempts_case_idx on outreach_attempts (tenant_id, case_id, attempted_at);

-- Row-level security -----------------------------------------------------------------------

alter table partner_contacts enable row level security;
alter table partner_contacts force row level security;
create policy partner_contacts_read on partner_contacts for select using (
  partner_id = (select app.partner_id()) or (select app.union_role()) is not null or (select app.is_system()));
create policy partner_contacts_write on partner_contacts for all
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

-- Agreements: the union reads all; a partner its own; an association its local
-- agreements and the national ones covering one of its sites. The union admin writes
-- any; an association's director writes its local agreements.
alter table agreements enable row level security;
alter table agreements force row level security;
create policy agreements_read on agreements for select using (
  partner_id = (select app.partner_id())
  or (select app.union_role()) is not null
  or (select app.is_system())
  or tenant_id = (select app.tenant_id())
  or (tenant_id is null and exists (select 1 from agreement_sites s
        where s.agreement_id = agreements.id and s.tenant_id = (select app.tenant_id()))));
create policy agreements_insert on agreements for insert with check (
  (select app.union_role()) = 'admin' or (select app.is_system())
  or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));
create policy agreements_update on agreements for update
  using ((select app.union_role()) = 'admin' or (select app.is_system())
         or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'))
  with check ((select app.union_role()) = 'admin' or (select app.is_system())
              or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));

-- The children of an agreement: readable by whoever reads the agreement (the subquery
-- runs under the agreements policy), written by whoever writes it.
do $$
declare t text;
begin
  foreach t in array array['agreement_revisions', 'agreement_targets', 'agreement_payments'] loop
    -- The funding of a national framework is the union's and the partner's business:
    -- an association reads the payments of its local agreements only.
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy %I on %I for select using (
      partner_id = (select app.partner_id()) or (select app.union_role()) is not null or (select app.is_system())
      or exists (select 1 from agreements a where a.id = %I.agreement_id
                 and (%L <> 'agreement_payments' or a.tenant_id is not null)))$p$, t || '_read', t, t, t);
    execute format($p$create policy %I on %I for insert with check (
      (select app.union_role()) = 'admin' or (select app.is_system())
      or exists (select 1 from agreements a where a.id = %I.agreement_id
                 and a.tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'))$p$,
      t || '_insert', t, t);
  end loop;
end $$;
-- Targets are replaced as a whole on amendment.
create policy agreement_targets_delete on agreement_targets for delete using (
  (select app.union_role()) = 'admin' or (select app.is_system())
  or exists (select 1 from agreements a where a.id = agreement_targets.agreement_id
             and a.tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));

-- Covered sites: the association sees its own rows only (never which other
-- associations a national framework covers); the partner sees its agreements' rows.
alter table agreement_sites enable row level security;
alter table agreement_sites force row level security;
create policy agreement_sites_read on agreement_sites for select using (
  tenant_id = (select app.tenant_id()) or partner_id = (select app.partner_id())
  or (select app.union_role()) is not null or (select app.is_system()));
create policy agreement_sites_write on agreement_sites for all
  using ((select app.union_role()) = 'admin' or (select app.is_system())
         or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'))
  with check ((select app.union_role()) = 'admin' or (select app.is_system())
              or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));

-- A partner reads the sites its agreements cover and the associations running them.
create policy sites_partner_read on sites for select using (
  (select app.partner_id()) is not null
  and exists (select 1 from agreement_sites s
              where s.partner_id = (select app.partner_id()) and s.tenant_id = sites.tenant_id and s.site_id = sites.id));
create policy tenants_partner_read on tenants for select using (
  (select app.partner_id()) is not null
  and (exists (select 1 from agreements a
               where a.partner_id = (select app.partner_id()) and a.tenant_id = tenants.id)
       or exists (select 1 from agreement_sites s
                  where s.partner_id = (select app.partner_id()) and s.tenant_id = tenants.id)));

-- Coded activity: aggregates, so the union and the agreement's partner read them.
alter table agreement_activity_monthly enable row level security;
alter table agreement_activity_monthly force row level security;
create policy agreement_activity_monthly_read on agreement_activity_monthly for select using (
  tenant_id = (select app.tenant_id()) or partner_id = (select app.partner_id())
  or (select app.union_role()) is not null or (select app.is_system()));
create policy agreement_activity_monthly_insert on agreement_activity_monthly for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.is_system()));
create policy agreement_activity_monthly_update on agreement_activity_monthly for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
              or (select app.is_system()));

alter table partner_invitations enable row level security;
alter table partner_invitations force row level security;
create policy partner_invitations_all on partner_invitations for all
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table partner_api_clients enable row level security;
alter table partner_api_clients force row level security;
create policy partner_api_clients_read on partner_api_clients for select using (
  partner_id = (select app.partner_id()) or (select app.union_role()) = 'admin' or (select app.is_system()));
create policy partner_api_clients_write on partner_api_clients for insert with check (
  (select app.union_role()) = 'admin' or (select app.is_system()));
create policy partner_api_clients_update on partner_api_clients for update
  using ((select app.union_role()) = 'admin' or (select app.is_system()))
  with check ((select app.union_role()) = 'admin' or (select app.is_system()));

alter table partner_access_tokens enable row level security;
alter table partner_access_tokens force row level security;
create policy partner_access_tokens_system on partner_access_tokens for all
  using ((select app.is_system())) with check ((select app.is_system()));

-- Outreach: the association's staff read and work campaigns and cases (directors and
-- coordinators open and close campaigns); the commissioning partner reads its
-- campaigns and cases and submits cases to its open campaigns. Attempts stay inside
-- the association. The union reads none of it (it gets counts through reports).
alter table outreach_campaigns enable row level security;
alter table outreach_campaigns force row level security;
create policy outreach_campaigns_read on outreach_campaigns for select using (
  tenant_id = (select app.tenant_id()) or partner_id = (select app.partner_id()) or (select app.is_system()));
create policy outreach_campaigns_insert on outreach_campaigns for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
  or (select app.is_system()));
create policy outreach_campaigns_update on outreach_campaigns for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
              or (select app.is_system()));

alter table outreach_cases enable row level security;
alter table outreach_cases force row level security;
create policy outreach_cases_read on outreach_cases for select using (
  tenant_id = (select app.tenant_id()) or partner_id = (select app.partner_id()) or (select app.is_system()));
create policy outreach_cases_partner_insert on outreach_cases for insert with check (
  (partner_id = (select app.partner_id())
   and exists (select 1 from outreach_campaigns c
               where c.tenant_id = outreach_cases.tenant_id and c.id = outreach_cases.campaign_id
                 and c.partner_id = (select app.partner_id()) and c.status = 'open'))
  or (select app.is_system()));
create policy outreach_cases_update on outreach_cases for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
              or (select app.is_system()));

alter table outreach_attempts enable row level security;
alter table outreach_attempts force row level security;
create policy outreach_attempts_read on outreach_attempts for select using (
  tenant_id = (select app.tenant_id()) or (select app.is_system()));
create policy outreach_attempts_insert on outreach_attempts for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.is_system()));
create policy outreach_attempts_update on outreach_attempts for update
  using ((select app.is_system())) with check ((select app.is_system()));

grant execute on function app.agreement_candidates(uuid, uuid, date, text, text, uuid) to passerelle_app;
grant select, insert, update on partner_invitations, partner_contacts, agreements, agreement_sites, agreement_activity_monthly,
  partner_api_clients, outreach_campaigns, outreach_cases, outreach_attempts to passerelle_app;
grant select, insert on agreement_revisions, agreement_targets, agreement_payments to passerelle_app;
-- Covered sites and targets are replaced on amendment; expired tokens are swept.
grant delete on agreement_sites, agreement_targets, partner_access_tokens to passerelle_app;
grant select, insert on partner_access_tokens to passerelle_app;
