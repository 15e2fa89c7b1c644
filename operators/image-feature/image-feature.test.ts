import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { errorCode } from '../../framework/errors/index.ts';
import { createImageFeatureOperator, hammingDistance, phashFromGrey32 } from './index.ts';
import { scenePng } from './internal/scenes.test-helper.ts';

// Bounds this suite states and checks: resized/recompressed copies of an image stay within
// NEAR_BOUND bits of the original; unrelated scenes are at least FAR_BOUND bits apart.
const NEAR_BOUND = 6;
const FAR_BOUND = 16;

const op = createImageFeatureOperator({ thumbnailSize: 128 });
const features = (bytes: Uint8Array) => op.handler({ image: bytes }, mockOperatorContext());

test('reports width, height, format, dominant colour and a bounded WebP thumbnail', async () => {
  const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#d02030' } }).png().toBuffer();
  const out = await features(png);
  assert.equal(out.width, 300);
  assert.equal(out.height, 200);
  assert.equal(out.format, 'png');
  assert.equal(out.dominantColor!.length, 7);
  // stats().dominant works on a 16-level histogram: the bin centre is within 8 of each channel.
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(out.dominantColor!.slice(i, i + 2), 16));
  assert.ok(Math.abs(r! - 0xd0) <= 8 && Math.abs(g! - 0x20) <= 8 && Math.abs(b! - 0x30) <= 8, out.dominantColor);
  assert.equal(out.clarity, 0, 'a flat image has no edges');
  const thumb = await sharp(out.thumbnail!).metadata();
  assert.equal(thumb.format, 'webp');
  assert.equal(thumb.width, 128);
  assert.equal(thumb.height, 85);
});

test('thumbnails are never enlarged and EXIF orientation is applied to width/height', async () => {
  const small = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#000' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const out = await features(small);
  assert.deepEqual([out.width, out.height, out.format], [20, 40, 'jpeg']);
  const thumb = await sharp(out.thumbnail!).metadata();
  assert.deepEqual([thumb.width, thumb.height], [20, 40]);
});

test(`near-duplicates (resized, recompressed, re-encoded) are within ${NEAR_BOUND} bits; distinct scenes ≥ ${FAR_BOUND}`, async () => {
  const seeds = [1, 2, 3, 4, 5];
  const originals = await Promise.all(seeds.map((s) => scenePng(s)));
  const hashes: string[] = [];
  let worstNear = 0;
  for (const png of originals) {
    const { phash } = await features(png);
    hashes.push(phash!);
    const variants = [
      await sharp(png).resize(320).png().toBuffer(),
      await sharp(png).resize(1000).jpeg({ quality: 85 }).toBuffer(),
      await sharp(png).jpeg({ quality: 30 }).toBuffer(),
      await sharp(png).resize(200).webp({ quality: 50 }).toBuffer(),
    ];
    for (const v of variants) {
      const d = hammingDistance(phash!, (await features(v)).phash!);
      worstNear = Math.max(worstNear, d);
    }
  }
  assert.ok(worstNear <= NEAR_BOUND, `worst near-duplicate distance ${worstNear} > ${NEAR_BOUND}`);
  let closestFar = 64;
  for (let i = 0; i < hashes.length; i++) {
    for (let j = i + 1; j < hashes.length; j++) closestFar = Math.min(closestFar, hammingDistance(hashes[i]!, hashes[j]!));
  }
  assert.ok(closestFar >= FAR_BOUND, `closest distinct pair is ${closestFar} bits apart (< ${FAR_BOUND})`);
});

test('a blurred image scores lower clarity than its sharp original', async () => {
  const png = await scenePng(7);
  const sharpScore = (await features(png)).clarity!;
  const soft = (await features(await sharp(png).blur(2).png().toBuffer())).clarity!;
  const softer = (await features(await sharp(png).blur(6).png().toBuffer())).clarity!;
  assert.ok(sharpScore > soft && soft > softer, `clarity ${sharpScore} > ${soft} > ${softer} expected`);
  assert.ok(sharpScore <= 1_040_400 && softer >= 0);
});

test('pHash is 64 bits with about half set, and its known answers hold', () => {
  const flat = new Uint8Array(1024).fill(128);
  assert.equal(phashFromGrey32(flat), '0000000000000000', 'no coefficient is above the median of an all-zero block');
  const ramp = new Uint8Array(1024).map((_, i) => (i % 32) * 8);
  const h = phashFromGrey32(ramp);
  assert.match(h, /^[0-9a-f]{16}$/);
  assert.equal(hammingDistance(h, h), 0);
  assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.throws(() => phashFromGrey32(new Uint8Array(10)), /1024 grey values/);
});

test('broken bytes end as filtered undecodable-image naming the problem', async () => {
  const jpeg = await sharp(await scenePng(9)).jpeg().toBuffer();
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /empty \(0 bytes\)/],
    ['html', new TextEncoder().encode('<!doctype html><p>not an image'), /cannot read the image header.*unsupported image format/],
    ['truncated jpeg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), /cannot decode the jpeg pixels.*premature end/],
  ];
  for (const [name, bytes, message] of cases) {
    await assert.rejects(features(bytes), (err: unknown) => {
      assert.equal(errorCode(err), 'FILTERED', name);
      assert.equal((err as { reason: string }).reason, 'undecodable-image', name);
      assert.match((err as Error).message, message, name);
      return true;
    });
  }
});

test('a header declaring more than maxPixels is refused before decoding', async () => {
  const small = createImageFeatureOperator({ maxPixels: 10_000 });
  const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#fff' } }).png().toBuffer();
  await assert.rejects(small.handler({ image: png }, mockOperatorContext()), (err: unknown) => {
    assert.equal((err as { reason: string }).reason, 'decompression-bomb');
    assert.match((err as Error).message, /200×200 = 40000 px exceeds the limit of 10000 px/);
    return true;
  });
});

test('bad options are reported all at once', () => {
  assert.throws(() => createImageFeatureOperator({ thumbnailSize: 0, maxPixels: -1 }), (err: unknown) => {
    assert.match((err as Error).message, /Expected `thumbnailSize` to be an integer between 8 and 2048, got `0` \(number\)/);
    assert.match((err as Error).message, /Expected `maxPixels` to be an integer ≥ 1, got `-1` \(number\)/);
    return true;
  });
});
