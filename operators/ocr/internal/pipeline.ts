// The page-level PP-OCR stages: detect text boxes on one decoded image, order them for reading,
// and crop each upright. The line stages (orientation, recognition) are in recognise.ts.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { dbPostprocess, type DbOptions } from './db-postprocess.ts';
import { distance, type Point, type Quad } from './geometry.ts';
import { resizeRgb, warpQuad, type RgbImage } from './image.ts';
import { runModel as run } from './models.ts';
import { detectionSize, detectionTensor } from './tensors.ts';

export interface DetectOptions extends DbOptions {
  maxSide: number;
}

export interface LineCrop {
  quad: Quad;
  crop: RgbImage;
}

/** The image's text lines in reading order, each cropped upright. */
export async function detectLines(session: InferenceSession, image: RgbImage, options: DetectOptions): Promise<LineCrop[]> {
  const quads = sortReadingOrder(await detect(session, image, options));
  const crops: LineCrop[] = [];
  for (const quad of quads) {
    const crop = cropUpright(image, quad);
    if (crop) crops.push({ quad, crop });
  }
  return crops;
}

async function detect(session: InferenceSession, image: RgbImage, options: DetectOptions): Promise<Quad[]> {
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

/** Reading order of a page turned upside down: it runs bottom-right to top-left. */
export function upsideDownOrder<T extends { quad: Quad }>(items: T[], width: number, height: number): T[] {
  const turn = ([x, y]: Point): Point => [width - 1 - x, height - 1 - y];
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
