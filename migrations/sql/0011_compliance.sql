-- Franchise compliance: the social franchise contract binding each association to the
-- union, the union's versioned standards (référentiel: principles and criteria), and
-- its audits (campaigns, self-assessment with evidence, review and visit, scores,
-- findings and the contradictory phase, reports, corrective actions), sanctions, the
-- evidence documents (stored in an object store; SHA-256 and size here) and one history
-- of every state change.
--
-- Who reads what (row-level security; the service narrows it further by role and
-- phase: a draft report before it is sent, a viewer who reads only final reports):
-- - the association's staff read their own rows (app.tenant_id()), never the
--   auditors' internal notes;
-- - the union's admin and auditors read every association's rows and write them;
-- - the union's analyst reads the catalogue, campaigns and audits (grades and
--   scores), nothing with text about an association (findings, documents, notes);
-- - partners read nothing here.
-- Policies only ever look "down" (campaigns -> audits), never back.

-- The standards catalogue: the union's, read by everyone in the network ------------

create table compliance_catalogue_versions (
  id uuid primary key,
  version integer not null,
  title text not null,
  status text not null default 'draft',
  copied_from uuid references compliance_catalogue_versions (id),
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  published_at timestamptz,
  published_by uuid references users (id),
  retired_at timestamptz,
  retired_by uuid references users (id),
  constraint compliance_catalogue_versions_version_key unique (version),
  constraint compliance_catalogue_versions_title_length check (length(btrim(title)) between 2 and 200),
  constraint compliance_catalogue_versions_status_check check (status in ('draft', 'published', 'retired')),
  constraint compliance_catalogue_versions_published check ((status = 'draft') = (published_at is null))
);

create table compliance_principles (
  id uuid primary key,
  version_id uuid not null references compliance_catalogue_versions (id),
  position smallint not null,
  code text not null,
  label text not null,
  description text,
  constraint compliance_principles_code_key unique (version_id, code),
  constraint compliance_principles_code_format check (code ~ '^[A-Z][A-Z0-9_-]{0,19}$'),
  constraint compliance_principles_label_length check (length(btrim(label)) between 2 and 200)
);

create table compliance_criteria (
  id uuid primary key,
  version_id uuid not null references compliance_catalogue_versions (id),
  principle_id uuid not null references compliance_principles (id),
  position smallint not null,
  code text not null,
  label text not null,
  guidance text,
  weight smallint not null default 1,
  measure text not null,
  indicator text,
  threshold double precision,
  constraint compliance_criteria_code_key unique (version_id, code),
  constraint compliance_criteria_code_format check (code ~ '^[A-Z][A-Z0-9_.-]{0,19}$'),
  constraint compliance_criteria_label_length check (length(btrim(label)) between 2 and 300),
  constraint compliance_criteria_weight check (weight between 1 and 10),
  constraint compliance_criteria_measure_check check (measure in ('indicator', 'declaration', 'evidence', 'observation')),
  constraint compliance_criteria_indicator check ((measure = 'indicator') = (indicator is not null))
);
create index compliance_criteria_principle_idx on compliance_criteria (principle_id);

-- A published (or retired) version is immutable: its principles and criteria too.
create function app.compliance_version_frozen() returns trigger language plpgsql as $$
declare s text;
begin
  if tg_table_name = 'compliance_catalogue_versions' then
    if old.status <> 'draft' and (new.title <> old.title or new.version <> old.version) then
      raise exception 'a published version is immutable'
        using errcode = '23514', constraint = 'compliance_catalogue_versions_frozen';
    end if;
    return new;
  end if;
  select v.status into s from compliance_catalogue_versions v where v.id = new.version_id;
  if s is distinct from 'draft' then
    raise exception 'a published version is immutable'
      using errcode = '23514', constraint = 'compliance_catalogue_versions_frozen';
  end if;
  return new;
end $$;
create trigger compliance_catalogue_versions_frozen before update on compliance_catalogue_versions
  for each row execute function app.compliance_version_frozen();
create trigger compliance_principles_frozen before insert or update on compliance_principles
  for each row execute function app.compliance_version_frozen();
create trigger compliance_criteria_frozen before insert or update on compliance_criteria
  for each row execute function app.compliance_version_frozen();

-- Contracts ------------------------------------------------------------------------

create table compliance_contracts (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  reference text not null,
  signed_on date not null,
  term_ends_on date not null,
  renewal_on date not null,
  status text not null default 'draft',
  catalogue_version_id uuid not null references compliance_catalogue_versions (id),
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_contracts_reference_key unique (tenant_id, reference),
  constraint compliance_contracts_reference_format check (reference ~ '^[A-Za-z0-9][A-Za-z0-9_./-]{1,63}$'),
  constraint compliance_contracts_dates check (term_ends_on > signed_on and renewal_on <= term_ends_on),
  constraint compliance_contracts_status_check check (status in ('draft', 'in_force', 'expired', 'terminated'))
);

create table compliance_signatories (
  tenant_id uuid not null,
  id uuid not null,
  contract_id uuid not null,
  party text not null,
  full_name text not null,
  role_title text not null,
  primary key (tenant_id, id),
  constraint compliance_signatories_contract_fkey foreign key (tenant_id, contract_id) references compliance_contracts (tenant_id, id),
  constraint compliance_signatories_party_check check (party in ('association', 'union')),
  constraint compliance_signatories_name_length check (length(btrim(full_name)) between 2 and 200),
  constraint compliance_signatories_role_length check (length(btrim(role_title)) between 2 and 200)
);

create table compliance_amendments (
  tenant_id uuid not null,
  id uuid not null,
  contract_id uuid not null,
  signed_on date not null,
  summary text not null,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_amendments_contract_fkey foreign key (tenant_id, contract_id) references compliance_contracts (tenant_id, id),
  constraint compliance_amendments_summary_length check (length(btrim(summary)) between 2 and 2000)
);

-- Campaigns: the union's; an association reads those it is audited in --------------

create table compliance_campaigns (
  id uuid primary key,
  title text not null,
  catalogue_version_id uuid not null references compliance_catalogue_versions (id),
  period_starts_on date not null,
  period_ends_on date not null,
  self_assessment_due_on date not null,
  visits_from date not null,
  visits_until date not null,
  contradictory_days smallint not null,
  closes_on date not null,
  sample_percent smallint,
  status text not null default 'open',
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  closed_at timestamptz,
  constraint compliance_campaigns_title_length check (length(btrim(title)) between 2 and 200),
  constraint compliance_campaigns_period check (period_ends_on >= period_starts_on),
  constraint compliance_campaigns_calendar check (
    visits_from >= self_assessment_due_on and visits_until >= visits_from and closes_on >= visits_until),
  constraint compliance_campaigns_contradictory_days check (contradictory_days between 1 and 90),
  constraint compliance_campaigns_sample_percent check (sample_percent between 1 and 100),
  constraint compliance_campaigns_status_check check (status in ('open', 'closed'))
);

-- Audits: one per association in a campaign's scope ---------------------------------

create table compliance_audits (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  campaign_id uuid not null references compliance_campaigns (id),
  auditor_id uuid references users (id),
  selection text not null,
  status text not null default 'self_assessment',
  submitted_at timestamptz,
  submitted_by uuid references users (id),
  draft_sent_at timestamptz,
  replies_due_on date,
  finalised_at timestamptz,
  score double precision,
  grade text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_audits_campaign_key unique (tenant_id, campaign_id),
  constraint compliance_audits_selection_check check (selection in ('chosen', 'sampled')),
  constraint compliance_audits_status_check check (status in ('self_assessment', 'review', 'contradictory', 'final')),
  constraint compliance_audits_grade_check check (grade in ('compliant', 'compliant_with_reservations', 'non_compliant')),
  constraint compliance_audits_final check ((status = 'final') = (grade is not null))
);
create index compliance_audits_campaign_idx on compliance_audits (campaign_id);

-- The association's declarations, one per criterion.
create table compliance_answers (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  criterion_id uuid not null references compliance_criteria (id),
  declaration text,
  updated_by uuid references users (id),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_answers_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_answers_criterion_key unique (tenant_id, audit_id, criterion_id),
  constraint compliance_answers_declaration_length check (length(declaration) <= 4000)
);

-- What the auditor saw on site.
create table compliance_observations (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  criterion_id uuid not null references compliance_criteria (id),
  site_id uuid,
  observed_on date not null,
  body text not null,
  recorded_by uuid references users (id),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_observations_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_observations_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint compliance_observations_body_length check (length(btrim(body)) between 2 and 4000)
);

-- One score per criterion. An indicator criterion keeps what the indicator gave
-- (prefilled_result, indicator_value); a result that differs needs override_reason.
create table compliance_scores (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  criterion_id uuid not null references compliance_criteria (id),
  result text not null,
  prefilled_result text,
  indicator_value double precision,
  override_reason text,
  scored_by uuid references users (id),
  scored_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_scores_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_scores_criterion_key unique (tenant_id, audit_id, criterion_id),
  constraint compliance_scores_result_check check (result in ('met', 'partly_met', 'not_met', 'not_applicable')),
  constraint compliance_scores_prefilled_check check (prefilled_result in ('met', 'partly_met', 'not_met', 'not_applicable')),
  constraint compliance_scores_override check (
    prefilled_result is null or result = prefilled_result or length(btrim(override_reason)) >= 2)
);

-- Findings: what the draft report holds, per criterion; each may be answered, and the
-- final report says whether the answer changed it.
create table compliance_findings (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  criterion_id uuid not null references compliance_criteria (id),
  body text not null,
  outcome text,
  outcome_note text,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_findings_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_findings_body_length check (length(btrim(body)) between 2 and 4000),
  constraint compliance_findings_outcome_check check (outcome in ('maintained', 'amended', 'withdrawn'))
);

-- The association's answers in the contradictory phase.
create table compliance_replies (
  tenant_id uuid not null,
  id uuid not null,
  finding_id uuid not null,
  body text not null,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_replies_finding_fkey foreign key (tenant_id, finding_id) references compliance_findings (tenant_id, id),
  constraint compliance_replies_finding_key unique (tenant_id, finding_id),
  constraint compliance_replies_body_length check (length(btrim(body)) between 2 and 4000)
);

-- Reports: the draft (sent) and the final one, as issued.
create table compliance_reports (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  kind text not null,
  summary text not null,
  score double precision,
  grade text,
  issued_by uuid references users (id),
  issued_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_reports_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_reports_kind_key unique (tenant_id, audit_id, kind),
  constraint compliance_reports_kind_check check (kind in ('draft', 'final')),
  constraint compliance_reports_summary_length check (length(btrim(summary)) between 2 and 8000),
  constraint compliance_reports_grade_check check (grade in ('compliant', 'compliant_with_reservations', 'non_compliant')),
  constraint compliance_reports_final check ((kind = 'final') = (grade is not null))
);

-- The auditors' own notes: never shown to the association.
create table compliance_notes (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  body text not null,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_notes_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_notes_body_length check (length(btrim(body)) between 2 and 4000)
);

-- The corrective action plan: actions tied to criteria, owned by a member.
create table compliance_actions (
  tenant_id uuid not null,
  id uuid not null,
  audit_id uuid not null,
  criterion_id uuid not null references compliance_criteria (id),
  title text not null,
  owner_membership_id uuid not null,
  due_on date not null,
  status text not null default 'open',
  completion_note text,
  overdue_since date,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_actions_audit_fkey foreign key (tenant_id, audit_id) references compliance_audits (tenant_id, id),
  constraint compliance_actions_owner_fkey foreign key (tenant_id, owner_membership_id) references memberships (tenant_id, id),
  constraint compliance_actions_title_length check (length(btrim(title)) between 2 and 300),
  constraint compliance_actions_status_check check (status in ('open', 'done', 'accepted', 'reopened'))
);
create index compliance_actions_due_idx on compliance_actions (due_on) where status in ('open', 'reopened');

-- Sanctions, decided by the union admin. A suspension of the brand may name a site.
create table compliance_sanctions (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  kind text not null,
  site_id uuid,
  reason text not null,
  decided_on date not null,
  ends_on date,
  decided_by uuid references users (id),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_sanctions_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint compliance_sanctions_kind_check check (kind in ('warning', 'suspension', 'termination')),
  constraint compliance_sanctions_reason_length check (length(btrim(reason)) between 2 and 2000),
  constraint compliance_sanctions_dates check (ends_on is null or ends_on >= decided_on),
  constraint compliance_sanctions_site_kind check (site_id is null or kind = 'suspension')
);

-- Evidence documents: the file is in the object store under storage_key; its
-- checked type, size and SHA-256 here. Attached to one owner row of this domain.
create table compliance_documents (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  owner_kind text not null,
  owner_id uuid not null,
  file_name text not null,
  content_type text not null,
  size_bytes bigint not null,
  sha256 text not null,
  storage_key text not null,
  review text not null default 'pending',
  review_reason text,
  reviewed_by uuid references users (id),
  reviewed_at timestamptz,
  uploaded_by uuid references users (id),
  uploaded_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_documents_storage_key unique (tenant_id, storage_key),
  constraint compliance_documents_owner_kind_check check (owner_kind in ('contract', 'answer', 'observation', 'reply', 'action')),
  constraint compliance_documents_content_type_check check (content_type in (
    'application/pdf', 'image/png', 'image/jpeg',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet',
    'application/x-ole-storage')),
  constraint compliance_documents_size check (size_bytes between 1 and 20971520),
  constraint compliance_documents_sha256_format check (sha256 ~ '^[0-9a-f]{64}$'),
  constraint compliance_documents_file_name_length check (length(btrim(file_name)) between 1 and 200),
  constraint compliance_documents_review_check check (review in ('pending', 'accepted', 'refused')),
  constraint compliance_documents_refused_reason check (review <> 'refused' or length(btrim(review_reason)) >= 2)
);
create index compliance_documents_owner_idx on compliance_documents (tenant_id, owner_id);

-- Every state change of this domain: its author, time and the previous state.
create table compliance_history (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  subject_kind text not null,
  subject_id uuid not null,
  action text not null,
  previous jsonb not null,
  reason text,
  changed_by uuid references users (id),
  changed_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint compliance_history_subject_kind_check check (subject_kind in
    ('contract', 'audit', 'score', 'document', 'finding', 'action', 'sanction'))
);
create index compliance_history_subject_idx on compliance_history (tenant_id, subject_id);

-- Sanctions show on the sites' labels: a suspended brand is a label with its dates.
alter table site_labels drop constraint site_labels_label_check;
alter table site_labels add constraint site_labels_label_check check (label in
  ('france_services', 'msap', 'point_conseil_budget_1', 'point_conseil_budget_2', 'aidants_connect',
   'conseiller_numerique', 'pimms_suspended'));
create policy site_labels_sanction on site_labels for insert
  with check (label = 'pimms_suspended' and (select app.union_role()) = 'admin');

-- Policies ---------------------------------------------------------------------------

alter table compliance_catalogue_versions enable row level security;
alter table compliance_catalogue_versions force row level security;
alter table compliance_principles enable row level security;
alter table compliance_principles force row level security;
alter table compliance_criteria enable row level security;
alter table compliance_criteria force row level security;
do $$
declare t text;
begin
  foreach t in array array['compliance_catalogue_versions', 'compliance_principles', 'compliance_criteria'] loop
    execute format($p$create policy %I on %I for select using (
      (select app.tenant_id()) is not null or (select app.union_role()) is not null or (select app.is_system()))$p$,
      t || '_read', t);
    execute format($p$create policy %I on %I for insert with check (
      (select app.union_role()) = 'admin' or (select app.is_system()))$p$, t || '_insert', t);
    execute format($p$create policy %I on %I for update
      using ((select app.union_role()) = 'admin' or (select app.is_system()))
      with check ((select app.union_role()) = 'admin' or (select app.is_system()))$p$, t || '_update', t);
  end loop;
end $$;

alter table compliance_campaigns enable row level security;
alter table compliance_campaigns force row level security;
create policy compliance_campaigns_read on compliance_campaigns for select using (
  (select app.union_role()) is not null or (select app.is_system())
  or exists (select 1 from compliance_audits a
             where a.campaign_id = compliance_campaigns.id and a.tenant_id = (select app.tenant_id())));
create policy compliance_campaigns_insert on compliance_campaigns for insert with check (
  (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()));
create policy compliance_campaigns_update on compliance_campaigns for update
  using ((select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))
  with check ((select app.union_role()) in ('admin', 'auditor') or (select app.is_system()));

-- Audits: the analyst reads them too (grades and scores, for aggregates).
alter table compliance_audits enable row level security;
alter table compliance_audits force row level security;
create policy compliance_audits_read on compliance_audits for select using (
  tenant_id = (select app.tenant_id()) or (select app.union_role()) is not null or (select app.is_system()));
create policy compliance_audits_insert on compliance_audits for insert with check (
  (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()));
create policy compliance_audits_update on compliance_audits for update
  using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
         or (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))
  with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
              or (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()));

-- What the association reads and may write (the service says when and who).
do $$
declare t text;
begin
  foreach t in array array['compliance_contracts', 'compliance_signatories', 'compliance_amendments',
                           'compliance_answers', 'compliance_observations', 'compliance_scores',
                           'compliance_findings', 'compliance_replies', 'compliance_reports',
                           'compliance_actions', 'compliance_sanctions', 'compliance_documents',
                           'compliance_history'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy %I on %I for select using (
      tenant_id = (select app.tenant_id()) or (select app.union_role()) in ('admin', 'auditor')
      or (select app.is_system()))$p$, t || '_read', t);
  end loop;
  -- Written by the union only.
  foreach t in array array['compliance_contracts', 'compliance_signatories', 'compliance_amendments',
                           'compliance_observations', 'compliance_scores', 'compliance_findings',
                           'compliance_reports', 'compliance_sanctions'] loop
    execute format($p$create policy %I on %I for insert with check (
      (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))$p$, t || '_insert', t);
    execute format($p$create policy %I on %I for update
      using ((select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))
      with check ((select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))$p$,
      t || '_update', t);
  end loop;
  -- Written by the association's director or coordinator, and by the union.
  foreach t in array array['compliance_answers', 'compliance_replies', 'compliance_actions',
                           'compliance_documents', 'compliance_history'] loop
    execute format($p$create policy %I on %I for insert with check (
      (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
      or (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))$p$, t || '_insert', t);
    execute format($p$create policy %I on %I for update
      using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
             or (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))
      with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
                  or (select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))$p$,
      t || '_update', t);
  end loop;
end $$;

-- Internal notes: the union's admin and auditors only.
alter table compliance_notes enable row level security;
alter table compliance_notes force row level security;
create policy compliance_notes_union on compliance_notes for all
  using ((select app.union_role()) in ('admin', 'auditor') or (select app.is_system()))
  with check ((select app.union_role()) in ('admin', 'auditor') or (select app.is_system()));

grant select, insert, update on compliance_catalogue_versions, compliance_principles, compliance_criteria,
  compliance_contracts, compliance_signatories, compliance_campaigns, compliance_audits, compliance_answers,
  compliance_observations, compliance_scores, compliance_findings, compliance_replies, compliance_actions,
  compliance_documents to passerelle_app;
-- Kept as written: amendments, reports, notes, sanctions and the history are never changed.
grant select, insert on compliance_amendments, compliance_reports, compliance_notes, compliance_sanctions,
  compliance_history to passerelle_app;
