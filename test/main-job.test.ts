// The main job against the demo site's ground truth: every expected relation present, no
// unexpected ones, each hostile input rejected with its stated reason, nothing else lost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cassandraDriver from 'cassandra-driver';
import { runCrawl, type CrawlOptions } from '../cli/commands/crawl.ts';
import type { CrawlSummary } from '../cli/crawl-summary.ts';
import { buildDemoSite, type GroundTruth } from '../demo-site/index.ts';
import { createRelationEngine, openRelationStore, type ContentRelation, type RelationEngine } from '../relation-engine/index.ts';

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, '');
function similarity(a: string, b: string): number {
  const x = [...norm(a)];
  const y = [...norm(b)];
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) for (let j = 1; j <= y.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
  return 1 - d[x.length]![y.length]! / Math.max(x.length, y.length, 1);
}

const kafka = process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const redis = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const cassandra = process.env.QUARRY_TEST_CASSANDRA ?? '127.0.0.1:9042';
const keyspace = `quarry_mainjob_${process.pid}_${Date.now() % 100_000}`;

mainJobSuite('embedded default, operators in-process', (dir) => ({ relations: `embedded:${join(dir, 'relations')}` }));
mainJobSuite('Kafka + Redis + Cassandra, operators as separate processes', () => ({
  kafka,
  redis,
  namespace: `mj${Date.now() % 1_000_000}`,
  relations: `cassandra:${cassandra}/${keyspace}`,
  isolate: true,
}), async () => {
  const client = new cassandraDriver.Client({ contactPoints: [cassandra.split(':')[0]!], protocolOptions: { port: Number(cassandra.split(':')[1] ?? 9042) }, localDataCenter: 'datacenter1' });
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await client.shutdown();
});

function mainJobSuite(label: string, backend: (dir: string) => Partial<CrawlOptions>, cleanup?: () => Promise<void>): void {
describe(`the main job on the ${label}: crawl the demo site into the relation graph`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-main-job-'));
  const opts = backend(dir);
  let summary: CrawlSummary & { admittedByGate?: Record<string, number> };
  let truth: GroundTruth;
  let engine: RelationEngine;
  let contents: ContentRelation[];
  let origin = '';
  const rel = (url: string) => (url.startsWith(origin) ? url.slice(origin.length) || '/' : url);

  before(async () => {
    truth = (await buildDemoSite()).groundTruth;
    summary = await runCrawl({ demo: true, data: dir, report: join(dir, 'report.json'), quiet: true, ...opts }, () => undefined);
    origin = new URL(summary.seeds[0]!).origin;
    engine = createRelationEngine({ store: await openRelationStore(opts.relations!) });
    contents = [];
    for await (const c of engine.scan()) contents.push(c);
  });
  after(async () => {
    await engine?.close();
    await cleanup?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends every item: nothing is left in flight, nothing dead-lettered, each image link once', () => {
    assert.equal(summary.imageLinks, truth.links.length, 'each image link is ingested once (children are deduplicated)');
    for (const [dag, states] of Object.entries(summary.ended)) {
      assert.equal(states['in-flight'] ?? 0, 0, `${dag} has items in flight`);
      assert.equal(states['dead-lettered'] ?? 0, 0, `${dag} dead-lettered items: ${JSON.stringify(summary.rejected)}`);
    }
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).pages, summary.pages);
  });

  // Blobs live in files on the embedded default (in Redis otherwise, where the miner scenarios count them).
  if (!opts.redis) it('leaves no blob behind but the thumbnails the graph refers to (HTML and image bytes are released)', () => {
    const files = readdirSync(join(dir, 'blobs'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !f.parentPath.includes('.tmp'));
    assert.equal(files.length, truth.contents.length, files.map((f) => f.name).join(', '));
    assert.ok(files.every((f) => /^image-ingest%2Fthumbnail%2F[0-9a-f]{64}$/.test(f.name)), files.map((f) => f.name).join(', '));
  });

  it('admits every item through the flow-control gate, OCR work through the deferred lane', () => {
    const a = summary.admittedByGate!;
    const ocrItems = summary.ended['ocr-ingest'] ? Object.values(summary.ended['ocr-ingest']).reduce((x, y) => x + y, 0) : 0;
    assert.equal(a.deferred, ocrItems, 'each OCR item waited in the deferred store');
    assert.ok(ocrItems >= truth.ocr.length);
    assert.ok(a.high! + a.normal! + a.low! >= summary.pages + summary.imageLinks, JSON.stringify(a));
  });

  it('records every expected page and page→image edge, and no other', async () => {
    assert.equal(summary.pages, truth.pages.length);
    const got = new Set<string>();
    for (const p of truth.pages) {
      // A page is keyed by the URL it was crawled as (f = fromurl); its edges are the final page's.
      const page = await engine.imagesOfPage(`${origin}${p.url}`);
      assert.ok(page, `page ${p.url} is in the graph`);
      assert.equal(page.page.title, p.title);
      for (const img of page.images) got.add(`${p.finalUrl} → ${rel(img.url)} [${img.alt}]`);
    }
    const want = new Set(truth.edges.map((e) => `${e.pageUrl} → ${e.imageUrl} [${e.alt}]`));
    assert.deepEqual([...got].filter((e) => !want.has(e)), [], 'unexpected edges');
    assert.deepEqual([...want].filter((e) => !got.has(e)), [], 'missing edges');
  });

  it('links serve the expected contents; dead links are recorded dead', async () => {
    for (const l of truth.links.filter((x) => x.status === 'alive')) {
      const link = await engine.contentOfLink(`${origin}${l.url}`);
      assert.equal(link?.content?.sign, l.contentId, `link ${l.url}`);
    }
    for (const d of truth.deadLinks) {
      const link = await engine.contentOfLink(`${origin}${d.url}`);
      assert.equal(link?.alive, false, `dead link ${d.url}`);
      assert.equal(link?.content, undefined);
    }
    const want = new Map(truth.contents.map((c) => [c.contentId, c]));
    assert.deepEqual(contents.map((c) => c.sign).sort(), [...want.keys()].sort(), 'exactly the expected contents');
    for (const c of contents) {
      const exp = want.get(c.sign)!;
      assert.deepEqual([c.features?.width, c.features?.height, c.features?.format], [exp.width, exp.height, exp.format], `features of ${c.sign}`);
      assert.deepEqual(c.links.map((l) => rel(l.url)).sort(), [...exp.links].sort(), `links of ${c.sign}`);
    }
  });

  it('rejects each hostile input with its stated reason', () => {
    const got: Record<string, number> = {};
    for (const [key, n] of Object.entries(summary.rejected)) {
      const reason = key.split(': ')[1]!;
      got[reason] = (got[reason] ?? 0) + n;
    }
    got['http-404'] = (got['http-404'] ?? 0) + summary.deadLinks;
    assert.deepEqual(got, truth.rejectionsByReason);
  });

  it('reads the text of every OCR image (≥ 90% characters)', () => {
    for (const o of truth.ocr) {
      const c = contents.find((x) => x.sign === o.contentId);
      assert.ok(c, `content of ${o.imageUrl}`);
      const acc = similarity(c.ocrText ?? '', o.text);
      assert.ok(acc >= 0.9, `OCR of ${o.imageUrl}: got ${JSON.stringify(c.ocrText)}, want ${JSON.stringify(o.text)} (${acc.toFixed(2)})`);
    }
    assert.equal(summary.ocrTexts, truth.ocr.length, 'only the text images have OCR text');
  });
});
}
