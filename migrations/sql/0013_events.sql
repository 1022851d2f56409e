-- Events: the outbox every domain writes in the transaction of the change that causes
-- an event, partners' webhook endpoints and their deliveries, e-mails to people, and
-- each person's choice about reminders.

-- One row per domain event. Written by the actor's transaction (so it exists exactly
-- when the change committed), read and dispatched by the delivery worker (system).
-- `tenant_id` is the association concerned, `partner_id` the partner whose webhooks
-- may receive it; either may be absent (a national agreement, a union invitation).
create table event_outbox (
  id uuid primary key,
  event_type text not null,
  tenant_id uuid references tenants (id),
  partner_id uuid references partner_organisations (id),
  subject_id uuid not null,
  payload jsonb not null,
  occurred_at timestamptz not null default now(),
  dispatched_at timestamptz,
  -- Time-driven events (a reporting period closed) are written by every replica's
  -- hourly job: the key makes the second writer's insert a no-op.
  dedupe_key text,
  constraint event_outbox_dedupe_key unique (dedupe_key),
  constraint event_outbox_type_check check (event_type in (
    'outreach.case.outcome_recorded', 'outreach.campaign.closed', 'agreement.status_changed',
    'agreement.reporting_period.closed', 'invitation.created'))
);
create index event_outbox_pending_idx on event_outbox (occurred_at) where dispatched_at is null;

alter table event_outbox enable row level security;
alter table event_outbox force row level security;
-- Whoever may make the change may record its event, for their own association only;
-- the union's admins write network-wide events (national agreements, invitations).
create policy event_outbox_insert on event_outbox for insert with check (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) in ('director', 'coordinator', 'mediator'))
  or (select app.union_role()) = 'admin' or (select app.is_system()));
create policy event_outbox_system on event_outbox for select using ((select app.is_system()));
create policy event_outbox_dispatch on event_outbox for update
  using ((select app.is_system())) with check ((select app.is_system()));

-- A partner's webhook endpoints. The signing secret must be read back to sign, so it
-- is kept as is (like any HMAC key), shown to the partner once, never through the API
-- again. A rotated-out secret keeps signing for 24 h, so receivers can switch over.
create table webhook_endpoints (
  partner_id uuid not null references partner_organisations (id),
  id uuid not null,
  url text not null,
  event_types text[] not null,
  active boolean not null default true,
  secret text not null,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  -- Failed attempts since the last success, and when that run of failures began.
  consecutive_failures integer not null default 0,
  failing_since timestamptz,
  disabled_at timestamptz,
  created_by uuid references users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (partner_id, id),
  constraint webhook_endpoints_url_format check (url ~ '^https?://[^\s]+$' and length(url) <= 2000),
  constraint webhook_endpoints_event_types_check check (cardinality(event_types) between 1 and 10),
  constraint webhook_endpoints_previous_check check ((previous_secret is null) = (previous_secret_expires_at is null))
);

-- One event to one endpoint: its attempts so far and where it stands.
create table webhook_deliveries (
  partner_id uuid not null,
  id uuid not null,
  endpoint_id uuid not null,
  event_id uuid not null references event_outbox (id),
  event_type text not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- Retries stop here: 24 h after the event (or after a replay).
  retry_until timestamptz not null,
  last_attempt_at timestamptz,
  last_response_code integer,
  -- A fixed description of the last failure (timeout, refused address...), never the
  -- receiver's answer.
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (partner_id, id),
  constraint webhook_deliveries_endpoint_fkey foreign key (partner_id, endpoint_id)
    references webhook_endpoints (partner_id, id),
  constraint webhook_deliveries_event_key unique (endpoint_id, event_id),
  constraint webhook_deliveries_status_check check (status in ('pending', 'delivered', 'failed'))
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint_idx on webhook_deliveries (partner_id, endpoint_id, id);

alter table webhook_endpoints enable row level security;
alter table webhook_endpoints force row level security;
create policy webhook_endpoints_partner on webhook_endpoints for all
  using (partner_id = (select app.partner_id()) or (select app.is_system()))
  with check (partner_id = (select app.partner_id()) or (select app.is_system()));

alter table webhook_deliveries enable row level security;
alter table webhook_deliveries force row level security;
create policy webhook_deliveries_read on webhook_deliveries for select using (
  partner_id = (select app.partner_id()) or (select app.is_system()));
create policy webhook_deliveries_insert on webhook_deliveries for insert with check ((select app.is_system()));
-- The partner replays a delivery; the worker records attempts.
create policy webhook_deliveries_update on webhook_deliveries for update
  using (partner_id = (select app.partner_id()) or (select app.is_system()))
  with check (partner_id = (select app.partner_id()) or (select app.is_system()));

-- One e-mail to send for one event. The address is read when sending (from the
-- invitation or the person), so no address or content sits here.
create table email_messages (
  id uuid primary key,
  event_id uuid not null references event_outbox (id),
  -- The person written to; none: the event's invitee.
  user_id uuid references users (id),
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  constraint email_messages_event_key unique nulls not distinct (event_id, user_id),
  constraint email_messages_status_check check (status in ('pending', 'sent', 'failed', 'skipped'))
);
create index email_messages_due_idx on email_messages (next_attempt_at) where status = 'pending';

alter table email_messages enable row level security;
alter table email_messages force row level security;
create policy email_messages_system on email_messages for all
  using ((select app.is_system())) with check ((select app.is_system()));

-- A person's choice about reminders (none: they get them).
create table notification_preferences (
  user_id uuid primary key references users (id),
  reminders boolean not null,
  updated_at timestamptz not null default now()
);

alter table notification_preferences enable row level security;
alter table notification_preferences force row level security;
create policy notification_preferences_own on notification_preferences for all
  using (user_id = (select app.user_id()) or (select app.is_system()))
  with check (user_id = (select app.user_id()) or (select app.is_system()));

grant select, insert, update on event_outbox, webhook_endpoints, webhook_deliveries, email_messages,
  notification_preferences to passerelle_app;
