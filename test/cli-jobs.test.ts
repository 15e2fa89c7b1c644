// `quarry run` and `quarry relations`, end to end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDemoSite, type DemoSite } from '../demo-site/index.ts';

const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { maxBuffer: 16 << 20 });

describe('quarry run and quarry relations on the demo site', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-run-'));
  let site: DemoSite;
  before(async () => {
    site = await startDemoSite();
  });
  after(async () => {
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarry run: the built-in DAGs end to end, operators as child processes, one line per item', async () => {
    const { stdout } = await quarry(['run', 'dags/page-ingest.ts', 'dags/image-ingest.ts', 'dags/ocr-ingest.ts', '--source', `url=${site.url}`, 'depth=0', 'maxDepth=0', '--allow-private', '127.0.0.0/8', '--data', dir]);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { dag: string; itemKey: string; state: string; reason?: string });
    assert.deepEqual(lines.filter((l) => l.dag === 'page-ingest').map((l) => [l.itemKey, l.state]), [[site.url, 'completed']]);
    const homeImages = site.groundTruth.edges.filter((e) => e.pageUrl === '/').map((e) => site.absolute(e.imageUrl));
    const images = lines.filter((l) => l.dag === 'image-ingest');
    assert.deepEqual(images.map((l) => l.itemKey).sort(), [...new Set(homeImages)].sort(), 'one item per image link on the home page');
    assert.ok(images.every((l) => l.state === 'completed' || l.state === 'filtered'), JSON.stringify(images));
  });

  it('quarry relations reads the graph the run wrote', async () => {
    const store = ['--store', `embedded:${join(dir, 'relations')}`];
    const { stdout } = await quarry(['relations', 'images', site.url, ...store]);
    const home = site.groundTruth.edges.filter((e) => e.pageUrl === '/');
    for (const e of home) assert.ok(stdout.includes(site.absolute(e.imageUrl)), `images of / lists ${e.imageUrl}`);
    const exported = await quarry(['relations', 'export', ...store]);
    const contents = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { sign: string });
    assert.ok(contents.length > 0 && contents.every((c) => /^[0-9a-f]{64}$/.test(c.sign)));
    const threaded = await quarry(['relations', 'export', '--threads', '2', ...store]);
    assert.ok(threaded.stdout === exported.stdout, '--threads 2 writes the same lines in the same order');
    assert.match(threaded.stderr, /contents, \d+ bytes in \d+ ms, 2 thread\(s\)/);
    assert.match(exported.stderr, /, 1 thread\(s\)/);
    const badThreads = await quarry(['relations', 'export', '--threads', '0', ...store]).catch((e: { code: number; stderr: string }) => e);
    assert.match((badThreads as { stderr: string }).stderr, /Expected `--threads` to be an integer ≥ 1, got `0`/);
    const bad = await quarry(['relations', 'counts', '--store', 'nonsense']).catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 1);
    assert.match((bad as { stderr: string }).stderr, /store/i);
  });
});
