-- W5 ceiling: what Passerelle issues for one beneficiary by id with its consents
-- (statement log of a debug server on a bench dataset, round three): one read
-- transaction opened with the director's scope, the beneficiary, its read appended to
-- the association's access log, its consents, their reads appended (one append per
-- level of the answer), the partners the consents name (Passerelle reads them only when
-- a consent names one; here always, on an empty array when none does); as the login
-- role under row-level security, with generic plans as Passerelle's connections
-- (bench/run sets PGOPTIONS). Passerelle appends in autocommit on the log's own
-- connections; one pgbench client has one connection, so here the appends are inside
-- the read transaction and the chain's head stays locked until its commit, a little
-- longer than the server holds it. The first line picks the ids
-- (bench/pgbench/setup.sql): the one statement Passerelle does not issue.
\set n random(1, :nw5)
select tenant_id, beneficiary_id, user_id, consent_ids, partner_ids from bench_pgbench.w5 where n = :n \gset
begin;
select pg_backend_pid() as pid, set_config('app.tenant_id', :tenant_id::text, true), set_config('app.tenant_role', 'director', true), set_config('app.user_id', :user_id::text, true), set_config('app.union_role', '', true), set_config('app.partner_id', '', true), set_config('app.actor_kind', 'user', true), set_config('statement_timeout', '20000', true), set_config('lock_timeout', '2000', true), set_config('idle_in_transaction_session_timeout', '15000', true);
select tenant_id, id, pseudonym, age_band, sex, neighbourhood, created_by, created_at, revision, updated_at, anonymised_at from beneficiaries where tenant_id = :tenant_id::uuid and id = any(array[:beneficiary_id::uuid]) and anonymised_at is null;
select app.access_log_append(jsonb_build_array(jsonb_build_object('tenant_id', :tenant_id::text, 'kind', 'read', 'operation', 'node', 'object_type', 'Beneficiary', 'object_id', :beneficiary_id::text, 'actor_kind', 'user', 'user_id', :user_id::text, 'client_id', null, 'request_id', gen_random_uuid(), 'outcome', 'ok', 'reason', null, 'target_tenant_id', null)))::bigint;
select tenant_id, id, beneficiary_id, purpose, recipient, given_on, channel, expires_on, withdrawn_on, created_at, recipient_partner_id from consents where tenant_id = :tenant_id::uuid and beneficiary_id = :beneficiary_id::uuid order by given_on;
select app.access_log_append((select jsonb_agg(jsonb_build_object('tenant_id', :tenant_id::text, 'kind', 'read', 'operation', 'consents', 'object_type', 'Consent', 'object_id', c, 'actor_kind', 'user', 'user_id', :user_id::text, 'client_id', null, 'request_id', gen_random_uuid(), 'outcome', 'ok', 'reason', null, 'target_tenant_id', null)) from unnest(:consent_ids::uuid[]) c))::bigint;
select id, name, sector, reach, created_at from partner_organisations where id = any(:partner_ids::uuid[]);
commit;
