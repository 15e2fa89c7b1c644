import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { safeFetch } from '../operators/net/index.ts';
import { DEFAULT_SEED, DEFAULT_SLOW_MS, startDemoSite, type DemoSite } from './index.ts';
import { renderDemoSite } from './internal/build-site.ts';

let site: DemoSite;
before(async () => {
  site = await startDemoSite();
});
after(() => site.close());

const get = (path: string, extra: { maxBytes?: number; accept?: string } = {}) =>
  safeFetch(site.absolute(path), { allowPrivate: ['127.0.0.0/8'], connectTimeoutMs: 2_000, readTimeoutMs: 10_000, maxBytes: extra.maxBytes ?? 20 << 20, maxRedirects: 5 });

describe('demo-site generator', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await renderDemoSite(DEFAULT_SEED, DEFAULT_SLOW_MS);
    assert.deepEqual(a.groundTruth, site.groundTruth);
    const other = await renderDemoSite(DEFAULT_SEED + 1, DEFAULT_SLOW_MS);
    assert.notDeepEqual(other.groundTruth.contents.map((c) => c.contentId), a.groundTruth.contents.map((c) => c.contentId));
  });

  it('matches the committed demo-site/ground-truth.json (regenerate with `npx tsx demo-site/generate.ts`)', () => {
    const committed = JSON.parse(readFileSync(new URL('./ground-truth.json', import.meta.url), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(site.groundTruth)));
  });

  it('is small enough to crawl quickly yet covers every hostile case', () => {
    const gt = site.groundTruth;
    assert.ok(gt.pages.length >= 20 && gt.pages.length <= 40, `${gt.pages.length} pages`);
    assert.ok(gt.links.length >= 30 && gt.links.length <= 60, `${gt.links.length} image links`);
    for (const reason of ['http-404', 'not-html', 'redirect-loop', 'not-an-image', 'too-large', 'decompression-bomb', 'truncated-image', 'too-many-redirects', 'ssrf-blocked']) {
      assert.ok((gt.rejectionsByReason[reason] ?? 0) > 0, `no case for ${reason}`);
    }
    assert.ok(gt.contents.some((c) => c.links.length > 1), 'same bytes under two URLs');
    assert.ok(gt.contents.some((c) => c.nearDuplicateOf !== undefined), 'a near-duplicate');
    const logoPages = new Set(gt.edges.filter((e) => e.imageUrl === '/img/logo.png').map((e) => e.pageUrl));
    assert.equal(logoPages.size, gt.pages.length, 'the logo is on every page');
    assert.deepEqual(gt.ocr.map((o) => o.lang).sort(), ['en', 'en', 'zh', 'zh']);
    assert.deepEqual(new Set(gt.pages.map((p) => p.charset)), new Set(['utf-8', 'gbk', 'windows-1252']));
  });
});

describe('demo-site server', () => {
  it('serves every alive content with the bytes the ground truth names', async () => {
    for (const c of site.groundTruth.contents) {
      const res = await get(c.links[0]!);
      assert.equal(res.status, 200, c.links[0]);
      const meta = await sharp(res.body).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], [c.format, c.width, c.height], c.links[0]);
      assert.equal(res.body.length, c.bytes);
    }
  });

  it('serves distinct images for distinct contents (no accidental duplicates)', async () => {
    const thumbs = new Set<string>();
    for (const c of site.groundTruth.contents.filter((x) => !x.nearDuplicateOf)) {
      const res = await get(c.links[0]!);
      thumbs.add((await sharp(res.body).resize(8, 8, { fit: 'fill' }).greyscale().raw().toBuffer()).toString('hex'));
    }
    assert.equal(thumbs.size, site.groundTruth.contents.filter((x) => !x.nearDuplicateOf).length);
  });

  it('serves the hostile files as advertised', async () => {
    await assert.rejects(sharp((await get('/img/bomb.png')).body).metadata(), /pixel limit/);
    const bomb = sharp((await get('/img/bomb.png')).body, { limitInputPixels: false });
    assert.deepEqual([(await bomb.metadata()).width, (await bomb.metadata()).height], [40_000, 40_000]);
    await assert.rejects(sharp((await get('/img/truncated.jpg')).body).raw().toBuffer());
    const huge = await get('/img/huge.png');
    assert.ok(huge.body.length > site.groundTruth.limits.imageMaxBytes);
    const fake = await get('/img/fake-2.png');
    assert.equal(fake.headers['content-type'], 'image/png');
    assert.match(Buffer.from(fake.body).toString(), /<!DOCTYPE html>/);
    assert.equal((await get('/img/missing-1.png')).status, 404);
  });

  it('fills in its origin, follows redirect chains, loops redirects, and gzips articles', async () => {
    const home = Buffer.from((await get('/')).body).toString();
    assert.doesNotMatch(home, /__ORIGIN__|__HOST__/);
    const gallery = Buffer.from((await get('/gallery/1.html')).body).toString() + Buffer.from((await get('/gallery/3.html')).body).toString();
    assert.ok(gallery.includes(site.origin) || gallery.includes(`//${new URL(site.origin).host}/`));
    const chain = await get('/r/chain-1.png');
    assert.equal(chain.redirects.length, 3);
    assert.equal(site.relative(chain.finalUrl), '/img/photo-12.jpg');
    await assert.rejects(get('/r/loop-a.jpg'), { code: 'REDIRECT_LOOP' });
    const raw = await fetch(site.absolute('/articles/a1.html'), { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(raw.headers.get('content-encoding'), 'gzip');
    const article = Buffer.from((await get('/articles/a1.html')).body).toString();
    assert.match(article, /<article>/);
  });

  it('delays the slow page', async () => {
    const slow = await startDemoSite({ slowMs: 300 });
    try {
      await assert.rejects(
        safeFetch(slow.absolute('/hostile/slow.html'), { allowPrivate: ['127.0.0.0/8'], connectTimeoutMs: 1_000, readTimeoutMs: 50, maxBytes: 1 << 20, maxRedirects: 0 }),
        { code: 'TIMEOUT' },
      );
    } finally {
      await slow.close();
    }
  });

  it('refuses to listen on a non-loopback host', async () => {
    await assert.rejects(startDemoSite({ host: '0.0.0.0' }), /loopback only/);
  });
});
