// Inputs the kit makes up for an operator it knows only by its Describe: for each field kind a few
// candidate values (a PNG, an HTML page, text; a URL string, a word, a number …). The first
// combination the operator answers OK is the sample; its variants differ in content, so
// concurrent answers can be told apart.
import { deflateSync } from 'node:zlib';
import type { WireDescription, WireItem } from './wire-client.ts';

export type BlobKind = 'png' | 'html' | 'text';
export type JsonKind = 'url' | 'word' | 'number' | 'boolean' | 'array' | 'object';
export const BLOB_KINDS: readonly BlobKind[] = ['png', 'html', 'text'];
export const JSON_KINDS: readonly JsonKind[] = ['url', 'word', 'number', 'boolean', 'array', 'object'];

const encoder = new TextEncoder();
export const json = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v));

/** Fixed inputs from `--sample`: JSON values by field, and blob bytes by field. */
export interface FixedSample {
  fields: Record<string, unknown>;
  blobs: Record<string, Uint8Array>;
}

export interface Sample {
  /** The same inputs with content differing by `i` (i = 0 is the sample itself). */
  variant(i: number): Pick<WireItem, 'fields' | 'blobs'>;
  describe: string;
}

export function blobCandidate(kind: BlobKind, i: number): Uint8Array {
  if (kind === 'png') return png(40 + 8 * i, 30 + 4 * i, i);
  if (kind === 'html') {
    return encoder.encode(`<!doctype html><html><head><title>Conformance ${i}</title></head><body><p>Picture ${i} of the kit</p>` +
      `<img src="/img/conformance-${i}.png" alt="image ${i}"><a href="/page-${i}.html">next</a></body></html>`);
  }
  return encoder.encode(`conformance text ${i}`);
}

export function jsonCandidate(kind: JsonKind, i: number): unknown {
  switch (kind) {
    case 'url':
      return `http://127.0.0.1/conformance/${i}.html`;
    case 'word':
      return `conformance-${i}`;
    case 'number':
      return i + 1;
    case 'boolean':
      return i % 2 === 0;
    case 'array':
      return [`item-${i}`];
    case 'object':
      return { n: i };
  }
}

/** Candidate samples for `desc`, most plausible first (required inputs only). */
export function candidateSamples(desc: WireDescription): Sample[] {
  const required = desc.inputs.filter((f) => !f.optional);
  const hasBlob = required.some((f) => f.kind === 'blob');
  const hasJson = required.some((f) => f.kind !== 'blob');
  const out: Sample[] = [];
  for (const b of hasBlob ? BLOB_KINDS : (['png'] as const)) {
    for (const j of hasJson ? JSON_KINDS : (['url'] as const)) {
      out.push({
        describe: [hasBlob ? `blobs: ${b}` : '', hasJson ? `json: ${j}` : ''].filter(Boolean).join(', ') || 'no inputs',
        variant(i) {
          const item: Pick<WireItem, 'fields' | 'blobs'> = { fields: {}, blobs: {} };
          for (const f of required) {
            if (f.kind === 'blob') item.blobs[f.name] = blobCandidate(b, i);
            else if (f.kind === 'blob-ref') item.fields[f.name] = json(`conformance/blob-${i}`);
            else item.fields[f.name] = json(jsonCandidate(j, i));
          }
          return item;
        },
      });
    }
  }
  return out;
}

/** A `--sample` file's inputs; variants are the same inputs (the kit cannot vary what it does not know). */
export function fixedSample(s: FixedSample): Sample {
  return {
    describe: 'from --sample',
    variant: () => ({ fields: Object.fromEntries(Object.entries(s.fields).map(([k, v]) => [k, json(v)])), blobs: { ...s.blobs } }),
  };
}

/** A valid RGB PNG of w×h with a pattern depending on `seed`. */
export function png(w: number, h: number, seed: number): Uint8Array {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    for (let x = 0; x < w; x++) {
      const on = ((x >> 3) + (y >> 3) + seed) % 2 === 0;
      raw[row + 1 + x * 3] = on ? 230 : (37 * seed) % 256;
      raw[row + 2 + x * 3] = on ? 230 : (90 + 53 * seed) % 256;
      raw[row + 3 + x * 3] = on ? 230 : (160 + 71 * seed) % 256;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(name: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(name, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([len, body, crc]);
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
