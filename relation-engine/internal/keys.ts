// Binary keys for the embedded store, laid out like the Cassandra tables so both scan alike:
// parts are UTF-8 joined by a NUL byte (URLs and signs never contain NUL; the engine checks).
type Part = string | Buffer;

/** The parts joined by NUL, plus a `tail` byte when given, in one allocation (no concat). */
function join(parts: readonly Part[], tail?: number): Buffer {
  let n = Math.max(0, parts.length - 1) + (tail === undefined ? 0 : 1);
  for (const p of parts) n += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = 0;
    const p = parts[i]!;
    at += typeof p === 'string' ? out.write(p, at, 'utf8') : p.copy(out, at);
  }
  if (tail !== undefined) out[at] = tail;
  return out;
}

/**
 * The longest key built from these ids: with one, the journal's (time, kind, id, version: 22
 * bytes around it); with several, the ids joined by NUL with one more separator (`link NUL f NUL
 * page`) or a 2-byte bucket (`bucket sign NUL link`).
 */
export function keyBytes(ids: readonly string[]): number {
  let n = ids.length === 1 ? 22 : ids.length + 1;
  for (const id of ids) n += Buffer.byteLength(id, 'utf8');
  return n;
}

export function key(...parts: Part[]): Buffer {
  return join(parts);
}

/** The [start, end) range of every key beginning with `prefix` followed by NUL. */
export function under(...parts: Part[]): { start: Buffer; end: Buffer } {
  const start = join(parts, 0);
  const end = Buffer.from(start);
  end[end.length - 1] = 1;
  return { start, end };
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
