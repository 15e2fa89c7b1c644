// Raw RGB images: decoding (through sharp, with a pixel limit), resizing, perspective crops.
import sharp from 'sharp';
import { NonRetryableError } from '../../../framework/errors/index.ts';
import type { Point, Quad } from './geometry.ts';

/** Packed 8-bit RGB, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodeLimits {
  /** Decoding refuses images with more pixels than this (decompression bombs). */
  maxPixels: number;
  /** Larger images are scaled down to fit this side before any work (bounded memory). */
  maxWorkSide: number;
}

export interface DecodedImage {
  image: RgbImage;
  /** Width and height of the image as encoded (after EXIF orientation). */
  originalWidth: number;
  originalHeight: number;
}

export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<DecodedImage> {
  try {
    const input = sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1 });
    // With `pages: 1` the metadata describes the first frame, as decoded below.
    const { width: originalWidth, height: originalHeight } = (await input.metadata()).autoOrient;
    const { data, info } = await input
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ width: limits.maxWorkSide, height: limits.maxWorkSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
    return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, originalWidth, originalHeight };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new NonRetryableError(`image refused: more than ${limits.maxPixels} pixels (${message})`, { code: 'IMAGE_TOO_LARGE', cause: err });
    }
    throw new NonRetryableError(`image could not be decoded: ${message}`, { code: 'IMAGE_UNDECODABLE', cause: err });
  }
}

export async function resizeRgb(image: RgbImage, width: number, height: number, normalise = false): Promise<RgbImage> {
  if (width === image.width && height === image.height && !normalise) return image;
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width, height, fit: 'fill' });
  if (normalise) pipeline = pipeline.normalise();
  const data = await pipeline
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/**
 * Samples the quad (tl, tr, br, bl) of `image` into an upright width × height image by a
 * perspective transform with bilinear interpolation and replicated borders.
 */
export function warpQuad(image: RgbImage, quad: Quad, width: number, height: number): RgbImage {
  const h = homography([[0, 0], [width, 0], [width, height], [0, height]], quad);
  const out = new Uint8Array(width * height * 3);
  const { data, width: sw, height: sh } = image;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = h[6]! * x + h[7]! * y + h[8]!;
      const sx = (h[0]! * x + h[1]! * y + h[2]!) / w;
      const sy = (h[3]! * x + h[4]! * y + h[5]!) / w;
      const fx = Math.min(Math.max(sx, 0), sw - 1);
      const fy = Math.min(Math.max(sy, 0), sh - 1);
      const x0 = Math.floor(fx), y0 = Math.floor(fy);
      const x1 = Math.min(x0 + 1, sw - 1), y1 = Math.min(y0 + 1, sh - 1);
      const ax = fx - x0, ay = fy - y0;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = data[(y0 * sw + x0) * 3 + c]! * (1 - ax) + data[(y0 * sw + x1) * 3 + c]! * ax;
        const bottom = data[(y1 * sw + x0) * 3 + c]! * (1 - ax) + data[(y1 * sw + x1) * 3 + c]! * ax;
        out[o + c] = Math.round(top * (1 - ay) + bottom * ay);
      }
    }
  }
  return { data: out, width, height };
}

export function rotate180(image: RgbImage): RgbImage {
  const out = new Uint8Array(image.data.length);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i;
    out[j * 3] = image.data[i * 3]!;
    out[j * 3 + 1] = image.data[i * 3 + 1]!;
    out[j * 3 + 2] = image.data[i * 3 + 2]!;
  }
  return { data: out, width: image.width, height: image.height };
}

/** The 3×3 matrix (row-major) mapping each `from` point onto the matching `to` point. */
function homography(from: readonly Point[], to: readonly Point[]): Float64Array {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting on the 8×9 augmented system.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new RangeError('degenerate quad: no perspective transform');
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / p;
      for (let c = col; c < 9; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  const m = new Float64Array(9);
  for (let i = 0; i < 8; i++) m[i] = a[i]![8]! / a[i]![i]!;
  m[8] = 1;
  return m;
}
