// The contract every IndexStore adapter passes (called by each adapter's test), plus the content
// index behaviour on top of it, so both adapters are checked end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandKeys } from './bands.ts';
import { createContentIndex } from './content-index.ts';
import type { IndexStore } from './index-store.ts';

export interface StoreFactory {
  /** A fresh, empty store. */
  make(): Promise<IndexStore>;
  /** Close and reopen the same store (data must survive). */
  reopen(store: IndexStore): Promise<IndexStore>;
}

const sign = (n: number) => n.toString(16).padStart(64, '0');
const flip = (phash: string, ...bits: number[]) => {
  let x = BigInt(`0x${phash}`);
  for (const b of bits) x ^= 1n << BigInt(b);
  return x.toString(16).padStart(16, '0');
};

export function indexStoreContract(name: string, factory: StoreFactory): void {
  const withStore = (title: string, body: (store: IndexStore) => Promise<IndexStore | void>): void =>
    void test(`${name}: ${title}`, async () => {
      let store = await factory.make();
      try {
        store = (await body(store)) ?? store;
      } finally {
        await store.close();
      }
    });

  withStore('putPhashes files a content under its band keys; replacing moves it', async (store) => {
    const a = 'f0f0f0f0f0f0f0f0';
    const b = '0123456789abcdef';
    await store.putPhashes([{ sign: sign(1), phash: a, bandKeys: bandKeys(a) }]);
    await store.putPhashes([{ sign: sign(1), phash: a, bandKeys: bandKeys(a) }]); // idempotent
    assert.equal(await store.getPhash(sign(1)), a);
    assert.deepEqual(await store.bandMembers(bandKeys(a)), [`${a}:${sign(1)}`]);
    await store.putPhashes([{ sign: sign(1), phash: b, bandKeys: bandKeys(b) }]);
    assert.equal(await store.getPhash(sign(1)), b);
    assert.deepEqual(await store.bandMembers(bandKeys(a)), []);
    assert.deepEqual(await store.bandMembers([bandKeys(b)[2]!]), [`${b}:${sign(1)}`]);
    assert.equal(await store.getPhash(sign(2)), null);
    assert.deepEqual(await store.bandMembers([]), []);
  });

  withStore('one call files many contents in order: a sign given twice ends as its last entry', async (store) => {
    const [a, b, c] = ['f0f0f0f0f0f0f0f0', '0123456789abcdef', '1111111111111111'];
    await store.putPhashes([
      { sign: sign(1), phash: a, bandKeys: bandKeys(a) },
      { sign: sign(2), phash: b, bandKeys: bandKeys(b) },
      { sign: sign(1), phash: c, bandKeys: bandKeys(c) },
    ]);
    assert.equal(await store.getPhash(sign(1)), c);
    assert.equal(await store.getPhash(sign(2)), b);
    assert.deepEqual(await store.bandMembers(bandKeys(a)), [], 'the replaced hash leaves no band entry');
    assert.deepEqual(await store.bandMembers([bandKeys(c)[0]!]), [`${c}:${sign(1)}`]);
    await store.putTexts([
      { sign: sign(1), text: { text: 'red apple', tokens: ['red', 'apple'] } },
      { sign: sign(2), text: { text: 'apple', tokens: ['apple'] } },
      { sign: sign(1), text: { text: 'pear', tokens: ['pear'] } },
    ]);
    const p = await store.postings(['apple', 'red', 'pear']);
    assert.deepEqual([p.get('apple'), p.get('red'), p.get('pear')], [[sign(2)], [], [sign(1)]]);
    assert.deepEqual(await store.stats(), { phashes: 2, texts: 2 });
  });

  withStore('scanPhashes pages through every content', async (store) => {
    for (let i = 0; i < 25; i++) {
      const p = (BigInt(i) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn).toString(16).padStart(16, '0');
      await store.putPhashes([{ sign: sign(i), phash: p, bandKeys: bandKeys(p) }]);
    }
    const seen = new Map<string, string>();
    for await (const page of store.scanPhashes(10)) {
      assert.ok(page.length > 0 && page.length <= 25);
      for (const [s, p] of page) seen.set(s, p);
    }
    assert.equal(seen.size, 25);
    assert.equal((await store.stats()).phashes, 25);
  });

  withStore('putTexts replaces the text and its postings', async (store) => {
    await store.putTexts([{ sign: sign(1), text: { text: 'red apple', tokens: ['red', 'apple'] } }]);
    await store.putTexts([{ sign: sign(2), text: { text: 'green apple', tokens: ['green', 'apple'] } }]);
    await store.putTexts([{ sign: sign(1), text: { text: 'red pear', tokens: ['red', 'pear'] } }]);
    const p = await store.postings(['apple', 'red', 'pear', 'none']);
    assert.deepEqual(p.get('apple'), [sign(2)]);
    assert.deepEqual(p.get('red'), [sign(1)]);
    assert.deepEqual(p.get('pear'), [sign(1)]);
    assert.deepEqual(p.get('none'), []);
    assert.deepEqual(await store.getText(sign(1)), { text: 'red pear', tokens: ['red', 'pear'] });
    assert.equal(await store.getText(sign(3)), null);
    await store.putTexts([{ sign: sign(2), text: { text: '', tokens: [] } }]);
    assert.deepEqual((await store.postings(['apple'])).get('apple'), []);
    assert.deepEqual(await store.stats(), { phashes: 0, texts: 2 });
  });

  withStore('removeContents forgets a content\'s hash, band entries, text and postings, and only its own', async (store) => {
    const [a, b] = ['f0f0f0f0f0f0f0f0', 'f0f0f0f0f0f0f0f1'];
    await store.putPhashes([{ sign: sign(1), phash: a, bandKeys: bandKeys(a) }, { sign: sign(2), phash: b, bandKeys: bandKeys(b) }]);
    await store.putTexts([
      { sign: sign(1), text: { text: 'red apple', tokens: ['red', 'apple'] } },
      { sign: sign(2), text: { text: 'green apple', tokens: ['green', 'apple'] } },
      { sign: sign(3), text: { text: 'red', tokens: ['red'] } },
    ]);
    await store.removeContents([sign(1), sign(3), sign(9)]); // sign(9) was never indexed
    await store.removeContents([sign(1)]); // and again: nothing left to forget
    await store.removeContents([]);
    assert.equal(await store.getPhash(sign(1)), null);
    assert.equal(await store.getText(sign(1)), null);
    assert.equal(await store.getText(sign(3)), null);
    assert.deepEqual(await store.bandMembers(bandKeys(a)), [`${b}:${sign(2)}`], 'a shares 3 bands with b: only b is left in them');
    const p = await store.postings(['red', 'apple', 'green']);
    assert.deepEqual([p.get('red'), p.get('apple'), p.get('green')], [[], [sign(2)], [sign(2)]]);
    const scanned: string[] = [];
    for await (const page of store.scanPhashes()) scanned.push(...page.map(([s]) => s));
    assert.deepEqual(scanned, [sign(2)]);
    assert.deepEqual(await store.stats(), { phashes: 1, texts: 1 });
    const again = await factory.reopen(store);
    assert.equal(await again.getPhash(sign(1)), null, 'the removal is durable');
    return again;
  });

  withStore('data survives a close and reopen', async (store) => {
    const p = 'aaaaaaaaaaaaaaaa';
    await store.putPhashes([{ sign: sign(7), phash: p, bandKeys: bandKeys(p) }]);
    await store.putTexts([{ sign: sign(7), text: { text: '招牌 sign', tokens: ['招牌', 'sign'] } }]);
    const again = await factory.reopen(store);
    assert.equal(await again.getPhash(sign(7)), p);
    assert.deepEqual((await again.postings(['招牌'])).get('招牌'), [sign(7)]);
    return again;
  });

  withStore('content index: near-duplicates by hash or sign, exact at every distance', async (store) => {
    const index = createContentIndex({ store });
    const base = '8f3c5a1e9d07b264';
    const variants: [number, string][] = [
      [1, base],
      [2, flip(base, 0, 17, 34)], // 3 bits, one per band: shares a band exactly
      [3, flip(base, 1, 2, 18, 19, 35, 50)], // 6 bits spread so no band is equal
      [4, flip(base, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17)], // 10 bits
      [5, flip(base, ...Array.from({ length: 32 }, (_, i) => i * 2))], // 32 bits: unrelated
    ];
    for (const [n, p] of variants) await index.indexPhash(sign(n), p);
    const near = (d: number) => index.nearDuplicates({ phash: base }, d).then((h) => h.map((x) => [Number(BigInt(`0x${x.sign}`)), x.distance]));
    assert.deepEqual(await near(0), [[1, 0]]);
    assert.deepEqual(await near(3), [[1, 0], [2, 3]]);
    assert.deepEqual(await near(6), [[1, 0], [2, 3], [3, 6]]);
    assert.deepEqual(await near(10), [[1, 0], [2, 3], [3, 6], [4, 10]]);
    assert.deepEqual(await near(40), [[1, 0], [2, 3], [3, 6], [4, 10], [5, 32]]); // full-scan path
    const bySign = await index.nearDuplicates({ sign: sign(1) }, 6);
    assert.deepEqual(bySign.map((h) => h.distance), [3, 6], 'a query by sign leaves the sign itself out');
    await assert.rejects(index.nearDuplicates({ sign: sign(99) }, 6), /No pHash is indexed for content sign/);
    await assert.rejects(index.nearDuplicates({ phash: 'xyz' }, 6), /16 hex chars/);
    await assert.rejects(index.nearDuplicates({ phash: base }, 65), /between 0 and 64/);
  });

  withStore('content index: groups are connected components under the threshold', async (store) => {
    const index = createContentIndex({ store, maxDistance: 3 });
    const a = '0000000000000000';
    const b = 'ffffffff00000000';
    await index.indexPhash(sign(1), a);
    await index.indexPhash(sign(2), flip(a, 0, 1)); // 2 from a
    await index.indexPhash(sign(3), flip(a, 0, 1, 40, 41)); // 2 from #2, 4 from a: joins by chaining
    await index.indexPhash(sign(4), b);
    await index.indexPhash(sign(5), flip(b, 63));
    await index.indexPhash(sign(6), '5555555555555555'); // alone
    const groups = await index.groups();
    assert.deepEqual(groups.map((g) => g.signs), [[sign(1), sign(2), sign(3)], [sign(4), sign(5)]]);
    assert.equal(groups[1]!.phashes[sign(5)], flip(b, 63));
    assert.deepEqual((await index.groups(1)).map((g) => g.signs), [[sign(4), sign(5)]]);
  });

  withStore('content index: text search over Latin words and CJK bigrams, re-indexing replaces', async (store) => {
    const index = createContentIndex({ store });
    assert.equal(await index.indexText(sign(1), 'Grand Opening SALE — 50% off!'), 5);
    await index.indexText(sign(2), '欢迎光临 北京烤鸭店');
    await index.indexText(sign(3), 'Café Zürich 营业时间');
    const hits = async (q: string, match?: 'all' | 'any') => (await index.searchText(q, { match })).map((h) => Number(BigInt(`0x${h.sign}`)));
    assert.deepEqual(await hits('sale'), [1]);
    assert.deepEqual(await hits('grand sale'), [1]);
    assert.deepEqual(await hits('grand pizza'), []);
    assert.deepEqual(await hits('grand pizza', 'any'), [1]);
    assert.deepEqual(await hits('烤鸭'), [2]);
    assert.deepEqual(await hits('北京烤鸭'), [2]);
    assert.deepEqual(await hits('上海烤鸭'), []);
    assert.deepEqual(await hits('cafe zurich'), [3]);
    assert.deepEqual(await hits('ＳＡＬＥ'), [1], 'full-width letters normalise (NFKC)');
    assert.deepEqual(await hits('营业'), [3]);
    assert.deepEqual(await hits('  '), []);
    await index.indexText(sign(4), 'QUARRY DEMO2024');
    assert.deepEqual(await hits('demo'), [4], 'a word finds a word OCR glued to a number');
    assert.deepEqual(await hits('demo 2024'), [4]);
    assert.deepEqual(await hits('QUARRY DEMO 2024'), [4]);
    const [first] = await index.searchText('opening');
    assert.equal(first?.text, 'Grand Opening SALE — 50% off!');
    await index.indexText(sign(1), 'closed');
    assert.deepEqual(await hits('sale'), []);
    assert.deepEqual(await hits('closed'), [1]);
  });
}
