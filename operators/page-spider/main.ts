// Serves the page-spider operator over gRPC.
//   PORT=50061 QUARRY_ALLOW_PRIVATE=127.0.0.0/8 npx tsx operators/page-spider/main.ts
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createPageSpiderOperator } from './index.ts';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
const allowPrivate = (env.QUARRY_ALLOW_PRIVATE ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
const timeouts: { connectMs?: number; readMs?: number } = {};
const connectMs = num(env.QUARRY_CONNECT_TIMEOUT_MS);
const readMs = num(env.QUARRY_READ_TIMEOUT_MS);
if (connectMs !== undefined) timeouts.connectMs = connectMs;
if (readMs !== undefined) timeouts.readMs = readMs;
const maxBytes = num(env.QUARRY_MAX_BYTES);
const maxRedirects = num(env.QUARRY_MAX_REDIRECTS);

const spider = createPageSpiderOperator({
  allowPrivate,
  timeouts,
  ...(maxBytes === undefined ? {} : { maxBytes }),
  ...(maxRedirects === undefined ? {} : { maxRedirects }),
});
const server = await serveOperators([spider], { host: env.HOST ?? '127.0.0.1', port: num(env.PORT) ?? 0 });
console.log(`page-spider listening on ${server.address}`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
