-- Franchise compliance, second part: the union analyst's restriction in row-level
-- security, and the domain's events in the outbox.
--
-- 1. The union's analyst reads aggregates only: each audit's grade and score
--    (compliance_audits, which holds no text about the association), the campaigns
--    and the catalogue; never a contract, answer, document, observation, score row,
--    finding, reply, report, note, action, sanction or history entry, whose rows carry
--    text about the association. The permissive policies of 0011 already leave it
--    out (they name the admin and auditors); these restrictive ones say it whatever
--    permissive policy is added later, and the isolation suite checks what the analyst
--    reads against its own reviewed list (tests/e2e/isolation.rs).
do $$
declare t text;
begin
  foreach t in array array['compliance_contracts', 'compliance_signatories', 'compliance_amendments',
                           'compliance_answers', 'compliance_observations', 'compliance_scores',
                           'compliance_findings', 'compliance_replies', 'compliance_reports',
                           'compliance_notes', 'compliance_actions', 'compliance_sanctions',
                           'compliance_documents', 'compliance_history'] loop
    execute format($p$create policy %I on %I as restrictive for all
      using ((select app.union_role()) is distinct from 'analyst')
      with check ((select app.union_role()) is distinct from 'analyst')$p$, t || '_not_analyst', t);
  end loop;
end $$;
-- Nor does it write an audit (grades and scores are the auditors').
create policy compliance_audits_not_analyst_update on compliance_audits as restrictive for update
  using ((select app.union_role()) is distinct from 'analyst')
  with check ((select app.union_role()) is distinct from 'analyst');
create policy compliance_audits_not_analyst_insert on compliance_audits as restrictive for insert
  with check ((select app.union_role()) is distinct from 'analyst');

-- 2. Events: a corrective action overdue, a contract to renew, an audit's phase
--    changed, and (HR pathways) a subsidy to renew. The type check gains them; it is
--    rebuilt from the list in force, so types another migration added are kept.
do $$
declare
  allowed text[];
begin
  select coalesce(array_agg(m[1]), '{}') into allowed
    from pg_constraint c,
         regexp_matches(pg_get_constraintdef(c.oid), '''([^'']+)''', 'g') as m
   where c.conrelid = 'event_outbox'::regclass and c.conname = 'event_outbox_type_check';
  select array_agg(distinct x order by x) into allowed
    from unnest(allowed || array['compliance.action.overdue', 'compliance.contract.to_renew',
                                 'compliance.audit.phase_changed', 'pathways.subsidy.to_renew']) as x;
  alter table event_outbox drop constraint event_outbox_type_check;
  execute format('alter table event_outbox add constraint event_outbox_type_check check (event_type = any (%L::text[]))',
                 allowed);
end $$;

-- The union's auditors change audits (draft sent, final report, campaigns opened):
-- they write those audits' phase events, and no other event.
create policy event_outbox_insert_audit on event_outbox for insert with check (
  (select app.union_role()) = 'auditor' and event_type = 'compliance.audit.phase_changed');
