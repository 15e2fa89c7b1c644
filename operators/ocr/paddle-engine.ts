// PP-OCRv4 on onnxruntime (CPU) in a pool of worker threads: detection → orientation →
// recognition run there, the calling thread only posts images and gets text back, so its
// event loop keeps answering (onnxruntime-node's `run` is synchronous under its promise:
// microsoft/onnxruntime#19611). Threads start on the first read and load the sessions once.
import { createWorkerPool } from './internal/pool/worker-pool.ts';
import { fromWireError } from './internal/pool/wire-error.ts';
import type { ImageOutcome } from './internal/ocr-worker.ts';
import type { OcrEngine, OcrResult } from './ocr-engine.ts';
import { parsePaddleOcrOptions, type PaddleOcrOptions } from './paddle-options.ts';

export function createPaddleOcrEngine(options: PaddleOcrOptions = {}): OcrEngine {
  const config = parsePaddleOcrOptions(options);
  const pool = createWorkerPool({
    name: 'ocr',
    script: new URL('./internal/ocr-worker.ts', import.meta.url),
    size: config.concurrency,
    init: config,
    maxQueued: config.maxQueuedImages,
  });

  const readBatch: OcrEngine['readBatch'] = async (images, { signal } = {}) => {
    signal?.throwIfAborted();
    // A call larger than one image is shared among the threads; each part still batches the
    // lines of its images together in the recogniser.
    const parts = Math.min(config.concurrency, images.length);
    const size = Math.ceil(images.length / parts);
    const chunks = Array.from({ length: parts }, (_, k) => images.slice(k * size, (k + 1) * size)).filter((c) => c.length > 0);
    const answers = await Promise.all(
      chunks.map((chunk) => {
        // Own, compact buffers handed over without a second copy. Not Buffer#slice (a view): the
        // view's whole backing store (a gRPC message, Node's shared Buffer pool) would be moved.
        const copies = chunk.map((b) => {
          const copy = new Uint8Array(b.byteLength);
          copy.set(b);
          return copy;
        });
        return pool.run<ImageOutcome[]>(copies, { signal, weight: copies.length, transfer: copies.map((c) => c.buffer) });
      }),
    );
    return answers.flat().map((a) => ('ok' in a ? a.ok : fromWireError(a.error)));
  };

  return {
    concurrency: config.concurrency,
    readBatch,
    async read(bytes, { signal } = {}): Promise<OcrResult> {
      const [result] = await readBatch([bytes], signal ? { signal } : {});
      if (result instanceof Error) throw result;
      return result!;
    },
    close: () => pool.close(),
  };
}
