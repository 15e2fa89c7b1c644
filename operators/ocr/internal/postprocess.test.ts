// Geometry, DB post-processing and CTC decoding on synthetic inputs whose answers are known.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { charsetFromKeys, ctcGreedyDecode } from './ctc-decode.ts';
import { dbPostprocess } from './db-postprocess.ts';
import { insideConvexQuad, minAreaRect, orderCorners, rectCorners, type Point } from './geometry.ts';
import { sortReadingOrder } from './pipeline.ts';

describe('geometry', () => {
  it('finds the minimum-area rectangle of any rotated rectangle', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: Math.PI, noNaN: true }), fc.double({ min: 1, max: 200, noNaN: true }), fc.double({ min: 1, max: 200, noNaN: true }), (angle, w, h) => {
        const rect = { center: [100, 50] as Point, axis: [Math.cos(angle), Math.sin(angle)] as Point, width: w, height: h };
        const corners = rectCorners(rect);
        const inner = corners.map(([x, y]): Point => [(x + 100) / 2, (y + 50) / 2]);
        const found = minAreaRect([...inner, ...corners]);
        assert.ok(Math.abs(found.width * found.height - w * h) < 1e-6 * w * h);
        assert.ok(Math.abs(found.center[0] - 100) < 1e-6 && Math.abs(found.center[1] - 50) < 1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it('orders corners top-left, top-right, bottom-right, bottom-left', () => {
    assert.deepEqual(orderCorners([[10, 5], [0, 5], [0, 0], [10, 0]]), [[0, 0], [10, 0], [10, 5], [0, 5]]);
  });

  it('tests points against a convex quad with edge tolerance', () => {
    const quad = orderCorners([[0, 0], [10, 0], [10, 4], [0, 4]]);
    assert.ok(insideConvexQuad(quad, 5, 2));
    assert.ok(insideConvexQuad(quad, 10.4, 2));
    assert.ok(!insideConvexQuad(quad, 11, 2));
    assert.ok(!insideConvexQuad(quad, 5, -1));
  });
});

describe('DB post-processing', () => {
  const map = (width: number, height: number, blocks: [number, number, number, number, number][]) => {
    const prob = new Float32Array(width * height);
    for (const [x0, y0, x1, y1, p] of blocks) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) prob[y * width + x] = p;
    return prob;
  };
  const options = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, maxCandidates: 1000 };

  it('boxes each text core, grown by area × ratio / perimeter and scaled to the image', () => {
    const prob = map(64, 32, [[10, 10, 49, 15, 0.9]]);
    const boxes = dbPostprocess(prob, 64, 32, 128, 64, options);
    assert.equal(boxes.length, 1);
    // Core 39 × 5 (pixel centres); grows by 39·5·1.5 / 88 ≈ 3.32 on each side, then ×2.
    const grow = (39 * 5 * 1.5) / 88;
    const expected = [[10 - grow, 10 - grow], [49 + grow, 10 - grow], [49 + grow, 15 + grow], [10 - grow, 15 + grow]].map(([x, y]) => [Math.round(x! * 2), Math.round(y! * 2)]);
    assert.deepEqual(boxes[0]!.quad, expected);
    assert.ok(Math.abs(boxes[0]!.score - 0.9) < 1e-6);
  });

  it('drops faint, tiny and over-limit components', () => {
    const prob = map(64, 32, [[2, 2, 30, 8, 0.45], [40, 2, 41, 3, 0.9], [2, 20, 30, 26, 0.9], [40, 20, 60, 26, 0.9]]);
    assert.deepEqual(dbPostprocess(prob, 64, 32, 64, 32, options).length, 2);
    assert.deepEqual(dbPostprocess(prob, 64, 32, 64, 32, { ...options, boxThreshold: 0.4 }).length, 3);
    assert.deepEqual(dbPostprocess(prob, 64, 32, 64, 32, { ...options, maxCandidates: 1 }).length, 0);
  });
});

describe('reading order', () => {
  const box = (x: number, y: number, w = 50, h = 20) => orderCorners([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]);
  it('reads rows top to bottom and each row left to right, tolerating small vertical offsets', () => {
    const sorted = sortReadingOrder([box(200, 14), box(10, 100), box(10, 10), box(100, 5)]);
    assert.deepEqual(sorted.map((q) => q[0]), [[10, 10], [100, 5], [200, 14], [10, 100]]);
  });
});

describe('CTC decoding', () => {
  it('collapses repeats, drops blanks, and appends the space class', () => {
    const charset = charsetFromKeys('a\nb\n');
    assert.deepEqual(charset, ['', 'a', 'b', ' ']);
    const steps = [1, 1, 0, 1, 3, 2, 2];
    const probs = new Float32Array(steps.length * 4);
    steps.forEach((c, t) => {
      probs.fill(0.1 / 3, t * 4, t * 4 + 4);
      probs[t * 4 + c] = 0.9;
    });
    const line = ctcGreedyDecode(probs, 0, steps.length, 4, charset);
    assert.equal(line.text, 'aa b');
    assert.ok(Math.abs(line.confidence - 0.9) < 1e-6);
    assert.deepEqual(ctcGreedyDecode(new Float32Array([1, 0, 0, 0]), 0, 1, 4, charset), { text: '', confidence: 0 });
  });
});
