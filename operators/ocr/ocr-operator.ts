// The `ocr` operator: image bytes in, recognised text and its lines out.
import { z } from 'zod';
import { FilteredError } from '../../framework/errors/index.ts';
import { blob, defineOperator } from '../../framework/operator-sdk/index.ts';
import type { OcrEngine, OcrLine } from './ocr-engine.ts';

export const MAX_OCR_TEXT = 64_000;
export const MAX_OCR_LINES = 2_000;

const ocrLineSchema = z.object({
  text: z.string().max(MAX_OCR_TEXT),
  confidence: z.number().min(0).max(1),
  box: z.array(z.tuple([z.number(), z.number()])).length(4).describe('tl, tr, br, bl in source pixels'),
});

/** Images per batch call: one call's images are shared among the engine's threads. */
export const OCR_MAX_BATCH = 8;

export function createOcrOperator({ engine, maxBatch = OCR_MAX_BATCH }: { engine: OcrEngine; maxBatch?: number }) {
  return defineOperator({
    name: 'ocr',
    version: '1.0.0',
    description: 'PP-OCRv4 text detection and recognition (Chinese and English)',
    resource: 'gpu',
    // Bigger inputs are refused INPUT_TOO_LARGE before decoding (as by the Python twin).
    inputs: { image: blob('encoded image (any format sharp decodes)', { maxBytes: 32 << 20 }) },
    outputs: {
      ocrText: z.string().max(MAX_OCR_TEXT).describe('line texts in reading order, newline-separated'),
      ocrLines: z.array(ocrLineSchema).max(MAX_OCR_LINES),
    },
    // Batch calls at once = the engine's worker threads: each call is one engine batch, whose
    // images' lines the recogniser takes together.
    concurrency: engine.concurrency,
    maxBatch,
    batchHandler: (items, batch) => readAll(engine, items.map((item) => item.input.image), batch.signal),
  });
}

type OcrOutput = { ocrText: string; ocrLines: OcrLine[] };

/** One engine batch for the readable images; an empty one is filtered without reaching it. */
async function readAll(engine: OcrEngine, images: readonly Uint8Array[], signal: AbortSignal): Promise<(OcrOutput | Error)[]> {
  const readable = images.flatMap((image, i) => (image.length > 0 ? [i] : []));
  const results = readable.length === 0 ? [] : await engine.readBatch(readable.map((i) => images[i]!), { signal });
  const out: (OcrOutput | Error)[] = images.map(() => new FilteredError('empty-image'));
  readable.forEach((i, k) => {
    const r = results[k]!;
    out[i] = r instanceof Error ? r : fitLimits(r.lines);
  });
  return out;
}

/** Keeps whole lines, in reading order, while they fit the output limits. */
function fitLimits(lines: readonly OcrLine[]): { ocrText: string; ocrLines: OcrLine[] } {
  const kept: OcrLine[] = [];
  let length = 0;
  for (const line of lines) {
    const added = (kept.length === 0 ? 0 : 1) + line.text.length;
    if (kept.length >= MAX_OCR_LINES || length + added > MAX_OCR_TEXT) break;
    kept.push(line);
    length += added;
  }
  return { ocrText: kept.map((l) => l.text).join('\n'), ocrLines: kept };
}
