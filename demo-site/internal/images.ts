// Image bytes for the demo site, all made with sharp from seeded SVG scenes so each photo has
// its own structure (distinct perceptual hashes), plus the hostile files: a decompression bomb,
// a truncated JPEG, an oversized PNG, and text renders for OCR.
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import GLYPHS from './glyphs.json' with { type: 'json' };
import type { Random } from './random.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export async function renderPhoto(rng: Random, width: number, height: number, format: ImageFormat): Promise<Buffer> {
  return encode(sharp(Buffer.from(sceneSvg(rng, width, height))), format);
}

export async function encode(img: ReturnType<typeof sharp>, format: ImageFormat, quality = 85): Promise<Buffer> {
  if (format === 'png') return img.png({ compressionLevel: 6 }).toBuffer();
  if (format === 'jpeg') return img.jpeg({ quality, mozjpeg: false }).toBuffer();
  return img.webp({ quality }).toBuffer();
}

/** A resized, recompressed copy: a different byte sequence that looks the same. */
export async function nearDuplicate(bytes: Buffer, scale: number): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  const width = Math.round((meta.width ?? 100) * scale);
  return sharp(bytes).resize({ width }).jpeg({ quality: 70 }).toBuffer();
}

function sceneSvg(rng: Random, w: number, h: number): string {
  const colour = (): string => `rgb(${rng.int(0, 255)},${rng.int(0, 255)},${rng.int(0, 255)})`;
  const shapes: string[] = [];
  const count = rng.int(6, 14);
  for (let i = 0; i < count; i += 1) {
    const kind = rng.int(0, 2);
    if (kind === 0) shapes.push(`<circle cx="${rng.int(0, w)}" cy="${rng.int(0, h)}" r="${rng.int(10, Math.floor(h / 2))}" fill="${colour()}"/>`);
    else if (kind === 1) shapes.push(`<rect x="${rng.int(0, w)}" y="${rng.int(0, h)}" width="${rng.int(20, w / 2)}" height="${rng.int(20, h / 2)}" fill="${colour()}" transform="rotate(${rng.int(0, 90)} ${w / 2} ${h / 2})"/>`);
    else shapes.push(`<polygon points="${[0, 1, 2].map(() => `${rng.int(0, w)},${rng.int(0, h)}`).join(' ')}" fill="${colour()}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="${rng.next().toFixed(2)}" y2="1"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs>
  <rect width="${w}" height="${h}" fill="url(#g)"/>${shapes.join('')}</svg>`;
}

/**
 * Black text on white, for OCR, drawn from the glyph outlines in glyphs.json (see
 * demo-site/generate-glyphs.ts): no font of the machine is used, so the image (and what OCR reads
 * in it) is the same everywhere.
 */
export async function renderText(text: string, family: string, width: number, height: number): Promise<Buffer> {
  const font = (GLYPHS as Record<string, GlyphFont>)[family];
  if (!font) throw new Error(`demo-site: no bundled glyphs for font \`${family}\` (run demo-site/generate-glyphs.ts)`);
  const size = Math.floor(height * 0.42);
  const k = size / font.unitsPerEm;
  const glyphs = Array.from(text, (ch) => {
    const g = font.glyphs[ch];
    if (!g) throw new Error(`demo-site: no bundled glyph for \`${ch}\` in ${family} (run demo-site/generate-glyphs.ts)`);
    return g;
  });
  const total = glyphs.reduce((n, g) => n + g.a * k, 0);
  const baseline = height / 2 + ((font.ascent + font.descent) / 2) * k;
  let x = (width - total) / 2;
  const paths = glyphs.map((g) => {
    const p = g.d === '' ? '' : `<path transform="translate(${x.toFixed(2)} ${baseline.toFixed(2)}) scale(${k.toFixed(5)} ${(-k).toFixed(5)})" d="${g.d}"/>`;
    x += g.a * k;
    return p;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="#fff"/><g fill="#111">${paths.join('')}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

interface GlyphFont {
  unitsPerEm: number;
  ascent: number;
  descent: number;
  glyphs: Record<string, { a: number; d: string }>;
}

/** The first 60% of a real JPEG: a valid header, then the data stops. */
export function truncate(bytes: Buffer, keep = 0.6): Buffer {
  return Buffer.from(bytes.subarray(0, Math.floor(bytes.length * keep)));
}

/**
 * A tiny, well-formed PNG whose header claims width × height pixels (40 000² = 1.6 gigapixels).
 * Its IDAT holds a few compressed rows of zeros, so a decoder that trusts the header would try to
 * allocate gigabytes; a pixel-limit check on the header must refuse it first.
 */
export function decompressionBombPng(width = 40_000, height = 40_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = deflateSync(Buffer.alloc((width + 1) * 4)); // 4 rows of zeros, filter byte 0
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', rows), chunk('IEND', Buffer.alloc(0))]);
}

/** An uncompressed-ish noise PNG of at least `minBytes`, for the size cap. */
export async function oversizedPng(rng: Random, minBytes: number): Promise<Buffer> {
  const width = 1024;
  const height = Math.ceil(minBytes / (width * 3)) + 1;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(Math.floor(rng.next() * 0xffffffff) >>> 0, Math.min(i, raw.length - 4));
  return sharp(raw, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([len, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
