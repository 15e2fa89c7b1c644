// The argument packing the item scripts unpack with Redis's cmsgpack, on the real server: every
// value comes back as the string the script would have got as a plain argument, byte for byte.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useRedisTestServer } from '../../testing/index.ts';
import { packArgs } from './pack-args.ts';

const { admin } = useRedisTestServer('pack-args');

describe('packArgs', () => {
  it('packs strings, numbers and bytes (NUL and non-UTF-8 ones too) so cmsgpack unpacks each as it was', async () => {
    const bytes = Buffer.from([0, 0xff, 1, 0]);
    const big = 'x'.repeat(70_000);
    const args = ['b<a', 1796252790504, '', bytes, 'é✓', big];
    // Each value back as hex, so binary survives the reply.
    const lua = `local t = cmsgpack.unpack(ARGV[1])
local out = {}
for i = 1, #t do out[i] = (string.gsub(t[i], '.', function(c) return string.format('%02x', string.byte(c)) end)) end
return out`;
    const back = (await admin.eval(lua, 0, packArgs(args))) as string[];
    assert.deepEqual(back, args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8')).toString('hex')));
  });

  it('packs no arguments as an empty array', async () => {
    assert.deepEqual(await admin.eval('return #cmsgpack.unpack(ARGV[1])', 0, packArgs([])), 0);
  });
});
