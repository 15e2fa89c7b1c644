// `quarry relations` over an embedded store: a store path that does not exist is an error naming
// it (never an empty store created on the spot), and pages and dead links can be listed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
