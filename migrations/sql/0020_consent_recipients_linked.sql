-- Consent per recipient, the linking step of 0015 run again, as the platform.
--
-- 0015 gave a consent whose free-text recipient is a partner's name (case and the
-- spaces around it aside) the reference to that partner. It ran as the owner role,
-- which FORCE ROW LEVEL SECURITY binds like any other: with no actor set, the policies
-- of `consents` and `partner_organisations` showed it no row, and it linked none. The
-- same update, with the platform's setting for this migration's transaction only, so
-- a database that applied 0015 gets the links it promised. Consents recorded since
-- name their partner by reference and have no free text: they are not touched.

select set_config('app.actor_kind', 'system', true);

update consents c set recipient_partner_id = p.id
  from partner_organisations p
  where c.recipient_partner_id is null and c.recipient is not null
    and lower(btrim(c.recipient)) = lower(p.name);

select set_config('app.actor_kind', '', true);
