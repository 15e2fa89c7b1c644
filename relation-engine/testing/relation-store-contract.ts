// The RelationStore contract: every adapter's test calls relationStoreContract(name, make), so
// the embedded store and Cassandra are held to the same behaviour, raw and through the engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRelationEngine, type RelationEngine } from '../engine.ts';
import { compareScanOrder } from '../model.ts';
import type { MakeTestStore, TestStore } from './test-stores.ts';
import { engineContract } from './engine-contract.ts';

const feat = { width: 10, height: 20, format: 'jpeg', clarity: 0.75, phash: 'abcd', dominantColor: '#102030' };

export function relationStoreContract(name: string, make: MakeTestStore): void {
  describe(`RelationStore contract: ${name}`, () => {
    let t: TestStore;
    let n = 0;
    // Each test works under its own URL/sign namespace, so one store serves the whole suite.
    const ns = () => `t${++n}`;
    before(async () => {
      t = await make();
    });
    after(async () => {
      await t.dispose();
    });

    test('a write set round-trips the page partition, its reverse edges and the vertex', async () => {
      const p = `http://${ns()}/p`;
      await t.store.apply({
        foEdges: [{ page: p, link: `${p}/a.jpg`, alt: 'A', title: 'tA', context: 'cA', fVersion: 3 }],
        pageVertices: [{ url: p, title: 'T', pageType: 'article', contentHash: 'h', version: 3, crawledAtMs: 5, deleted: false, aliases: [`${p}/old`] }],
      });
      const rec = await t.store.readPage(p);
      assert.deepEqual(rec.vertex, { url: p, title: 'T', pageType: 'article', contentHash: 'h', version: 3, crawledAtMs: 5, deleted: false, aliases: [`${p}/old`] });
      assert.deepEqual(rec.edges, [{ page: p, link: `${p}/a.jpg`, alt: 'A', title: 'tA', context: 'cA', fVersion: 3 }]);
      const link = await t.store.readLink(`${p}/a.jpg`);
      assert.equal(link.vertex, undefined);
      assert.deepEqual(link.pages.map((e) => e.page), [p]);
      assert.equal(await t.store.readPageVertex(`${p}/missing`), undefined);
    });

    test('content patches merge and keep the fields not given', async () => {
      const s = `${ns()}-sign`;
      await t.store.apply({ contents: [{ sign: s, patch: { features: feat } }] });
      await t.store.apply({ contents: [{ sign: s, patch: { ocrText: 'hello', ocrLines: [{ text: 'hello', box: [1, 2] }] } }] });
      await t.store.apply({ contents: [{ sign: s, patch: {} }] });
      const rec = await t.store.readContent(s);
      assert.deepEqual(rec.vertex, { sign: s, features: feat, ocrText: 'hello', ocrLines: [{ text: 'hello', box: [1, 2] }] });
      assert.deepEqual(await t.store.readContentVertex(s), rec.vertex);
      assert.equal(await t.store.readContentVertex(`${s}-missing`), undefined);
    });

    test('batched reads answer in input order, duplicates and missing keys included', async () => {
      const p = `http://${ns()}`;
      const pages = [`${p}/a`, `${p}/b`];
      await t.store.apply({
        foEdges: [{ page: pages[0]!, link: `${p}/1.png`, alt: '', title: '', context: '', fVersion: 1 }],
        ocEdges: [{ link: `${p}/1.png`, sign: `${p}#s`, crawledAtMs: 1, oVersion: 1 }],
        contents: [{ sign: `${p}#s`, patch: {} }],
        pageVertices: pages.map((url) => ({ url, title: url, pageType: '', contentHash: '', version: 1, crawledAtMs: 1, deleted: false })),
        linkVertices: [{ url: `${p}/1.png`, alive: true, version: 1, crawledAtMs: 1 }],
      });
      const order = [pages[1]!, `${p}/none`, pages[0]!, pages[1]!];
      assert.deepEqual((await t.store.readPages(order)).map((r) => [r.vertex?.url, r.edges.length]), [[pages[1], 0], [undefined, 0], [pages[0], 1], [pages[1], 0]]);
      assert.deepEqual((await t.store.readPageVertices(order)).map((v) => v?.title), [pages[1], undefined, pages[0], pages[1]]);
      const links = await t.store.readLinks([`${p}/none.png`, `${p}/1.png`]);
      assert.deepEqual(links.map((l) => [l.vertex?.alive, l.contents.map((e) => e.sign), l.pages.map((e) => e.page)]), [[undefined, [], []], [true, [`${p}#s`], [pages[0]]]]);
      assert.deepEqual((await t.store.readContentVertices([`${p}#none`, `${p}#s`])).map((v) => v?.sign), [undefined, `${p}#s`]);
    });

    test('scanContents yields batches in (bucket, sign) order, and bucket ranges partition the scan', async () => {
      const prefix = ns();
      const signs = Array.from({ length: 12 }, (_, i) => `${prefix}-${(i * 7919).toString(16)}`);
      await t.store.apply({
        contents: signs.map((s) => ({ sign: s, patch: {} })),
        ocEdges: signs.map((s) => ({ link: `http://${prefix}/${s}.png`, sign: s, crawledAtMs: 1, oVersion: 1 })),
      });
      const seen = [];
      for await (const batch of t.store.scanContents({ batchSize: 5 })) {
        assert.ok(batch.length <= 5 && batch.length > 0);
        seen.push(...batch);
      }
      const all = seen.map((r) => r.sign);
      assert.deepEqual(all, [...all].sort((a, b) => compareScanOrder(a, b, t.store.buckets)));
      const mine = seen.filter((r) => r.sign.startsWith(`${prefix}-`));
      assert.equal(mine.length, signs.length);
      for (const r of mine) assert.deepEqual(r.links.map((l) => l.link), [`http://${prefix}/${r.sign}.png`]);
      const half = Math.floor(t.store.buckets / 2);
      const parts = [];
      for (const [from, to] of [[0, half], [half, t.store.buckets]] as const) for await (const b of t.store.scanContents({ fromBucket: from, toBucket: to })) parts.push(...b.map((r) => r.sign));
      assert.deepEqual(parts, all);
    });

    test('removing an edge copy at its version deletes that write and spares a rewrite at a later one', async () => {
      const p = `http://${ns()}/p`;
      await t.store.apply({ foEdges: [{ page: p, link: `${p}/x`, alt: '', title: '', context: '', fVersion: 1 }, { page: p, link: `${p}/y`, alt: '', title: '', context: '', fVersion: 1 }] });
      await t.store.apply({ foEdges: [{ page: p, link: `${p}/x`, alt: 'again', title: '', context: '', fVersion: 2 }] });
      await t.store.remove({ edges: ['x', 'y'].flatMap((l) => [{ kind: 'fo' as const, from: p, to: `${p}/${l}`, version: 1 }, { kind: 'of' as const, from: p, to: `${p}/${l}`, version: 1 }]) });
      assert.deepEqual((await t.store.readPage(p)).edges.map((e) => [e.link, e.fVersion]), [[`${p}/x`, 2]]);
      assert.deepEqual((await t.store.readLink(`${p}/x`)).pages.map((e) => e.alt), ['again']);
      assert.deepEqual((await t.store.readLink(`${p}/y`)).pages, []);
    });

    test('the journal is read oldest first, before a cutoff, and entries go when removed', async () => {
      const id = `http://${ns()}/p`;
      const base = Date.now() - 60_000;
      const entries = [3, 1, 2].map((k) => ({ kind: 'page' as const, id: `${id}${k}`, version: k, stale: [`${id}/l${k}`], recordedAtMs: base + k }));
      await t.store.apply({ journal: entries });
      const mine = async (beforeMs: number) => (await t.store.readJournal({ beforeMs, limit: 10_000 })).filter((e) => e.id.startsWith(id));
      assert.deepEqual((await mine(base + 3)).map((e) => e.version), [1, 2]);
      assert.deepEqual((await mine(Date.now())).map((e) => [e.version, e.stale, e.prevVersion]), [[1, [`${id}/l1`], undefined], [2, [`${id}/l2`], undefined], [3, [`${id}/l3`], undefined]]);
      await t.store.remove({ journal: entries.slice(0, 2) });
      assert.deepEqual((await mine(Date.now())).map((e) => e.version), [2]);
      await t.store.remove({ journal: entries });
    });

    test('counts add up deltas', async () => {
      const before = (await t.store.readCounts())['pages'] ?? 0;
      await t.store.apply({ counts: { pages: 3 } });
      await t.store.remove({ counts: { pages: -1 } });
      assert.equal((await t.store.readCounts())['pages'], before + 2);
      await t.store.apply({ counts: { pages: -2 } });
    });

    test('visits keep one due entry each, read earliest first', async () => {
      const u = `http://${ns()}/`;
      const state = (url: string, next: number) => ({ kind: 'page' as const, url, checks: 1, changes: 1, intervalMs: 10, checkedAtMs: next - 10, nextVisitAtMs: next });
      const now = Date.now();
      await t.store.apply({ visits: [{ state: state(`${u}a`, now + 300) }, { state: state(`${u}b`, now + 100) }] });
      await t.store.apply({ visits: [{ state: state(`${u}a`, now + 200), prevDueAtMs: now + 300 }] });
      const due = (await t.store.readDue({ beforeMs: now + 1000, limit: 1000 })).filter((d) => d.url.startsWith(u));
      assert.deepEqual(due.map((d) => [d.url, d.dueAtMs]), [[`${u}b`, now + 100], [`${u}a`, now + 200]]);
      assert.deepEqual((await t.store.readVisits([{ kind: 'page', url: `${u}a` }, { kind: 'link', url: `${u}a` }])).map((v) => v?.nextVisitAtMs), [now + 200, undefined]);
      await t.store.remove({ visits: [{ kind: 'page', url: `${u}a` }, { kind: 'page', url: `${u}b` }] });
      assert.deepEqual((await t.store.readDue({ beforeMs: now + 1000, limit: 1000 })).filter((d) => d.url.startsWith(u)), []);
    });

    test('blob references and orphan records', async () => {
      const blob = `blob://${ns()}`;
      await t.store.apply({ blobOrphans: [{ blob, sinceMs: 5 }] });
      assert.deepEqual((await t.store.readBlobOrphans({ beforeMs: 6, limit: 10_000 })).filter((o) => o.blob === blob), [{ blob, sinceMs: 5 }]);
      assert.deepEqual((await t.store.readBlobOrphans({ beforeMs: 5, limit: 10_000 })).filter((o) => o.blob === blob), []);
      await t.store.apply({ blobRefs: [{ blob, sign: 's1', tenant: 'a' }, { blob, sign: 's1', tenant: 'b' }] });
      assert.deepEqual((await t.store.readBlobOrphans({ beforeMs: 6, limit: 10_000 })).filter((o) => o.blob === blob), [], 'a new reference cancels the orphan record');
      assert.deepEqual((await t.store.readBlobRefs(blob)).map((r) => r.tenant).sort(), ['a', 'b']);
      await t.store.remove({ blobRefs: [{ blob, sign: 's1', tenant: 'a' }] });
      assert.deepEqual((await t.store.readBlobRefs(blob)).map((r) => r.tenant), ['b']);
    });

    test('features survive through the engine, and data survives a restart', async () => {
      const engine: RelationEngine = createRelationEngine({ store: t.store });
      const p = `http://${ns()}/p`;
      await engine.upsertPage({ url: p, title: 'kept', links: [{ url: `${p}/a.jpg` }], crawledAtMs: 1 });
      await engine.markLink({ url: `${p}/a.jpg`, alive: true, contentSign: `${p}#a`, crawledAtMs: 1 });
      await engine.upsertContent(`${p}#a`, feat, 'blob://thumb/a');
      const store = await t.reopen();
      const again = createRelationEngine({ store });
      assert.equal((await again.imagesOfPage(p))?.images[0]?.content?.sign, `${p}#a`);
      assert.deepEqual((await again.sourcesOfContent(`${p}#a`))?.links.map((l) => l.pages.map((x) => x.pageTitle)), [['kept']]);
      assert.equal(await again.contentHasFeatures(`${p}#a`), true);
    });
  });
  engineContract(name, make);
}
