// The dashboard as a person sees it: `quarry crawl --demo --dashboard` serves the operations page
// from the crawl process, and headless Chromium (Debian's, driven by playwright-core) reads it —
// item states per DAG, per-node outcomes and latency, the bottleneck marker while a node is
// saturated, and the trace of a refused URL looked up by key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildDemoSite, type GroundTruth } from '../demo-site/index.ts';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

/** A table as a person reads it: one record per row, keyed by the column headers. */
async function readTable(page: Page, id: string): Promise<Record<string, string>[]> {
  return page.$eval(`#${id}`, (table) => {
    const rows = [...table.querySelectorAll('tr')].map((tr) => [...tr.querySelectorAll('th,td')].map((c) => (c as HTMLElement).innerText.trim()));
    const [head = [], ...body] = rows;
    return body.map((cells) => Object.fromEntries(head.map((h, i) => [h || 'mark', cells[i] ?? ''])));
  });
}

describe('the dashboard in a real browser, served by an embedded crawl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-dash-'));
  let crawl: ChildProcess;
  let context: BrowserContext;
  let page: Page;
  let truth: GroundTruth;
  let origin = '';
  let seed = '';
  const lines: string[] = [];
  const waitLine = async (re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (crawl.exitCode !== null) throw new Error(`crawl exited ${crawl.exitCode}:\n${lines.join('\n')}`);
      if (Date.now() > until) throw new Error(`no line matching ${re} within ${timeoutMs} ms:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    truth = (await buildDemoSite()).groundTruth;
    crawl = spawn(process.execPath, ['--import', 'tsx', MAIN, 'crawl', '--demo', '--data', dir, '--dashboard', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    createInterface({ input: crawl.stderr! }).on('line', (l) => lines.push(l));
    seed = (await waitLine(/^demo site on (\S+)/, 60_000))[1]!;
    origin = new URL(seed).origin;
    const url = (await waitLine(/^dashboard on (\S+) /, 120_000))[1]!;
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'quarry-chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      viewport: { width: 1500, height: 1200 },
    });
    page = await context.newPage();
    await page.goto(url);
  });

  after(async () => {
    await context?.close();
    if (crawl && crawl.exitCode === null) {
      crawl.kill('SIGTERM');
      await once(crawl, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the node that limits throughput while it does', async () => {
    const marker = page.locator('#nodes td .marker');
    await marker.first().waitFor({ timeout: 240_000 });
    const rows = await readTable(page, 'nodes');
    const marked = rows.filter((r) => r.mark === '◀ bottleneck');
    assert.equal(marked.length, 1, JSON.stringify(rows));
    assert.match(await page.locator('#bottleneck').innerText(), new RegExp(`bottleneck now: ${marked[0]!.node!.replace(/[/.]/g, '\\$&')} — busy \\d+% of capacity`));
    assert.match(marked[0]!.busy!, /^\d+ %$/);
    // The seed page ends first: trace it while the crawl runs, so the screenshot shows a trace too.
    await page.fill('#trace input[name=key]', seed);
    await page.click('#trace button');
    await page.locator('#traced', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#traced').innerText(), new RegExp(`^page-ingest ${seed.replace(/[.]/g, '\\.')}\\n\\s+state\\s+completed`));
    const shot = process.env.QUARRY_DASHBOARD_SCREENSHOT ?? join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
  });

  it('shows every DAG\'s item states and each node\'s outcomes and latency once the crawl is done', async () => {
    await waitLine(/^crawl finished/, 600_000);
    // The page refreshes every 2 s: wait until it shows nothing in flight.
    await page.waitForFunction(() => [...document.querySelectorAll('#dags tr')].slice(1).every((tr) => tr.children[1]?.textContent === '0'), undefined, { timeout: 30_000 });
    const dags = Object.fromEntries((await readTable(page, 'dags')).map((r) => [r.DAG, r]));
    assert.equal(dags['page-ingest']?.completed, String(truth.pages.length));
    assert.equal(Number(dags['image-ingest']?.completed) + Number(dags['image-ingest']?.filtered), truth.links.length);
    assert.ok(Number(dags['ocr-ingest']?.completed) >= truth.ocr.length, JSON.stringify(dags));
    assert.equal(dags['page-ingest']?.['dead-lettered'], '0');

    const nodes: Record<string, Record<string, string>> = Object.fromEntries((await readTable(page, 'nodes')).map((r) => [r.node, r]));
    const headers = Object.keys(Object.values(nodes)[0] ?? {});
    for (const h of ['OK', 'FILTERED', 'RETRY', 'TIMEOUT', 'FAIL', 'p50', 'p99', 'busy', 'waiting']) assert.ok(headers.includes(h), `column ${h} in ${headers.join(', ')}`);
    const fetch = nodes['image-ingest / fetch']!;
    assert.equal(Number(fetch.OK) + Number(fetch.FILTERED), truth.links.length, JSON.stringify(fetch));
    assert.ok(Number(fetch.FILTERED) > 0, `refused image links are FILTERED at fetch: ${JSON.stringify(fetch)}`);
    assert.ok(Number(nodes['page-ingest / spider']?.OK) >= truth.pages.length, JSON.stringify(nodes['page-ingest / spider']));
    for (const n of Object.values(nodes)) {
      assert.match(n.p50!, /^\d+(\.\d+)? m?s$/, `p50 of ${n.node}`);
      assert.match(n.p99!, /^\d+(\.\d+)? m?s$/, `p99 of ${n.node}`);
      assert.equal(n.TIMEOUT, '0');
    }
  });

  it('traces a refused URL by key, as typed into the box', async () => {
    const refused = truth.rejections.find((r) => r.kind === 'image' && r.reason === 'ssrf-blocked')!;
    const key = refused.url.startsWith('http') ? refused.url : `${origin}${refused.url}`;
    await page.fill('#trace input[name=key]', key);
    await page.click('#trace button');
    // The box still shows the trace an earlier test asked for until this answer replaces it.
    await page.locator('#traced', { hasText: `image-ingest ${key}` }).waitFor({ timeout: 10_000 });
    const text = await page.locator('#traced').innerText();
    assert.ok(text.startsWith(`image-ingest ${key}\n`), text);
    assert.match(text, /state\s+filtered — ssrf-blocked \(at fetch\)/);
  });
});
