// Magic-byte sniffing: the real type of the bytes, whatever the server's Content-Type says.
//
// Decided support: JPEG, PNG, GIF, WebP, AVIF, TIFF are accepted (sharp decodes them here).
// Recognised but refused as `unsupported-image-type`: BMP and ICO (this sharp build has no
// decoder for them), HEIC (HEVC is not in the prebuilt libvips), and SVG — a vector document is
// scriptable XML that may reference external resources and expand entities, and it has no
// intrinsic pixels to hash or OCR; rasterising it safely is left for a dedicated operator.

export interface SniffedType {
  /** sharp's / our short name: jpeg, png, gif, webp, avif, heic, tiff, bmp, ico, svg. */
  format: string;
  mime: string;
  /** Whether this operator decodes and accepts the type. */
  supported: boolean;
}

const ascii = (bytes: Uint8Array, start: number, end: number): string => String.fromCharCode(...bytes.subarray(start, end));

const startsWith = (bytes: Uint8Array, magic: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + magic.length && magic.every((b, i) => bytes[offset + i] === b);

const t = (format: string, mime: string, supported: boolean): SniffedType => ({ format, mime, supported });

export function sniffImageType(bytes: Uint8Array): SniffedType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return t('jpeg', 'image/jpeg', true);
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return t('png', 'image/png', true);
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return t('gif', 'image/gif', true);
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return t('webp', 'image/webp', true);
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') return sniffIsoBmff(bytes);
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return t('tiff', 'image/tiff', true);
  if (bytes.length >= 26 && ascii(bytes, 0, 2) === 'BM' && readU32le(bytes, 14) >= 12) return t('bmp', 'image/bmp', false);
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00]) && bytes.length >= 6 && (bytes[4] ?? 0) + (bytes[5] ?? 0) > 0) {
    return t('ico', 'image/x-icon', false);
  }
  if (looksLikeSvg(bytes)) return t('svg', 'image/svg+xml', false);
  return null;
}

function sniffIsoBmff(bytes: Uint8Array): SniffedType | null {
  const boxSize = Math.min(readU32be(bytes, 0), bytes.length, 256);
  const brands = [ascii(bytes, 8, 12)];
  for (let i = 16; i + 4 <= boxSize; i += 4) brands.push(ascii(bytes, i, i + 4));
  if (brands.includes('avif') || brands.includes('avis')) return t('avif', 'image/avif', true);
  if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(b))) return t('heic', 'image/heic', false);
  if (brands.includes('mif1') || brands.includes('msf1')) return t('heif', 'image/heif', false);
  return null; // mp4, mov, … are ISO-BMFF too, and not images
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (!head.startsWith('<')) return false;
  return head.startsWith('<svg') || ((head.startsWith('<?xml') || head.startsWith('<!--') || head.startsWith('<!doctype svg')) && head.includes('<svg'));
}

/** A short human description of bytes that are not an image, for error messages. */
export function describeNonImage(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty body';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /<(head|body|p|div|title)[\s>]/.test(head)) return 'HTML';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON or text';
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `unknown bytes starting ${hex}`;
}

function readU32le(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0;
}

function readU32be(bytes: Uint8Array, at: number): number {
  return (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;
}
