// Serves the index-builder operator over gRPC.
//   PORT=50065 QUARRY_INDEX_STORE=redis:redis://127.0.0.1:6379 npx tsx operators/index-builder/main.ts
// Env: HOST, PORT (0 = any free port), QUARRY_INDEX_STORE (embedded:<dir> | redis:<url>, default
// embedded:.quarry/index — an LMDB directory is one process's; share Redis across instances),
// QUARRY_INDEX_DISTANCE (default near-duplicate distance, 6), QUARRY_CAPACITY (default 16).
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createIndexBuilderOperator, openIndexStore } from './index.ts';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
const maxDistance = num(env.QUARRY_INDEX_DISTANCE);
const store = openIndexStore(env.QUARRY_INDEX_STORE);
const server = await serveOperators([createIndexBuilderOperator({ store, ...(maxDistance === undefined ? {} : { maxDistance }) })], {
  host: env.HOST ?? '127.0.0.1',
  port: num(env.PORT) ?? 0,
  capacity: num(env.QUARRY_CAPACITY) ?? 16,
});
console.log(`index-builder listening on ${server.address}`);
const stop = (): void => void server.close().then(() => store.close()).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
