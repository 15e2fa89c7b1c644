// The conformance suite every SideCache adapter's test calls:
//   sideCacheContract('memory', async () => createMemorySideCache());
// Each case gets a fresh, empty adapter (its own namespace) and closes it afterwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldValues, SideCache } from '../side-cache/index.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const fields = (entries: Record<string, string | Uint8Array>): FieldValues =>
  new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? bytes(v) : v]));
const asText = (values: FieldValues | null | undefined): Record<string, string> | null =>
  values == null ? null : Object.fromEntries([...values].map(([k, v]) => [k, text(v) ?? '']));

export function sideCacheContract(name: string, makeAdapter: () => Promise<SideCache>): void {
  describe(`SideCache contract: ${name}`, () => {
    const withCache = (fn: (cache: SideCache) => Promise<void>) => async () => {
      const cache = await makeAdapter();
      try {
        await fn(cache);
      } finally {
        await cache.close();
      }
    };

    it('reads back written fields, only those asked for, and null for a missing tuple', withCache(async (cache) => {
      await cache.write('item-1', fields({ title: 'Hello', html: 'x'.repeat(1000) }));
      const [one, missing] = await cache.readMany([
        { tupleRef: 'item-1', fields: ['title', 'absent'] },
        { tupleRef: 'nope', fields: ['title'] },
      ]);
      assert.deepEqual(asText(one), { title: 'Hello' });
      assert.equal(missing, null);
      assert.ok(one?.get('title') instanceof Uint8Array);
    }));

    it('keeps binary values byte for byte', withCache(async (cache) => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await cache.write('bin', fields({ raw: all, empty: new Uint8Array(0) }));
      const [got] = await cache.readMany([{ tupleRef: 'bin', fields: ['raw', 'empty'] }]);
      assert.deepEqual([...(got?.get('raw') ?? [])], [...all]);
      assert.equal(got?.get('empty')?.byteLength, 0);
    }));

    it('answers many reads in order, in one call', withCache(async (cache) => {
      for (let i = 0; i < 50; i++) await cache.write(`t${i}`, fields({ n: String(i) }));
      const reads = Array.from({ length: 60 }, (_, i) => ({ tupleRef: `t${i}`, fields: ['n'] }));
      const got = await cache.readMany(reads);
      assert.equal(got.length, 60);
      got.forEach((values, i) => assert.deepEqual(asText(values), i < 50 ? { n: String(i) } : null));
      assert.deepEqual(await cache.readMany([]), []);
    }));

    it('an empty write creates the tuple, and reads of no fields tell existence', withCache(async (cache) => {
      await cache.write('empty', new Map());
      assert.equal(await cache.exists('empty'), true);
      const [got, missing] = await cache.readMany([{ tupleRef: 'empty', fields: [] }, { tupleRef: 'gone', fields: [] }]);
      assert.deepEqual(asText(got), {});
      assert.equal(missing, null);
      assert.deepEqual(await cache.stats(), { tuples: 1, bytes: 0 });
    }));

    it('extends a tuple and overwrites fields', withCache(async (cache) => {
      await cache.write('t', fields({ a: '1', b: '2' }));
      await cache.write('t', fields({ b: 'two', c: '3' }));
      const [got] = await cache.readMany([{ tupleRef: 't', fields: ['a', 'b', 'c'] }]);
      assert.deepEqual(asText(got), { a: '1', b: 'two', c: '3' });
    }));

    it('deletes fields but keeps the tuple; deletes the tuple', withCache(async (cache) => {
      await cache.write('t', fields({ a: '1', b: '2' }));
      await cache.deleteFields('t', ['a', 'b', 'never']);
      assert.equal(await cache.exists('t'), true);
      assert.deepEqual(asText((await cache.readMany([{ tupleRef: 't', fields: ['a', 'b'] }]))[0]), {});
      await cache.deleteFields('missing', ['a']);
      assert.equal(await cache.exists('missing'), false);
      await cache.deleteTuple('t');
      await cache.deleteTuple('t');
      assert.equal(await cache.exists('t'), false);
      assert.deepEqual(await cache.readMany([{ tupleRef: 't', fields: ['a'] }]), [null]);
    }));

    it('does not share buffers with the caller', withCache(async (cache) => {
      const value = bytes('abc');
      await cache.write('t', new Map([['v', value]]));
      value[0] = 0x7a;
      const [first] = await cache.readMany([{ tupleRef: 't', fields: ['v'] }]);
      assert.equal(text(first?.get('v')), 'abc');
      first?.get('v')?.fill(0);
      const [second] = await cache.readMany([{ tupleRef: 't', fields: ['v'] }]);
      assert.equal(text(second?.get('v')), 'abc');
    }));

    it('counts tuples and value bytes, and falls back to zero as items leave', withCache(async (cache) => {
      assert.deepEqual(await cache.stats(), { tuples: 0, bytes: 0 });
      await cache.write('a', fields({ x: '12345', y: '678' }));
      await cache.write('b', fields({ x: 'ab' }));
      assert.deepEqual(await cache.stats(), { tuples: 2, bytes: 10 });
      await cache.deleteFields('a', ['x']);
      assert.deepEqual(await cache.stats(), { tuples: 2, bytes: 5 });
      await cache.deleteTuple('a');
      await cache.deleteTuple('b');
      assert.deepEqual(await cache.stats(), { tuples: 0, bytes: 0 });
    }));

    it('handles refs and field names with odd characters', withCache(async (cache) => {
      const ref = 'page-ingest:msg/1 {x}*?[]';
      await cache.write(ref, fields({ 'field:with space': 'v', 'ünï': 'w' }));
      const [got] = await cache.readMany([{ tupleRef: ref, fields: ['field:with space', 'ünï'] }]);
      assert.deepEqual(asText(got), { 'field:with space': 'v', 'ünï': 'w' });
      assert.equal((await cache.stats()).tuples, 1);
    }));

    it('rejects bad input with a clear error', withCache(async (cache) => {
      await assert.rejects(cache.write('', new Map()), /tupleRef/);
      await assert.rejects(cache.write('t', fields({ '': 'x' })), /field name/);
      await assert.rejects(cache.readMany([{ tupleRef: '', fields: [] }]), /tupleRef/);
    }));
  });
}
