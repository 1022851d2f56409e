#!/usr/bin/env bash
# Runs every document of documents.json against a running peer, as the demo actors of
# `passerelle seed --demo`, checks the answers against the database, and checks that
# row-level security binds the peer (no headers: nothing; a partner: its own rows only).
#   ADMIN_URL  postgres://postgres@127.0.0.1:5432/<db> (superuser: reads the truth)
#   PEER_URL   default http://127.0.0.1:${PEER_PORT:-5678}/graphql
# Needs curl, jq, psql. W1 inserts one visit and two requests into the demo association.
set -euo pipefail
cd "$(dirname "$0")"
: "${ADMIN_URL:?set ADMIN_URL (superuser URL of the database the peer serves)}"
PEER_URL="${PEER_URL:-http://127.0.0.1:${PEER_PORT:-5678}/graphql}"
fail=0
sql() { psql "$ADMIN_URL" -XAtq -c "$1"; }
ok() { echo "ok   $*"; }
ko() { echo "FAIL $*"; fail=1; }
# gql W VARS_JSON [header...]
gql() {
  local w=$1 vars=$2; shift 2
  local args=(-s "$PEER_URL" -H 'content-type: application/json')
  for h in "$@"; do args+=(-H "$h"); done
  jq -n --arg q "$(jq -r ".$w.query" documents.json)" --argjson v "$vars" '{query: $q, variables: $v}' \
    | curl "${args[@]}" --data-binary @-
}
uuid() { cat /proc/sys/kernel/random/uuid; }

read -r T DIR MED_M MED_U < <(sql "select t.id, d.user_id, m.id, m.user_id from tenants t
  join memberships d on d.tenant_id = t.id and d.role = 'director' and d.status = 'active'
  join memberships m on m.tenant_id = t.id and m.role = 'mediator' and m.status = 'active'
  where t.slug = 'pimms-lyon-metropole' order by d.id, m.id limit 1" | tr '|' ' ')
read -r EDF EDF_U < <(sql "select p.id, u.user_id from partner_organisations p join partner_users u on u.partner_id = p.id
  where p.name = 'EDF' order by u.user_id limit 1" | tr '|' ' ')
AN=$(sql "select user_id from union_staff where role = 'analyst' order by user_id limit 1")
DIRH=("x-bench-tenant: $T" "x-bench-tenant-role: director" "x-bench-user: $DIR")

# W0
read -r V N < <(sql "select v.id, count(r.id) from visits v join visit_requests r on r.tenant_id = v.tenant_id and r.visit_id = v.id
  where v.tenant_id = '$T' group by v.id having count(r.id) > 1 order by v.id limit 1" | tr '|' ' ')
vars=$(jq -n --arg t "$T" --arg id "$V" '{tenantId: $t, id: $id}')
r=$(gql W0 "$vars" "${DIRH[@]}")
[[ $(jq -r '.data.visitByTenantIdAndRowId.rowId' <<<"$r") == "$V" \
   && $(jq '.data.visitByTenantIdAndRowId.visitRequestsByTenantIdAndVisitId.nodes | length' <<<"$r") == "$N" \
   && $(jq -r '.data.visitByTenantIdAndRowId.siteByTenantIdAndSiteId.name | type' <<<"$r") == string ]] \
  && ok "W0 director: visit $V with its $N requests and site name" || ko "W0 director: $r"
r=$(gql W0 "$vars")
[[ $(jq -c '.data.visitByTenantIdAndRowId' <<<"$r") == null ]] && ok "W0 without headers: null" || ko "W0 without headers: $r"
OTHER=$(sql "select id from tenants where id <> '$T' order by id limit 1")
r=$(gql W0 "$vars" "x-bench-tenant: $OTHER" "x-bench-tenant-role: director")
[[ $(jq -c '.data.visitByTenantIdAndRowId' <<<"$r") == null ]] && ok "W0 as another association's director: null" || ko "W0 other tenant: $r"

# W2: the last whole month in visit_daily.
FROM=$(sql "select date_trunc('month', max(day) - interval '1 month')::date from visit_daily where tenant_id = '$T'")
TO=$(sql "select (date '$FROM' + interval '1 month' - interval '1 day')::date")
WANT=$(sql "select coalesce(sum(visits), 0) from visit_daily where tenant_id = '$T' and day between '$FROM' and '$TO'")
vars=$(jq -n --arg t "$T" --arg f "$FROM" --arg to "$TO" '{tenantId: $t, from: $f, to: $to}')
r=$(gql W2 "$vars" "${DIRH[@]}")
got=$(jq '[.data.benchPeerDashboardList[].visits] | add // 0' <<<"$r")
[[ "$got" == "$WANT" && $(jq '.errors' <<<"$r") == null ]] \
  && ok "W2 director $FROM..$TO: $(jq '.data.benchPeerDashboardList | length' <<<"$r") rows, $got visits = visit_daily" \
  || ko "W2: got $got, want $WANT: ${r:0:300}"
r=$(gql W2 "$vars")
[[ $(jq -c '.data.benchPeerDashboardList' <<<"$r") == "[]" ]] && ok "W2 without headers: no rows" || ko "W2 without headers: ${r:0:300}"

# W3: every page for EDF; all rows EDF's, every row with a site name, count = the table's.
after=null; pages=0; rows=0; bad=0
while :; do
  r=$(gql W3 "$(jq -n --argjson a "$after" '{after: $a}')" "x-bench-user: $EDF_U" "x-bench-partner: $EDF")
  c=$(jq '.data.allAgreementActivityMonthlies' <<<"$r")
  n=$(jq '.edges | length' <<<"$c"); more=$(jq '.pageInfo.hasNextPage' <<<"$c")
  bad=$((bad + $(jq --arg p "$EDF" '[.edges[].node | select(.partnerId != $p or (.siteByTenantIdAndSiteId.name | type) != "string")] | length' <<<"$c")))
  [[ "$more" == true && "$n" != 20 ]] && bad=$((bad + 1))
  pages=$((pages + 1)); rows=$((rows + n))
  [[ "$more" == true ]] || break
  after=$(jq '.pageInfo.endCursor' <<<"$c")
done
WANT=$(sql "select count(*) from agreement_activity_monthly where partner_id = '$EDF' and activity = 'request'")
[[ $bad == 0 && $rows == "$WANT" ]] && ok "W3 EDF: $pages pages, $rows rows (all EDF's, each with a site name) = the table's $WANT" \
  || ko "W3 EDF: $rows rows over $pages pages, want $WANT, $bad bad"
r=$(gql W3 '{"after": null}')
[[ $(jq '.data.allAgreementActivityMonthlies.edges | length' <<<"$r") == 0 ]] && ok "W3 without headers: no rows" || ko "W3 without headers: ${r:0:300}"

# W4: the last 12 whole months.
FROM=$(sql "select (date_trunc('month', max(day)) - interval '12 months')::date from visit_daily")
TO=$(sql "select (date_trunc('month', max(day)) - interval '1 day')::date from visit_daily")
WANT=$(sql "select coalesce(sum(visits), 0) from visit_daily where day between '$FROM' and '$TO'")
vars=$(jq -n --arg f "$FROM" --arg to "$TO" '{from: $f, to: $to}')
r=$(gql W4 "$vars" "x-bench-user: $AN" "x-bench-union-role: analyst")
got=$(jq '[.data.benchPeerNetworkStatsList[].visits] | add // 0' <<<"$r")
[[ "$got" == "$WANT" && $(jq '.errors' <<<"$r") == null ]] \
  && ok "W4 analyst $FROM..$TO: $(jq '[.data.benchPeerNetworkStatsList[].month] | unique | length' <<<"$r") months x regions $(jq -c '[.data.benchPeerNetworkStatsList[].regionCode] | unique' <<<"$r"), $got visits = visit_daily" \
  || ko "W4: got $got, want $WANT: ${r:0:300}"
r=$(gql W4 "$vars")
[[ $(jq -c '.data.benchPeerNetworkStatsList' <<<"$r") == "[]" ]] && ok "W4 without headers: no rows" || ko "W4 without headers: ${r:0:300}"

# W1: as a mediator; refused without headers.
SITE=$(sql "select id from sites where tenant_id = '$T' and closed_on is null order by id limit 1")
w1vars() {
  jq -n --arg t "$T" --arg s "$SITE" --arg m "$MED_M" --arg u "$MED_U" --arg p "$EDF" --arg v "$(uuid)" \
    --arg r1 "$(uuid)" --arg r2 "$(uuid)" --arg k "smoke-$(uuid)" --arg at "$(date -u -d '-5 min' +%FT%TZ)" \
    '{tenantId: $t, visitId: $v, siteId: $s, mediatorId: $m, userId: $u, occurredAt: $at, clientKey: $k,
      partnerId: $p, request1Id: $r1, request2Id: $r2}'
}
vars=$(w1vars); VID=$(jq -r .visitId <<<"$vars")
r=$(gql W1 "$vars" "x-bench-tenant: $T" "x-bench-tenant-role: mediator" "x-bench-user: $MED_U")
[[ $(jq -r '.data.visit.visit.rowId' <<<"$r") == "$VID" \
   && $(sql "select count(*) from visit_requests where tenant_id = '$T' and visit_id = '$VID'") == 2 ]] \
  && ok "W1 mediator: visit $VID and its 2 requests inserted" || ko "W1 mediator: ${r:0:300}"
vars=$(w1vars); VID=$(jq -r .visitId <<<"$vars")
r=$(gql W1 "$vars")
[[ $(jq '.errors | length' <<<"$r") == 3 && $(sql "select count(*) from visits where id = '$VID'") == 0 ]] \
  && ok "W1 without headers: refused (3 errors, nothing inserted)" || ko "W1 without headers: ${r:0:300}"

exit $fail
