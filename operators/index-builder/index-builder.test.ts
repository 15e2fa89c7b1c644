import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { errorCode } from '../../framework/errors/index.ts';
import { createContentIndex, createIndexBuilderOperator, openIndexStore, tokenize, type IndexStore } from './index.ts';
import { probeKeys } from './internal/bands.ts';

const dir = mkdtempSync(join(tmpdir(), 'quarry-index-op-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sign = (c: string) => c.repeat(64);

test('the operator indexes pHashes and OCR text a batch at a time, as the image and OCR DAGs call it', async () => {
  const store = openIndexStore(`embedded:${dir}/op`);
  try {
    const calls: string[] = [];
    const counted: IndexStore = {
      ...store,
      putPhashes: async (e) => (calls.push(`phash×${e.length}`), store.putPhashes(e)),
      putTexts: async (e) => (calls.push(`text×${e.length}`), store.putTexts(e)),
    };
    const op = createIndexBuilderOperator({ store: counted });
    assert.equal(op.name, 'index-builder');
    const ctx = mockOperatorContext();
    const results = await op.batchHandler([
      { input: { contentSign: sign('a'), phash: '00000000000000ff' }, ctx },
      { input: { contentSign: sign('b'), phash: '00000000000000fe' }, ctx },
      { input: { contentSign: sign('a'), ocrText: '限时特价 Limited offer' }, ctx },
      { input: { contentSign: sign('c') }, ctx },
    ], { signal: ctx.signal, deadline: ctx.deadline });
    assert.deepEqual(calls, ['phash×2', 'text×1'], 'one store call per kind for the whole batch');
    assert.deepEqual(results.slice(0, 3), [{ indexedPhash: true, textTokens: 0 }, { indexedPhash: true, textTokens: 0 }, { indexedPhash: false, textTokens: 5 }]);
    assert.ok(errorCode(results[3]) === 'FILTERED' && /neither `phash` nor `ocrText`/.test((results[3] as Error).message), 'nothing to index fails its item alone');
    const index = createContentIndex({ store });
    assert.deepEqual(await index.nearDuplicates({ sign: sign('a') }), [{ sign: sign('b'), phash: '00000000000000fe', distance: 1 }]);
    assert.deepEqual((await index.searchText('特价')).map((h) => h.sign), [sign('a')]);
    assert.deepEqual((await index.groups()).map((g) => g.signs), [[sign('a'), sign('b')]]);
  } finally {
    await store.close();
  }
});

test('input schemas reject malformed signs and hashes', async () => {
  const store = openIndexStore(`embedded:${dir}/schema`);
  const { inputs } = createIndexBuilderOperator({ store });
  assert.equal(inputs.contentSign.safeParse('xyz').success, false);
  assert.equal(inputs.phash.safeParse('ABCDEF0123456789').success, false);
  assert.equal(inputs.phash.safeParse(undefined).success, true);
  await store.close();
});

test('tokenize: NFKC + lower case, Latin accents folded, CJK bigrams, one token per distinct word', () => {
  assert.deepEqual(tokenize('Hello, WORLD! hello'), ['hello', 'world']);
  assert.deepEqual(tokenize('北京烤鸭'), ['北京', '京烤', '烤鸭']);
  assert.deepEqual(tokenize('店'), ['店']);
  assert.deepEqual(tokenize('abc中文def'), ['abc', '中文', 'def']);
  assert.deepEqual(tokenize('Crème brûlée'), ['creme', 'brulee']);
  assert.deepEqual(tokenize('ﾃｽﾄ'), ['テス', 'スト'], 'half-width katakana normalise');
  assert.deepEqual(tokenize('한국어'), ['한국', '국어']);
  assert.deepEqual(tokenize('…—!!'), []);
});

test('band probes: every hash within the distance shares a probed band key (pigeonhole)', () => {
  const rand = (() => { let s = 12345n; return () => (s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn); })();
  for (let trial = 0; trial < 200; trial++) {
    const a = rand();
    const d = trial % 12; // 0..11: every probed distance
    let b = a;
    const bits = new Set<number>();
    while (bits.size < d) bits.add(Number(rand() % 64n));
    for (const bit of bits) b ^= 1n << BigInt(bit);
    const hex = (x: bigint) => x.toString(16).padStart(16, '0');
    const probes = new Set(probeKeys(hex(a), d));
    const keysOfB = [0, 1, 2, 3].map((band) => `${band}:${hex(b).slice(band * 4, band * 4 + 4)}`);
    assert.ok(keysOfB.some((k) => probes.has(k)), `distance ${d}: ${hex(a)} vs ${hex(b)}`);
  }
});

test('store specs are parsed with a clear error', () => {
  assert.throws(() => openIndexStore('mongo://x'), /Expected `store` to be `embedded:<dir>` or `redis:redis:\/\/host:port\[\/db\]`, got `mongo:\/\/x`/);
  assert.throws(() => openIndexStore('embedded:'), /Expected `store`/);
});
