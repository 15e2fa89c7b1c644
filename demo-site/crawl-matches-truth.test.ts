// Crawls the demo site with the real page-spider, image-extract and image-spider handlers (no
// DAG runtime: a plain breadth-first loop standing in for it) and compares everything with the
// ground truth: pages, f→o edges, link outcomes, o→c identities, rejections, depth limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mockOperatorContext } from '../framework/testing/index.ts';
import { createImageExtractOperator } from '../operators/image-extract/index.ts';
import { createImageSpiderOperator } from '../operators/image-spider/index.ts';
import { createPageSpiderOperator } from '../operators/page-spider/index.ts';
import { createPoliteness, DEFAULT_USER_AGENT, safeFetch } from '../operators/net/index.ts';
import { startDemoSite, type DemoSite } from './index.ts';

const LOOPBACK = ['127.0.0.0/8'];
let site: DemoSite;
const pages: { url: string; finalUrl: string; title: string; depth: number }[] = [];
const edges: { pageUrl: string; imageUrl: string; alt: string; context: string }[] = [];
const pageRejections: { url: string; reason: string }[] = [];
const imageOutcomes = new Map<string, { status: string; reason?: string; contentId?: string }>();

before(async () => {
  site = await startDemoSite({ slowMs: 200 });
  const gt = site.groundTruth;
  const limits = gt.limits;
  // The spiders obey the site's robots.txt, as the main job's do.
  const politeness = createPoliteness({ userAgent: DEFAULT_USER_AGENT, fetch: (u, o) => safeFetch(u, { allowPrivate: LOOPBACK, connectTimeoutMs: 2_000, readTimeoutMs: 5_000, ...o }) });
  const spider = createPageSpiderOperator({ allowPrivate: LOOPBACK, maxBytes: limits.pageMaxBytes, maxRedirects: limits.maxRedirects, politeness });
  const extract = createImageExtractOperator();
  const imageSpider = createImageSpiderOperator({ allowPrivate: LOOPBACK, maxBytes: limits.imageMaxBytes, maxPixels: limits.maxPixels, timeouts: { connectMs: 2_000, readMs: limits.readTimeoutMs }, maxRedirects: limits.maxRedirects, politeness });
  const queue = gt.seeds.map((s) => ({ url: site.absolute(s), depth: '0', maxDepth: String(gt.maxDepth) }));
  const seen = new Set(queue.map((q) => q.url));
  const images: string[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    let page;
    try {
      page = await spider.handler({ url: item.url }, mockOperatorContext());
    } catch (err) {
      pageRejections.push({ url: site.relative(item.url), reason: (err as { reason?: string }).reason ?? String(err) });
      continue;
    }
    pages.push({ url: site.relative(item.url), finalUrl: site.relative(page.finalUrl!), title: page.title!, depth: Number(item.depth) });
    const ctx = mockOperatorContext({ trigger: { source: item } });
    const out = await extract.handler({ finalUrl: page.finalUrl!, html: page.html! }, ctx);
    for (const img of out.images!) edges.push({ pageUrl: site.relative(page.finalUrl!), imageUrl: site.relative(img.url), alt: img.alt, context: img.context });
    for (const child of ctx.children) {
      if (child.dag === 'image-ingest') {
        if (!images.includes(child.source.url!)) images.push(child.source.url!);
      } else if (!seen.has(child.source.url!)) {
        seen.add(child.source.url!);
        queue.push({ url: child.source.url!, depth: child.source.depth!, maxDepth: child.source.maxDepth! });
      }
    }
  }
  for (const url of images) {
    try {
      const r = await imageSpider.handler({ url }, mockOperatorContext({ attempt: 5 }));
      imageOutcomes.set(site.relative(url), r.linkStatus === 'dead' ? { status: 'dead', reason: r.deadReason! } : { status: 'alive', contentId: createHash('sha256').update(r.image!).digest('hex') });
    } catch (err) {
      imageOutcomes.set(site.relative(url), { status: 'rejected', reason: (err as { reason?: string }).reason ?? String(err) });
    }
  }
});
after(() => site.close());

describe('a crawl of the demo site matches its ground truth', () => {
  it('crawls exactly the expected pages, at the expected depths and titles', () => {
    const key = (p: { url: string; finalUrl: string; title: string; depth: number }) => `${p.url} -> ${p.finalUrl} | ${p.title} | ${p.depth}`;
    assert.deepEqual(pages.map(key).sort(), site.groundTruth.pages.map(key).sort());
  });

  it('rejects exactly the expected pages, with their reasons', () => {
    const expected = site.groundTruth.rejections.filter((r) => r.kind === 'page').map((r) => `${r.url} ${r.reason}`);
    assert.deepEqual(pageRejections.map((r) => `${r.url} ${r.reason}`).sort(), expected.sort());
  });

  it('finds exactly the expected f→o edges with their alt text and context', () => {
    const key = (e: { pageUrl: string; imageUrl: string; alt: string }) => `${e.pageUrl} -> ${e.imageUrl} [${e.alt}]`;
    assert.deepEqual(edges.map(key).sort(), site.groundTruth.edges.map(key).sort());
    for (const e of site.groundTruth.edges.filter((x) => x.contextIncludes)) {
      const found = edges.find((x) => x.pageUrl === e.pageUrl && x.imageUrl === e.imageUrl)!;
      assert.ok(found.context.includes(e.contextIncludes!), `${e.pageUrl} ${e.imageUrl}: context \`${found.context}\` lacks \`${e.contextIncludes}\``);
    }
  });

  it('gives every image link its expected outcome and content identity', () => {
    const actual = [...imageOutcomes].map(([url, o]) => ({ url, ...o }));
    const expected = site.groundTruth.links.map((l) => ({ url: l.url, status: l.status, ...(l.reason ? { reason: l.reason } : {}), ...(l.contentId ? { contentId: l.contentId } : {}) }));
    const byUrl = (a: { url: string }, b: { url: string }) => a.url.localeCompare(b.url);
    assert.deepEqual(actual.sort(byUrl), expected.sort(byUrl));
  });

  it('never requests what robots.txt disallows', () => {
    assert.ok(site.requests.includes('/robots.txt'));
    assert.deepEqual(site.requests.filter((r) => r.startsWith('/private/')), []);
  });

  it('never requests pages beyond maxDepth', () => {
    for (const path of site.groundTruth.beyondDepth) assert.ok(!site.requests.includes(path), `${path} was requested`);
    assert.ok(site.groundTruth.beyondDepth.length > 0);
  });
});
