// Politeness, on a crawl of four loopback hosts at once: the demo site (robots.txt with a
// disallowed corner), a deliberately slow host whose pages trickle in, a host whose robots.txt
// refuses Quarry, and a host asking for a Crawl-delay. The refused URL ends `robots-disallowed`
// and is never requested; the slow pages end `too-slow` after one try each, with no more than
// the per-host limit open at once; the other hosts are served meanwhile; the Crawl-delay holds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrawl } from '../cli/commands/crawl.ts';
import { startDemoSite, type DemoSite } from '../demo-site/index.ts';

interface Host {
  url: string;
  /** Every request: path, start and end times. */
  log: { path: string; start: number; end?: number }[];
  maxOpen: number;
  close(): Promise<void>;
}

async function host(robots: string, pages: Record<string, string>, trickleMsOf: (path: string) => number = () => 0): Promise<Host> {
  const h: Host = { url: '', log: [], maxOpen: 0, close: async () => undefined };
  let open = 0;
  const server = http.createServer((req, res) => {
    const entry: Host['log'][number] = { path: req.url ?? '/', start: Date.now() };
    h.log.push(entry);
    open++;
    h.maxOpen = Math.max(h.maxOpen, open);
    res.on('close', () => {
      open--;
      entry.end = Date.now();
    });
    if (req.url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(robots);
    const body = pages[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' });
    const trickleMs = trickleMsOf(req.url ?? '/');
    if (trickleMs === 0) return void res.end(body);
    // A few bytes at a time, never silent long enough for a read timeout, for `trickleMs`.
    const until = Date.now() + trickleMs;
    const timer = setInterval(() => {
      if (Date.now() < until) res.write(' ');
      else {
        clearInterval(timer);
        res.end(body);
      }
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  h.close = () => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return h;
}

const page = (title: string, links: string[] = []) => `<!DOCTYPE html><html><head><title>${title}</title></head><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</body></html>`;

describe('politeness: robots.txt, per-host limits, a slow host that holds nobody back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-polite-'));
  let demo: DemoSite;
  let slow: Host;
  let refusing: Host;
  let delayed: Host;
  let summary: Awaited<ReturnType<typeof runCrawl>>;
  const slowPages = ['/s1', '/s2', '/s3', '/s4', '/s5'];

  before(async () => {
    demo = await startDemoSite({ slowMs: 200 });
    slow = await host('User-agent: *\nAllow: /\n', { '/': page('Slow home', slowPages), ...Object.fromEntries(slowPages.map((p) => [p, page(`Slow ${p}`)])) }, (p) => (p === '/' ? 0 : 3_000));
    slow.log.length = 0;
    refusing = await host('User-agent: QuarryBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n', { '/': page('Not for Quarry') });
    delayed = await host('User-agent: *\nCrawl-delay: 1\n', { '/': page('Delayed home', ['/d1', '/d2', '/d3']), '/d1': page('d1'), '/d2': page('d2'), '/d3': page('d3') });
    summary = await runCrawl({
      seed: [demo.url, slow.url, refusing.url, delayed.url], allowPrivate: ['127.0.0.0/8'], depth: String(demo.groundTruth.maxDepth),
      data: dir, relations: `embedded:${join(dir, 'relations')}`, quiet: true, fetchBudget: '1500', hostConcurrency: '1', hostDelay: '100',
    }, () => undefined);
  });
  after(async () => {
    await Promise.all([demo?.close(), slow?.close(), refusing?.close(), delayed?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a URL robots.txt refuses ends filtered robots-disallowed and is never requested', () => {
    assert.deepEqual(refusing.log.map((r) => r.path), ['/robots.txt']);
    assert.deepEqual(demo.requests.filter((r) => r.startsWith('/private/')), []);
    assert.equal(summary.rejected['page-ingest: robots-disallowed'], 2, JSON.stringify(summary.rejected));
  });

  it('a page that trickles past its budget is too-slow after one try, with the per-host limits kept', () => {
    const slowGets = slow.log.filter((r) => r.path !== '/robots.txt');
    assert.ok(slowGets.length > 0);
    assert.deepEqual(slowGets.map((r) => r.path).sort(), ['/', ...slowPages].sort(), 'each slow page is requested exactly once');
    for (const p of ['/', ...slowPages]) assert.ok(slowGets.filter((r) => r.path === p).length <= 1, `${p} fetched more than once: ${JSON.stringify(slowGets.map((r) => r.path))}`);
    assert.equal(slow.maxOpen, 1, `the slow host had ${slow.maxOpen} requests open at once (--host-concurrency 1)`);
    assert.equal(summary.rejected['page-ingest: too-slow'], slowPages.length, JSON.stringify(summary.rejected));
  });

  it('the other hosts are served while the slow host holds its slots', () => {
    const slowOpen = slow.log.filter((r) => slowPages.includes(r.path));
    const others = [...delayed.log.map((d) => d.start), ...demo.requestLog.map((d) => d.atMs)];
    const overlapping = others.filter((t) => slowOpen.some((s) => t >= s.start && t <= (s.end ?? Infinity)));
    assert.ok(overlapping.length > 0, 'requests to other hosts started while slow ones were open');
    assert.ok(summary.pages >= demo.groundTruth.pages.length, `${summary.pages} pages completed`);
  });

  it('Crawl-delay spaces the requests to its host (over --host-delay)', () => {
    // The limiter spaces the starts it grants by 1 s; the server sees them after each connection's
    // own latency, so a single gap may look shorter by that jitter, never the whole run.
    const starts = delayed.log.map((r) => r.start);
    assert.ok(starts.length >= 5, JSON.stringify(delayed.log));
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i]! - starts[i - 1]! >= 600, `requests ${i - 1} and ${i} only ${starts[i]! - starts[i - 1]!} ms apart`);
    assert.ok(starts.at(-1)! - starts[0]! >= (starts.length - 1) * 1_000 - 300, `${starts.length} requests within ${starts.at(-1)! - starts[0]!} ms`);
  });
});
