-- The mediation journal: visits and their requests, workshops, satisfaction surveys,
-- pseudonymous beneficiaries with their consents, sensitive notes, the correction
-- history, and the daily rollups the dashboard reads (kept exact in the same
-- transaction as each write).

-- Network-wide catalogues --------------------------------------------------------

create table request_themes (
  code text primary key,
  label_fr text not null,
  position smallint not null
);
insert into request_themes (code, label_fr, position) values
  ('energy', 'Énergie (électricité, gaz)', 1),
  ('water', 'Eau', 2),
  ('transport', 'Transports', 3),
  ('postal', 'Courrier et services postaux', 4),
  ('telecom', 'Téléphonie et internet', 5),
  ('family_benefits', 'Prestations familiales (CAF)', 6),
  ('health_insurance', 'Assurance maladie (CPAM)', 7),
  ('housing', 'Logement', 8),
  ('employment', 'Emploi', 9),
  ('taxes', 'Impôts', 10),
  ('digital', 'Démarches numériques', 11),
  ('budget', 'Budget et surendettement', 12),
  ('residence_papers', 'Titres de séjour', 13),
  ('retirement', 'Retraite', 14),
  ('legal_rights', 'Accès au droit', 15),
  ('other', 'Autre', 16);

create table workshop_themes (
  code text primary key,
  label_fr text not null,
  position smallint not null
);
insert into workshop_themes (code, label_fr, position) values
  ('employment', 'Emploi', 1),
  ('health', 'Santé', 2),
  ('social_rights', 'Droits sociaux', 3),
  ('energy_saving', 'Économies d''énergie', 4),
  ('transport', 'Mobilité et transports', 5),
  ('digital', 'Numérique', 6),
  ('budget', 'Budget', 7),
  ('other', 'Autre', 8);

alter table request_themes enable row level security;
alter table request_themes force row level security;
create policy request_themes_read on request_themes for select using (true);
alter table workshop_themes enable row level security;
alter table workshop_themes force row level security;
create policy workshop_themes_read on workshop_themes for select using (true);

-- Beneficiaries: pseudonymous, only when follow-up needs it, with consent ----------

create table beneficiaries (
  tenant_id uuid not null references tenants (id),
  id uuid not null,
  pseudonym text not null,
  age_band text,
  sex text,
  neighbourhood text,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint beneficiaries_pseudonym_key unique (tenant_id, pseudonym),
  constraint beneficiaries_age_band_check check (age_band in ('under_18', '18_25', '26_40', '41_60', '61_75', 'over_75')),
  constraint beneficiaries_sex_check check (sex in ('female', 'male', 'other'))
);

create table consents (
  tenant_id uuid not null,
  id uuid not null,
  beneficiary_id uuid not null,
  purpose text not null,
  recipient text not null,
  given_on date not null,
  channel text not null,
  expires_on date not null,
  withdrawn_on date,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint consents_beneficiary_fkey foreign key (tenant_id, beneficiary_id) references beneficiaries (tenant_id, id),
  constraint consents_channel_check check (channel in ('written', 'oral', 'electronic')),
  constraint consents_dates check (expires_on > given_on and (withdrawn_on is null or withdrawn_on >= given_on))
);

-- Visits and requests ---------------------------------------------------------------

create table visits (
  tenant_id uuid not null,
  id uuid not null,
  site_id uuid not null,
  mediator_id uuid not null,
  occurred_at timestamptz not null,
  channel text not null,
  duration_minutes integer not null,
  language text,
  age_band text,
  sex text,
  neighbourhood text,
  beneficiary_id uuid,
  client_key text not null,
  status text not null default 'recorded',
  revision integer not null default 1,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  voided_at timestamptz,
  primary key (tenant_id, id),
  constraint visits_client_key_key unique (tenant_id, client_key),
  constraint visits_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint visits_mediator_fkey foreign key (tenant_id, mediator_id) references memberships (tenant_id, id),
  constraint visits_beneficiary_fkey foreign key (tenant_id, beneficiary_id) references beneficiaries (tenant_id, id),
  constraint visits_channel_check check (channel in ('on_site', 'phone', 'home', 'remote')),
  constraint visits_duration_check check (duration_minutes between 1 and 480),
  constraint visits_language_check check (language ~ '^[a-z]{2,3}$' and language <> 'fr'),
  constraint visits_age_band_check check (age_band in ('under_18', '18_25', '26_40', '41_60', '61_75', 'over_75')),
  constraint visits_sex_check check (sex in ('female', 'male', 'other')),
  constraint visits_status_check check (status in ('recorded', 'voided')),
  constraint visits_client_key_length check (length(client_key) between 8 and 100)
);
create index visits_occurred_idx on visits (tenant_id, occurred_at desc);
create index visits_site_idx on visits (tenant_id, site_id, occurred_at desc);

create table visit_requests (
  tenant_id uuid not null,
  id uuid not null,
  visit_id uuid not null,
  position smallint not null,
  theme text not null references request_themes (code),
  kind text not null,
  partner_id uuid references partner_organisations (id),
  outcome text not null,
  mediation_act boolean not null,
  referred_to text,
  primary key (tenant_id, id),
  constraint visit_requests_visit_fkey foreign key (tenant_id, visit_id) references visits (tenant_id, id),
  constraint visit_requests_kind_check check (kind in ('partner', 'general')),
  constraint visit_requests_partner_check check ((kind = 'partner') = (partner_id is not null)),
  constraint visit_requests_outcome_check check (outcome in ('informed', 'oriented', 'accompanied', 'mediated', 'resolved'))
);
create index visit_requests_visit_idx on visit_requests (tenant_id, visit_id);

-- Free text about a resident: sensitive, never leaves the association.
create table visit_notes (
  tenant_id uuid not null,
  id uuid not null,
  visit_id uuid not null,
  body text not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint visit_notes_visit_fkey foreign key (tenant_id, visit_id) references visits (tenant_id, id),
  constraint visit_notes_body_length check (length(body) between 1 and 4000)
);
create index visit_notes_visit_idx on visit_notes (tenant_id, visit_id);

-- Every amendment and void keeps the previous state.
create table visit_revisions (
  tenant_id uuid not null,
  id uuid not null,
  visit_id uuid not null,
  revision integer not null,
  action text not null,
  previous jsonb not null,
  reason text,
  changed_by uuid,
  changed_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint visit_revisions_visit_fkey foreign key (tenant_id, visit_id) references visits (tenant_id, id),
  constraint visit_revisions_action_check check (action in ('amended', 'voided')),
  constraint visit_revisions_key unique (tenant_id, visit_id, revision)
);

-- Workshops -------------------------------------------------------------------------

create table workshops (
  tenant_id uuid not null,
  id uuid not null,
  site_id uuid not null,
  theme text not null references workshop_themes (code),
  title text not null,
  held_on date not null,
  duration_minutes integer not null,
  facilitator_id uuid not null,
  funding_partner_id uuid references partner_organisations (id),
  attendees integer not null,
  client_key text not null,
  status text not null default 'held',
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint workshops_client_key_key unique (tenant_id, client_key),
  constraint workshops_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint workshops_facilitator_fkey foreign key (tenant_id, facilitator_id) references memberships (tenant_id, id),
  constraint workshops_duration_check check (duration_minutes between 15 and 600),
  constraint workshops_attendees_check check (attendees between 0 and 1000),
  constraint workshops_status_check check (status in ('held', 'voided'))
);
create index workshops_held_idx on workshops (tenant_id, held_on desc);

-- Named attendees: only beneficiaries who consented.
create table workshop_attendees (
  tenant_id uuid not null,
  id uuid not null,
  workshop_id uuid not null,
  beneficiary_id uuid not null,
  primary key (tenant_id, id),
  constraint workshop_attendees_workshop_fkey foreign key (tenant_id, workshop_id) references workshops (tenant_id, id),
  constraint workshop_attendees_beneficiary_fkey foreign key (tenant_id, beneficiary_id) references beneficiaries (tenant_id, id),
  constraint workshop_attendees_key unique (tenant_id, workshop_id, beneficiary_id)
);

-- Satisfaction surveys ----------------------------------------------------------------

create table survey_campaigns (
  tenant_id uuid not null,
  id uuid not null,
  site_id uuid not null,
  title text not null,
  starts_on date not null,
  ends_on date not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint survey_campaigns_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint survey_campaigns_dates check (ends_on >= starts_on)
);

-- Scale: 1 very dissatisfied, 2 dissatisfied, 3 satisfied, 4 very satisfied.
create table survey_answers (
  tenant_id uuid not null,
  id uuid not null,
  campaign_id uuid not null,
  score smallint not null,
  answered_on date not null,
  client_key text not null,
  primary key (tenant_id, id),
  constraint survey_answers_campaign_fkey foreign key (tenant_id, campaign_id) references survey_campaigns (tenant_id, id),
  constraint survey_answers_score_check check (score between 1 and 4),
  constraint survey_answers_client_key_key unique (tenant_id, client_key)
);
create index survey_answers_campaign_idx on survey_answers (tenant_id, campaign_id);

-- Rollups: exact daily counts, written in the same transaction as the journal.
-- Day is the Paris calendar day. partner_key is the nil uuid when there is none
-- (primary keys cannot hold nulls).

create table visit_daily (
  tenant_id uuid not null,
  site_id uuid not null,
  day date not null,
  channel text not null,
  visits integer not null default 0,
  minutes bigint not null default 0,
  primary key (tenant_id, site_id, day, channel),
  constraint visit_daily_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint visit_daily_nonnegative check (visits >= 0 and minutes >= 0)
);

create table request_daily (
  tenant_id uuid not null,
  site_id uuid not null,
  day date not null,
  channel text not null,
  theme text not null,
  kind text not null,
  partner_key uuid not null,
  requests integer not null default 0,
  mediation_acts integer not null default 0,
  primary key (tenant_id, site_id, day, channel, theme, kind, partner_key),
  constraint request_daily_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint request_daily_nonnegative check (requests >= 0 and mediation_acts >= 0)
);
create index request_daily_day_idx on request_daily (tenant_id, day);

create table workshop_daily (
  tenant_id uuid not null,
  site_id uuid not null,
  day date not null,
  theme text not null,
  workshops integer not null default 0,
  attendees integer not null default 0,
  primary key (tenant_id, site_id, day, theme),
  constraint workshop_daily_site_fkey foreign key (tenant_id, site_id) references sites (tenant_id, id),
  constraint workshop_daily_nonnegative check (workshops >= 0 and attendees >= 0)
);

-- Policies ----------------------------------------------------------------------------
-- Journal tables: the association's staff read; directors, coordinators and mediators
-- write (viewers read only). Nobody outside the association reads them, not the union.
do $$
declare t text;
begin
  foreach t in array array['beneficiaries', 'consents', 'visits', 'visit_requests', 'visit_notes', 'visit_revisions',
                           'workshops', 'workshop_attendees', 'survey_campaigns', 'survey_answers'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format($p$create policy %I on %I for select using (
      tenant_id = (select app.tenant_id()) or (select app.is_system()))$p$, t || '_read', t);
    execute format($p$create policy %I on %I for insert with check (
      (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
      or (select app.is_system()))$p$, t || '_insert', t);
    execute format($p$create policy %I on %I for update
      using ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
             or (select app.is_system()))
      with check ((tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
                  or (select app.is_system()))$p$, t || '_update', t);
  end loop;
  -- Rollups: aggregates, so the union reads them too (network statistics).
  foreach t in array array['visit_daily', 'request_daily', 'workshop_daily'] loop
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

-- An amendment replaces a visit's requests; named attendees can be corrected.
create policy visit_requests_delete on visit_requests for delete using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.is_system()));
create policy workshop_attendees_delete on workshop_attendees for delete using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator'))
  or (select app.is_system()));

grant select on request_themes, workshop_themes to passerelle_app;
grant select, insert, update on beneficiaries, consents, visits, visit_requests, workshops, survey_campaigns,
  visit_daily, request_daily, workshop_daily to passerelle_app;
-- Requests of an amended visit are replaced; named attendees can be corrected.
grant delete on visit_requests, workshop_attendees to passerelle_app;
grant select, insert on visit_notes, visit_revisions, survey_answers, workshop_attendees to passerelle_app;
