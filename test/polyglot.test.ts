// The main job on Kafka + Redis with three of its steps in other languages: ocr and image-feature
// from the Python SDK, image-extract from the Go SDK, the rest from `quarry operator`. The miner is
// only pointed at them; the demo site's ground truth must come out as with the TypeScript twins.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createRedisItemLedger } from '../framework/item-ledger/index.ts';
import { startDemoSite, type DemoSite } from '../demo-site/index.ts';
import { waitForDemoJob } from './fixtures/demo-job.ts';
import { createRelationEngine, openRelationStore, type ContentRelation } from '../relation-engine/index.ts';
import { goOperator, pythonOperator, requireSdkBuild, type OperatorProcess } from '../sdk/test-support.ts';

const KAFKA = process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const ns = `poly${Date.now() % 1_000_000}`;
const backend = ['--kafka', KAFKA, '--redis', REDIS, '--namespace', ns];
const children: ChildProcess[] = [];
const polyglot: OperatorProcess[] = [];

async function quarryProcess(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`quarry ${args[0]} exited with ${code}: ${stderr}`)));
  });
  return JSON.parse(line) as Record<string, unknown>;
}
const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args]);

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, '');
function similarity(a: string, b: string): number {
  const x = [...norm(a)];
  const y = [...norm(b)];
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
  return 1 - d[x.length]![y.length]! / Math.max(x.length, y.length, 1);
}

describe('the main job with Python ocr + image-feature and Go image-extract, on Kafka + Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-polyglot-'));
  const stores = ['--relations', `embedded:${join(dir, 'relations')}`, '--index', `embedded:${join(dir, 'index')}`];
  let site: DemoSite;
  let contents: ContentRelation[] = [];

  before(async () => {
    requireSdkBuild();
    site = await startDemoSite();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(polyglot.map((p) => p.stop()));
    await site?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crawls the demo site into the relation graph through the gate', async (t) => {
    const ts = await quarryProcess(['operator', 'page-spider', 'image-spider', 'index-builder', 'relation-page', 'relation-link', 'relation-content', 'relation-ocr', '--allow-private', '127.0.0.0/8', ...stores]);
    polyglot.push(await pythonOperator('quarry_ops.ocr'), await pythonOperator('quarry_ops.image_feature'), await goOperator('quarry-image-extract'));
    const endpoints = [String(ts.listening), ...polyglot.map((p) => p.address)];
    await quarryProcess(['gate', 'run', ...backend]);
    await quarryProcess(['miner', '--operators', endpoints.join(','), '--gate', '--partitions', '2', ...backend]);
    const { stdout } = await quarry(['submit', 'page-ingest', '--source', `url=${site.url}`, 'depth=0', `maxDepth=${site.groundTruth.maxDepth}`, '--gate', ...backend]);
    assert.equal(JSON.parse(stdout).status, 'accepted');

    const ledger = createRedisItemLedger({ redis: REDIS, namespace: ns });
    const truth = site.groundTruth;
    const { done, counts } = await waitForDemoJob(ledger, site, 300_000);
    t.diagnostic(JSON.stringify(counts));
    assert.ok(done, `every page, image link and OCR item ended within the deadline: ${JSON.stringify(counts)}`);
    for (const [dag, c] of Object.entries(counts)) assert.equal(c['dead-lettered'] ?? 0, 0, `${dag}: nothing dead-lettered`);

    // Each hostile input ended with its stated reason.
    for (const r of truth.rejections) {
      const rec = await ledger.findByKey(r.kind === 'page' ? 'page-ingest' : 'image-ingest', site.absolute(r.url));
      assert.ok(rec, `${r.url} is in the ledger`);
      assert.notEqual(rec.state, 'completed', `${r.url} was rejected`);
      assert.match(rec.reason ?? '', new RegExp(r.reason), `${r.url}: ${rec.reason}`);
    }
    await ledger.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(polyglot.map((p) => p.stop()));
    await sleep(1_000);

    const engine = createRelationEngine({ store: await openRelationStore(`embedded:${join(dir, 'relations')}`) });
    try {
      const rel = (url: string) => site.relative(url);
      const got = new Set<string>();
      for (const p of truth.pages) {
        const page = await engine.imagesOfPage(site.absolute(p.url));
        assert.ok(page, `page ${p.url} is in the graph`);
        assert.equal(page.page.title, p.title);
        for (const img of page.images) got.add(`${p.finalUrl} → ${rel(img.url)} [${img.alt}]`);
      }
      const want = new Set(truth.edges.map((e) => `${e.pageUrl} → ${e.imageUrl} [${e.alt}]`));
      assert.deepEqual([...got].filter((e) => !want.has(e)), [], 'unexpected edges (image-extract in Go)');
      assert.deepEqual([...want].filter((e) => !got.has(e)), [], 'missing edges (image-extract in Go)');
      for (const l of truth.links.filter((x) => x.status === 'alive')) assert.equal((await engine.contentOfLink(site.absolute(l.url)))?.content?.sign, l.contentId, `link ${l.url}`);
      for (const d of truth.deadLinks) assert.equal((await engine.contentOfLink(site.absolute(d.url)))?.alive, false, `dead link ${d.url}`);
      for await (const c of engine.scan()) contents.push(c);
    } finally {
      await engine.close();
    }
  });

  it('records each content with the features image-feature (Python) measured', () => {
    const want = new Map(site.groundTruth.contents.map((c) => [c.contentId, c]));
    assert.deepEqual(contents.map((c) => c.sign).sort(), [...want.keys()].sort(), 'exactly the expected contents');
    for (const c of contents) {
      const exp = want.get(c.sign)!;
      assert.deepEqual([c.features?.width, c.features?.height, c.features?.format], [exp.width, exp.height, exp.format], `features of ${c.sign}`);
      assert.match(c.features?.phash ?? '', /^[0-9a-f]{16}$/);
    }
  });

  it('reads the text of every OCR image with the Python ocr (≥ 90% characters), and no text elsewhere', () => {
    for (const o of site.groundTruth.ocr) {
      const c = contents.find((x) => x.sign === o.contentId);
      assert.ok(c, `content of ${o.imageUrl}`);
      const acc = similarity(c.ocrText ?? '', o.text);
      assert.ok(acc >= 0.9, `OCR of ${o.imageUrl}: got ${JSON.stringify(c.ocrText)}, want ${JSON.stringify(o.text)} (${acc.toFixed(2)})`);
    }
    assert.equal(contents.filter((c) => (c.ocrText ?? '').trim() !== '').length, site.groundTruth.ocr.length, 'only the text images have OCR text');
  });
});
