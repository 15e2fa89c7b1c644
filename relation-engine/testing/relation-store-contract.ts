// The RelationStore contract: every adapter's test calls relationStoreContract(name, make), so
// the embedded store and Cassandra are held to the same behaviour, raw and through the engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createRelationEngine, type RelationEngine } from '../engine.ts';
import { compareScanOrder } from '../model.ts';
import type { MakeTestStore, TestStore } from './test-stores.ts';

const feat = { width: 10, height: 20, format: 'jpeg', clarity: 0.75, phash: 'abcd', dominantColor: '#102030' };

export function relationStoreContract(name: string, make: MakeTestStore): void {
  describe(`RelationStore contract: ${name}`, () => {
    let t: TestStore;
    let engine: RelationEngine;
    let clock = 1_000;
    let n = 0;
    // Each test works under its own URL/sign namespace, so one store serves the whole suite.
    const ns = () => `t${++n}`;
    before(async () => {
      t = await make();
      engine = createRelationEngine({ store: t.store, now: () => ++clock });
    });
    after(async () => {
      await t.dispose();
    });

    test('page partition round-trips the vertex and its edges', async () => {
      const p = `http://${ns()}/p`;
      await t.store.writeFoEdges([{ page: p, link: `${p}/a.jpg`, alt: 'A', title: 'tA', context: 'cA', fVersion: 3 }]);
      await t.store.writePageVertex({ url: p, title: 'T', pageType: 'article', contentHash: 'h', version: 3, crawledAtMs: 5, deleted: false });
      const rec = await t.store.readPage(p);
      assert.deepEqual(rec.vertex, { url: p, title: 'T', pageType: 'article', contentHash: 'h', version: 3, crawledAtMs: 5, deleted: false });
      assert.deepEqual(rec.edges, [{ page: p, link: `${p}/a.jpg`, alt: 'A', title: 'tA', context: 'cA', fVersion: 3 }]);
      const link = await t.store.readLink(`${p}/a.jpg`);
      assert.equal(link.vertex, undefined);
      assert.deepEqual(link.pages.map((e) => e.page), [p]);
      assert.equal(await t.store.readPageVertex(`${p}/missing`), undefined);
    });

    test('mergeContent merges fields and keeps the ones not given', async () => {
      const s = `${ns()}-sign`;
      await t.store.mergeContent(s, { features: feat });
      await t.store.mergeContent(s, { ocrText: 'hello', ocrLines: [{ text: 'hello', box: [1, 2] }] });
      await t.store.mergeContent(s, {});
      const rec = await t.store.readContent(s);
      assert.deepEqual(rec.vertex, { sign: s, features: feat, ocrText: 'hello', ocrLines: [{ text: 'hello', box: [1, 2] }] });
      assert.deepEqual(await t.store.readContentVertex(s), rec.vertex);
      assert.equal(await t.store.readContentVertex(`${s}-missing`), undefined);
    });

    test('scanContents is ordered by (bucket, sign) and carries each content\'s links', async () => {
      const prefix = ns();
      const signs = Array.from({ length: 12 }, (_, i) => `${prefix}-${(i * 7919).toString(16)}`);
      for (const s of signs) {
        await t.store.mergeContent(s, {});
        await t.store.writeOcEdge({ link: `http://${prefix}/${s}.png`, sign: s, crawledAtMs: 1, oVersion: 1 });
      }
      const seen = [];
      for await (const r of t.store.scanContents()) seen.push(r);
      const all = seen.map((r) => r.sign);
      assert.deepEqual(all, [...all].sort((a, b) => compareScanOrder(a, b, t.store.buckets)));
      const mine = seen.filter((r) => r.sign.startsWith(`${prefix}-`));
      assert.equal(mine.length, signs.length);
      for (const r of mine) assert.deepEqual(r.links.map((l) => l.link), [`http://${prefix}/${r.sign}.png`]);
    });

    test('deleteEdgeIfUnchanged deletes the scanned write but spares a rewrite', async () => {
      const p = `http://${ns()}/p`;
      await t.store.writeFoEdges([{ page: p, link: `${p}/x`, alt: '', title: '', context: '', fVersion: 1 }]);
      const scanned = [];
      for await (const e of t.store.scanEdges()) if (e.from === p) scanned.push(e);
      assert.deepEqual(scanned.map((e) => e.kind).sort(), ['fo', 'of']);
      await t.store.writeFoEdges([{ page: p, link: `${p}/x`, alt: 'again', title: '', context: '', fVersion: 2 }]);
      for (const e of scanned) await t.store.deleteEdgeIfUnchanged(e);
      assert.deepEqual((await t.store.readPage(p)).edges.map((e) => e.fVersion), [2]);
      assert.deepEqual((await t.store.readLink(`${p}/x`)).pages.map((e) => e.alt), ['again']);
    });

    test('a re-crawl without an image hides its fo edge at once; retire deletes it later', async () => {
      const p = `http://${ns()}/p`;
      const [a, b] = [`${p}/a.jpg`, `${p}/b.jpg`];
      await engine.upsertPage({ url: p, title: 'v1', links: [{ url: a }, { url: b }], crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#ca`, crawledAtMs: 1 });
      await engine.upsertPage({ url: p, title: 'v2', links: [{ url: b, alt: 'bee' }], crawledAtMs: 2 });
      const img = await engine.imagesOfPage(p);
      assert.deepEqual(img?.images.map((i) => [i.url, i.alt]), [[b, 'bee']]);
      assert.equal(img?.page.title, 'v2');
      assert.deepEqual((await engine.sourcesOfContent(`${p}#ca`))?.links, [{ url: a, crawledAtMs: 1, pages: [] }]);
      const before = await engine.counts();
      assert.ok(before.staleEdgeCopies >= 2, `expected stale copies, got ${before.staleEdgeCopies}`);
      await engine.retire();
      assert.equal((await engine.counts()).staleEdgeCopies, 0);
      assert.deepEqual((await engine.imagesOfPage(p))?.images.map((i) => i.url), [b]);
      assert.deepEqual((await t.store.readPage(p)).edges.map((e) => e.link), [b]);
    });

    test('a dead link hides its oc edge; a link serving new content moves to it', async () => {
      const p = `http://${ns()}/p`;
      const [a, b] = [`${p}/a.jpg`, `${p}/b.jpg`];
      await engine.upsertPage({ url: p, links: [{ url: a }, { url: b }], crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#1`, crawledAtMs: 1 });
      await engine.markLink({ url: b, alive: true, contentSign: `${p}#1`, crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: false, reason: 'http-404', crawledAtMs: 2 });
      await engine.markLink({ url: b, alive: true, contentSign: `${p}#2`, crawledAtMs: 2 });
      assert.deepEqual(await engine.contentOfLink(a), { url: a, alive: false, reason: 'http-404', crawledAtMs: 2 });
      assert.deepEqual((await engine.contentOfLink(b))?.content, { sign: `${p}#2`, crawledAtMs: 2 });
      assert.deepEqual((await engine.sourcesOfContent(`${p}#1`))?.links, []);
      assert.deepEqual((await engine.sourcesOfContent(`${p}#2`))?.links.map((l) => [l.url, l.pages.map((x) => x.url)]), [[b, [p]]]);
      await engine.retire();
      assert.deepEqual((await t.store.readContent(`${p}#1`)).links, []);
      assert.deepEqual((await engine.sourcesOfContent(`${p}#2`))?.links.map((l) => l.url), [b]);
    });

    test('deletePage hides every edge of the page; older crawls never overwrite newer ones', async () => {
      const p = `http://${ns()}/p`;
      const a = `${p}/a.jpg`;
      await engine.upsertPage({ url: p, contentHash: 'h5', links: [{ url: a }], crawledAtMs: 5 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#1`, crawledAtMs: 5 });
      assert.equal((await engine.upsertPage({ url: p, contentHash: 'h4', links: [], crawledAtMs: 4 })).applied, false);
      assert.equal(await engine.pageContentHash(p), 'h5');
      assert.equal((await engine.markLink({ url: a, alive: false, crawledAtMs: 4 })).applied, false);
      assert.equal(await engine.deletePage(p), true);
      assert.equal(await engine.deletePage(p), false);
      assert.equal(await engine.imagesOfPage(p), undefined);
      assert.equal(await engine.pageContentHash(p), undefined);
      assert.deepEqual((await engine.sourcesOfContent(`${p}#1`))?.links.map((l) => l.pages), [[]]);
      await engine.upsertPage({ url: p, contentHash: 'h6', links: [{ url: a, alt: 'back' }], crawledAtMs: 6 });
      assert.deepEqual((await engine.sourcesOfContent(`${p}#1`))?.links.flatMap((l) => l.pages.map((x) => x.alt)), ['back']);
    });

    test('retire with a limit stops early and never deletes a live edge', async () => {
      const p = `http://${ns()}/p`;
      for (let i = 0; i < 5; i++) {
        await engine.upsertPage({ url: p, links: [{ url: `${p}/${i}.jpg` }, { url: `${p}/keep.jpg` }], crawledAtMs: 10 + i });
      }
      const first = await engine.retire({ limit: 2 });
      assert.equal(first.deleted, 2);
      assert.equal(first.complete, false);
      const rest = await engine.retire();
      assert.equal(rest.complete, true);
      assert.equal((await engine.counts()).staleEdgeCopies, 0);
      assert.deepEqual((await engine.imagesOfPage(p))?.images.map((i) => i.url), [`${p}/4.jpg`, `${p}/keep.jpg`]);
    });

    test('features, OCR, and the spiders\' skip checks', async () => {
      const s = `${ns()}-sign`;
      assert.equal(await engine.contentHasFeatures(s), false);
      await engine.upsertContent(s, feat, 'blob://thumb/1');
      await engine.setOcr(s, 'SALE 50%', [{ text: 'SALE 50%', score: 0.9 }]);
      assert.equal(await engine.contentHasFeatures(s), true);
      const rel = await engine.sourcesOfContent(s);
      assert.deepEqual(rel, { sign: s, features: feat, thumbnailRef: 'blob://thumb/1', ocrText: 'SALE 50%', ocrLines: [{ text: 'SALE 50%', score: 0.9 }], links: [] });
    });

    test('bad input is refused with an error naming the field', async () => {
      await assert.rejects(engine.upsertPage({ url: '', crawledAtMs: -1 } as never), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /`url`/);
        assert.match(err.message, /`crawledAtMs`/);
        return true;
      });
      await assert.rejects(engine.markLink({ url: 'x\u0000y', alive: true, crawledAtMs: 1 }), /must not contain NUL/);
    });

    test('exportJsonl writes one line per content in scan order, with progress', async () => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const progress: number[] = [];
      const report = await engine.exportJsonl(out, { onProgress: (p) => progress.push(p.contents) });
      const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { sign: string });
      const scanned = [];
      for await (const c of engine.scan()) scanned.push(c.sign);
      assert.deepEqual(lines.map((l) => l.sign), scanned);
      assert.equal(report.contents, lines.length);
      assert.equal(progress.at(-1), lines.length);
      assert.ok(report.bytes > 0);
    });

    test('data survives a restart', async () => {
      const p = `http://${ns()}/p`;
      await engine.upsertPage({ url: p, title: 'kept', links: [{ url: `${p}/a.jpg` }], crawledAtMs: 1 });
      await engine.markLink({ url: `${p}/a.jpg`, alive: true, contentSign: `${p}#a`, crawledAtMs: 1 });
      const store = await t.reopen();
      engine = createRelationEngine({ store, now: () => ++clock });
      assert.equal((await engine.imagesOfPage(p))?.images[0]?.content?.sign, `${p}#a`);
      assert.deepEqual((await engine.sourcesOfContent(`${p}#a`))?.links.map((l) => l.pages.map((x) => x.pageTitle)), [['kept']]);
    });
  });
}
