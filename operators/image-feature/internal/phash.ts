// DCT perceptual hash (the pHash.org construction): 32×32 grey → 2-D DCT-II → the 8×8 block of
// lowest frequencies without the DC row and column (rows/cols 1..8) → 1 bit per coefficient,
// set when the coefficient is above the block's median. The DC term is left out because it only
// carries mean brightness, which a recompression or a level change shifts without changing content.

const N = 32;
const LOW = 8;

/** cos((2x+1)uπ / 2N) for u in 1..LOW (the only frequencies the hash reads), x in 0..N-1. */
const COS: Float64Array = (() => {
  const table = new Float64Array((LOW + 1) * N);
  for (let u = 0; u <= LOW; u++) {
    for (let x = 0; x < N; x++) table[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  }
  return table;
})();

export const PHASH_SIDE = N;

/**
 * The 64-bit pHash of a 32×32 single-channel image (row-major, 1024 values), as 16 hex chars.
 * Bit 63 (the first hex digit's high bit) is coefficient (1,1); bits run row by row.
 */
export function phashFromGrey32(grey: Uint8Array | Float64Array): string {
  if (grey.length !== N * N) throw new RangeError(`pHash needs ${N * N} grey values, got ${grey.length}`);
  // Separable DCT restricted to frequencies 1..LOW: rows first, then columns. Scale factors are
  // omitted: they are equal for all coefficients taken (u, v ≥ 1) and the hash compares to the median.
  const rows = new Float64Array(N * LOW); // rows[y][v-1] = Σx grey[y][x] cos(v, x)
  for (let y = 0; y < N; y++) {
    for (let v = 1; v <= LOW; v++) {
      let sum = 0;
      for (let x = 0; x < N; x++) sum += (grey[y * N + x] ?? 0) * (COS[v * N + x] ?? 0);
      rows[y * LOW + (v - 1)] = sum;
    }
  }
  const coeffs = new Float64Array(LOW * LOW); // coeffs[u-1][v-1]
  for (let u = 1; u <= LOW; u++) {
    for (let v = 0; v < LOW; v++) {
      let sum = 0;
      for (let y = 0; y < N; y++) sum += (rows[y * LOW + v] ?? 0) * (COS[u * N + y] ?? 0);
      // Rounded so that float noise cannot decide a bit: a flat image hashes to all zeros.
      coeffs[(u - 1) * LOW + v] = Math.round(sum * 1e6) / 1e6;
    }
  }
  const sorted = Float64Array.from(coeffs).sort();
  const median = ((sorted[31] ?? 0) + (sorted[32] ?? 0)) / 2;
  let hash = 0n;
  for (const c of coeffs) hash = (hash << 1n) | (c > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

/** Number of differing bits between two 16-hex-char hashes. */
export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (x !== 0n) {
    x &= x - 1n;
    count++;
  }
  return count;
}
