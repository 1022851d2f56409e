-- Who someone is (their memberships, roles, partner; an API client's status and its
-- partner's agreements in force) is cached by each server process for a few
-- seconds. Every change to what that is made of tells the servers to forget it:
-- one notification per statement, delivered at commit.

create function app.notify_principals() returns trigger language plpgsql as $$
begin
  perform pg_notify('passerelle_principals', tg_table_name);
  return null;
end $$;

do $$
declare t text;
begin
  foreach t in array array['tenants', 'memberships', 'invitations', 'union_staff', 'union_invitations',
                           'partner_users', 'partner_invitations', 'partner_api_clients', 'agreements'] loop
    execute format('create trigger %I after insert or update or delete on %I '
                   'for each statement execute function app.notify_principals()',
                   t || '_notify_principals', t);
  end loop;
end $$;
