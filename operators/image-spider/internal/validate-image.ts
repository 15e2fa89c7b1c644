// Prove the bytes are a whole, safely sized image: dimensions from the header first (no pixel is
// decoded before the pixel limit is checked), then a full decode that fails on truncation.
import sharp from 'sharp';
import { FilteredError } from '../../../framework/errors/index.ts';
import type { SniffedType } from './sniff.ts';

export interface ImageDimensions {
  width: number;
  height: number;
}

const EOF_WORDS = /premature end|unexpected end|end of file|truncat|not enough data|out of data|bad seek|outside of file/i;

export async function validateImage(bytes: Uint8Array, type: SniffedType, maxPixels: number): Promise<ImageDimensions> {
  // limitInputPixels: false so that a bomb's header can be read and reported as a bomb; the
  // limit is applied by us right below, and again by sharp on the decode.
  const meta = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch((err: unknown) => {
      throw decodeFailure(bytes, type, 'header', err);
    });
  const { width, height } = meta;
  if (!width || !height) throw new FilteredError('corrupt-image', `the ${type.format} header declares no dimensions`);
  if (width * height > maxPixels) {
    throw new FilteredError('decompression-bomb', `the ${type.format} header declares ${width}×${height} = ${width * height} px, over the limit of ${maxPixels} px`);
  }
  // A missing trailer is truncation, whatever the decoder says: libvips reports a cut-short JPEG
  // only as a warning, and under concurrent decodes that warning was seen to go missing.
  if (missingEndMarker(bytes, type.format)) {
    throw new FilteredError('truncated-image', `truncated ${type.format} (${bytes.length} bytes): the file ends before its end marker`);
  }
  await sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels })
    .stats()
    .catch((err: unknown) => {
      throw decodeFailure(bytes, type, 'pixels', err);
    });
  return { width, height };
}

function decodeFailure(bytes: Uint8Array, type: SniffedType, stage: 'header' | 'pixels', err: unknown): FilteredError {
  const detail = err instanceof Error ? (err.message.split('\n').find((l) => EOF_WORDS.test(l)) ?? err.message.split('\n')[0] ?? '') : String(err);
  if (/pixel limit/i.test(detail)) return new FilteredError('decompression-bomb', `the ${type.format} image exceeds the pixel limit: ${detail}`);
  const truncated = EOF_WORDS.test(detail ?? '') || missingEndMarker(bytes, type.format);
  const reason = truncated ? 'truncated-image' : 'corrupt-image';
  return new FilteredError(reason, `${truncated ? 'truncated' : 'corrupt'} ${type.format} (${bytes.length} bytes), ${stage} decode failed: ${detail}`);
}

/** Formats with a trailer: missing it means the file was cut short. */
function missingEndMarker(bytes: Uint8Array, format: string): boolean {
  const n = bytes.length;
  switch (format) {
    case 'jpeg': {
      // EOI (FF D9) cannot occur inside entropy-coded data (FF is stuffed there), so one in the
      // second half of the file ends the main image; trailers after it (vendor data, padding) are
      // allowed. An embedded EXIF thumbnail's EOI sits near the start and does not count.
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, n);
      return b.lastIndexOf(Buffer.from([0xff, 0xd9])) < n / 2;
    }
    case 'png':
      return Buffer.from(bytes.buffer, bytes.byteOffset, n).lastIndexOf('IEND') < 0;
    case 'gif':
      return bytes[n - 1] !== 0x3b;
    case 'webp': {
      const riffSize = ((bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8) | ((bytes[6] ?? 0) << 16) | ((bytes[7] ?? 0) << 24)) >>> 0;
      return riffSize + 8 > n;
    }
    default:
      return false;
  }
}
