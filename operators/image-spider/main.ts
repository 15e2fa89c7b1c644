// Serves the image-spider operator over gRPC.
//   PORT=50063 QUARRY_ALLOW_PRIVATE=127.0.0.0/8 npx tsx operators/image-spider/main.ts
// Env: HOST, PORT (0 = any free port), QUARRY_ALLOW_PRIVATE (comma-separated CIDRs the SSRF guard
// lets through), QUARRY_MAX_BYTES (default 20 MiB), QUARRY_MAX_PIXELS (default 50 MP),
// QUARRY_CONNECT_TIMEOUT_MS (3000), QUARRY_READ_TIMEOUT_MS (10000), QUARRY_MAX_REDIRECTS (5),
// QUARRY_CAPACITY (concurrent calls before backpressure, default 16).
// No known-content lookup is wired here: a composition root that can see the relation engine
// passes `knownContent` to createImageSpiderOperator.
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createImageSpiderOperator } from './index.ts';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
const maxRedirects = num(env.QUARRY_MAX_REDIRECTS);
// Option problems surface here as one ConfigError listing each of them.
const spider = createImageSpiderOperator({
  ...(env.QUARRY_ALLOW_PRIVATE ? { allowPrivate: env.QUARRY_ALLOW_PRIVATE.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
  maxBytes: num(env.QUARRY_MAX_BYTES) ?? 20 << 20,
  maxPixels: num(env.QUARRY_MAX_PIXELS) ?? 50_000_000,
  timeouts: { connectMs: num(env.QUARRY_CONNECT_TIMEOUT_MS) ?? 3_000, readMs: num(env.QUARRY_READ_TIMEOUT_MS) ?? 10_000 },
  ...(maxRedirects === undefined ? {} : { maxRedirects }),
});
const server = await serveOperators([spider], { host: env.HOST ?? '127.0.0.1', port: num(env.PORT) ?? 0, capacity: num(env.QUARRY_CAPACITY) ?? 16 });
console.log(`image-spider listening on ${server.address}`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
