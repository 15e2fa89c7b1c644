// `quarry crawl`: the main job. Crawl seed URLs (or the bundled demo site) into the relation
// graph with features and OCR text, on the embedded default or on Kafka + Redis + Cassandra.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../framework/errors/index.ts';
import type { ItemRecord } from '../../framework/item-ledger/index.ts';
import { startRuntime } from '../../framework/runtime/index.ts';
import { imageIngestionDags } from '../../dags/index.ts';
import { startDemoSite, type DemoSite } from '../../demo-site/index.ts';
import { openBackends } from '../backends.ts';
import { endedTopic } from '../item-records.ts';
import { createBuiltInOperators } from '../built-in-operators.ts';
import { addClientChannelFlags, clientSecurity, remoteSecurity, type ChannelFlags } from '../channel-flags.ts';
import { parseBackendConfig, parsePositiveInt, type RawBackendOptions } from '../config.ts';
import { openGate } from '../gate.ts';
import { spawnOperatorProcesses } from '../operator-processes.ts';
import { summarize, formatSummary, type CrawlSummary } from '../crawl-summary.ts';
import { formatProgress } from '../crawl-progress.ts';
import { startDashboard } from '../dashboard/index.ts';
import { observeHostedNodes } from '../node-load.ts';
import { callsInFlight, startMetrics } from '../../framework/telemetry/index.ts';
import type { RetireReport } from '../../relation-engine/index.ts';
import { dueItems, parseDueBefore } from './recrawl.ts';

export interface CrawlOptions extends RawBackendOptions, ChannelFlags {
  demo?: boolean;
  seed?: string[];
  seedsFile?: string;
  depth?: string;
  allowPrivate?: string[];
  report?: string;
  timeout?: string;
  quiet?: boolean;
  operators?: string;
  isolate?: boolean;
  /** `--no-gate`: items enter the DAGs at once, without the flow-control gate. */
  gate?: boolean;
  /** `--dashboard [port]`: serve the operations page (and /metrics) from this crawl. */
  dashboard?: string | boolean;
  /** Run the visits the graph's schedule says are due (with the seeds, if any). */
  recrawl?: boolean;
  dueBefore?: string;
  hostConcurrency?: string;
  hostDelay?: string;
  fetchBudget?: string;
}

type CrawlResult = CrawlSummary & { admittedByGate?: Record<string, number>; retired?: RetireReport };

/**
 * The demo site keeps one port when it can, so a second `npm start` re-crawls the same URLs (and
 * skips unchanged pages) instead of adding a copy of the site under a new origin.
 */
const DEMO_PORT = 47390;
async function startDemoOnStablePort(): Promise<DemoSite> {
  try {
    return await startDemoSite({ port: DEMO_PORT });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    return startDemoSite();
  }
}

/** How `--isolate` spreads the built-in operators over child processes. */
const PROCESS_GROUPS = [['page-spider', 'image-extract', 'image-spider'], ['image-feature'], ['ocr'], ['relation-page', 'relation-link', 'relation-content', 'relation-ocr', 'index-builder']];

/**
 * `whenDone` runs with the summary before anything is closed: `--dashboard` keeps serving the
 * finished crawl there until the user stops it.
 */
export async function runCrawl(opts: CrawlOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`), whenDone?: (summary: CrawlResult) => Promise<void>): Promise<CrawlResult> {
  const config = parseBackendConfig(opts);
  const security = clientSecurity(opts);
  const started = Date.now();
  const seeds: string[] = [...(opts.seed ?? [])];
  if (opts.seedsFile) seeds.push(...readFileSync(opts.seedsFile, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#')));
  const problems = [];
  if (seeds.length === 0 && !opts.demo && !opts.recrawl) problems.push({ field: 'seed', expected: 'at least one seed URL (--seed, --seeds-file or --demo)', received: undefined });
  for (const s of seeds) {
    try {
      const u = new URL(s);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push({ field: 'seed', expected: 'an absolute http(s) URL', received: s });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'crawl options');
  const timeoutMs = parsePositiveInt('timeout', opts.timeout, 600) * 1000;
  const dashboardPort = opts.dashboard === undefined || opts.dashboard === false ? undefined : opts.dashboard === true ? 8080 : parsePositiveInt('dashboard', opts.dashboard, 8080);
  const politeness = {
    ...(opts.hostConcurrency !== undefined ? { hostConcurrency: Math.max(1, parsePositiveInt('host-concurrency', opts.hostConcurrency, 2)) } : {}),
    ...(opts.hostDelay !== undefined ? { hostDelayMs: parsePositiveInt('host-delay', opts.hostDelay, 1_000) } : {}),
  };
  const fetchBudgetMs = opts.fetchBudget === undefined ? undefined : Math.max(1, parsePositiveInt('fetch-budget', opts.fetchBudget, 15_000));
  const dueBeforeMs = opts.recrawl ? parseDueBefore(opts.dueBefore, Date.now()) : undefined;

  // Everything opened is closed again, in reverse order, whether the crawl succeeds or fails:
  // a failed crawl must not leave servers, child processes or connections behind.
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const allowPrivate = [...(opts.allowPrivate ?? [])];
    let site: DemoSite | undefined;
    if (opts.demo) {
      site = await startDemoOnStablePort();
      cleanup.push(() => site!.close());
      seeds.push(site.url);
      allowPrivate.push('127.0.0.0/8');
      log(`demo site on ${site.url}`);
    }
    const maxDepth = parsePositiveInt('depth', opts.depth, site ? site.groundTruth.maxDepth : 2);
    const backends = openBackends(config, 'quarry-crawl');
    cleanup.push(() => backends.close());
    const politeArgs = [
      ...(opts.hostConcurrency !== undefined ? ['--host-concurrency', opts.hostConcurrency] : []), ...(opts.hostDelay !== undefined ? ['--host-delay', opts.hostDelay] : []),
      ...(opts.fetchBudget !== undefined ? ['--fetch-budget', opts.fetchBudget] : []),
    ];
    const procs = opts.isolate ? await spawnOperatorProcesses(PROCESS_GROUPS, ['--relations', config.relations, '--index', config.index, ...(allowPrivate.length ? ['--allow-private', ...allowPrivate] : []), ...politeArgs]) : undefined;
    if (procs) cleanup.push(() => procs.close());
    const endpoints = [...(procs?.endpoints ?? []), ...(opts.operators ? opts.operators.split(',') : [])];
    // In-process operators unless they run elsewhere; the summary reads the graph either way.
    const builtIns = await createBuiltInOperators({ relations: config.relations, index: config.index, allowPrivate, politeness, ...(fetchBudgetMs ? { fetchBudgetMs } : {}) }, endpoints.length > 0 ? [] : undefined);
    cleanup.push(() => builtIns.close());
    const records: ItemRecord[] = [];
    // The dashboard reads this process's own metrics: the registry exists before the runtime.
    const metrics = dashboardPort === undefined ? undefined : startMetrics();
    if (metrics) cleanup.push(() => metrics.close());
    const gate = opts.gate === false ? undefined : await openGate(config, { consume: true, log });
    if (gate) cleanup.push(() => gate.close());
    const rt = await startRuntime({
      dags: [...imageIngestionDags],
      operators: builtIns.operators,
      endpoints,
      bus: backends.bus,
      sideCache: backends.sideCache,
      blobs: backends.blobs,
      ledger: backends.ledger,
      shadowLog: backends.shadowLog,
      dedupeWindowMs: 3_600_000,
      namespace: config.namespace,
      operatorSecurity: remoteSecurity(security, procs?.endpoints ?? []),
      ...(config.kafkaBrokers.length > 0 ? { endedTopic: endedTopic(config.namespace) } : {}),
      onTerminal: (r) => records.push(r),
      ...(gate ? { admission: gate.admission } : {}),
    });
    cleanup.push(() => rt.close());
    log(`backends: ${backends.describe()}`);
    if (metrics) {
      const stopObserving = observeHostedNodes(rt.plans.values(), rt.bus);
      cleanup.push(async () => stopObserving());
      const d = await startDashboard({ ledger: backends.ledger, dags: [...rt.plans.keys()], metrics, port: dashboardPort! });
      cleanup.push(() => d.close());
      log(`dashboard on ${d.url} (metrics at ${d.url}metrics)`);
    }
    const dags = [...rt.plans.keys()];
    let reporting = false;
    const progress = setInterval(() => {
      if (opts.quiet || reporting) return;
      reporting = true;
      void (async () => {
        const inFlight = Object.fromEntries(await Promise.all(dags.map(async (d) => [d, (await backends.ledger.counts(d))['in-flight']] as const)));
        const g = gate?.admission.gate.stats();
        log(formatProgress({ elapsedMs: Date.now() - started, records, inFlight, calls: callsInFlight(), ...(g ? { gate: { backlog: g.backlog.high + g.backlog.normal + g.backlog.low, deferred: g.deferred } } : {}) }));
      })().catch((err: unknown) => log(`  … progress: ${(err as Error).message}`)).finally(() => { reporting = false; });
    }, 2_000);
    cleanup.push(async () => clearInterval(progress));
    const due = dueBeforeMs === undefined ? [] : await dueItems(builtIns.engine, dueBeforeMs, maxDepth);
    if (opts.recrawl) log(`re-crawl: ${due.length} visit(s) due`);
    const dueKeys = new Set(due.map((d) => d.itemKey));
    await rt.submit([
      ...seeds.filter((url) => !dueKeys.has(url)).map((url) => ({ dag: 'page-ingest', itemKey: url, source: { url, depth: '0', maxDepth: String(maxDepth) }, priority: 'high' as const })),
      ...due,
    ]);
    await rt.idle(timeoutMs);
    // The crawl is over: nothing of it is in flight, so what it left stale retires now, with no grace.
    const retired = await builtIns.engine.retire({ blobs: backends.blobs, graceMs: 0, indexes: [builtIns.indexStore] });
    const admitted = gate?.admission.gate.stats().admittedTotal;
    const summary = { ...(await summarize({ records, engine: builtIns.engine, indexStore: builtIns.indexStore, elapsedMs: Date.now() - started, seeds })), ...(admitted ? { admittedByGate: admitted } : {}), retired };
    if (opts.report) writeFileSync(opts.report, `${JSON.stringify(summary, null, 2)}\n`);
    clearInterval(progress);
    await whenDone?.(summary);
    return summary;
  } finally {
    for (const close of cleanup.reverse()) await close().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
  }
}

export function registerCrawlCommand(program: Command): void {
  const command = program
    .command('crawl')
    .description('the main job: crawl pages into the relation graph with image features and OCR text')
    .option('--demo', 'crawl the bundled demo website (started on loopback)')
    .option('--seed <url...>', 'seed URL(s)')
    .option('--seeds-file <file>', 'a file of seed URLs, one per line')
    .option('--depth <n>', 'link depth to follow from the seeds (same site only)')
    .option('--allow-private <cidr...>', 'let the spiders reach these private ranges (SSRF guard)')
    .option('--report <file>', 'write the summary as JSON')
    .option('--timeout <seconds>', 'give up waiting after this long', '600')
    .option('--operators <endpoints>', 'use running operator services (host:port,…) instead of in-process ones')
    .option('--isolate', 'run the operators as local gRPC child processes')
    .option('--no-gate', 'skip the flow-control gate: admit every item at once')
    .option('--recrawl', 'also run the page and image-link visits that are due on the graph\'s schedule')
    .option('--due-before <when>', 'with --recrawl: visits due before this time (ISO date, or +30d / +12h from now)')
    .option('--host-concurrency <n>', 'requests in flight to one host at once (default 2)')
    .option('--host-delay <ms>', 'least time between requests to one host whose robots.txt states no Crawl-delay (default 1000)')
    .option('--fetch-budget <ms>', 'the longest one page or image may take to arrive; past it, it is `too-slow` (default 15000)')
    .option('--kafka <brokers>', 'Kafka brokers (default: embedded bus; env QUARRY_KAFKA_BROKERS)')
    .option('--redis <url>', 'Redis for side-cache, blobs and ledger (env QUARRY_REDIS_URL)')
    .option('--relations <store>', 'relation store: embedded:<dir> | cassandra:<host:port>/<keyspace>')
    .option('--index <store>', 'index store: embedded:<dir> | redis:<url>')
    .option('--data <dir>', 'where embedded state lives', '.quarry')
    .option('--namespace <ns>', 'Redis key namespace', 'quarry')
    .option('-q, --quiet', 'no progress lines')
    .option('--dashboard [port]', 'serve the operations page (and /metrics) from this crawl, and keep it up after the crawl until Ctrl-C (default port 8080; 0 = any free port)');
  // Towards --operators; the operator processes `--isolate` starts are reached in plaintext on loopback.
  addClientChannelFlags(command)
    .action(async (opts: CrawlOptions) => {
      const where = { relations: parseBackendConfig(opts).relations };
      const print = (summary: CrawlResult) => process.stdout.write(`${formatSummary(summary, where)}\n`);
      const summary = await runCrawl(opts, undefined, opts.dashboard === undefined ? undefined : async (s) => {
        print(s);
        process.stderr.write('crawl finished; the dashboard stays up until Ctrl-C\n');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
      });
      if (opts.dashboard === undefined) print(summary);
    });
}

