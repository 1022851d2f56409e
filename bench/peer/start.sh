#!/usr/bin/env bash
# Starts the PostGraphile 5 peer in the foreground (bench/run backgrounds it).
#   PEER_DATABASE_URL  postgres://passerelle_peer:peer@127.0.0.1:5432/<db>  (required)
#   PEER_PORT          default 5678 (listens on 127.0.0.1 only)
#   PEER_POOL_MAX      default 16 (Passerelle's default pool size)
#   PEER_NODE          a Node >= 22 binary (default: node_modules/node/bin/node, from
#                      the npm package node@22; else `node` on PATH when it is >= 22)
# Prints "passerelle-peer ready on http://127.0.0.1:$PEER_PORT/graphql" when ready.
# Needs `npm ci` once (in bench/peer); works offline afterwards.
set -euo pipefail
cd "$(dirname "$0")"

: "${PEER_DATABASE_URL:?set PEER_DATABASE_URL (postgres://passerelle_peer:peer@127.0.0.1:5432/<db>)}"
export PEER_DATABASE_URL
export PEER_PORT="${PEER_PORT:-5678}"
export NODE_ENV=production

if [[ ! -d node_modules/postgraphile ]]; then
  echo "bench/peer: run 'npm ci' in bench/peer first" >&2
  exit 1
fi

node_bin="${PEER_NODE:-}"
if [[ -z "$node_bin" && -x node_modules/node/bin/node ]]; then
  node_bin=node_modules/node/bin/node
fi
if [[ -z "$node_bin" ]]; then
  node_bin="$(command -v node || true)"
fi
major="$("$node_bin" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if (( major < 22 )); then
  echo "bench/peer: PostGraphile 5 needs Node >= 22 (found ${node_bin:-none}: major $major); run 'npm ci' in bench/peer" >&2
  exit 1
fi

exec "$node_bin" server.mjs
