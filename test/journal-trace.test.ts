// A journal for every run: after a real `quarry crawl --demo --data <dir>` (a process of its own,
// gone when the checks run), `quarry trace` answers for every URL of the demo site — pages, image
// links and every refused one — with the state and reason the ground truth gives, and
// `quarry relations refused` lists exactly the site's hostile inputs with their reasons. A second
// run (a re-crawl), killed half-way, has a journal of its own: what it reached answers from it,
// the items it left in flight say their run stopped, and what it never reached answers from the
// first run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { findRecords } from '../cli/item-records.ts';
import { parseBackendConfig } from '../cli/config.ts';
import { keyVariants } from '../cli/commands/trace.ts';
import type { CrawlSummary } from '../cli/crawl-summary.ts';
import { buildDemoSite, type GroundTruth } from '../demo-site/index.ts';
import { readRunJournals } from '../framework/item-ledger/index.ts';

const DAGS = ['page-ingest', 'image-ingest', 'ocr-ingest'];
const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
const failing = (args: string[]) => quarry(args).then(
  (r) => assert.fail(`expected \`quarry ${args.join(' ')}\` to fail, it printed ${r.stdout}`),
  (err: { code: number; stderr: string }) => err,
);

describe('quarry trace and relations refused on the journal of an embedded run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-journal-trace-'));
  const config = parseBackendConfig({ data: dir });
  let truth: GroundTruth;
  let origin = '';
  let report: CrawlSummary;
  const abs = (u: string) => (u.startsWith('/') ? `${origin}${u}` : u);
  const find = async (url: string) => (await findRecords(config, DAGS, keyVariants(url))).found;

  before(async () => {
    truth = (await buildDemoSite()).groundTruth;
    await quarry(['crawl', '--demo', '--data', dir, '--quiet', '--report', join(dir, 'report.json')]);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CrawlSummary;
    origin = new URL(report.seeds[0]!).origin;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers for every page, image link and refused URL of the demo site, as the ground truth says it ended', async () => {
    const refusedAs = new Map(truth.rejections.map((r) => [abs(r.url), r.reason]));
    const urls = new Set([...truth.pages.map((p) => p.url), ...truth.links.map((l) => l.url), ...truth.rejections.map((r) => r.url)].map(abs));
    for (const url of urls) {
      const found = await find(url);
      assert.ok(found.length > 0, `${url} answers`);
      for (const { record, source } of found) {
        assert.match(source, new RegExp(`^journal ${dir}/journal/`), `${url}: the journal answered`);
        assert.match(record.traceId ?? '', /^[0-9a-f]{32}$/, `${url}: its trace id`);
        assert.ok(record.events.length > 0 && record.events.every((e) => typeof e.tookMs === 'number' && e.tookMs >= 0), `${url}: every node's time is recorded`);
      }
      const main = found.find((f) => f.record.dag !== 'ocr-ingest')!.record;
      const reason = refusedAs.get(url);
      if (reason !== undefined) {
        assert.equal(main.state, 'filtered', `${url} is refused`);
        assert.equal(main.reason?.replace(/^dead-link:/, ''), reason, `${url} is refused for ${reason}`);
      } else {
        // Alive: ingested, or recognised as a content already ingested under another URL.
        assert.ok(main.state === 'completed' || main.reason === 'known-content', `${url}: ${main.state} ${main.reason ?? ''}`);
      }
    }
    for (const o of truth.ocr) {
      const ocr = (await find(abs(o.imageUrl))).find((f) => f.record.dag === 'ocr-ingest');
      assert.equal(ocr?.record.state, 'completed', `${o.imageUrl} went through OCR`);
    }
  });

  it('prints the end state, full reason, node, trace id and every node\'s time; an unknown URL is an error naming where it looked', async () => {
    const robots = truth.rejections.find((r) => r.reason === 'robots-disallowed')!;
    const { stdout } = await quarry(['trace', abs(robots.url), '--data', dir]);
    assert.match(stdout, /^page-ingest http:\/\/127\.0\.0\.1:\d+\/private\/secret\.html$/m);
    assert.match(stdout, /^ {2}state {5}filtered — robots-disallowed \(at spider\)$/m);
    assert.match(stdout, new RegExp(`^ {2}source {4}journal ${dir}/journal/\\S+ \\(the run started \\d{4}-`, 'm'));
    assert.match(stdout, /^ {2}trace id {2}[0-9a-f]{32}$/m);
    assert.match(stdout, /^ {4}\+\d+ ms +spider +filtered +\d+ ms {2}FILTERED: robots-disallowed$/m);
    assert.match(stdout, /^ {2}per node {2}spider \d+ ms$/m);
    // The seed as typed, without its slash: the URL's normal form finds it.
    const home = JSON.parse((await quarry(['trace', origin, '--data', dir, '--dag', 'page-ingest', '--json'])).stdout) as { state: string; events: { node: string; tookMs: number }[] }[];
    assert.deepEqual(home.map((r) => [r.state, r.events.map((e) => e.node)]), [['completed', ['spider', 'extract', 'relate-page']]]);
    const missing = await failing(['trace', `${origin}/never-linked.html`, '--data', dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`no item with key \`${origin}/never-linked.html\` in page-ingest, image-ingest, ocr-ingest: searched the journals of 1 run\\(s\\) in ${dir}/journal`));
    const nowhere = await failing(['trace', origin, '--data', join(dir, 'elsewhere')]);
    assert.match(nowhere.stderr, /No journal at `\S+elsewhere\/journal`: no embedded run has used this data directory/);
  });

  it('relations refused lists exactly the site\'s hostile inputs with their full reasons, as the crawl report does', async () => {
    const { stdout } = await quarry(['relations', 'refused', '--data', dir]);
    const listed = stdout.trim().split('\n').map((l) => JSON.parse(l) as { dag: string; url: string; state: string; node: string; reason: string });
    const got = listed.map((r) => `${r.url} ${r.reason.replace(/^dead-link:/, '')}`).sort();
    assert.deepEqual(got, truth.rejections.map((r) => `${abs(r.url)} ${r.reason}`).sort());
    assert.deepEqual(listed.map((r) => [r.dag, r.url, r.state, r.node, r.reason]), report.refused.map((r) => [r.dag, r.url, r.state, r.node, r.reason]), 'the same list, with the same reasons, as --report');
    assert.ok(listed.every((r) => r.dag === (truth.rejections.find((t) => abs(t.url) === r.url)!.kind === 'page' ? 'page-ingest' : 'image-ingest')));
    const pagesOnly = (await quarry(['relations', 'refused', '--data', dir, '--dag', 'page-ingest'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { url: string });
    assert.deepEqual(pagesOnly.map((r) => r.url), listed.filter((r) => r.dag === 'page-ingest').map((r) => r.url), '--dag keeps that DAG\'s refusals only');
    assert.ok(pagesOnly.length > 0 && pagesOnly.length < listed.length);
  });

  it('a second run killed half-way keeps a journal of its own; trace tells its items from the first run\'s', async () => {
    // A re-crawl of every visit due (a plain second run would stop at the unchanged home page).
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'crawl', '--demo', '--recrawl', '--due-before', '+365d', '--data', dir, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lines = createInterface({ input: child.stderr });
    await new Promise<void>((resolve) => lines.on('line', (line) => line.startsWith('backends:') && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    child.kill('SIGKILL');
    await exited;

    const journals = readRunJournals(join(dir, 'journal'));
    try {
      const [second, first] = journals.runs;
      assert.deepEqual([journals.runs.length, second?.pid, second?.running], [2, child.pid, false]);
      const hits = [...journals.latest()];
      const fromSecond = hits.filter((h) => h.run.path === second!.path);
      assert.ok(fromSecond.length > 0, 'the killed run wrote its journal as it went');
      const stranded = fromSecond.find((h) => h.record.state === 'in-flight');
      assert.ok(stranded, `the kill left items in flight (${fromSecond.length} reached)`);
      const [trace] = await find(stranded.record.itemKey);
      assert.deepEqual([trace?.record.state, trace?.note, trace?.source.includes(second!.path)], ['in-flight', 'its run stopped before the item ended', true]);
      const untouched = hits.find((h) => h.run.path === first!.path);
      assert.ok(untouched, 'some URLs were not reached by the second run');
      const [older] = (await find(untouched.record.itemKey)).filter((f) => f.record.dag === untouched.record.dag);
      assert.deepEqual([older?.record.state, older?.source.includes(first!.path)], [untouched.record.state, true]);
    } finally {
      await journals.close();
    }
  });
});
