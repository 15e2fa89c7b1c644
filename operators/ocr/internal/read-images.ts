// One batch of images through PP-OCR: each image is decoded and its lines detected on its own
// (the detector's input size follows the image), then the lines of every image in the batch go
// through the orientation classifier and the recogniser together, `batchSize` crops per run.
// A problem with one image (undecodable, too large) fails that image alone.
import type { OcrLine, OcrResult } from '../ocr-engine.ts';
import type { PaddleOcrConfig } from '../paddle-options.ts';
import { decodeImage, rotate180, type DecodedImage } from './image.ts';
import type { OcrModels } from './models.ts';
import { detectLines, upsideDownOrder, type LineCrop } from './pipeline.ts';
import { recognise, upsideDown } from './recognise.ts';

interface Page {
  index: number;
  lines: LineCrop[];
  width: number;
  height: number;
  /** Source pixels per decoded pixel (images past `maxWorkSide` are scaled down first). */
  scale: [number, number];
}

export async function readImages(models: OcrModels, images: readonly Uint8Array[], config: PaddleOcrConfig, signal?: AbortSignal): Promise<(OcrResult | Error)[]> {
  const results: (OcrResult | Error)[] = new Array(images.length);
  const pages: Page[] = [];
  const decode = (i: number) => decodeImage(images[i]!, config).catch((err: unknown) => toError(err));
  // Decoding (in libvips' threads) of the next image overlaps detection of this one; one ahead
  // keeps at most two decoded images in memory.
  let next: Promise<DecodedImage | Error> | undefined = images.length > 0 ? decode(0) : undefined;
  for (let i = 0; i < images.length; i++) {
    const decoded = await next!;
    next = i + 1 < images.length ? decode(i + 1) : undefined;
    signal?.throwIfAborted();
    if (decoded instanceof Error) {
      results[i] = decoded;
      continue;
    }
    const { image, originalWidth, originalHeight } = decoded;
    let lines: LineCrop[];
    try {
      lines = await detectLines(models.detection, image, {
        maxSide: config.maxSide,
        threshold: config.detThreshold,
        boxThreshold: config.boxThreshold,
        unclipRatio: config.unclipRatio,
        maxCandidates: config.maxLines,
      });
    } catch (err) {
      results[i] = toError(err);
      continue;
    }
    pages.push({ index: i, lines, width: image.width, height: image.height, scale: [originalWidth / image.width, originalHeight / image.height] });
  }
  signal?.throwIfAborted();

  const lineOptions = { batchSize: config.batchSize, stretchContrast: config.stretchContrast, signal };
  const all = pages.flatMap((p) => p.lines);
  if (models.orientation) {
    const flips = await upsideDown(models.orientation, all.map((l) => l.crop), lineOptions);
    let at = 0;
    for (const page of pages) {
      const mine = flips.slice(at, (at += page.lines.length));
      page.lines.forEach((l, k) => {
        if (mine[k]) l.crop = rotate180(l.crop);
      });
      // Most lines upside down means the page is: its reading order runs bottom-right to top-left.
      if (mine.filter(Boolean).length * 2 > page.lines.length) page.lines = upsideDownOrder(page.lines, page.width, page.height);
    }
  }
  const ordered = pages.flatMap((p) => p.lines);
  const decoded = await recognise(models, ordered.map((l) => l.crop), lineOptions);
  let at = 0;
  for (const page of pages) {
    const lines: OcrLine[] = [];
    const [sx, sy] = page.scale;
    for (const line of page.lines) {
      const d = decoded[at++]!;
      const text = d.text.trim();
      if (text === '' || d.confidence < config.minConfidence) continue;
      lines.push({
        text,
        confidence: Math.round(d.confidence * 1e4) / 1e4,
        box: line.quad.map(([x, y]): [number, number] => [Math.round(x * sx), Math.round(y * sy)]),
      });
    }
    results[page.index] = { text: lines.map((l) => l.text).join('\n'), lines };
  }
  return results;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
