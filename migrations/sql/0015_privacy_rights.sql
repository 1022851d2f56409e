-- Residents' rights and retention (issue 16, sections 2 to 4).
--
-- - Consent per recipient: a consent's recipient is a partner organisation
--   (recipient_partner_id), or nobody but the association (null). The free text of
--   earlier consents stays in `recipient`, readable; rows whose text is exactly a
--   partner's name get the reference.
-- - Rectification: the identity fields of a beneficiary can be corrected, each
--   correction keeping the previous values (beneficiary_revisions).
-- - Erasure (and retention, which erases the same way): app.anonymise_beneficiaries
--   empties the identifying fields, replaces the links by the anonymous statistics
--   fields of the visits (age band, sex, and the neighbourhood only where at least
--   five other people share it), deletes the notes, consents, named attendance and
--   corrections, and erases linked outreach contact data. Rollups are not touched:
--   they never held a beneficiary. It runs as the caller (row-level security
--   applies): the director or a coordinator of the association, or the platform.
-- - Outreach cases can be linked to the beneficiary they became, so that access
--   and erasure reach them.

-- Consent per recipient ---------------------------------------------------------------

alter table consents add column recipient_partner_id uuid references partner_organisations (id);
alter table consents alter column recipient drop not null;
update consents c set recipient_partner_id = p.id
  from partner_organisations p
  where c.recipient_partner_id is null and lower(btrim(c.recipient)) = lower(p.name);
alter table consents add constraint consents_recipient_length
  check (recipient is null or length(recipient) <= 300);
create index consents_partner_idx on consents (tenant_id, recipient_partner_id, beneficiary_id)
  where recipient_partner_id is not null;
create index consents_beneficiary_idx on consents (tenant_id, beneficiary_id);

-- Beneficiaries: anonymised rows stay (the number of people followed stays exact) -----

alter table beneficiaries alter column pseudonym drop not null;
alter table beneficiaries add column revision integer not null default 1;
alter table beneficiaries add column updated_at timestamptz;
alter table beneficiaries add column anonymised_at timestamptz;
alter table beneficiaries add constraint beneficiaries_anonymised_check
  check ((anonymised_at is null) = (pseudonym is not null));
create index visits_beneficiary_idx on visits (tenant_id, beneficiary_id) where beneficiary_id is not null;
create index workshop_attendees_beneficiary_idx on workshop_attendees (tenant_id, beneficiary_id);

create table beneficiary_revisions (
  tenant_id uuid not null,
  id uuid not null,
  beneficiary_id uuid not null,
  revision integer not null,
  -- The identity fields before the correction: ageBand, sex, neighbourhood.
  previous jsonb not null,
  reason text not null,
  changed_by uuid,
  changed_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint beneficiary_revisions_beneficiary_fkey foreign key (tenant_id, beneficiary_id)
    references beneficiaries (tenant_id, id),
  constraint beneficiary_revisions_key unique (tenant_id, beneficiary_id, revision),
  constraint beneficiary_revisions_reason_length check (length(btrim(reason)) between 3 and 500)
);

alter table beneficiary_revisions enable row level security;
alter table beneficiary_revisions force row level security;
create policy beneficiary_revisions_read on beneficiary_revisions for select using (
  tenant_id = (select app.tenant_id()) or (select app.is_system()));
create policy beneficiary_revisions_insert on beneficiary_revisions for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.is_system()));

-- Outreach cases linked to the beneficiary they became ---------------------------------

alter table outreach_cases add column beneficiary_id uuid;
alter table outreach_cases add constraint outreach_cases_beneficiary_fkey
  foreign key (tenant_id, beneficiary_id) references beneficiaries (tenant_id, id);
create index outreach_cases_beneficiary_idx on outreach_cases (tenant_id, beneficiary_id)
  where beneficiary_id is not null;

-- What erasure and retention may remove: the director and coordinators (erasure), and
-- the platform (retention). Nobody else deletes notes, consents or corrections.

do $$
declare t text;
begin
  foreach t in array array['visit_notes', 'consents', 'beneficiary_revisions'] loop
    execute format($p$create policy %I on %I for delete using (
      (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
      or (select app.is_system()))$p$, t || '_erase', t);
  end loop;
end $$;
-- A correction's previous values of an erased person's visit are scrubbed.
create policy visit_revisions_erase on visit_revisions for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
         or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
              or (select app.is_system()));
-- An erased person's outreach attempts lose their notes.
create policy outreach_attempts_erase on outreach_attempts for update
  using (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
  with check (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'));

grant select, insert, delete on beneficiary_revisions to passerelle_app;
grant delete on visit_notes, consents to passerelle_app;
grant update on visit_revisions to passerelle_app;

-- Anonymisation ---------------------------------------------------------------------------

-- A neighbourhood is kept in the anonymous statistics only when at least five other
-- people (other beneficiaries, or visits of nobody followed) of the association share
-- it: a rarer one points at the person.
create function app.common_neighbourhood(p_tenant uuid, p_beneficiary uuid, p_neighbourhood text)
  returns text language sql stable as $$
  select case when p_neighbourhood is null then null
    when (select count(*) from (
            select distinct coalesce(v.beneficiary_id, v.id) from visits v
            where v.tenant_id = p_tenant and v.neighbourhood is not null
              and lower(btrim(v.neighbourhood)) = lower(btrim(p_neighbourhood))
              and v.beneficiary_id is distinct from p_beneficiary
            limit 5) x) >= 5
    then btrim(p_neighbourhood) end
$$;
-- The lookup above, without reading the association's whole journal; partial, so the
-- front desk's visits without a neighbourhood never touch it.
create index visits_neighbourhood_idx on visits (tenant_id, lower(btrim(neighbourhood)))
  where neighbourhood is not null;
-- The retention's sweep of old notes.
create index visit_notes_created_idx on visit_notes (created_at);

-- Anonymises the beneficiaries (tenant, id) given, as the caller; returns counts.
-- Idempotent: an anonymised beneficiary is left alone. Everything is decided from the
-- state before the first change (the neighbourhoods kept, the visits linked).
create function app.anonymise_beneficiaries(p_tenants uuid[], p_ids uuid[]) returns jsonb
  language plpgsql as $$
declare
  e_tenants uuid[];
  e_ids uuid[];
  e_kept text[];
  v_tenants uuid[];
  v_ids uuid[];
  v_owners uuid[];
  n_beneficiaries bigint;
  n_visits bigint;
  n_revisions bigint;
  n_notes bigint;
  n_consents bigint;
  n_attendance bigint;
  n_corrections bigint;
  n_cases bigint;
  n_attempts bigint;
begin
  perform 1 from beneficiaries b join unnest(p_tenants, p_ids) as x(tenant_id, id)
      on b.tenant_id = x.tenant_id and b.id = x.id
    where b.anonymised_at is null
    for update of b;
  select coalesce(array_agg(b.tenant_id), '{}'), coalesce(array_agg(b.id), '{}'),
         coalesce(array_agg(app.common_neighbourhood(b.tenant_id, b.id, b.neighbourhood)), '{}')
    into e_tenants, e_ids, e_kept
    from beneficiaries b join unnest(p_tenants, p_ids) as x(tenant_id, id)
      on b.tenant_id = x.tenant_id and b.id = x.id
    where b.anonymised_at is null;
  if cardinality(e_ids) = 0 then
    return jsonb_build_object('beneficiaries', 0);
  end if;
  select coalesce(array_agg(v.tenant_id), '{}'), coalesce(array_agg(v.id), '{}'),
         coalesce(array_agg(v.beneficiary_id), '{}')
    into v_tenants, v_ids, v_owners
    from visits v join unnest(e_tenants, e_ids) as e(tenant_id, id)
      on v.tenant_id = e.tenant_id and v.beneficiary_id = e.id;

  -- Corrections' previous values: the link, and a rare neighbourhood, go; so does
  -- their free-text reason, which may speak of the person.
  update visit_revisions r set previous = r.previous || jsonb_build_object(
      'beneficiaryId', null,
      'neighbourhood', app.common_neighbourhood(r.tenant_id, e.id, r.previous ->> 'neighbourhood'),
      'requests', coalesce((select jsonb_agg(x - 'referredTo') from jsonb_array_elements(
          case when jsonb_typeof(r.previous -> 'requests') = 'array' then r.previous -> 'requests'
               else '[]'::jsonb end) x), '[]'::jsonb)),
      reason = null
    from unnest(e_tenants, e_ids) as e(tenant_id, id)
    where r.tenant_id = e.tenant_id
      and (r.previous ->> 'beneficiaryId' = e.id::text
           or (r.tenant_id, r.visit_id, e.id) in (select * from unnest(v_tenants, v_ids, v_owners)));
  get diagnostics n_revisions = row_count;
  -- Links replaced by the anonymous statistics fields.
  update visits v set beneficiary_id = null,
      age_band = coalesce(v.age_band, b.age_band),
      sex = coalesce(v.sex, b.sex),
      neighbourhood = case when v.neighbourhood is null then e.kept
                           else app.common_neighbourhood(v.tenant_id, e.id, v.neighbourhood) end,
      updated_at = now()
    from unnest(e_tenants, e_ids, e_kept) as e(tenant_id, id, kept), beneficiaries b
    where b.tenant_id = e.tenant_id and b.id = e.id
      and v.tenant_id = e.tenant_id and v.beneficiary_id = e.id;
  get diagnostics n_visits = row_count;
  delete from visit_notes n using unnest(v_tenants, v_ids) as w(tenant_id, id)
    where n.tenant_id = w.tenant_id and n.visit_id = w.id;
  get diagnostics n_notes = row_count;
  -- Where the person was referred, in words: may name them.
  update visit_requests q set referred_to = null from unnest(v_tenants, v_ids) as w(tenant_id, id)
    where q.tenant_id = w.tenant_id and q.visit_id = w.id and q.referred_to is not null;
  delete from workshop_attendees a using unnest(e_tenants, e_ids) as e(tenant_id, id)
    where a.tenant_id = e.tenant_id and a.beneficiary_id = e.id;
  get diagnostics n_attendance = row_count;
  delete from consents c using unnest(e_tenants, e_ids) as e(tenant_id, id)
    where c.tenant_id = e.tenant_id and c.beneficiary_id = e.id;
  get diagnostics n_consents = row_count;
  delete from beneficiary_revisions r using unnest(e_tenants, e_ids) as e(tenant_id, id)
    where r.tenant_id = e.tenant_id and r.beneficiary_id = e.id;
  get diagnostics n_corrections = row_count;
  update outreach_attempts a set note = null
    from outreach_cases k, unnest(e_tenants, e_ids) as e(tenant_id, id)
    where k.tenant_id = e.tenant_id and k.beneficiary_id = e.id
      and a.tenant_id = k.tenant_id and a.case_id = k.id and a.note is not null;
  get diagnostics n_attempts = row_count;
  update outreach_cases k set customer_ref = null, full_name = null, phone = null, email = null,
      address = null, postal_code = null, report_details = null, beneficiary_id = null,
      purged_at = coalesce(k.purged_at, now()), updated_at = now()
    from unnest(e_tenants, e_ids) as e(tenant_id, id)
    where k.tenant_id = e.tenant_id and k.beneficiary_id = e.id;
  get diagnostics n_cases = row_count;
  update beneficiaries b set pseudonym = null, neighbourhood = e.kept,
      anonymised_at = now(), updated_at = now(), created_by = null
    from unnest(e_tenants, e_ids, e_kept) as e(tenant_id, id, kept)
    where b.tenant_id = e.tenant_id and b.id = e.id;
  get diagnostics n_beneficiaries = row_count;
  return jsonb_build_object(
    'beneficiaries', n_beneficiaries, 'visits', n_visits, 'visitRevisions', n_revisions,
    'notes', n_notes, 'consents', n_consents, 'attendance', n_attendance,
    'corrections', n_corrections, 'outreachCases', n_cases, 'outreachAttemptNotes', n_attempts);
end $$;

revoke all on function app.anonymise_beneficiaries(uuid[], uuid[]) from public;
grant execute on function app.anonymise_beneficiaries(uuid[], uuid[]) to passerelle_app;
grant execute on function app.common_neighbourhood(uuid, uuid, text) to passerelle_app;
