import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDemoSite, type DemoSite } from '../../demo-site/index.ts';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { createPoliteness, DEFAULT_USER_AGENT, safeFetch } from '../net/index.ts';
import { createPageSpiderOperator, decodePage, type PageSpiderOptions } from './index.ts';

const LOOPBACK = ['127.0.0.0/8'];
let site: DemoSite;
before(async () => {
  site = await startDemoSite({ slowMs: 600 });
});
after(() => site.close());

async function fetchPage(path: string, options: PageSpiderOptions = { allowPrivate: LOOPBACK }) {
  const spider = createPageSpiderOperator(options);
  return spider.handler({ url: site.absolute(path) }, mockOperatorContext());
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; reason?: string; retryable: boolean; retryAfterMs?: number }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; reason?: string; retryable: boolean };
  }
  assert.fail('expected the spider to throw');
}

describe('page-spider against the demo site', () => {
  it('fetches the home page with status, title, type, hash and UTF-8 html', async () => {
    const page = await fetchPage('/');
    assert.equal(page.httpStatus, 200);
    assert.equal(page.finalUrl, site.url);
    assert.equal(page.title, 'Quarry Demo — Home');
    assert.equal(page.pageType, 'home');
    assert.equal(page.charset, 'utf-8');
    assert.match(page.contentHash!, /^[0-9a-f]{64}$/);
    assert.match(new TextDecoder().decode(page.html), /Welcome to the Quarry demo/);
  });

  it('matches the ground truth for every expected page (title, type, charset, final URL)', async () => {
    const spider = createPageSpiderOperator({ allowPrivate: LOOPBACK });
    for (const expected of site.groundTruth.pages) {
      const page = await spider.handler({ url: site.absolute(expected.url) }, mockOperatorContext());
      assert.deepEqual(
        { url: expected.url, finalUrl: site.relative(page.finalUrl!), title: page.title, pageType: page.pageType, charset: page.charset },
        { url: expected.url, finalUrl: expected.finalUrl, title: expected.title, pageType: expected.pageType, charset: expected.charset },
      );
    }
  });

  it('decodes GBK (meta charset) and ISO-8859-1 (header charset) pages', async () => {
    const gbk = await fetchPage('/intl/gbk.html');
    assert.equal(gbk.title, '演示页面：中文编码');
    assert.match(new TextDecoder().decode(gbk.html), /红色的花/);
    const latin = await fetchPage('/intl/latin1.html');
    assert.equal(latin.title, 'Café crème brûlée - Latin-1');
    assert.match(new TextDecoder().decode(latin.html), /Crème brûlée à la française/);
  });

  it('rejects every page the ground truth rejects, with its reason (robots.txt obeyed)', async () => {
    const politeness = createPoliteness({ userAgent: DEFAULT_USER_AGENT, hostDelayMs: 0, fetch: (u, o) => safeFetch(u, { allowPrivate: LOOPBACK, connectTimeoutMs: 2_000, readTimeoutMs: 5_000, ...o }) });
    for (const r of site.groundTruth.rejections.filter((x) => x.kind === 'page')) {
      const err = await rejection(fetchPage(r.url, { allowPrivate: LOOPBACK, politeness }));
      assert.equal(err.code, 'FILTERED', `${r.url}: ${String(err)}`);
      assert.equal(err.reason, r.reason, r.url);
    }
  });

  it('filters an unchanged page when pageState knows its hash, and records the check', async () => {
    const first = await fetchPage('/about.html');
    const checks: string[] = [];
    const pageState = {
      validators: async (url: string) => (url === site.absolute('/about.html') ? { url, contentHash: first.contentHash! } : undefined),
      unchanged: async (url: string) => void checks.push(url),
      gone: async () => assert.fail('not gone'),
    };
    const err = await rejection(fetchPage('/about.html', { allowPrivate: LOOPBACK, pageState }));
    assert.equal(err.reason, 'unchanged');
    assert.deepEqual(checks, [site.absolute('/about.html')]);
    const other = await fetchPage('/articles/index.html', { allowPrivate: LOOPBACK, pageState });
    assert.equal(other.title, 'Articles');
  });

  it('refuses loopback without an allowlist, before any request', async () => {
    const before = site.requests.length;
    const err = await rejection(fetchPage('/', { allowPrivate: [] }));
    assert.equal(err.reason, 'ssrf-blocked');
    assert.equal(site.requests.length, before);
  });

  it('refuses bad URLs and oversized pages', async () => {
    const spider = createPageSpiderOperator({ allowPrivate: LOOPBACK });
    assert.equal((await rejection(spider.handler({ url: 'ftp://x/' }, mockOperatorContext()))).reason, 'bad-url');
    assert.equal((await rejection(fetchPage('/gallery/index.html', { allowPrivate: LOOPBACK, maxBytes: 500 }))).reason, 'too-large');
  });

  it('asks for a retry on a timeout', async () => {
    const err = await rejection(fetchPage('/hostile/slow.html', { allowPrivate: LOOPBACK, timeouts: { readMs: 100 }, retryAfterMs: 1234 }));
    assert.equal(err.retryable, true);
    assert.equal(err.code, 'TIMEOUT');
    assert.equal(err.retryAfterMs, 1234);
  });

  it('validates options, listing every problem', () => {
    assert.throws(() => createPageSpiderOperator({ maxBytes: 0, timeouts: { connectMs: -1 }, allowPrivate: ['bogus'] }), (err: Error) => {
      assert.match(err.message, /maxBytes/);
      assert.match(err.message, /timeouts\.connectMs/);
      assert.match(err.message, /allowPrivate\[0\]/);
      return true;
    });
  });
});

describe('page-spider HTTP status and content-type handling', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/503') { res.writeHead(503, { 'retry-after': '7' }); return res.end('busy'); }
      if (req.url === '/500') { res.writeHead(500); return res.end('oops'); }
      if (req.url === '/429') { res.writeHead(429); return res.end(); }
      if (req.url === '/410') { res.writeHead(410); return res.end(); }
      if (req.url === '/json') { res.setHeader('content-type', 'application/json'); return res.end('{}'); }
      if (req.url === '/untyped') return res.end('<!DOCTYPE html><html><head><title>Sniffed</title></head></html>');
      if (req.url === '/untyped-text') return res.end('just text');
      if (req.url === '/etag') {
        if (req.headers['if-none-match'] === '"v1"') { res.writeHead(304, { etag: '"v1"' }); return res.end(); }
        res.writeHead(200, { 'content-type': 'text/html', etag: '"v1"', 'last-modified': 'Tue, 01 Oct 2024 10:00:00 GMT' });
        return res.end('<html><head><title>Tagged</title></head></html>');
      }
      if (req.url === '/trickle') {
        res.writeHead(200, { 'content-type': 'text/html' });
        const timer = setInterval(() => res.write('<p>.</p>'), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (req.url === '/xhtml') { res.setHeader('content-type', 'application/xhtml+xml'); return res.end('<html><head><title>X</title></head></html>'); }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  const run = (path: string) => createPageSpiderOperator({ allowPrivate: LOOPBACK, retryAfterMs: 999 }).handler({ url: `${base}${path}` }, mockOperatorContext());

  it('5xx and 429 retry later (honouring Retry-After), other 4xx are filtered', async () => {
    const e503 = await rejection(run('/503'));
    assert.equal(e503.retryable, true);
    assert.equal(e503.retryAfterMs, 7000);
    assert.equal((await rejection(run('/500'))).retryAfterMs, 999);
    assert.equal((await rejection(run('/429'))).retryable, true);
    assert.equal((await rejection(run('/410'))).reason, 'http-410');
  });

  it('sends a conditional GET for a known page; a 304 is unchanged, and a known page answering 410 is gone', async () => {
    const fresh = await run('/etag');
    assert.deepEqual([fresh.etag, fresh.lastModified], ['"v1"', 'Tue, 01 Oct 2024 10:00:00 GMT']);
    const seen: string[] = [];
    const pageState = {
      validators: async (url: string) => ({ url, contentHash: 'old', etag: '"v1"' }),
      unchanged: async (url: string, _at: number, v: { etag?: string }) => void seen.push(`unchanged ${url} ${v.etag}`),
      gone: async (url: string) => void seen.push(`gone ${url}`),
    };
    const spider = createPageSpiderOperator({ allowPrivate: LOOPBACK, pageState });
    assert.equal((await rejection(spider.handler({ url: `${base}/etag` }, mockOperatorContext()))).reason, 'unchanged');
    assert.equal((await rejection(spider.handler({ url: `${base}/410` }, mockOperatorContext()))).reason, 'http-410');
    assert.deepEqual(seen, [`unchanged ${base}/etag "v1"`, `gone ${base}/410`]);
  });

  it('a page that trickles past its budget is too-slow at once, not retried at the node\'s deadline', async () => {
    const spider = createPageSpiderOperator({ allowPrivate: LOOPBACK, totalTimeoutMs: 400, timeouts: { readMs: 5_000 } });
    const err = await rejection(spider.handler({ url: `${base}/trickle` }, mockOperatorContext({ timeoutMs: 20_000 })));
    assert.equal(err.code, 'FILTERED');
    assert.equal(err.reason, 'too-slow');
  });

  it('a deadline shorter than the budget ends the fetch DEADLINE_EXCEEDED (a retry), not too-slow: the page is not judged', async () => {
    const spider = createPageSpiderOperator({ allowPrivate: LOOPBACK, totalTimeoutMs: 15_000, timeouts: { readMs: 5_000 } });
    const err = await rejection(spider.handler({ url: `${base}/trickle` }, mockOperatorContext({ timeoutMs: 700 })));
    assert.equal(err.code, 'DEADLINE_EXCEEDED');
    assert.equal(err.retryable, true);
    assert.match((err as unknown as Error).message, /the item's deadline left \d+ ms of the 15000 ms fetch budget/);
  });

  it('accepts HTML by type or by sniffing, and filters everything else as not-html', async () => {
    assert.equal((await rejection(run('/json'))).reason, 'not-html');
    assert.equal((await rejection(run('/untyped-text'))).reason, 'not-html');
    assert.equal((await run('/untyped')).title, 'Sniffed');
    assert.equal((await run('/xhtml')).title, 'X');
  });
});

describe('decodePage', () => {
  it('prefers BOM, then header, then meta, then UTF-8', () => {
    const latin = Buffer.from('<meta charset="gbk"><p>caf\xe9</p>', 'latin1');
    assert.equal(decodePage(latin, 'text/html; charset=ISO-8859-1').charset, 'windows-1252');
    assert.equal(decodePage(Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">'), 'text/html').charset, 'shift_jis');
    assert.equal(decodePage(Buffer.from('\ufeff<meta charset="gbk">hi'), 'text/html; charset=latin1').charset, 'utf-8');
    assert.equal(decodePage(Buffer.from('<meta charset="no-such-charset">'), undefined).charset, 'utf-8');
    assert.equal(decodePage(Buffer.from('<meta charset="utf-16">'), undefined).charset, 'utf-8');
    assert.equal(decodePage(Buffer.from([0x82, 0xa0]), 'text/html; charset=shift_jis').text, 'あ');
  });
});
