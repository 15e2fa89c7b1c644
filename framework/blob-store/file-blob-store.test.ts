import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobStoreContract } from '../testing/index.ts';
import { createFileBlobStore } from './index.ts';

const root = await mkdtemp(join(tmpdir(), 'quarry-blobs-'));
let n = 0;
after(() => rm(root, { recursive: true, force: true }));

blobStoreContract('file', async () => createFileBlobStore({ dir: join(root, String(++n)) }));
blobStoreContract('file (fsync)', async () => createFileBlobStore({ dir: join(root, String(++n)), fsync: true }));

describe('file blob store specifics', () => {
  it('keeps blobs across a restart', async () => {
    const dir = join(root, 'restart');
    const first = createFileBlobStore({ dir });
    const ref = await first.put('msg-1/html', new TextEncoder().encode('<html>'));
    await first.close();
    const second = createFileBlobStore({ dir });
    assert.equal(new TextDecoder().decode((await second.get(ref)) ?? undefined), '<html>');
    assert.deepEqual(await second.stats(), { blobs: 1, bytes: 6 });
  });

  it('refuses path traversal in keys and refs, and never writes outside its folder', async () => {
    const dir = join(root, 'jail', 'blobs');
    const store = createFileBlobStore({ dir });
    for (const key of ['..', '.', '../escape', 'a/../../escape', 'a/./b', 'a\\..\\b', 'nul\0byte']) {
      await assert.rejects(store.put(key, Uint8Array.of(1)), /is not allowed/);
      await assert.rejects(store.get(`file:${key}`), /is not allowed/);
    }
    // Encoded keys that look like paths stay inside: `/` is percent-encoded.
    const ref = await store.put('..%2F..%2Fescape/a', Uint8Array.of(1));
    assert.deepEqual((await store.get(ref)) ?? [], Uint8Array.of(1));
    assert.deepEqual(await readdir(join(root, 'jail')), ['blobs']);
  });

  it('at open, puts back a blob a dead sweep had moved aside to delete and clears a dead put\'s temp file', async () => {
    const dir = join(root, 'stray');
    const first = createFileBlobStore({ dir });
    const [a, b] = [await first.put('kept/a', Uint8Array.of(1)), await first.put('kept/b', Uint8Array.of(2))];
    await first.close();
    const where = async (name: string): Promise<[string, string]> => {
      for (const shard of (await readdir(dir)).filter((f) => f !== '.tmp')) if ((await readdir(join(dir, shard))).includes(name)) return [shard, name];
      throw new Error(`no ${name}`);
    };
    // A sweep died between moving a and b aside and deciding; b was put again meanwhile.
    for (const name of ['kept%2Fa', 'kept%2Fb']) {
      const [shard] = await where(name);
      await rename(join(dir, shard, name), join(dir, '.tmp', `deleting!${shard}!${name}!${name.length}`));
    }
    const again = createFileBlobStore({ dir });
    await again.put('kept/b', Uint8Array.of(3));
    await again.close();
    await writeFile(join(dir, '.tmp', 'a-dead-put'), 'half a blob');
    const strays = (await readdir(join(dir, '.tmp'))).sort();
    assert.equal(strays.length, 3, 'two blobs aside, one dead put');

    // Younger than `strayAfterMs`: another process may be in the middle of it, so it is left alone.
    const early = createFileBlobStore({ dir });
    assert.deepEqual(await early.stats(), { blobs: 1, bytes: 1 });
    await early.close();
    assert.deepEqual((await readdir(join(dir, '.tmp'))).sort(), strays);

    const reopened = createFileBlobStore({ dir, strayAfterMs: 0 });
    assert.deepEqual(await reopened.stats(), { blobs: 2, bytes: 2 });
    assert.deepEqual(await reopened.get(a), Uint8Array.of(1), 'put back');
    assert.deepEqual(await reopened.get(b), Uint8Array.of(3), 'the later put stays');
    await reopened.close();
    assert.deepEqual(await readdir(join(dir, '.tmp')), []);
  });

  it('leaves no temp files behind', async () => {
    const dir = join(root, 'temps');
    const store = createFileBlobStore({ dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k${i % 5}`, Uint8Array.of(i))));
    assert.deepEqual(await readdir(join(dir, '.tmp')), []);
    assert.deepEqual(await store.stats(), { blobs: 5, bytes: 5 });
  });

  it('rejects a missing dir option', () => {
    assert.throws(() => createFileBlobStore({} as { dir: string }), /Expected `dir` to be a non-empty path/);
  });
});
