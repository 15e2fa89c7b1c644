// The PP-OCR stages on one decoded image: detect boxes, crop them upright, fix upside-down
// crops, recognise each line.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ctcGreedyDecode } from './ctc-decode.ts';
import { dbPostprocess, type DbOptions } from './db-postprocess.ts';
import { distance, type Point, type Quad } from './geometry.ts';
import { resizeRgb, rotate180, warpQuad, type RgbImage } from './image.ts';
import type { OcrModels } from './models.ts';
import { detectionSize, detectionTensor, lineBatchTensor } from './tensors.ts';

export interface PipelineOptions extends DbOptions {
  maxSide: number;
  minConfidence: number;
  batchSize: number;
  stretchContrast: boolean;
  signal?: AbortSignal | undefined;
}

export interface RecognisedLine {
  text: string;
  confidence: number;
  quad: Quad;
}

const LINE_HEIGHT = 48;
const MIN_REC_WIDTH = 320;
/** Wider lines are squeezed: bounds the recogniser's input (and memory) per batch. */
const MAX_REC_WIDTH = 48 * 80;
const CLS_WIDTH = 192;

export async function runPipeline(models: OcrModels, image: RgbImage, options: PipelineOptions): Promise<RecognisedLine[]> {
  const quads = sortReadingOrder(await detect(models.detection, image, options));
  options.signal?.throwIfAborted();
  let crops: { quad: Quad; crop: RgbImage }[] = [];
  for (const quad of quads) {
    const crop = cropUpright(image, quad);
    if (crop) crops.push({ quad, crop });
  }
  if (models.orientation) {
    const flips = await upsideDown(models.orientation, crops.map((c) => c.crop), options);
    crops.forEach((c, i) => {
      if (flips[i]) c.crop = rotate180(c.crop);
    });
    // Most lines upside down means the page is: its reading order runs bottom-right to top-left.
    if (flips.filter(Boolean).length * 2 > crops.length) crops = upsideDownOrder(crops, image);
  }
  const decoded = await recognise(models, crops.map((c) => c.crop), options);
  const lines: RecognisedLine[] = [];
  crops.forEach((c, i) => {
    const d = decoded[i]!;
    const text = d.text.trim();
    if (text !== '' && d.confidence >= options.minConfidence) lines.push({ text, confidence: d.confidence, quad: c.quad });
  });
  return lines;
}

async function detect(session: InferenceSession, image: RgbImage, options: PipelineOptions): Promise<Quad[]> {
  const size = detectionSize(image.width, image.height, options.maxSide);
  const resized = await resizeRgb(image, size.width, size.height);
  const input = new Tensor('float32', detectionTensor(resized), [1, 3, size.height, size.width]);
  const output = await run(session, input);
  const [, , h, w] = output.dims;
  if (h !== size.height || w !== size.width) throw new Error(`detector returned a ${w}×${h} map for a ${size.width}×${size.height} input`);
  return dbPostprocess(output.data as Float32Array, size.width, size.height, image.width, image.height, options).map((b) => b.quad);
}

/** Top to bottom; boxes whose tops are within half a line height count as one row, left to right. */
export function sortReadingOrder(quads: Quad[]): Quad[] {
  const height = (q: Quad) => distance(q[0], q[3]);
  const sorted = [...quads].sort((a, b) => a[0][1] - b[0][1] || a[0][0] - b[0][0]);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = sorted[j]!;
      const b = sorted[j + 1]!;
      const sameRow = Math.abs(b[0][1] - a[0][1]) < Math.max(10, Math.min(height(a), height(b)) / 2);
      if (!sameRow || b[0][0] >= a[0][0]) break;
      sorted[j] = b;
      sorted[j + 1] = a;
    }
  }
  return sorted;
}

function upsideDownOrder<T extends { quad: Quad }>(items: T[], image: RgbImage): T[] {
  const turn = ([x, y]: Point): Point => [image.width - 1 - x, image.height - 1 - y];
  const turned = new Map<Quad, T>();
  for (const item of items) {
    const [tl, tr, br, bl] = item.quad;
    turned.set([turn(br), turn(bl), turn(tl), turn(tr)], item);
  }
  return sortReadingOrder([...turned.keys()]).map((q) => turned.get(q)!);
}

/** The quad's pixels as an upright image; tall narrow crops are turned a quarter anticlockwise. */
function cropUpright(image: RgbImage, quad: Quad): RgbImage | undefined {
  const [tl, tr, br, bl] = quad;
  const width = Math.floor(Math.max(distance(tl, tr), distance(bl, br)));
  const height = Math.floor(Math.max(distance(tl, bl), distance(tr, br)));
  if (width < 1 || height < 1) return undefined;
  return height / width >= 1.5 ? warpQuad(image, [tr, br, bl, tl], height, width) : warpQuad(image, quad, width, height);
}

async function upsideDown(session: InferenceSession, crops: RgbImage[], options: PipelineOptions): Promise<boolean[]> {
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

async function recognise(models: OcrModels, crops: RgbImage[], options: PipelineOptions): Promise<{ text: string; confidence: number }[]> {
  const ratio = (c: RgbImage) => c.width / c.height;
  // Batches of similar aspect ratio waste little padding.
  const order = crops.map((_, i) => i).sort((a, b) => ratio(crops[a]!) - ratio(crops[b]!));
  const results: { text: string; confidence: number }[] = new Array(crops.length);
  for (let start = 0; start < order.length; start += options.batchSize) {
    options.signal?.throwIfAborted();
    const ids = order.slice(start, start + options.batchSize);
    const maxRatio = Math.max(MIN_REC_WIDTH / LINE_HEIGHT, ...ids.map((i) => ratio(crops[i]!)));
    const width = Math.min(MAX_REC_WIDTH, Math.ceil(LINE_HEIGHT * maxRatio));
    const batch = await Promise.all(ids.map((i) => toLineHeight(crops[i]!, width, options.stretchContrast)));
    const output = await run(models.recognition, new Tensor('float32', lineBatchTensor(batch, LINE_HEIGHT, width), [batch.length, 3, LINE_HEIGHT, width]));
    const [, steps, classes] = output.dims as [number, number, number];
    ids.forEach((id, n) => {
      results[id] = ctcGreedyDecode(output.data as Float32Array, n, steps, classes, models.charset);
    });
  }
  return results;
}

/**
 * Scales a crop to the line height, keeping its aspect ratio up to `maxWidth`; `stretch` spreads
 * its tones over the full range (faint or low-contrast lines otherwise lose their spaces).
 */
function toLineHeight(crop: RgbImage, maxWidth: number, stretch = false): Promise<RgbImage> {
  const width = Math.max(1, Math.min(maxWidth, Math.ceil((LINE_HEIGHT * crop.width) / crop.height)));
  return resizeRgb(crop, width, LINE_HEIGHT, stretch);
}

async function run(session: InferenceSession, input: Tensor): Promise<Tensor> {
  const feeds = { [session.inputNames[0]!]: input };
  const outputs = await session.run(feeds);
  const output = outputs[session.outputNames[0]!];
  if (!output) throw new Error('model produced no output');
  return output;
}
