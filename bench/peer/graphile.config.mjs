// PostGraphile 5 peer for Passerelle's benchmarks (bench/WORKLOADS.md, bench/peer/README.md).
//
// Amber preset, schemas public and bench_peer, connected as passerelle_peer (a member of
// passerelle_app: the application's grants, bound by the same row-level security).
// The transaction settings Passerelle's policies read come from request headers the
// load generator sends. BENCHMARK-ONLY SHORTCUT: trusting headers spares PostGraphile the
// token check Passerelle does; never expose this server to anything but the load generator.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString =
  process.env.PEER_DATABASE_URL ?? "postgres://passerelle_peer:peer@127.0.0.1:5432/passerelle";
const port = Number(process.env.PEER_PORT ?? 5678);
// Passerelle's pool defaults to 16 connections (PASSERELLE_DB_MAX_CONNECTIONS).
const poolMax = Number(process.env.PEER_POOL_MAX ?? 16);

// header -> setting; a missing header is the empty string, which app.*() read as NULL.
const HEADERS = {
  "x-bench-tenant": "app.tenant_id",
  "x-bench-tenant-role": "app.tenant_role",
  "x-bench-user": "app.user_id",
  "x-bench-union-role": "app.union_role",
  "x-bench-partner": "app.partner_id",
};

function header(req, name) {
  const v = req?.headers?.[name];
  return typeof v === "string" ? v : Array.isArray(v) ? (v[0] ?? "") : "";
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public", "bench_peer"],
      poolConfig: { max: poolMax },
      pubsub: false,
      pgSettings(requestContext) {
        const req = requestContext.node?.req;
        const settings = { "app.actor_kind": "user" };
        for (const [h, key] of Object.entries(HEADERS)) settings[key] = header(req, h);
        return settings;
      },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port,
    graphqlPath: "/graphql",
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
    maxRequestLength: 1_000_000,
  },
  // Production-ish: no plan/SQL explanations in responses (start.sh also sets
  // NODE_ENV=production, which masks internal errors and drops dev stack traces).
  grafast: {
    explain: false,
  },
  // PEER_EXPORT_SCHEMA=path writes the generated SDL there (to look up field names).
  schema: process.env.PEER_EXPORT_SCHEMA
    ? { exportSchemaSDLPath: process.env.PEER_EXPORT_SCHEMA, sortExport: true }
    : {},
};

export default preset;
