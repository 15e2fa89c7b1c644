// The line models over a list of crops, whichever images they came from: the orientation
// classifier and the recogniser take a batch dimension, so crops run `batchSize` at a time,
// zero-padded on the right to their batch's common width (PaddleOCR's resize_norm_img).
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ctcGreedyDecode, type DecodedLine } from './ctc-decode.ts';
import { resizeRgb, type RgbImage } from './image.ts';
import { runModel as run, type OcrModels } from './models.ts';
import { lineBatchTensor } from './tensors.ts';

export interface LineOptions {
  batchSize: number;
  stretchContrast: boolean;
  signal?: AbortSignal | undefined;
}

const LINE_HEIGHT = 48;
const MIN_REC_WIDTH = 320;
/** Wider lines are squeezed: bounds the recogniser's input (and memory) per batch. */
const MAX_REC_WIDTH = 48 * 80;
const CLS_WIDTH = 192;

/** Which crops are upside down (the classifier is sure of it). */
export async function upsideDown(session: InferenceSession, crops: readonly RgbImage[], options: LineOptions): Promise<boolean[]> {
  const flips: boolean[] = [];
  for (let start = 0; start < crops.length; start += options.batchSize) {
    options.signal?.throwIfAborted();
    const batch = await Promise.all(crops.slice(start, start + options.batchSize).map((c) => toLineHeight(c, CLS_WIDTH)));
    const output = await run(session, new Tensor('float32', lineBatchTensor(batch, LINE_HEIGHT, CLS_WIDTH), [batch.length, 3, LINE_HEIGHT, CLS_WIDTH]));
    const p = output.data as Float32Array;
    for (let i = 0; i < batch.length; i++) flips.push(p[i * 2 + 1]! > p[i * 2]! && p[i * 2 + 1]! > 0.9);
  }
  return flips;
}

/**
 * Each crop is padded to a width bucket fixed by its own aspect ratio, and only crops of one
 * bucket share a run: a line reads the same whichever lines share its batch (the recogniser's
 * attention sees the padding), so an image gives the same text alone or batched with others.
 */
export async function recognise(models: OcrModels, crops: readonly RgbImage[], options: LineOptions): Promise<DecodedLine[]> {
  const widthOf = (c: RgbImage) => Math.min(MAX_REC_WIDTH, Math.ceil((LINE_HEIGHT * c.width) / c.height));
  const buckets = new Map<number, number[]>();
  crops.forEach((c, i) => {
    const bucket = paddedWidth(widthOf(c));
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), i]);
  });
  const results: DecodedLine[] = new Array(crops.length);
  for (const [width, members] of [...buckets].sort((a, b) => a[0] - b[0])) {
    for (let start = 0; start < members.length; start += options.batchSize) {
      options.signal?.throwIfAborted();
      const ids = members.slice(start, start + options.batchSize);
      const batch = await Promise.all(ids.map((i) => toLineHeight(crops[i]!, width, options.stretchContrast)));
      const output = await run(models.recognition, new Tensor('float32', lineBatchTensor(batch, LINE_HEIGHT, width), [batch.length, 3, LINE_HEIGHT, width]));
      const [, steps, classes] = output.dims as [number, number, number];
      ids.forEach((id, n) => {
        results[id] = ctcGreedyDecode(output.data as Float32Array, n, steps, classes, models.charset);
      });
    }
  }
  return results;
}

/**
 * The recogniser's input width for a line `width` px wide at line height: at least 320
 * (PaddleOCR's imgW), then steps of 32 px to 1024 and of 128 px above: at most 10 % padding,
 * which the recogniser pays for in time, against the fewer lines that share a step.
 */
export function paddedWidth(width: number): number {
  if (width <= MIN_REC_WIDTH) return MIN_REC_WIDTH;
  if (width <= 1024) return Math.ceil(width / 32) * 32;
  return Math.min(MAX_REC_WIDTH, Math.ceil(width / 128) * 128);
}

/**
 * Scales a crop to the line height, keeping its aspect ratio up to `maxWidth`; `stretch` spreads
 * its tones over the full range (faint or low-contrast lines otherwise lose their spaces).
 */
function toLineHeight(crop: RgbImage, maxWidth: number, stretch = false): Promise<RgbImage> {
  const width = Math.max(1, Math.min(maxWidth, Math.ceil((LINE_HEIGHT * crop.width) / crop.height)));
  return resizeRgb(crop, width, LINE_HEIGHT, stretch);
}
