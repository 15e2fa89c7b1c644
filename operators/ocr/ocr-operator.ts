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

export function createOcrOperator({ engine }: { engine: OcrEngine }) {
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
    async handler({ image }, ctx) {
      if (image.length === 0) throw new FilteredError('empty-image');
      const result = await engine.read(image, { signal: ctx.signal });
      return fitLimits(result.lines);
    },
  });
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
