-- The access log: every mutation and every read of personal data, hash-chained per
-- association (tenant_id = the association) and one chain for everyone else's actions
-- (tenant_id = the nil uuid: the union's staff, partners' people and API clients).
--
-- Tamper-evident: each entry holds the hash of the one before it in its chain,
-- hash = sha256(prev_hash || canonical text of the entry), the canonical text written
-- by one function (app.access_log_canonical) that `passerelle audit verify` uses too.
-- The application role can neither insert, update nor delete rows: it appends through
-- app.access_log_append (SECURITY DEFINER, owned by the owner role), which takes the
-- chain's head row lock, numbers and hashes the entries and moves the head. A trigger
-- refuses every UPDATE and any DELETE but the retention's, which only removes entries
-- already covered by a checkpoint (app.access_log_purge writes it first), so a purged
-- chain stays verifiable from its checkpoint.
--
-- Appends are statements of their own (autocommit, on the log's own connections):
-- the head's lock is held for one statement, never across a request.

create table access_log (
  -- The chain: the association's id, or the nil uuid for the union's chain. Not a
  -- foreign key: the union's chain has no association row.
  tenant_id uuid not null,
  seq bigint not null,
  at timestamptz not null,
  -- mutation | read | reason (a union admin's written reason to read another chain)
  kind text not null,
  -- The GraphQL field: the mutation, or the field that produced the object read.
  operation text not null,
  object_type text,
  object_id uuid,
  -- user | client | system
  actor_kind text not null,
  user_id uuid,
  client_id uuid,
  request_id uuid,
  -- 'ok' or the error code (VALIDATION, NOT_FOUND...)
  outcome text not null,
  -- Only for a union admin's read of another association's chain (kind 'reason').
  reason text,
  -- For a 'reason' entry: the chain that is about to be read.
  target_tenant_id uuid,
  prev_hash bytea not null,
  hash bytea not null,
  primary key (tenant_id, seq),
  constraint access_log_kind_check check (kind in ('mutation', 'read', 'reason')),
  constraint access_log_actor_kind_check check (actor_kind in ('user', 'client', 'system')),
  constraint access_log_reason_check check ((kind = 'reason') = (reason is not null)),
  constraint access_log_hash_length check (length(hash) = 32 and length(prev_hash) = 32)
);
create index access_log_at_idx on access_log (tenant_id, at);

-- One row per chain: where the next entry goes.
create table access_log_heads (
  tenant_id uuid primary key,
  last_seq bigint not null,
  last_hash bytea not null,
  updated_at timestamptz not null default now()
);

-- Retention: the last entry purged from a chain, with its hash. `verify` starts a
-- chain from its latest checkpoint.
create table access_log_checkpoints (
  tenant_id uuid not null,
  seq bigint not null,
  hash bytea not null,
  purged_at timestamptz not null default now(),
  -- Entries removed by this purge (for the operator's record; counts, never data).
  entries bigint not null,
  primary key (tenant_id, seq)
);

-- The text an entry's hash covers. One definition, for the append and for verify:
-- a JSON array (unambiguous: strings escaped, nulls as null), the time as
-- microseconds since the epoch (independent of the session's time zone).
create function app.access_log_canonical(
  p_tenant uuid, p_seq bigint, p_at timestamptz, p_kind text, p_operation text,
  p_object_type text, p_object_id uuid, p_actor_kind text, p_user uuid, p_client uuid,
  p_request uuid, p_outcome text, p_reason text, p_target uuid
) returns text language sql immutable parallel safe as $$
  select jsonb_build_array(
    p_tenant, p_seq, (extract(epoch from p_at) * 1000000)::bigint, p_kind, p_operation,
    p_object_type, p_object_id, p_actor_kind, p_user, p_client, p_request, p_outcome,
    p_reason, p_target)::text
$$;

-- The hash of the entry after `p_prev`.
create function app.access_log_hash(p_prev bytea, p_canonical text) returns bytea
  language sql immutable parallel safe as $$
  select sha256(p_prev || convert_to(p_canonical, 'UTF8'))
$$;

-- The first entry of a chain follows 32 zero bytes.
create function app.access_log_genesis() returns bytea language sql immutable as $$
  select '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
$$;

-- Appends a batch of entries (a JSON array of objects, one round trip) and returns
-- how many were written. Chains are locked in uuid order, so two batches touching
-- the same chains cannot deadlock. The time is the database's, not the caller's.
create function app.access_log_append(p_entries jsonb) returns integer
  language plpgsql security definer set search_path = pg_catalog, public
as $$
declare
  c uuid;
  head_seq bigint;
  head_hash bytea;
  e record;
  canon text;
  h bytea;
  n integer := 0;
  t timestamptz := clock_timestamp();
begin
  if jsonb_typeof(p_entries) is distinct from 'array' then
    raise exception 'access_log_append: an array of entries' using errcode = '22023';
  end if;
  for c in
    select distinct (x ->> 'tenant_id')::uuid from jsonb_array_elements(p_entries) x order by 1
  loop
    insert into access_log_heads (tenant_id, last_seq, last_hash)
      values (c, 0, app.access_log_genesis())
      on conflict (tenant_id) do nothing;
    select last_seq, last_hash into head_seq, head_hash
      from access_log_heads where tenant_id = c for update;
    for e in
      select * from jsonb_to_recordset(p_entries) as r(
        tenant_id uuid, kind text, operation text, object_type text, object_id uuid,
        actor_kind text, user_id uuid, client_id uuid, request_id uuid, outcome text,
        reason text, target_tenant_id uuid)
      where r.tenant_id = c
    loop
      head_seq := head_seq + 1;
      canon := app.access_log_canonical(c, head_seq, t, e.kind, e.operation, e.object_type,
        e.object_id, e.actor_kind, e.user_id, e.client_id, e.request_id, e.outcome, e.reason,
        e.target_tenant_id);
      h := app.access_log_hash(head_hash, canon);
      insert into access_log (tenant_id, seq, at, kind, operation, object_type, object_id,
          actor_kind, user_id, client_id, request_id, outcome, reason, target_tenant_id,
          prev_hash, hash)
        values (c, head_seq, t, e.kind, e.operation, e.object_type, e.object_id,
          e.actor_kind, e.user_id, e.client_id, e.request_id, e.outcome, e.reason,
          e.target_tenant_id, head_hash, h);
      head_hash := h;
      n := n + 1;
    end loop;
    update access_log_heads set last_seq = head_seq, last_hash = head_hash, updated_at = t
      where tenant_id = c;
  end loop;
  return n;
end $$;

-- Retention: removes the entries of one chain older than `p_before`, after recording
-- a checkpoint with the last removed entry's seq and hash (same transaction), and
-- returns how many it removed. The chain's head is locked so that no append
-- interleaves; one chain per call, so appends to the others never wait for it.
create function app.access_log_purge(p_tenant uuid, p_before timestamptz) returns bigint
  language plpgsql security definer set search_path = pg_catalog, public
as $$
declare
  cut_seq bigint;
  cut_hash bytea;
  removed bigint;
begin
  -- Six months at least (the CNIL's lower bound for access logs), whatever the
  -- caller asks: the application role, which may run this, cannot erase recent entries.
  if p_before > now() - interval '180 days' then
    raise exception 'access log entries are kept 180 days at least'
      using errcode = '22023', constraint = 'access_log_retention_floor';
  end if;
  perform 1 from access_log_heads where tenant_id = p_tenant for update;
  -- The last entry of the run of old entries at the start of the chain: an entry is
  -- only ever purged with every one before it.
  select l.seq, l.hash into cut_seq, cut_hash from access_log l
    where l.tenant_id = p_tenant and l.at < p_before
      and not exists (select 1 from access_log y
                      where y.tenant_id = p_tenant and y.seq < l.seq and y.at >= p_before)
    order by l.seq desc limit 1;
  if cut_seq is null then
    return 0;
  end if;
  select count(*) into removed from access_log where tenant_id = p_tenant and seq <= cut_seq;
  insert into access_log_checkpoints (tenant_id, seq, hash, entries)
    values (p_tenant, cut_seq, cut_hash, removed);
  perform set_config('app.access_log_purge', 'on', true);
  delete from access_log where tenant_id = p_tenant and seq <= cut_seq;
  perform set_config('app.access_log_purge', '', true);
  return removed;
end $$;

-- No update, ever; a delete only by the retention, of entries a checkpoint covers.
create function app.access_log_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE'
     and current_setting('app.access_log_purge', true) = 'on'
     and exists (select 1 from access_log_checkpoints k
                 where k.tenant_id = old.tenant_id and k.seq >= old.seq) then
    return old;
  end if;
  raise exception 'the access log is append-only'
    using errcode = '42501', constraint = 'access_log_append_only';
end $$;

create trigger access_log_guard before update or delete on access_log
  for each row execute function app.access_log_guard();

create function app.access_log_no_truncate() returns trigger language plpgsql as $$
begin
  raise exception 'the access log is append-only'
    using errcode = '42501', constraint = 'access_log_append_only';
end $$;

create trigger access_log_no_truncate before truncate on access_log
  for each statement execute function app.access_log_no_truncate();
create trigger access_log_checkpoints_no_truncate before truncate on access_log_checkpoints
  for each statement execute function app.access_log_no_truncate();

create function app.access_log_checkpoints_guard() returns trigger language plpgsql as $$
begin
  raise exception 'access log checkpoints are append-only'
    using errcode = '42501', constraint = 'access_log_append_only';
end $$;

create trigger access_log_checkpoints_guard before update or delete on access_log_checkpoints
  for each row execute function app.access_log_checkpoints_guard();

-- Row-level security ------------------------------------------------------------------
-- Readers: the association's director (its chain), the union's admins and auditors
-- (every chain: the application lets an admin read another association's chain only
-- on a written reason, appended to the union's chain first, and refuses auditors),
-- and the platform itself (verify). The owner's policies let the two functions above
-- write: FORCE binds the owner too.

alter table access_log enable row level security;
alter table access_log force row level security;
create policy access_log_read on access_log for select using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
  or (select app.union_role()) in ('admin', 'auditor')
  or (select app.is_system()));
create policy access_log_owner on access_log for all to passerelle_owner
  using (true) with check (true);

alter table access_log_heads enable row level security;
alter table access_log_heads force row level security;
create policy access_log_heads_read on access_log_heads for select using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
  or (select app.union_role()) in ('admin', 'auditor')
  or (select app.is_system()));
create policy access_log_heads_owner on access_log_heads for all to passerelle_owner
  using (true) with check (true);

alter table access_log_checkpoints enable row level security;
alter table access_log_checkpoints force row level security;
create policy access_log_checkpoints_read on access_log_checkpoints for select using (
  (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director')
  or (select app.union_role()) in ('admin', 'auditor')
  or (select app.is_system()));
create policy access_log_checkpoints_owner on access_log_checkpoints for all to passerelle_owner
  using (true) with check (true);

-- Grants: reading under row-level security, appending and purging through the two
-- functions; no insert, update or delete on the tables.
grant select on access_log, access_log_heads, access_log_checkpoints to passerelle_app;
revoke all on function app.access_log_append(jsonb) from public;
revoke all on function app.access_log_purge(uuid, timestamptz) from public;
grant execute on function app.access_log_append(jsonb) to passerelle_app;
grant execute on function app.access_log_purge(uuid, timestamptz) to passerelle_app;
