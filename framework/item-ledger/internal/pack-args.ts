// One item's script arguments as a single MessagePack array of raw strings (str 32), which the
// item scripts unpack with Redis's own `cmsgpack` (it predates MessagePack's bin type, so binary
// values go as raw strings too, byte for byte). One argument per item instead of thirty: ioredis
// then frames a single buffer, where it would have sized, concatenated and re-encoded each one.
export type Arg = string | number | Buffer;

export function packArgs(args: readonly Arg[]): Buffer {
  let n = 5;
  for (const a of args) n += 5 + (Buffer.isBuffer(a) ? a.length : Buffer.byteLength(typeof a === 'number' ? String(a) : a, 'utf8'));
  const out = Buffer.allocUnsafe(n);
  out[0] = 0xdd; // array 32
  out.writeUInt32BE(args.length, 1);
  let at = 5;
  for (const a of args) {
    out[at] = 0xdb; // str 32
    const len = Buffer.isBuffer(a) ? a.copy(out, at + 5) : out.write(typeof a === 'number' ? String(a) : a, at + 5, 'utf8');
    out.writeUInt32BE(len, at + 1);
    at += 5 + len;
  }
  return out;
}
