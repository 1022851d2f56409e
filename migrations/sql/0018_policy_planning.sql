-- Row-level security at a lower planning cost (bench/README.md, "Round two").
--
-- Every statement under row-level security plans its tables' policies again unless
-- its plan is reused; what the planner expands for each policy is what this
-- migration trims. Nothing here widens what anyone reads or writes.

-- The scope's helpers read only transaction settings, which parallel workers
-- receive from their leader: declared parallel safe so that a statement using them
-- may still be planned in parallel (the network's rollups). They stay `language
-- sql stable` and argument-free, so they are inlined and run once per statement as
-- InitPlans; LEAKPROOF would change nothing for a function without arguments.
alter function app.tenant_id() parallel safe;
alter function app.tenant_role() parallel safe;
alter function app.user_id() parallel safe;
alter function app.union_role() parallel safe;
alter function app.partner_id() parallel safe;
alter function app.is_system() parallel safe;

-- `agreement_sites_write` was FOR ALL, so every read of agreement_sites (and the
-- partner branch of the `sites` read policy, an EXISTS over it, planned for every
-- reader of sites, directors included) carried the write policy's quals as well as
-- the read policy's. One policy per write command keeps reads to the read policy;
-- who may write is unchanged.
drop policy agreement_sites_write on agreement_sites;
create policy agreement_sites_insert on agreement_sites for insert
  with check ((select app.union_role()) = 'admin' or (select app.is_system())
              or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));
create policy agreement_sites_update on agreement_sites for update
  using ((select app.union_role()) = 'admin' or (select app.is_system())
         or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'))
  with check ((select app.union_role()) = 'admin' or (select app.is_system())
              or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));
create policy agreement_sites_delete on agreement_sites for delete
  using ((select app.union_role()) = 'admin' or (select app.is_system())
         or (tenant_id = (select app.tenant_id()) and (select app.tenant_role()) = 'director'));
