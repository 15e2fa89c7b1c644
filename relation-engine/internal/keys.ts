// Binary keys for the embedded store, laid out like the Cassandra tables so both scan alike:
// parts are UTF-8 joined by a NUL byte (URLs and signs never contain NUL; the engine checks).
const SEP = Buffer.from([0]);

export function key(...parts: (string | Buffer)[]): Buffer {
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) chunks.push(SEP);
    chunks.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  });
  return Buffer.concat(chunks);
}

/** The [start, end) range of every key beginning with `prefix` followed by NUL. */
export function under(...parts: (string | Buffer)[]): { start: Buffer; end: Buffer } {
  const base = key(...parts);
  return { start: Buffer.concat([base, Buffer.from([0])]), end: Buffer.concat([base, Buffer.from([1])]) };
}

export function splitKey(k: Uint8Array, from = 0): string[] {
  const out: string[] = [];
  let start = from;
  for (let i = from; i <= k.length; i++) {
    if (i === k.length || k[i] === 0) {
      out.push(Buffer.from(k.subarray(start, i)).toString('utf8'));
      start = i + 1;
    }
  }
  return out;
}

export function bucketPrefix(bucket: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(bucket);
  return b;
}

/** A non-negative integer as 8 big-endian bytes, so keys sort by it. */
export function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n))));
  return b;
}

export function readU64(k: Uint8Array, at = 0): number {
  return Number(Buffer.from(k.buffer, k.byteOffset, k.byteLength).readBigUInt64BE(at));
}
