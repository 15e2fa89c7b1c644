// Clarity (sharpness) as the variance of the Laplacian of a grey image: edges and fine texture
// give large second derivatives, blur flattens them. With 8-bit input the 4-neighbour Laplacian
// lies in [-1020, 1020], so the variance lies in [0, 1_040_400]. It is measured on the shared
// downscale (longest side ≤ 512 px), which keeps scores of differently sized images comparable.
// The absolute value depends on content (flat graphics score lower than textured photos), so use it
// to rank copies of similar content; 0 means no edges at all (a flat or fully blurred image).

export function laplacianVariance(grey: Uint8Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const lap = (grey[i - 1] ?? 0) + (grey[i + 1] ?? 0) + (grey[i - width] ?? 0) + (grey[i + width] ?? 0) - 4 * (grey[i] ?? 0);
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return Math.max(0, sumSq / n - mean * mean);
}

/** Rec. 601 luma of interleaved RGB bytes. */
export function rgbToGrey(rgb: Uint8Array, channels: number): Uint8Array {
  const pixels = Math.floor(rgb.length / channels);
  const grey = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const i = p * channels;
    grey[p] = Math.round(0.299 * (rgb[i] ?? 0) + 0.587 * (rgb[i + 1] ?? 0) + 0.114 * (rgb[i + 2] ?? 0));
  }
  return grey;
}
