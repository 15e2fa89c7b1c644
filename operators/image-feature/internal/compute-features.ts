// Decode once to a bounded RGB downscale, then derive every feature from those pixels: the
// decode is the expensive part, and no feature needs more than 512 px on the longest side.
// Decoding, resizing, stats and the thumbnail run in libvips' threads, off the event loop; the
// JS here (grey, Laplacian, pHash) works on the ≤ 512 px downscale whatever the input's size,
// about 8 ms per image in calls of at most ~4 ms (CPU profile, 1200×800 and 4000×3000 JPEGs
// whose libvips work is 50–170 ms), so it stays on the calling thread: a worker thread would
// cost a copy and a hop to spare the loop less than that.
import sharp from 'sharp';
import { FilteredError } from '../../../framework/errors/index.ts';
import { laplacianVariance, rgbToGrey } from './clarity.ts';
import { PHASH_SIDE, phashFromGrey32 } from './phash.ts';

export interface ImageFeatures {
  width: number;
  height: number;
  format: string;
  clarity: number;
  phash: string;
  dominantColor: string;
  thumbnail: Uint8Array;
}

export interface FeatureOptions {
  thumbnailSize: number;
  maxPixels: number;
}

const WORK_SIDE = 512;

export async function computeImageFeatures(bytes: Uint8Array, options: FeatureOptions): Promise<ImageFeatures> {
  if (bytes.length === 0) throw new FilteredError('undecodable-image', 'image-feature: the image is empty (0 bytes)');
  const meta = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch((err: unknown) => {
      throw undecodable(bytes, 'cannot read the image header', err);
    });
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new FilteredError('undecodable-image', `image-feature: the ${meta.format} header has no dimensions`);
  if (width * height > options.maxPixels) {
    throw new FilteredError('decompression-bomb', `image-feature: ${width}×${height} = ${width * height} px exceeds the limit of ${options.maxPixels} px`);
  }

  const { data: rgb, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: options.maxPixels })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize({ width: WORK_SIDE, height: WORK_SIDE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw undecodable(bytes, `cannot decode the ${meta.format} pixels`, err);
    });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
  const grey = rgbToGrey(rgb, info.channels);

  const [grey32, stats, thumbnail] = await Promise.all([
    sharp(grey, { raw: { width: info.width, height: info.height, channels: 1 } })
      .resize(PHASH_SIDE, PHASH_SIDE, { fit: 'fill' })
      .greyscale()
      .raw()
      .toBuffer(),
    sharp(rgb, raw).stats(),
    sharp(rgb, raw)
      .resize(options.thumbnailSize, options.thumbnailSize, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer(),
  ]);

  const { r, g, b } = stats.dominant;
  return {
    width,
    height,
    format: formatName(meta.format, meta.compression),
    clarity: Math.round(laplacianVariance(grey, info.width, info.height) * 100) / 100,
    phash: phashFromGrey32(grey32),
    dominantColor: `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`,
    thumbnail: new Uint8Array(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength),
  };
}

function formatName(format: string | undefined, compression: string | undefined): string {
  if (format === 'heif') return compression === 'av1' ? 'avif' : 'heif';
  return format ?? 'unknown';
}

function undecodable(bytes: Uint8Array, what: string, err: unknown): FilteredError {
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new FilteredError('undecodable-image', `image-feature: ${what} (${bytes.length} bytes): ${detail}`);
}
