// The OCR pool's worker thread: loads the PP-OCR sessions once, then reads batches of images.
// Inference (onnxruntime's synchronous run) and the JS stages around it (detection tensors, DB
// post-processing, crops, CTC decoding) all happen here, off the caller's event loop.
import type { OcrResult } from '../ocr-engine.ts';
import type { PaddleOcrConfig } from '../paddle-options.ts';
import { defaultModelsDir, loadModels } from './models.ts';
import { serveJobs } from './pool/worker-runtime.ts';
import { toWireError, type WireError } from './pool/wire-error.ts';
import { readImages } from './read-images.ts';

export type ImageOutcome = { ok: OcrResult } | { error: WireError };

serveJobs(async (config: PaddleOcrConfig) => {
  const models = await loadModels(config.modelsDir ?? defaultModelsDir(), { intraOpThreads: config.intraOpThreads, orientation: config.useAngleClassifier });
  return {
    async run(images: Uint8Array[], signal: AbortSignal) {
      const results = await readImages(models, images, config, signal);
      const value: ImageOutcome[] = results.map((r) => (r instanceof Error ? { error: toWireError(r) } : { ok: r }));
      return { value };
    },
    close: () => models.release(),
  };
});
