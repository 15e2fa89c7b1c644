// Test fixtures: deterministic synthetic "photos" (random shapes over a gradient) rendered by sharp.
import sharp from 'sharp';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function sceneSvg(seed: number, width = 640, height = 480): string {
  const r = rng(seed);
  const colour = () => `rgb(${Math.floor(r() * 256)},${Math.floor(r() * 256)},${Math.floor(r() * 256)})`;
  const shapes: string[] = [];
  for (let i = 0; i < 14; i++) {
    const x = Math.floor(r() * width);
    const y = Math.floor(r() * height);
    const s = 20 + Math.floor(r() * 160);
    shapes.push(
      r() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${colour()}"/>`
        : `<rect x="${x - s / 2}" y="${y - s / 3}" width="${s}" height="${(s * 2) / 3}" fill="${colour()}" transform="rotate(${Math.floor(r() * 90)} ${x} ${y})"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}
  <text x="40" y="${height - 40}" font-size="48" font-family="sans-serif" fill="${colour()}">scene ${seed}</text></svg>`;
}

export async function scenePng(seed: number, width = 640, height = 480): Promise<Buffer> {
  return sharp(Buffer.from(sceneSvg(seed, width, height))).png().toBuffer();
}
