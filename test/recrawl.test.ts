// The graph stays true while the site changes: crawl version 1 of the demo site, then re-crawl
// (`quarry crawl --recrawl`: the due visits, each on its own schedule) on version 2 and on
// version 3. After each round every query equals that version's ground truth, no stale edge is
// visible, and after the end-of-crawl retirement none is left in storage (nor an orphaned link,
// content or thumbnail). On LMDB and on Cassandra.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCrawl } from '../cli/commands/crawl.ts';
import { openIndexStore } from '../operators/index-builder/index.ts';
import { startDemoSite, type DemoSite, type GroundTruth, type SiteVersion } from '../demo-site/index.ts';
import { createRelationEngine, openRelationStore, type CassandraStore, type RelationEngine } from '../relation-engine/index.ts';

const cassandra = process.env.QUARRY_TEST_CASSANDRA ?? '127.0.0.1:9042';

recrawlSuite('embedded (LMDB)', (dir) => `embedded:${join(dir, 'relations')}`);
recrawlSuite('Cassandra', () => `cassandra:${cassandra}/quarry_recrawl_${randomBytes(4).toString('hex')}`);

function recrawlSuite(label: string, relationsOf: (dir: string) => string): void {
  describe(`re-crawling a changing site keeps the graph true: ${label}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'quarry-recrawl-'));
    const relations = relationsOf(dir);
    let site: DemoSite;
    before(async () => {
      site = await startDemoSite({ slowMs: 200 });
    });
    after(async () => {
      await site?.close();
      if (relations.startsWith('cassandra:')) {
        const store = await openRelationStore(relations) as CassandraStore;
        await store.dropKeyspace();
        await store.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    const round = async (version: SiteVersion) => {
      if (version > 1) await site.setVersion(version);
      const summary = await runCrawl({
        seed: [site.url], allowPrivate: ['127.0.0.0/8'], depth: String(site.groundTruth.maxDepth), data: dir, relations,
        quiet: true, hostDelay: '0', ...(version > 1 ? { recrawl: true, dueBefore: '+365d' } : {}),
      }, () => undefined);
      for (const [dag, states] of Object.entries(summary.ended)) {
        assert.equal(states['dead-lettered'] ?? 0, 0, `${dag} dead-lettered: ${JSON.stringify(summary.rejected)}`);
      }
      return summary;
    };

    for (const version of [1, 2, 3] as const) {
      it(`version ${version}: every query answers that version's ground truth, and storage holds nothing stale`, async () => {
        const summary = await round(version);
        if (version > 1) assert.ok((summary.ended['page-ingest']?.['filtered'] ?? 0) > 0, 'unchanged pages end early on a re-crawl');
        const engine = createRelationEngine({ store: await openRelationStore(relations, { mustExist: true }) });
        try {
          await assertGraphIsTruth(engine, site.groundTruth, site.absolute.bind(site));
          const exact = await engine.counts({ exact: true });
          assert.equal(exact.staleEdgeCopies, 0, 'no stale edge copy is left in storage');
          assert.deepEqual(await engine.store.readJournal({ beforeMs: Number.MAX_SAFE_INTEGER, limit: 10 }), [], 'the churn journal is drained');
          const { staleEdgeCopies: _s, ...maintained } = await engine.counts();
          const { staleEdgeCopies: _e, ...recount } = exact;
          assert.deepEqual(maintained, recount, 'the maintained counts match a recount');
          const truth = site.groundTruth;
          assert.equal(exact.contents, truth.contents.length, 'no content no link serves is kept');
          assert.equal(exact.links, truth.links.filter((l) => l.status !== 'rejected').length, 'no link no page shows is kept');
          const index = openIndexStore(`embedded:${join(dir, 'index')}`, { mustExist: true });
          try {
            const indexed: string[] = [];
            for await (const page of index.scanPhashes()) indexed.push(...page.map(([sign]) => sign));
            assert.deepEqual(indexed.sort(), truth.contents.map((c) => c.contentId).sort(), 'the content index holds exactly the live contents: retired ones are forgotten');
          } finally {
            await index.close();
          }
          if (version > 1) assert.ok((summary.retired?.orphanContents ?? 0) > 0, 'this round retired contents (so the index check above means something)');
          if (!relations.startsWith('cassandra:')) {
            const thumbs = readdirSync(join(dir, 'blobs'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && /thumbnail/.test(f.name));
            assert.equal(thumbs.length, truth.contents.length, 'each live content keeps one thumbnail; retired ones are deleted');
          }
        } finally {
          await engine.close();
        }
      });
    }
  });
}

async function assertGraphIsTruth(engine: RelationEngine, truth: GroundTruth, abs: (u: string) => string): Promise<void> {
  const canonicalOf = new Map(truth.pages.map((p) => [p.finalUrl, p.canonical]));
  const pagesShowing = new Map<string, Set<string>>();
  const wantEdges = new Set(truth.edges.map((e) => {
    const page = canonicalOf.get(e.pageUrl) ?? e.pageUrl;
    pagesShowing.set(e.imageUrl, (pagesShowing.get(e.imageUrl) ?? new Set()).add(page));
    return `${page} → ${e.imageUrl} [${e.alt}]`;
  }));
  const gotEdges = new Set<string>();
  for (const p of truth.pages) {
    const page = await engine.imagesOfPage(abs(p.url));
    assert.ok(page, `page ${p.url} answers`);
    assert.equal(page.page.url, abs(p.canonical), `${p.url} is keyed by ${p.canonical}`);
    assert.equal(page.page.title, p.title, `title of ${p.url}`);
    for (const img of page.images) gotEdges.add(`${p.canonical} → ${img.url.replace(new URL(abs('/')).origin, '')} [${img.alt}]`);
  }
  assert.deepEqual([...gotEdges].filter((e) => !wantEdges.has(e)).sort(), [], 'no edge the site no longer has');
  assert.deepEqual([...wantEdges].filter((e) => !gotEdges.has(e)).sort(), [], 'every edge the site has');
  const live: string[] = [];
  for await (const p of engine.pages()) live.push(p.url);
  assert.deepEqual(live.sort(), [...new Set(truth.pages.map((p) => abs(p.canonical)))].sort(), 'exactly the pages the site has, each once');
  for (const r of truth.rejections.filter((x) => x.kind === 'page' && x.reason === 'http-404')) {
    assert.equal(await engine.imagesOfPage(abs(r.url)), undefined, `vanished page ${r.url} answers nothing`);
  }
  for (const l of truth.links) {
    const link = await engine.contentOfLink(abs(l.url));
    if (l.status === 'alive') assert.equal(link?.content?.sign, l.contentId, `link ${l.url} serves its content`);
    else if (l.status === 'dead') assert.deepEqual([link?.alive, link?.content], [false, undefined], `dead link ${l.url}`);
  }
  const scanned = new Map<string, { links: string[]; pages: Record<string, string[]> }>();
  for await (const c of engine.scan()) {
    scanned.set(c.sign, {
      links: c.links.map((l) => l.url).sort(),
      pages: Object.fromEntries(c.links.map((l) => [l.url, l.pages.map((x) => x.url).sort()])),
    });
  }
  assert.deepEqual([...scanned.keys()].sort(), truth.contents.map((c) => c.contentId).sort(), 'the scan holds exactly the contents the site serves');
  for (const c of truth.contents) {
    const got = scanned.get(c.contentId)!;
    assert.deepEqual(got.links, c.links.map(abs).sort(), `links of ${c.contentId}`);
    for (const l of c.links) assert.deepEqual(got.pages[abs(l)], [...(pagesShowing.get(l) ?? [])].map(abs).sort(), `pages showing ${l}`);
  }
}
