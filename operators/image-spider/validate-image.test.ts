import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { validateImage } from './internal/validate-image.ts';

describe('validateImage: truncation', () => {
  const jpeg = { format: 'jpeg', mime: 'image/jpeg' } as Parameters<typeof validateImage>[1];
  it('accepts a whole JPEG, also with vendor data after its end marker', async () => {
    const whole = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();
    assert.deepEqual(await validateImage(whole, jpeg, 1e8), { width: 300, height: 200 });
    assert.deepEqual(await validateImage(Buffer.concat([whole, Buffer.from('TRAILER-DATA-FROM-A-CAMERA')]), jpeg, 1e8), { width: 300, height: 200 });
  });
  it('rejects a cut-short JPEG as truncated-image every time, whatever the decoder reports', async () => {
    const whole = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#aa3366' } }).jpeg().toBuffer();
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    const reasons = await Promise.all(Array.from({ length: 16 }, () => validateImage(cut, jpeg, 1e8).then(() => 'accepted', (e: { reason?: string }) => e.reason)));
    assert.deepEqual(new Set(reasons), new Set(['truncated-image']));
  });
});
