// `quarry relations` over an embedded store: a store path that does not exist is an error naming
// it (never an empty store created on the spot), pages and dead links can be listed, and
// retirement tells the content index which contents it retired and deletes orphaned thumbnails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createFileBlobStore, createRedisBlobStore } from '../../framework/blob-store/index.ts';
import { useRedisTestServer } from '../../framework/testing/index.ts';
import { createContentIndex, openIndexStore } from '../../operators/index-builder/index.ts';
import { createRelationEngine, openRelationStore } from '../../relation-engine/index.ts';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'quarry-cli-relations-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const quarry = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'relations', ...args], { encoding: 'utf8' });

test('a relation store that does not exist is an error naming its path', () => {
  const r = quarry('--store', 'embedded:/no/such/relations-dir', 'counts');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /STORE_MISSING.*No relation store at `\/no\/such\/relations-dir`/);
  assert.equal(existsSync('/no/such/relations-dir'), false);
});

test('pages and dead links are listed, one JSON line each', async () => {
  const spec = `embedded:${join(dir, 'rel')}`;
  const engine = createRelationEngine({ store: await openRelationStore(spec) });
  await engine.upsertPage({ url: 'http://s/p', title: 'P', links: [{ url: 'http://s/a.png' }], crawledAtMs: 1 });
  await engine.upsertPage({ url: 'http://s/q', aliases: ['http://s/q-old'], title: 'Q', crawledAtMs: 1 });
  await engine.markLink({ url: 'http://s/a.png', alive: false, reason: 'http-404', crawledAtMs: 2 });
  await engine.close();
  const pages = quarry('--store', spec, 'pages');
  assert.equal(pages.status, 0, pages.stderr);
  assert.deepEqual(pages.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { url: string }).url).sort(), ['http://s/p', 'http://s/q']);
  const dead = quarry('--store', spec, 'dead-links');
  assert.deepEqual(dead.stdout.trim().split('\n').map((l) => JSON.parse(l) as object), [{ url: 'http://s/a.png', alive: false, reason: 'http-404', crawledAtMs: 2 }]);
  const counts = JSON.parse(quarry('--store', spec, 'counts', '--exact').stdout) as { pages: number; aliasPages: number; deadLinks: number };
  assert.deepEqual([counts.pages, counts.aliasPages, counts.deadLinks], [2, 1, 1]);
});

test('retire --index-store: the content index forgets the contents retired, and keeps the rest', async () => {
  const spec = `embedded:${join(dir, 'rel-retire')}`;
  const indexSpec = `embedded:${join(dir, 'index-retire')}`;
  const [gone, kept] = ['a'.repeat(64), 'b'.repeat(64)];
  const features = (phash: string) => ({ width: 8, height: 8, format: 'png', clarity: 1, phash, dominantColor: '#000000' });
  const engine = createRelationEngine({ store: await openRelationStore(spec) });
  await engine.upsertPage({ url: 'http://s/p', title: 'P', links: [{ url: 'http://s/a.png' }, { url: 'http://s/b.png' }], crawledAtMs: 1 });
  for (const [url, sign] of [['http://s/a.png', gone], ['http://s/b.png', kept]] as const) {
    await engine.upsertContent(sign, features(sign.slice(0, 16)));
    await engine.markLink({ url, alive: true, contentSign: sign, crawledAtMs: 2 });
  }
  await engine.upsertPage({ url: 'http://s/p', title: 'P', links: [{ url: 'http://s/b.png' }], crawledAtMs: 3 }); // a.png leaves the page
  await engine.close();
  const indexStore = openIndexStore(indexSpec);
  const index = createContentIndex({ store: indexStore });
  for (const sign of [gone, kept]) {
    await index.indexPhash(sign, sign.slice(0, 16));
    await index.indexText(sign, `text of ${sign.slice(0, 4)}`);
  }
  await indexStore.close();

  const missing = quarry('--store', spec, 'retire', '--grace', '0', '--index-store', 'embedded:/no/such/index-dir');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /STORE_MISSING.*No index store at `\/no\/such\/index-dir`/);
  const r = quarry('--store', spec, 'retire', '--grace', '0', '--index-store', indexSpec);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { orphanContents: number }).orphanContents, 1);
  const after = openIndexStore(indexSpec, { mustExist: true });
  try {
    assert.equal(await after.getPhash(gone), null, 'the retired content is forgotten');
    assert.equal(await after.getText(gone), null);
    assert.equal(await after.getPhash(kept), kept.slice(0, 16), 'the live one stays');
    assert.deepEqual(await after.stats(), { phashes: 1, texts: 1 });
  } finally {
    await after.close();
  }
});

test('retire --blobs: an orphaned thumbnail is deleted from the blob store given, one put again within --grace stays', async () => {
  const spec = `embedded:${join(dir, 'rel-blobs')}`;
  const blobDir = join(dir, 'blobs');
  const blobs = createFileBlobStore({ dir: blobDir });
  const [gone, again] = [await blobs.put('thumbnail/gone', Uint8Array.of(1)), await blobs.put('thumbnail/again', Uint8Array.of(2))];
  // Written an hour ago, as the thumbnail `gone` was put; `again` is put anew by a new item.
  const hourAgo = Date.now() - 3_600_000;
  const engine = createRelationEngine({ store: await openRelationStore(spec), now: () => hourAgo });
  const features = { width: 8, height: 8, format: 'png', clarity: 1, phash: '0'.repeat(16), dominantColor: '#000000' };
  await engine.upsertContent('c'.repeat(64), features, gone);
  await engine.upsertContent('d'.repeat(64), features, again);
  await engine.releaseContent('c'.repeat(64));
  await engine.releaseContent('d'.repeat(64));
  await engine.close();
  for (const shard of readdirSync(blobDir).filter((f) => f !== '.tmp')) {
    for (const name of readdirSync(join(blobDir, shard))) utimesSync(join(blobDir, shard, name), new Date(hourAgo), new Date(hourAgo));
  }
  await blobs.put('thumbnail/again', Uint8Array.of(2)); // a new item's put: its lease

  const missing = quarry('--store', spec, 'retire', '--blobs', 'embedded:/no/such/blob-dir');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /STORE_MISSING.*No blob store at `\/no\/such\/blob-dir`/);
  const bad = quarry('--store', spec, 'retire', '--blobs', 's3://bucket');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /blobs.*`embedded:<dir>` or `redis:redis:\/\/host:port/);
  const r = quarry('--store', spec, 'retire', '--grace', '600000', '--blobs', `embedded:${blobDir}`);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { blobsDeleted: number; blobsLeased: number };
  assert.deepEqual([report.blobsDeleted, report.blobsLeased], [1, 1]);
  assert.equal(await blobs.get(gone), null, 'the orphaned thumbnail is gone');
  assert.deepEqual(await blobs.get(again), Uint8Array.of(2), 'the one put again within the grace stays');
  await blobs.close();
});

const redisServer = useRedisTestServer('cli-relations');

test('retire --blobs redis:<url> --namespace: deletes the orphaned thumbnail in that namespace; another namespace is refused by name', async () => {
  const namespace = `qt-blobs-${randomUUID().slice(0, 8)}`;
  const spec = `embedded:${join(dir, 'rel-redis-blobs')}`;
  const blobs = createRedisBlobStore({ redis: redisServer.admin, namespace });
  const thumb = await blobs.put('thumbnail/x', Uint8Array.of(9));
  const engine = createRelationEngine({ store: await openRelationStore(spec) });
  await engine.upsertContent('e'.repeat(64), { width: 8, height: 8, format: 'png', clarity: 1, phash: '0'.repeat(16), dominantColor: '#000000' }, thumb);
  await engine.releaseContent('e'.repeat(64));
  await engine.close();
  try {
    const other = quarry('--store', spec, 'retire', '--grace', '0', '--blobs', `redis:${redisServer.url}`);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /does not belong to this Redis blob store \(namespace `quarry`\)/);
    const r = quarry('--store', spec, 'retire', '--grace', '0', '--blobs', `redis:${redisServer.url}`, '--namespace', namespace);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { blobsDeleted: number }).blobsDeleted, 1);
    assert.equal(await blobs.get(thumb), null);
  } finally {
    await redisServer.admin.del(`${namespace}:b:thumbnail/x`);
  }
});
