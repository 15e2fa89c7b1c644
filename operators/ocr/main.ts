// Serves the ocr operator over gRPC.
//   PORT=50070 QUARRY_OCR_CONCURRENCY=2 npx tsx operators/ocr/main.ts
// Env: HOST, PORT (0 = any free port), QUARRY_OCR_MODELS_DIR, QUARRY_OCR_MAX_SIDE,
// QUARRY_OCR_CONCURRENCY (worker threads running inference, default 1), QUARRY_OCR_THREADS
// (onnxruntime threads per model in each), QUARRY_OCR_CAPACITY (items in flight before
// backpressure; default two full batches per thread, so callers do not queue past their deadlines).
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { createOcrOperator, createPaddleOcrEngine, OCR_MAX_BATCH } from './index.ts';

const env = process.env;
const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
const maxSide = num(env.QUARRY_OCR_MAX_SIDE);
const intraOpThreads = num(env.QUARRY_OCR_THREADS);
const concurrency = num(env.QUARRY_OCR_CONCURRENCY);

// Option problems surface here as one ConfigError listing each of them.
const engine = createPaddleOcrEngine({
  ...(env.QUARRY_OCR_MODELS_DIR ? { modelsDir: env.QUARRY_OCR_MODELS_DIR } : {}),
  ...(maxSide === undefined ? {} : { maxSide }),
  ...(intraOpThreads === undefined ? {} : { intraOpThreads }),
  ...(concurrency === undefined ? {} : { concurrency }),
});
const server = await serveOperators([createOcrOperator({ engine })], {
  host: env.HOST ?? '127.0.0.1',
  port: num(env.PORT) ?? 0,
  capacity: num(env.QUARRY_OCR_CAPACITY) ?? 2 * engine.concurrency * OCR_MAX_BATCH,
  defaultTimeoutMs: 120_000,
});
console.log(`ocr listening on ${server.address}`);
const stop = (): void => void server.close().then(() => engine.close()).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
