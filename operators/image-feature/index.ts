/**
 * image-feature (cpu): width, height, format, clarity, a 64-bit DCT perceptual hash, dominant
 * colour and a WebP thumbnail of one image.
 *
 *   const op = createImageFeatureOperator({ thumbnailSize: 128 });
 *   const out = await op.handler({ image: jpegBytes }, ctx);
 *   // → { width: 640, height: 480, format: 'jpeg', clarity: 812.4, phash: 'c3a1…', dominantColor: '#3a6e9c', thumbnail: <webp bytes> }
 *
 * `clarity` is the variance of the Laplacian on a grey downscale (longest side ≤ 512 px); range
 * [0, 1_040_400], higher is sharper (see internal/clarity.ts). `phash` is 16 hex chars; two images
 * are near-duplicates when the Hamming distance of their hashes is small (≤ 6 for resized or
 * recompressed copies in our tests). Broken bytes end the item as filtered `undecodable-image`;
 * a header declaring more than `maxPixels` pixels as filtered `decompression-bomb`.
 */
import { z } from 'zod';
import { blob, defineOperator } from '../../framework/operator-sdk/index.ts';
import { ConfigError, type ConfigProblem } from '../../framework/errors/index.ts';
import { computeImageFeatures } from './internal/compute-features.ts';

export { hammingDistance, phashFromGrey32 } from './internal/phash.ts';
export { laplacianVariance } from './internal/clarity.ts';
export { computeImageFeatures, type ImageFeatures } from './internal/compute-features.ts';

export interface ImageFeatureOptions {
  /** Longest side of the thumbnail in px (never enlarged). Default 128. */
  thumbnailSize?: number;
  /** Refuse to decode images declaring more pixels than this. Default 100 MP. */
  maxPixels?: number;
}

export function createImageFeatureOperator(options: ImageFeatureOptions = {}) {
  const thumbnailSize = options.thumbnailSize ?? 128;
  const maxPixels = options.maxPixels ?? 100_000_000;
  const problems: ConfigProblem[] = [];
  if (!Number.isInteger(thumbnailSize) || thumbnailSize < 8 || thumbnailSize > 2048) {
    problems.push({ field: 'thumbnailSize', expected: 'an integer between 8 and 2048', received: thumbnailSize });
  }
  if (!Number.isInteger(maxPixels) || maxPixels < 1) problems.push({ field: 'maxPixels', expected: 'an integer ≥ 1', received: maxPixels });
  if (problems.length > 0) throw new ConfigError(problems, 'image-feature options');

  return defineOperator({
    name: 'image-feature',
    version: '1.0.0',
    description: 'Width, height, format, clarity, pHash, dominant colour and a thumbnail of an image',
    resource: 'cpu',
    // Bigger inputs are refused INPUT_TOO_LARGE before decoding (as by the Python twin).
    inputs: { image: blob('the image bytes', { maxBytes: 32 << 20 }) },
    outputs: {
      width: z.number().int().positive().describe('width in px, after EXIF orientation'),
      height: z.number().int().positive().describe('height in px, after EXIF orientation'),
      format: z.string().describe('decoded format: jpeg, png, webp, gif, avif, heif, tiff'),
      clarity: z.number().min(0).describe('variance of the Laplacian on a ≤512 px grey downscale; 0..1_040_400, higher is sharper'),
      phash: z.string().regex(/^[0-9a-f]{16}$/).describe('64-bit DCT perceptual hash, 16 hex chars'),
      dominantColor: z.string().regex(/^#[0-9a-f]{6}$/).describe('dominant colour #rrggbb'),
      thumbnail: blob(`WebP thumbnail, longest side ≤ ${thumbnailSize} px`),
    },
    async handler({ image }) {
      return computeImageFeatures(image, { thumbnailSize, maxPixels });
    },
  });
}
