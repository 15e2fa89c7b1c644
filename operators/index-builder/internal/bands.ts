// Multi-index hashing over 64-bit pHashes: 4 bands of 16 bits. By pigeonhole, two hashes within
// distance d differ in at most ⌊d/4⌋ bits in at least one band, so probing every band with all
// values within ⌊d/4⌋ flips of the query's band finds every match (no false negatives); exact
// distances then drop the false candidates. ⌊d/4⌋ = 0 for d ≤ 3 (1 probe per band), 1 for
// d ≤ 7 (17 probes), 2 for d ≤ 11 (137 probes); beyond that a full scan is cheaper.

export const BANDS = 4;
export const BAND_BITS = 16;
/** Largest distance served by band probes; larger ones scan every hash. */
export const MAX_PROBED_DISTANCE = 11;

export const PHASH = /^[0-9a-f]{16}$/;

export function bandValues(phash: string): number[] {
  return Array.from({ length: BANDS }, (_, b) => parseInt(phash.slice(b * 4, b * 4 + 4), 16));
}

export function bandKey(band: number, value: number): string {
  return `${band}:${value.toString(16).padStart(4, '0')}`;
}

export function bandKeys(phash: string): string[] {
  return bandValues(phash).map((v, b) => bandKey(b, v));
}

/** Every band key that a hash within `maxDistance` of `phash` must be filed under (at least one). */
export function probeKeys(phash: string, maxDistance: number): string[] {
  const radius = Math.floor(maxDistance / BANDS);
  const keys: string[] = [];
  bandValues(phash).forEach((value, band) => {
    for (const v of withinFlips(value, radius)) keys.push(bandKey(band, v));
  });
  return keys;
}

function withinFlips(value: number, radius: number): number[] {
  const out = [value];
  const flip = (v: number, from: number, left: number) => {
    for (let bit = from; bit < BAND_BITS; bit++) {
      const next = v ^ (1 << bit);
      out.push(next);
      if (left > 1) flip(next, bit + 1, left - 1);
    }
  };
  if (radius > 0) flip(value, 0, radius);
  return out;
}

export function hamming(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x !== 0n) {
    x &= x - 1n;
    n++;
  }
  return n;
}
