// The conformance suite every BlobStore adapter's test calls:
//   blobStoreContract('memory', async () => createMemoryBlobStore());
// Each case gets a fresh, empty store and closes it afterwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../blob-store/index.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | null): string | null => (value === null ? null : new TextDecoder().decode(value));

export function blobStoreContract(name: string, makeAdapter: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const withStore = (fn: (store: BlobStore) => Promise<void>) => async () => {
      const store = await makeAdapter();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };

    it('returns a ref that gets the bytes back, byte for byte', withStore(async (store) => {
      const all = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);
      const ref = await store.put('msg-1/image', all);
      assert.equal(typeof ref, 'string');
      const back = await store.get(ref);
      assert.ok(back instanceof Uint8Array);
      assert.equal(Buffer.compare(Buffer.from(back), Buffer.from(all)), 0);
      const empty = await store.put('msg-1/empty', new Uint8Array(0));
      assert.equal((await store.get(empty))?.byteLength, 0);
    }));

    it('put under the same key is idempotent: same ref, last bytes win', withStore(async (store) => {
      const first = await store.put('k', bytes('one'));
      const second = await store.put('k', bytes('two'));
      assert.equal(first, second);
      assert.equal(text(await store.get(second)), 'two');
      assert.deepEqual(await store.stats(), { blobs: 1, bytes: 3 });
    }));

    it('gives null for a blob that is gone, and deletes idempotently', withStore(async (store) => {
      const a = await store.put('a', bytes('aaa'));
      const b = await store.put('b', bytes('bb'));
      await store.delete([a]);
      assert.equal(await store.get(a), null);
      assert.equal(text(await store.get(b)), 'bb');
      await store.delete([a, b]);
      await store.delete([]);
      assert.equal(await store.get(b), null);
    }));

    it('deleteIdle leaves a blob put within its window, deletes the others, and an item\'s TTL blob at once', withStore(async (store) => {
      const shared = await store.put('kept/shared', bytes('s'));
      const owned = await store.put('item-1/owned', bytes('o'), { ttlMs: 60_000 });
      const missing = shared.replace('kept/shared', 'kept/missing');
      assert.deepEqual(await store.deleteIdle([shared, owned, missing], 60_000), [shared], 'a put is a lease; the TTL blob and the absent one count as deleted');
      assert.equal(text(await store.get(shared)), 's');
      assert.equal(await store.get(owned), null);
      await sleep(2_100);
      const again = await store.put('kept/again', bytes('a'));
      assert.deepEqual(await store.deleteIdle([shared, again], 500), [again], 'only the blob put within the last 500 ms stays');
      assert.equal(await store.get(shared), null);
      assert.equal(text(await store.get(again)), 'a');
      assert.deepEqual(await store.deleteIdle([again], 0), [], 'a window of 0 deletes whatever was put');
      assert.equal(await store.get(again), null);
      await assert.rejects(store.deleteIdle([again], -1), /Expected `idleMs` to be a finite number ≥ 0/);
    }));

    it('does not share buffers with the caller', withStore(async (store) => {
      const value = bytes('abc');
      const ref = await store.put('k', value);
      value[0] = 0x7a;
      const first = await store.get(ref);
      first?.fill(0);
      assert.equal(text(await store.get(ref)), 'abc');
    }));

    it('counts blobs and bytes', withStore(async (store) => {
      assert.deepEqual(await store.stats(), { blobs: 0, bytes: 0 });
      const a = await store.put('x/1', bytes('12345'));
      await store.put('x/2', bytes('678'));
      assert.deepEqual(await store.stats(), { blobs: 2, bytes: 8 });
      await store.delete([a]);
      assert.deepEqual(await store.stats(), { blobs: 1, bytes: 3 });
    }));

    it('takes keys with odd characters, each its own blob', withStore(async (store) => {
      const keys = ['page-ingest/msg 1/html', 'ünï/cödé', 'a%2Fb', 'a/b', 'x*?[]{}~', 'long-'.repeat(80)];
      const refs = await Promise.all(keys.map((key, i) => store.put(key, bytes(String(i)))));
      assert.equal(new Set(refs).size, keys.length);
      for (const [i, ref] of refs.entries()) assert.equal(text(await store.get(ref)), String(i));
      assert.equal((await store.stats()).blobs, keys.length);
    }));

    it('refuses refs it did not hand out, naming the ref', withStore(async (store) => {
      const own = await store.put('k', bytes('v'));
      const scheme = own.slice(0, own.indexOf(':') + 1);
      const foreign = ['mem:k', 'file:k', 'redis:elsewhere:b:k', 's3://bucket/k', ''].filter((ref) => !ref.startsWith(scheme) || ref === '');
      assert.ok(foreign.length >= 3);
      for (const ref of foreign) {
        await assert.rejects(store.get(ref), (err: Error) => err.message.includes(`\`${ref}\``) || (ref === '' && /ref/.test(err.message)));
        await assert.rejects(store.delete([ref]), /does not belong/);
        await assert.rejects(store.deleteIdle([ref], 0), /does not belong/);
      }
    }));

    it('rejects bad input with a clear error', withStore(async (store) => {
      await assert.rejects(store.put('', bytes('x')), /Expected `key` to be a non-empty string/);
      await assert.rejects(store.put('k', 'text' as unknown as Uint8Array), /Expected `bytes` to be a Uint8Array/);
    }));
  });
}
