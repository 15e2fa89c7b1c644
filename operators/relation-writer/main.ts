// Serves the relation-writer operators over gRPC.
//   QUARRY_RELATION_STORE=cassandra:127.0.0.1:9042/quarry PORT=50061 npx tsx operators/relation-writer/main.ts
// Env: HOST, PORT (0 = any free port), QUARRY_RELATION_STORE (`embedded:<dir>` — one process
// only, LMDB — or `cassandra:<host:port>/<keyspace>`; default embedded:.quarry/relations),
// QUARRY_RELATION_CAPACITY (concurrent calls before backpressure).
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createRelationEngine, openRelationStore } from '../../relation-engine/index.ts';
import { createRelationWriterOperators } from './index.ts';

const env = process.env;
// Cassandra opens on first use: a writer started during an outage backs off instead of exiting.
const engine = createRelationEngine({ store: await openRelationStore(env.QUARRY_RELATION_STORE ?? 'embedded:.quarry/relations', { lazy: true }) });
const server = await serveOperators([...createRelationWriterOperators({ engine }).all], {
  host: env.HOST ?? '127.0.0.1',
  port: env.PORT ? Number(env.PORT) : 0,
  capacity: env.QUARRY_RELATION_CAPACITY ? Number(env.QUARRY_RELATION_CAPACITY) : 64,
});
console.log(`relation-writer listening on ${server.address}`);
const stop = (): void => void server.close().then(() => engine.close()).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
