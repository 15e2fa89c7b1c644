import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { embeddedTestStore, relationStoreContract } from './testing/index.ts';
import { createRelationEngine } from './index.ts';
import { ConfigError } from '../framework/errors/index.ts';
import { openLmdbStore } from './internal/lmdb-store.ts';
import { cbase } from './internal/lmdb-writes.ts';
import { key } from './internal/keys.ts';

relationStoreContract('embedded (LMDB)', embeddedTestStore({ buckets: 16 }));

const sign = '0123456789abcdef0123';
const link = 'http://x.example/a.jpg';

test('embedded: values are plain msgpack maps, and a store written under lmdb-js\'s defaults (records, 4 KB pages) still reads, with its key limit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quarry-lmdb-enc-'));
  try {
    // A store written before: lmdb-js's default encoding, one inline record definition per value.
    const old = open({ path: dir, compression: false, maxDbs: 16 });
    await old.openDB({ name: 'meta' }).put('buckets', { value: 16 });
    const c = old.openDB<Record<string, unknown>, Buffer>({ name: 'c', keyEncoding: 'binary' });
    const o = old.openDB<Record<string, unknown>, Buffer>({ name: 'o', keyEncoding: 'binary' });
    await c.put(key(cbase(sign, 16), ''), { sign, thumbnailRef: 'blob://t' });
    await c.put(key(cbase(sign, 16), link), { crawledAtMs: 5, oVersion: 1 });
    await o.put(key(link, ''), { url: link, alive: true, version: 1, crawledAtMs: 5 });
    await o.put(key(link, 'c', sign), { crawledAtMs: 5, oVersion: 1 });
    await old.close();

    const store = await openLmdbStore({ path: dir });
    assert.equal(store.maxKeyBytes, 1_978, 'a store created with 4 KB pages keeps their key limit');
    assert.deepEqual(await store.readContent(sign), { sign, vertex: { sign, thumbnailRef: 'blob://t' }, links: [{ link, sign, crawledAtMs: 5, oVersion: 1 }] });
    await store.apply({ ocEdges: [{ link: 'http://x.example/b.jpg', sign, crawledAtMs: 6, oVersion: 2 }] });
    const [rec] = await store.readLinks([link]);
    assert.deepEqual(rec, { vertex: { url: link, alive: true, version: 1, crawledAtMs: 5 }, contents: [{ link, sign, crawledAtMs: 5, oVersion: 1 }], pages: [] });
    await store.close();

    const raw = open({ path: dir, compression: false, maxDbs: 16 }).openDB<Buffer, Buffer>({ name: 'c', keyEncoding: 'binary', encoding: 'binary' });
    const written = raw.get(key(cbase(sign, 16), 'http://x.example/b.jpg'))!;
    const first = written[0]!;
    // A map (fixmap, map16, map32), not a record: ext 0x72 with the key list, then the values.
    assert.ok((first & 0xf0) === 0x80 || first === 0xde || first === 0xdf, `a new value is a msgpack map, got first byte 0x${first.toString(16)}`);
    await raw.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('embedded: an item whose keys would be longer than LMDB takes fails alone, naming its field, and writes nothing', async () => {
  const t = await embeddedTestStore()();
  try {
    const engine = createRelationEngine({ store: t.store });
    assert.equal(t.store.maxKeyBytes, 4_026, 'a new store has 8 KB pages');
    const long = `http://x.example/${'a'.repeat(3_990)}.jpg`; // fits alone, not joined with its page URL
    const page = (url: string, links: string[]) => ({ url, title: url, pageType: 'article', contentHash: 'h', crawledAtMs: 1, links: links.map((u) => ({ url: u })) });
    const [good, bad] = await engine.upsertPages([page('http://x.example/good', [link]), page('http://x.example/bad', [link, long])]);
    assert.ok(!(good instanceof Error), String(good));
    assert.ok(bad instanceof ConfigError, String(bad));
    assert.match(bad.message, /`links\.1\.url` to be short enough for the store's keys \(4034 bytes with the ids it is stored beside, at most 4026\)/);
    assert.equal(await engine.imagesOfPage('http://x.example/bad'), undefined);
    assert.deepEqual((await engine.imagesOfPage('http://x.example/good'))?.images.map((i) => i.url), [link]);
    assert.equal((await engine.counts()).pages, 1);

    const [okLink, longLink] = await engine.markLinks([
      { url: link, alive: true, contentSign: sign, crawledAtMs: 2 },
      { url: `http://x.example/${'b'.repeat(3_990)}.jpg`, alive: true, contentSign: sign, crawledAtMs: 2 },
    ]);
    assert.ok(!(okLink instanceof Error), String(okLink));
    assert.ok(longLink instanceof ConfigError && /contentSign.*at most 4026/.test(longLink.message), String(longLink));
    const [longRef] = await engine.upsertContents([{ sign, thumbnailRef: `blob://thumb/${'c'.repeat(4_000)}` }]);
    assert.ok(longRef instanceof ConfigError && /thumbnailRef/.test(longRef.message), String(longRef));
    assert.equal((await engine.counts()).links, 1);
  } finally {
    await t.dispose();
  }
});
