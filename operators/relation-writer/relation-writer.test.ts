// The writer runs against real engines on both backends: no mock the engine's own tests don't cover.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import type { BatchOperatorDefinition, FieldDecls, FieldValuesOf, OperatorContext } from '../../framework/operator-sdk/index.ts';
import { createMemoryBlobStore } from '../../framework/blob-store/index.ts';
import { createRelationEngine, openRelationStore, type RelationEngine } from '../../relation-engine/index.ts';
import { cassandraTestStore, embeddedTestStore, type MakeTestStore, type TestStore } from '../../relation-engine/testing/index.ts';
import { createRelationWriterOperators } from './index.ts';

const SIGN = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);
const feat = { width: 640, height: 480, format: 'jpeg', clarity: 0.8, phash: 'f0f0f0f0f0f0f0f0', dominantColor: '#aabbcc' };

/** One item through an operator's batch handler: its answer, or its error thrown. */
async function call<I extends FieldDecls, O extends FieldDecls>(op: BatchOperatorDefinition<I, O>, input: FieldValuesOf<I>, ctx: OperatorContext = mockOperatorContext()): Promise<FieldValuesOf<O>> {
  const [r] = await op.batchHandler([{ input, ctx }], { signal: ctx.signal, deadline: ctx.deadline });
  if (r instanceof Error) throw r;
  return r!;
}

const filteredWith = (reason: string) => (err: unknown) => {
  assert.equal((err as { code?: string }).code, 'FILTERED');
  assert.equal((err as { reason?: string }).reason, reason);
  return true;
};

function writerSuite(name: string, make: MakeTestStore): void {
  describe(`relation-writer on ${name}`, () => {
    let t: TestStore;
    let engine: RelationEngine;
    let ops: ReturnType<typeof createRelationWriterOperators>;
    before(async () => {
      t = await make();
      engine = createRelationEngine({ store: t.store });
      ops = createRelationWriterOperators({ engine });
    });
    after(() => t.dispose());

    test('declares the four operators with their field contracts', () => {
      assert.deepEqual(ops.all.map((o) => o.name), ['relation-page', 'relation-link', 'relation-content', 'relation-ocr']);
      assert.deepEqual(Object.keys(ops.page.inputs), ['url', 'finalUrl', 'canonicalUrl', 'title', 'pageType', 'contentHash', 'fetchedAtMs', 'images', 'etag', 'lastModified', 'depth', 'maxDepth']);
      assert.equal(ops.content.inputs.thumbnail.kind, 'blob-ref');
    });

    test('page → link → content → ocr builds the relation', async () => {
      const ctx = mockOperatorContext();
      await call(ops.page, {
        url: 'http://site/a', finalUrl: 'http://site/a/', title: 'A', pageType: 'article', contentHash: 'h1', fetchedAtMs: 10,
        images: [{ url: 'http://site/1.jpg', alt: 'one', title: 't', context: 'around' }],
      }, ctx);
      await call(ops.link, { url: 'http://site/1.jpg', linkStatus: 'alive', contentSign: SIGN, fetchedAtMs: 11 }, ctx);
      await call(ops.content, { contentSign: SIGN, ...feat, thumbnail: 'blob://thumbs/ab' }, ctx);
      await call(ops.ocr, { contentSign: SIGN, ocrText: 'HELLO', ocrLines: [{ text: 'HELLO', confidence: 0.9 }] }, ctx);
      const rel = await engine.sourcesOfContent(SIGN);
      assert.deepEqual(rel, {
        sign: SIGN, features: feat, thumbnailRef: 'blob://thumbs/ab', ocrText: 'HELLO', ocrLines: [{ text: 'HELLO', confidence: 0.9 }],
        links: [{ url: 'http://site/1.jpg', crawledAtMs: 11, pages: [{ url: 'http://site/a/', pageTitle: 'A', pageType: 'article', alt: 'one', title: 't', context: 'around' }] }],
      });
      assert.equal((await engine.imagesOfPage('http://site/a'))?.page.finalUrl, 'http://site/a/');
      assert.equal((await engine.imagesOfPage('http://site/a'))?.page.url, 'http://site/a/', 'the page is keyed by where it landed');
    });

    test('a same-site canonical link keys the page; the URLs it was reached under become aliases', async () => {
      const ctx = mockOperatorContext();
      await call(ops.page, {
        url: 'http://site/p?ref=1', finalUrl: 'http://site/p?ref=1', canonicalUrl: '/p', title: 'P', pageType: 'article', contentHash: 'hp', fetchedAtMs: 10,
        images: [], depth: '1', maxDepth: '3',
      }, ctx);
      const page = await engine.imagesOfPage('http://site/p?ref=1');
      assert.equal(page?.page.url, 'http://site/p');
      assert.deepEqual(page?.page.aliases, ['http://site/p?ref=1']);
      await call(ops.page, { url: 'http://site/q', canonicalUrl: 'http://elsewhere/q', title: 'Q', pageType: 'page', contentHash: 'hq', fetchedAtMs: 10, images: [] }, ctx);
      assert.equal((await engine.imagesOfPage('http://site/q'))?.page.url, 'http://site/q', 'a canonical link to another site is ignored');
      const due = await engine.dueVisits({ beforeMs: Number.MAX_SAFE_INTEGER / 2 });
      assert.deepEqual(due.filter((d) => d.url === 'http://site/p').map((d) => [d.depth, d.maxDepth]), [[1, 3]]);
    });

    test('relation-link: a 304 keeps the live content and ends the item unchanged', async () => {
      const ctx = mockOperatorContext();
      await call(ops.link, { url: 'http://site/304.jpg', linkStatus: 'alive', contentSign: OTHER, etag: '"v1"', fetchedAtMs: 10 }, ctx).catch(() => undefined);
      assert.deepEqual(await engine.linkValidators('http://site/304.jpg'), { sign: OTHER, etag: '"v1"' });
      await assert.rejects(call(ops.link, { url: 'http://site/304.jpg', linkStatus: 'alive', notModified: true, fetchedAtMs: 11 }, ctx), filteredWith('unchanged'));
      assert.deepEqual((await engine.contentOfLink('http://site/304.jpg'))?.content?.sign, OTHER);
      assert.equal((await engine.linkValidators('http://site/304.jpg'))?.etag, '"v1"', 'a 304 keeps the validators');
    });

    test('a batch is one engine write, with one answer per item', async () => {
      const calls: number[] = [];
      const spy = Object.create(engine) as RelationEngine;
      spy.upsertPages = async (items) => {
        calls.push(items.length);
        return engine.upsertPages(items);
      };
      spy.markLinks = async (items) => {
        calls.push(items.length);
        return engine.markLinks(items);
      };
      const batched = createRelationWriterOperators({ engine: spy });
      const ctx = mockOperatorContext();
      const batch = { signal: ctx.signal, deadline: ctx.deadline };
      const pages = await batched.page.batchHandler(Array.from({ length: 20 }, (_, i) => ({
        input: { url: `http://batch/${i}`, title: '', pageType: '', contentHash: '', fetchedAtMs: 1, images: [] }, ctx,
      })), batch);
      assert.deepEqual(calls, [20]);
      assert.deepEqual(pages, Array.from({ length: 20 }, () => ({})));
      assert.equal((await engine.imagesOfPage('http://batch/7'))?.page.url, 'http://batch/7');
      const links = await batched.link.batchHandler([
        { input: { url: 'http://batch/new.jpg', linkStatus: 'alive', contentSign: 'ef'.repeat(32), fetchedAtMs: 1 }, ctx },
        { input: { url: 'http://batch/dead.jpg', linkStatus: 'dead', deadReason: 'http-410', fetchedAtMs: 1 }, ctx },
        { input: { url: 'http://batch/nosign.jpg', linkStatus: 'alive', fetchedAtMs: 1 }, ctx },
        { input: { url: 'http://batch/bad\u0000.jpg', linkStatus: 'dead', fetchedAtMs: 1 }, ctx },
      ], batch);
      assert.deepEqual(calls, [20, 3], 'the item refused before writing is not sent');
      assert.deepEqual(links[0], {});
      assert.equal((links[1] as { reason?: string }).reason, 'dead-link:http-410');
      assert.equal((links[2] as { code?: string }).code, 'RELATION_BAD_INPUT');
      assert.equal((links[3] as { code?: string }).code, 'RELATION_BAD_INPUT', 'bad input fails its item alone');
      assert.deepEqual((await engine.contentOfLink('http://batch/new.jpg'))?.content?.sign, 'ef'.repeat(32));
    });

    test('relation-link ends an already-known content as filtered known-content, after writing o and oc', async () => {
      const ctx = mockOperatorContext();
      await assert.rejects(call(ops.link, { url: 'http://site/copy.jpg', linkStatus: 'alive', contentSign: SIGN, fetchedAtMs: 12 }, ctx), filteredWith('known-content'));
      assert.deepEqual((await engine.contentOfLink('http://site/copy.jpg'))?.content, { sign: SIGN, crawledAtMs: 12 });
    });

    test('relation-link records a dead link, hides its content and ends as dead-link:<reason>', async () => {
      const ctx = mockOperatorContext();
      await assert.rejects(call(ops.link, { url: 'http://site/1.jpg', linkStatus: 'dead', deadReason: 'http-404', fetchedAtMs: 20 }, ctx), filteredWith('dead-link:http-404'));
      assert.deepEqual(await engine.contentOfLink('http://site/1.jpg'), { url: 'http://site/1.jpg', alive: false, reason: 'http-404', crawledAtMs: 20 });
      assert.deepEqual((await engine.sourcesOfContent(SIGN))?.links.map((l) => l.url), ['http://site/copy.jpg']);
      await assert.rejects(call(ops.link, { url: 'http://site/2.jpg', linkStatus: 'dead', fetchedAtMs: 20 }, ctx), filteredWith('dead-link:unknown'));
    });

    test('late crawls end as filtered stale-crawl; bad input is non-retryable', async () => {
      const ctx = mockOperatorContext();
      await assert.rejects(call(ops.page, { url: 'http://site/a', title: 'old', pageType: 'article', contentHash: 'h0', fetchedAtMs: 1, images: [] }, ctx), filteredWith('stale-crawl'));
      assert.equal(await engine.pageContentHash('http://site/a'), 'h1');
      await assert.rejects(call(ops.link, { url: 'http://site/1.jpg', linkStatus: 'alive', fetchedAtMs: 30 }, ctx), (err: { code?: string; retryable?: boolean }) => {
        assert.equal(err.code, 'RELATION_BAD_INPUT');
        assert.equal(err.retryable, false);
        return true;
      });
      await assert.rejects(call(ops.ocr, { contentSign: 'bad\u0000sign', ocrText: '' }, ctx), (err: { code?: string }) => err.code === 'RELATION_BAD_INPUT');
    });
  });
}

writerSuite('the embedded engine', embeddedTestStore());

test('two tenants share one thumbnail: it stays while either references it, and goes after both let go', async () => {
  const t = await embeddedTestStore()();
  try {
    const engine = createRelationEngine({ store: t.store });
    const { content } = createRelationWriterOperators({ engine });
    const blobs = createMemoryBlobStore();
    const thumb = await blobs.put('image-ingest/thumbnail/shared', new Uint8Array([1, 2, 3]));
    for (const tenant of ['acme', 'globex']) {
      await call(content, { contentSign: SIGN, ...feat, thumbnail: thumb }, mockOperatorContext({ trigger: { tenant } }));
    }
    await engine.releaseContent(SIGN, { tenant: 'acme' });
    await engine.retire({ blobs });
    assert.deepEqual(await blobs.get(thumb), new Uint8Array([1, 2, 3]), 'the other tenant still opens it');
    await engine.releaseContent(SIGN, { tenant: 'globex' });
    const r = await engine.retire({ blobs });
    assert.equal(r.blobsDeleted, 1);
    assert.equal(await blobs.get(thumb), null);
  } finally {
    await t.dispose();
  }
});
writerSuite('the Cassandra engine', cassandraTestStore());

test('an unreachable Cassandra is backpressure with a growing back-off, never a dead letter', async () => {
  const engine = createRelationEngine({ store: await openRelationStore('cassandra:127.0.0.1:1/quarry_unreachable', { lazy: true }) });
  const { page } = createRelationWriterOperators({ engine });
  const waits: number[] = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 700 * i));
    await assert.rejects(call(page, { url: 'http://x/', title: '', pageType: '', contentHash: '', fetchedAtMs: 1, images: [] }, mockOperatorContext()), (err: { code?: string; retryable?: boolean; retryAfterMs?: number }) => {
      assert.equal(err.code, 'BACKPRESSURE');
      assert.equal(err.retryable, true);
      waits.push(err.retryAfterMs!);
      return true;
    });
  }
  assert.ok(waits[0]! <= waits[1]! && waits[1]! < waits[2]!, `back-off grows with the outage: ${waits.join(', ')}`);
  await engine.close();
});

test('a store failure is retried later, not dead-lettered', async () => {
  const t = await embeddedTestStore()();
  const engine = createRelationEngine({ store: t.store });
  await t.dispose();
  const { page } = createRelationWriterOperators({ engine, retryAfterMs: 1234 });
  await assert.rejects(call(page, { url: 'http://x/', title: '', pageType: '', contentHash: '', fetchedAtMs: 1, images: [] }, mockOperatorContext()), (err: { code?: string; retryAfterMs?: number }) => {
    assert.equal(err.code, 'RELATION_STORE_UNAVAILABLE');
    assert.equal(err.retryAfterMs, 1234);
    return true;
  });
});
