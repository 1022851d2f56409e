-- W3 ceiling: exactly what Passerelle issues for a page of a partner's coded
-- activity (statement log bench/results/*-statements-passerelle-W3.log: one keyset
-- query joined to the sites' names, in one transaction opened with the partner user's
-- scope), as its login role under row-level security. The first line picks a partner
-- and the row a previous page ended on (bench/pgbench/setup.sql): the one statement
-- Passerelle does not issue.
\set n random(1, :nw3)
select partner_id, user_id, agreement_id, tenant_id, site_id, month, theme from bench_pgbench.w3 where n = :n \gset
begin;
select set_config('app.tenant_id', '', true), set_config('app.tenant_role', '', true), set_config('app.user_id', :user_id, true), set_config('app.union_role', '', true), set_config('app.partner_id', :partner_id, true), set_config('app.actor_kind', 'user', true);
select m.agreement_id, m.tenant_id, m.site_id, m.month, m.theme, m.count, m.mediation_acts, s.name from agreement_activity_monthly m join sites s on s.tenant_id = m.tenant_id and s.id = m.site_id where m.partner_id = :partner_id and m.activity = 'request' and (m.agreement_id, m.tenant_id, m.site_id, m.month, m.activity, m.theme) > (:agreement_id, :tenant_id, :site_id, :month, 'request', :theme) order by m.agreement_id, m.tenant_id, m.site_id, m.month, m.activity, m.theme limit 21;
commit;
