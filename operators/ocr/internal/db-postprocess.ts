// DB (differentiable binarisation) post-processing: probability map → text quads.
// Mirrors PaddleOCR's DBPostProcess ("fast" box score, no dilation): threshold the map, take
// 8-connected components, box each with its minimum-area rectangle, score it by the mean
// probability inside the box, grow it by `area × unclipRatio / perimeter`, and scale it back.
import { expandRect, insideConvexQuad, minAreaRect, orderCorners, rectCorners, type Point, type Quad } from './geometry.ts';

export interface DbOptions {
  /** Probability above which a pixel is text. */
  threshold: number;
  /** Minimum mean probability inside a box. */
  boxThreshold: number;
  unclipRatio: number;
  maxCandidates: number;
}

export interface DetectedBox {
  quad: Quad;
  score: number;
}

const MIN_SIDE = 3;

/**
 * `prob` is the map (mapWidth × mapHeight) the detector saw; boxes come back in the coordinates
 * of an image of destWidth × destHeight.
 */
export function dbPostprocess(prob: Float32Array, mapWidth: number, mapHeight: number, destWidth: number, destHeight: number, options: DbOptions): DetectedBox[] {
  const boxes: DetectedBox[] = [];
  for (const points of components(prob, mapWidth, mapHeight, options.threshold, options.maxCandidates)) {
    const rect = minAreaRect(points);
    if (Math.min(rect.width, rect.height) < MIN_SIDE) continue;
    const quad = orderCorners(rectCorners(rect));
    const score = boxScore(prob, mapWidth, mapHeight, quad);
    if (score < options.boxThreshold) continue;
    const area = rect.width * rect.height;
    const perimeter = 2 * (rect.width + rect.height);
    const grown = expandRect(rect, (area * options.unclipRatio) / perimeter);
    if (Math.min(grown.width, grown.height) < MIN_SIDE + 2) continue;
    const sx = destWidth / mapWidth;
    const sy = destHeight / mapHeight;
    const scaled = orderCorners(rectCorners(grown)).map(([x, y]): Point => [
      clamp(Math.round(x * sx), 0, destWidth - 1),
      clamp(Math.round(y * sy), 0, destHeight - 1),
    ]) as Quad;
    const [tl, tr, , bl] = scaled;
    if (Math.hypot(tr[0] - tl[0], tr[1] - tl[1]) <= MIN_SIDE || Math.hypot(bl[0] - tl[0], bl[1] - tl[1]) <= MIN_SIDE) continue;
    boxes.push({ quad: scaled, score });
  }
  return boxes;
}

/**
 * Yields each 8-connected component of `prob > threshold` as the points that matter for its
 * hull: the leftmost and rightmost pixel of every row it spans.
 */
function* components(prob: Float32Array, width: number, height: number, threshold: number, maxCandidates: number): Generator<Point[]> {
  const seen = new Uint8Array(width * height);
  const queue = new Int32Array(width * height);
  let found = 0;
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || !(prob[start]! > threshold)) continue;
    if (found++ >= maxCandidates) return;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    let minY = height, maxY = -1;
    while (head < tail) {
      const p = queue[head++]!;
      const x = p % width;
      const y = (p - x) / width;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (seen[q] || !(prob[q]! > threshold)) continue;
          seen[q] = 1;
          queue[tail++] = q;
        }
      }
    }
    const rows = maxY - minY + 1;
    const left = new Int32Array(rows).fill(width);
    const right = new Int32Array(rows).fill(-1);
    for (let i = 0; i < tail; i++) {
      const p = queue[i]!;
      const x = p % width;
      const r = (p - x) / width - minY;
      if (x < left[r]!) left[r] = x;
      if (x > right[r]!) right[r] = x;
    }
    const points: Point[] = [];
    for (let r = 0; r < rows; r++) {
      points.push([left[r]!, r + minY]);
      if (right[r] !== left[r]) points.push([right[r]!, r + minY]);
    }
    yield points;
  }
}

/** Mean probability over the pixels inside the quad (PaddleOCR's box_score_fast). */
function boxScore(prob: Float32Array, width: number, height: number, quad: Quad): number {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, width - 1);
  const x1 = clamp(Math.ceil(Math.max(...xs)), 0, width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, height - 1);
  const y1 = clamp(Math.ceil(Math.max(...ys)), 0, height - 1);
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insideConvexQuad(quad, x, y)) continue;
      sum += prob[y * width + x]!;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
