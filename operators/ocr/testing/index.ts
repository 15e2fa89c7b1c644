/**
 * The OCR pipeline on the caller's own thread, as the engine ran before it had worker threads:
 * for measuring what the pool buys (bench/ocr.bench.ts) and for comparing outputs. Never for
 * serving: every inference blocks the caller's event loop for its whole run.
 *
 *   const inThread = createInThreadOcrEngine({ maxSide: 960 });
 *   const [result] = await inThread.readBatch([pngBytes]);
 */
import { defaultModelsDir, loadModels, type OcrModels } from '../internal/models.ts';
import { readImages } from '../internal/read-images.ts';
import type { OcrEngine, OcrResult } from '../ocr-engine.ts';
import { parsePaddleOcrOptions, type PaddleOcrOptions } from '../paddle-options.ts';

export function createInThreadOcrEngine(options: PaddleOcrOptions = {}): OcrEngine {
  const config = parsePaddleOcrOptions(options);
  let models: Promise<OcrModels> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const readBatch: OcrEngine['readBatch'] = (images, { signal } = {}) => {
    const result = queue.then(async () => {
      models ??= loadModels(config.modelsDir ?? defaultModelsDir(), { intraOpThreads: config.intraOpThreads, orientation: config.useAngleClassifier });
      return readImages(await models, images, config, signal);
    });
    queue = result.catch(() => undefined);
    return result;
  };
  return {
    concurrency: 1,
    readBatch,
    async read(bytes, { signal } = {}): Promise<OcrResult> {
      const [result] = await readBatch([bytes], signal ? { signal } : {});
      if (result instanceof Error) throw result;
      return result!;
    },
    async close() {
      await queue;
      await (await models?.catch(() => undefined))?.release();
    },
  };
}
