// Serves the image-feature operator over gRPC.
//   PORT=50064 npx tsx operators/image-feature/main.ts
// Env: HOST, PORT (0 = any free port), QUARRY_THUMBNAIL_SIZE (128), QUARRY_MAX_PIXELS (100 MP),
// QUARRY_CAPACITY (concurrent calls before backpressure; default 4 — decoding is CPU-bound and
// sharp already uses a thread pool, so a deep queue only adds latency).
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createImageFeatureOperator } from './index.ts';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
const thumbnailSize = num(env.QUARRY_THUMBNAIL_SIZE);
const maxPixels = num(env.QUARRY_MAX_PIXELS);
const features = createImageFeatureOperator({
  ...(thumbnailSize === undefined ? {} : { thumbnailSize }),
  ...(maxPixels === undefined ? {} : { maxPixels }),
});
const server = await serveOperators([features], { host: env.HOST ?? '127.0.0.1', port: num(env.PORT) ?? 0, capacity: num(env.QUARRY_CAPACITY) ?? 4 });
console.log(`image-feature listening on ${server.address}`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
