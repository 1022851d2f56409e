// Starts the PostGraphile 5 peer (grafserv on Node's http) with graphile.config.mjs, and
// prints one readiness line once the schema is built and the port is listening:
//   passerelle-peer ready on http://127.0.0.1:5678/graphql
// Run through start.sh (which picks Node 22).
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
// Build the schema (introspection) before listening, so that an open port means ready.
await pgl.getSchemaResult();
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 65_000;
server.on("error", (e) => {
  console.error(`passerelle-peer: ${e.message}`);
  process.exit(1);
});
await serv.addTo(server);
const { host, port, graphqlPath } = preset.grafserv;
server.listen(port, host, () => {
  console.log(`passerelle-peer ready on http://${host}:${port}${graphqlPath}`);
});

const stop = async () => {
  server.close();
  await pgl.release().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
