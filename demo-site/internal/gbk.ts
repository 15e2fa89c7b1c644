// A GBK encoder built from the platform's GBK decoder: decode every two-byte sequence once and
// invert the table. Node ships GBK decoding (ICU) but no encoder.
let table: Map<string, number[]> | undefined;

export function encodeGbk(text: string): Buffer {
  table ??= buildTable();
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const bytes = table.get(ch);
      if (!bytes) throw new RangeError(`\`${ch}\` has no GBK encoding`);
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
}

function buildTable(): Map<string, number[]> {
  const decoder = new TextDecoder('gbk');
  const map = new Map<string, number[]>();
  for (let lead = 0x81; lead <= 0xfe; lead += 1) {
    for (let trail = 0x40; trail <= 0xfe; trail += 1) {
      if (trail === 0x7f) continue;
      const ch = decoder.decode(new Uint8Array([lead, trail]));
      if (ch.length >= 1 && ch !== '\ufffd' && !map.has(ch)) map.set(ch, [lead, trail]);
    }
  }
  return map;
}
