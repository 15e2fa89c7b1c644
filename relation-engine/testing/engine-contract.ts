// The engine on each store: versioned writes hide what they replace at once, the journal-driven
// retirement deletes it later (and what a crashed write left), orphans and thumbnails retire,
// aliases resolve, and the maintained counts agree with a full recount.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMemoryBlobStore } from '../../framework/blob-store/index.ts';
import { createRelationEngine, type RelationEngine } from '../engine.ts';
import type { RelationStore } from '../relation-store.ts';
import type { MakeTestStore, TestStore } from './test-stores.ts';

/** A barrier for `n` callers at a time (given up after 5 s, so a miscount fails instead of hanging). */
function meeting(n: number): { (): Promise<void>; met: number } {
  let waiting: (() => void)[] = [];
  const meet = Object.assign(() => new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      waiting = waiting.filter((w) => w !== release);
      resolve();
    }, 5_000);
    const release = (): void => {
      clearTimeout(timer);
      resolve();
    };
    waiting.push(release);
    if (waiting.length >= n) {
      meet.met++;
      const all = waiting;
      waiting = [];
      all.forEach((w) => w());
    }
  }), { met: 0 });
  return meet;
}

const feat = { width: 10, height: 20, format: 'jpeg', clarity: 0.75, phash: 'abcd', dominantColor: '#102030' };

export function engineContract(name: string, make: MakeTestStore): void {
  describe(`RelationEngine on ${name}`, () => {
    let t: TestStore;
    let engine: RelationEngine;
    let clock = 1_000;
    let n = 0;
    const ns = () => `e${++n}`;
    // The property test covers the graph without orphan retirement; here it is on.
    before(async () => {
      t = await make();
      engine = createRelationEngine({ store: t.store, now: () => ++clock });
    });
    after(async () => {
      await t.dispose();
    });

    test('a re-crawl without an image hides its fo edge at once; retirement deletes it later', async () => {
      const p = `http://${ns()}/p`;
      const [a, b] = [`${p}/a.jpg`, `${p}/b.jpg`];
      await engine.upsertPage({ url: p, title: 'v1', links: [{ url: a }, { url: b }], crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#ca`, crawledAtMs: 1 });
      await engine.upsertPage({ url: p, title: 'v2', links: [{ url: b, alt: 'bee' }], crawledAtMs: 2 });
      const img = await engine.imagesOfPage(p);
      assert.deepEqual(img?.images.map((i) => [i.url, i.alt]), [[b, 'bee']]);
      assert.equal(img?.page.title, 'v2');
      assert.deepEqual((await engine.sourcesOfContent(`${p}#ca`))?.links, [{ url: a, crawledAtMs: 1, pages: [] }]);
      assert.ok((await engine.counts()).staleEdgeCopies >= 2);
      const r = await engine.retire({ orphans: false });
      assert.equal(r.complete, true);
      assert.ok(r.removed >= 2);
      assert.deepEqual((await t.store.readPage(p)).edges.map((e) => e.link), [b]);
      assert.deepEqual((await t.store.readLink(a)).pages, []);
      assert.equal((await engine.counts()).staleEdgeCopies, 0);
    });

    test('a dead link hides its oc edge; a link serving new content moves to it; retirement removes the old copies', async () => {
      const p = `http://${ns()}/p`;
      const [a, b] = [`${p}/a.jpg`, `${p}/b.jpg`];
      await engine.upsertPage({ url: p, links: [{ url: a }, { url: b }], crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#1`, crawledAtMs: 1 });
      await engine.markLink({ url: b, alive: true, contentSign: `${p}#1`, crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: false, reason: 'http-404', crawledAtMs: 2 });
      await engine.markLink({ url: b, alive: true, contentSign: `${p}#2`, crawledAtMs: 2 });
      await engine.markLink({ url: b, alive: true, crawledAtMs: 3 });
      assert.deepEqual(await engine.contentOfLink(a), { url: a, alive: false, reason: 'http-404', crawledAtMs: 2 });
      assert.deepEqual((await engine.contentOfLink(b))?.content, { sign: `${p}#2`, crawledAtMs: 2 }, 'alive with content unknown keeps the live one');
      assert.deepEqual((await engine.sourcesOfContent(`${p}#1`))?.links, []);
      await engine.retire({ orphans: false });
      assert.deepEqual((await t.store.readContent(`${p}#1`)).links, []);
      assert.deepEqual((await t.store.readLink(b)).contents.map((e) => e.sign), [`${p}#2`]);
      assert.deepEqual((await engine.sourcesOfContent(`${p}#2`))?.links.map((l) => [l.url, l.pages.map((x) => x.url)]), [[b, [p]]]);
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
      assert.deepEqual((await engine.sourcesOfContent(`${p}#1`))?.links.map((l) => l.pages), [[]]);
      await engine.upsertPage({ url: p, contentHash: 'h6', links: [{ url: a, alt: 'back' }], crawledAtMs: 6 });
      assert.deepEqual((await engine.sourcesOfContent(`${p}#1`))?.links.flatMap((l) => l.pages.map((x) => x.alt)), ['back']);
    });

    test('retire with a limit stops early, and never deletes a live edge', async () => {
      const p = `http://${ns()}/p`;
      for (let i = 0; i < 5; i++) await engine.upsertPage({ url: p, links: [{ url: `${p}/${i}.jpg` }, { url: `${p}/keep.jpg` }], crawledAtMs: 10 + i });
      const first = await engine.retire({ limit: 2, orphans: false });
      assert.equal(first.entries, 2);
      assert.equal(first.complete, false);
      const rest = await engine.retire({ orphans: false });
      assert.equal(rest.complete, true);
      assert.deepEqual((await engine.imagesOfPage(p))?.images.map((i) => i.url), [`${p}/4.jpg`, `${p}/keep.jpg`]);
      assert.deepEqual((await t.store.readPage(p)).edges.map((e) => e.link).sort(), [`${p}/4.jpg`, `${p}/keep.jpg`]);
    });

    test('a write that crashed before its vertex (even a first write) leaves edges retirement removes after the grace period', async () => {
      const p = `http://${ns()}/p`;
      const v = clock + 1_000;
      // What a crash between the edge phase and the vertex phase leaves behind.
      await t.store.apply({
        journal: [{ kind: 'page', id: p, version: v, stale: [], recordedAtMs: clock }],
        foEdges: [{ page: p, link: `${p}/x.jpg`, alt: '', title: '', context: '', fVersion: v }],
      });
      assert.equal(await engine.imagesOfPage(p), undefined);
      const early = await engine.retire({ graceMs: 1_000_000, orphans: false });
      assert.equal(early.pending >= 1, true);
      assert.equal((await t.store.readPage(p)).edges.length, 1, 'an in-flight write is left alone within the grace period');
      clock += 10;
      await engine.retire({ graceMs: 0, orphans: false });
      assert.deepEqual((await t.store.readPage(p)).edges, []);
      assert.deepEqual((await t.store.readLink(`${p}/x.jpg`)).pages, []);
    });

    test('a link no page shows any more retires with its content and the content\'s thumbnail', async () => {
      const p = `http://${ns()}/p`;
      const [a, b] = [`${p}/a.jpg`, `${p}/b.jpg`];
      const deleted: string[] = [];
      const blobs = { deleteIdle: async (refs: readonly string[]) => (deleted.push(...refs), []) };
      await engine.upsertPage({ url: p, links: [{ url: a }, { url: b }], crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#a`, crawledAtMs: 1 });
      await engine.markLink({ url: b, alive: true, contentSign: `${p}#b`, crawledAtMs: 1 });
      await engine.upsertContent(`${p}#a`, feat, `blob://${p}/thumb-a`);
      await engine.upsertPage({ url: p, links: [{ url: b }], crawledAtMs: 2 });
      const r = await engine.retire({ blobs });
      assert.equal(r.orphanLinks, 1);
      assert.equal(r.orphanContents, 1);
      assert.equal(await engine.contentOfLink(a), undefined);
      assert.equal(await engine.sourcesOfContent(`${p}#a`), undefined);
      assert.deepEqual(deleted, [`blob://${p}/thumb-a`]);
      assert.deepEqual((await engine.sourcesOfContent(`${p}#b`))?.links.map((l) => l.url), [b]);
    });

    test('the content index forgets a retired content before it goes; a failing index stops the run, and the next one retires it', async () => {
      const p = `http://${ns()}/p`;
      const a = `${p}/a.jpg`;
      await engine.upsertPage({ url: p, links: [{ url: a }], crawledAtMs: 1 });
      await engine.markLink({ url: a, alive: true, contentSign: `${p}#a`, crawledAtMs: 1 });
      await engine.upsertContent(`${p}#a`, feat);
      await engine.upsertPage({ url: p, links: [], crawledAtMs: 2 });
      const failing = { removeContents: async () => { throw new Error('index down'); } };
      await assert.rejects(engine.retire({ indexes: [failing] }), /index down/);
      assert.ok(await t.store.readContentVertex(`${p}#a`), 'the content stays while its index entry could not go');
      const told: string[] = [];
      const r = await engine.retire({ indexes: [{ removeContents: async (signs) => void told.push(...signs) }] });
      assert.ok(r.orphanContents >= 1);
      assert.ok(told.includes(`${p}#a`), `the index is told: ${told.join(', ')}`);
      assert.equal(await t.store.readContentVertex(`${p}#a`), undefined);
    });

    test('a thumbnail shared by two tenants is deleted only after both let it go', async () => {
      const s = `${ns()}-shared`;
      const blob = `blob://${s}`;
      const deleted: string[] = [];
      const blobs = { deleteIdle: async (refs: readonly string[]) => (deleted.push(...refs), []) };
      await engine.upsertContent(s, feat, blob, { tenant: 'acme' });
      await engine.upsertContent(s, feat, blob, { tenant: 'globex' });
      await engine.releaseContent(s, { tenant: 'acme' });
      await engine.retire({ blobs });
      assert.deepEqual(deleted, []);
      await engine.releaseContent(s, { tenant: 'globex' });
      await engine.retire({ blobs });
      assert.deepEqual(deleted, [blob]);
    });

    test('a thumbnail put again just as its last reference goes stays for the new reference: the put is its lease', async () => {
      const s = `${ns()}-again`;
      const blobs = createMemoryBlobStore({ now: () => clock });
      const thumb = await blobs.put(`thumbnail/${s}`, Uint8Array.of(7));
      await engine.upsertContent(s, feat, thumb, { tenant: 'acme' });
      await engine.releaseContent(s, { tenant: 'acme' }); // its last reference goes: an orphan
      clock += 5_000;
      await blobs.put(`thumbnail/${s}`, Uint8Array.of(7)); // a new item puts the same thumbnail,
      const first = await engine.retire({ blobs, graceMs: 1_000 }); // and the sweep runs before its reference is recorded
      assert.deepEqual([first.blobsDeleted, first.blobsLeased], [0, 1]);
      assert.deepEqual(await blobs.get(thumb), Uint8Array.of(7));
      await engine.upsertContent(s, feat, thumb, { tenant: 'globex' }); // the new reference
      clock += 5_000;
      const second = await engine.retire({ blobs, graceMs: 1_000 });
      assert.deepEqual([second.blobsDeleted, second.blobsLeased], [0, 0], 'referenced again: its orphan record goes, the blob stays');
      assert.deepEqual(await blobs.get(thumb), Uint8Array.of(7));
      await engine.releaseContent(s, { tenant: 'globex' });
      clock += 5_000;
      const third = await engine.retire({ blobs, graceMs: 1_000 });
      assert.deepEqual([third.blobsDeleted, third.blobsLeased], [1, 0]);
      assert.equal(await blobs.get(thumb), null);
    });

    test('a page reached under another URL is one vertex with its aliases; the alias\'s old edges retire', async () => {
      const base = `http://${ns()}`;
      const [old, canonical] = [`${base}/old.html`, `${base}/page.html`];
      await engine.upsertPage({ url: old, title: 'old', links: [{ url: `${base}/gone.jpg` }], crawledAtMs: 1 });
      await engine.upsertPage({ url: canonical, aliases: [old], title: 'moved', links: [{ url: `${base}/a.jpg`, alt: 'A' }], crawledAtMs: 2 });
      const viaAlias = await engine.imagesOfPage(old);
      assert.equal(viaAlias?.page.url, canonical);
      assert.deepEqual(viaAlias?.page.aliases, [old]);
      assert.deepEqual(viaAlias?.images.map((i) => i.alt), ['A']);
      assert.equal(await engine.pageContentHash(old), await engine.pageContentHash(canonical));
      await engine.retire({ orphans: false });
      assert.deepEqual((await t.store.readPage(old)).edges, []);
    });

    test('batched writes: a key written twice in one batch applies in order; bad input fails only its item', async () => {
      const p = `http://${ns()}/p`;
      const results = await engine.upsertPages([
        { url: p, title: 'first', links: [{ url: `${p}/1.jpg` }], crawledAtMs: 1 },
        { url: '', crawledAtMs: -1 } as never,
        { url: p, title: 'second', links: [{ url: `${p}/2.jpg` }], crawledAtMs: 2 },
      ]);
      assert.ok(results[1] instanceof Error);
      assert.equal((results[1] as Error & { code?: string }).code, 'CONFIG_INVALID');
      assert.equal((await engine.imagesOfPage(p))?.page.title, 'second');
      assert.deepEqual((await engine.imagesOfPage(p))?.images.map((i) => i.url), [`${p}/2.jpg`]);
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
      const report = await engine.exportJsonl(out, { onProgress: (p) => progress.push(p.contents), progressEveryMs: 0 });
      const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { sign: string });
      const scanned = [];
      for await (const c of engine.scan()) scanned.push(c.sign);
      assert.deepEqual(lines.map((l) => l.sign), scanned);
      const parallel = [];
      for await (const c of engine.scan({ parallel: 3, batchSize: 2 })) parallel.push(c.sign);
      assert.deepEqual(parallel, scanned, 'a parallel scan hands out the same order');
      assert.equal(report.contents, lines.length);
      assert.equal(progress.at(-1), lines.length);
      assert.ok(report.bytes > 0);
    });

    test('concurrent writes of one content (two links serving it, its features, its OCR) count it once', async () => {
      const fresh = await make();
      try {
        let now = 2_000_000;
        const e = createRelationEngine({ store: fresh.store, now: () => now++ });
        const links = Array.from({ length: 6 }, (_, i) => `http://d/img${i}.png`);
        await e.upsertPage({ url: 'http://d/p', links: links.map((url) => ({ url })), crawledAtMs: 1 });
        // Separate calls in flight at once, as two batches of one operator process are.
        await Promise.all([
          ...links.map((url) => e.markLinks([{ url, alive: true, contentSign: 'shared', crawledAtMs: 1 }])),
          e.upsertContents([{ sign: 'shared', features: feat }]),
          e.upsertContents([{ sign: 'shared', ocrText: 'HELLO' }]),
          e.upsertContents([{ sign: 'shared', ocrText: 'HELLO' }]),
        ]);
        const counts = await e.counts();
        assert.deepEqual([counts.contents, counts.contentsWithFeatures, counts.contentsWithOcr, counts.links], [1, 1, 1, links.length]);
        const { staleEdgeCopies: _m, ...maintained } = counts;
        const { staleEdgeCopies: _x, ...exact } = await e.counts({ exact: true });
        assert.deepEqual(maintained, exact);
      } finally {
        await fresh.dispose();
      }
    });

    test('two writer processes racing on one new content (its vertex, features, OCR) count it once', async () => {
      const fresh = await make();
      try {
        let now = 3_000_000;
        // Two engines on one store are two processes: neither's key locks hold the other back.
        // Both read the content as missing before either writes (a barrier on that read).
        const meet = meeting(2);
        const racing = (store: RelationStore): RelationStore => new Proxy(store, {
          get(target, prop) {
            const v = Reflect.get(target, prop, target) as unknown;
            if (prop === 'readContentVertices') {
              return async (signs: readonly string[]) => {
                const read = await target.readContentVertices(signs);
                await meet();
                return read;
              };
            }
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
        const [one, two] = [0, 1].map(() => createRelationEngine({ store: racing(fresh.store), now: () => now++ }));
        const sign = 'raced';
        await Promise.all([one!.markLink({ url: 'http://r/a.png', alive: true, contentSign: sign, crawledAtMs: 1 }), two!.markLink({ url: 'http://r/b.png', alive: true, contentSign: sign, crawledAtMs: 1 })]);
        await Promise.all([one!.upsertContent(sign, feat), two!.upsertContent(sign, feat)]);
        await Promise.all([one!.setOcr(sign, 'HELLO'), two!.setOcr(sign, 'HELLO')]);
        assert.equal(meet.met, 3, 'each round, both writers read before either wrote');
        const counts = await one!.counts();
        assert.deepEqual([counts.contents, counts.contentsWithFeatures, counts.contentsWithOcr], [1, 1, 1]);
        const { staleEdgeCopies: _m, ...maintained } = counts;
        const { staleEdgeCopies: _x, ...exact } = await one!.counts({ exact: true });
        assert.deepEqual(maintained, exact);
      } finally {
        await fresh.dispose();
      }
    });

    test('maintained counts agree with a full recount, and visits fall due on their own schedule', async () => {
      const fresh = await make();
      try {
        let now = 1_000_000;
        const e = createRelationEngine({ store: fresh.store, now: () => now++ });
        await e.upsertPage({ url: 'http://c/p', links: [{ url: 'http://c/a' }, { url: 'http://c/b' }], crawledAtMs: 1, visit: { depth: 0, maxDepth: 2 } });
        await e.markLinks([{ url: 'http://c/a', alive: true, contentSign: 's1', crawledAtMs: 1, visit: {} }, { url: 'http://c/b', alive: false, reason: 'http-404', crawledAtMs: 1, visit: {} }]);
        await e.upsertContent('s1', feat, 'blob://t1');
        await e.setOcr('s1', 'HI');
        await e.upsertPage({ url: 'http://c/q', aliases: ['http://c/q-old'], links: [{ url: 'http://c/a' }], crawledAtMs: 2 });
        await e.upsertPage({ url: 'http://c/p', links: [{ url: 'http://c/b' }], crawledAtMs: 3 });
        const { staleEdgeCopies, ...maintained } = await e.counts();
        const { staleEdgeCopies: exactStale, ...exact } = await e.counts({ exact: true });
        assert.deepEqual(maintained, exact);
        assert.equal(staleEdgeCopies, exactStale);
        await e.retire();
        assert.deepEqual(await e.counts(), await e.counts({ exact: true }));
        const due = await e.dueVisits({ beforeMs: Number.MAX_SAFE_INTEGER / 2 });
        assert.deepEqual(due.map((d) => `${d.kind} ${d.url}`).sort(), ['link http://c/a', 'link http://c/b', 'page http://c/p']);
        assert.equal(due.find((d) => d.url === 'http://c/p')?.maxDepth, 2);
      } finally {
        await fresh.dispose();
      }
    });
  });
}
