// PP-OCRv4 on onnxruntime (CPU): detection → orientation → recognition. Sessions load once, on
// the first read; reads run one at a time, so memory stays bounded by one image in flight.
import { decodeImage } from './internal/image.ts';
import { defaultModelsDir, loadModels, type OcrModels } from './internal/models.ts';
import { runPipeline } from './internal/pipeline.ts';
import type { OcrEngine, OcrResult } from './ocr-engine.ts';
import { parsePaddleOcrOptions, type PaddleOcrOptions } from './paddle-options.ts';

export function createPaddleOcrEngine(options: PaddleOcrOptions = {}): OcrEngine {
  const config = parsePaddleOcrOptions(options);
  let models: Promise<OcrModels> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const load = () => {
    models ??= loadModels(config.modelsDir ?? defaultModelsDir(), { intraOpThreads: config.intraOpThreads, orientation: config.useAngleClassifier });
    // A failed load (missing file) is not cached: the next read tries again.
    models.catch(() => (models = undefined));
    return models;
  };

  async function readNow(bytes: Uint8Array, signal: AbortSignal | undefined): Promise<OcrResult> {
    signal?.throwIfAborted();
    const loaded = await load();
    const { image, originalWidth, originalHeight } = await decodeImage(bytes, { maxPixels: config.maxPixels, maxWorkSide: config.maxWorkSide });
    signal?.throwIfAborted();
    const lines = await runPipeline(loaded, image, {
      maxSide: config.maxSide,
      threshold: config.detThreshold,
      boxThreshold: config.boxThreshold,
      unclipRatio: config.unclipRatio,
      maxCandidates: config.maxLines,
      minConfidence: config.minConfidence,
      batchSize: config.batchSize,
      stretchContrast: config.stretchContrast,
      signal,
    });
    const sx = originalWidth / image.width;
    const sy = originalHeight / image.height;
    const out = lines.map((l) => ({
      text: l.text,
      confidence: Math.round(l.confidence * 1e4) / 1e4,
      box: l.quad.map(([x, y]): [number, number] => [Math.round(x * sx), Math.round(y * sy)]),
    }));
    return { text: out.map((l) => l.text).join('\n'), lines: out };
  }

  return {
    read(bytes, { signal } = {}) {
      if (closed) return Promise.reject(new Error('OCR engine is closed'));
      const result = queue.then(() => readNow(bytes, signal));
      queue = result.catch(() => undefined);
      return signal ? abortable(result, signal) : result;
    },
    async close() {
      closed = true;
      await queue;
      const loaded = await models?.catch(() => undefined);
      models = undefined;
      await loaded?.release();
    },
  };
}

/** Rejects as soon as `signal` aborts, even while the read still waits its turn in the queue. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
