// `quarry relations` over an embedded store: a store path that does not exist is an error naming
// it (never an empty store created on the spot), pages and dead links can be listed, and
// retirement tells the content index which contents it retired.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
