// Relation engine throughput on both backends, at two graph sizes, beside the figures measured
// before the batched engine (commit 505dc55): vertex and edge writes/s through the store's batched
// write sets, engine page upserts/s (read, journal, edges, vertex), validated point reads/s, the
// ordered export in MB/s, retirement of a fixed churn, and counts().
//   npx tsx bench/relations.bench.ts [--pages 1000,10000] [--links-per-page 10] [--only embedded|cassandra]
// Cassandra from QUARRY_TEST_CASSANDRA (default 127.0.0.1:9042), in a fresh keyspace dropped after.
// Profile with: node --cpu-prof --cpu-prof-dir bench/results/tmp --import tsx bench/relations.bench.ts …
import { mkdir, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createRelationEngine, mapLimit, type RelationStore, type WriteSet } from '../relation-engine/index.ts';
import { cassandraTestStore, embeddedTestStore, type MakeTestStore } from '../relation-engine/testing/index.ts';
import { machineInfo } from './internal/machine.ts';
import { load1, machineCpuMs, processCpuMs } from './internal/proc-stats.ts';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const { values: args } = parseArgs({ options: {
  pages: { type: 'string', default: '1000,10000' }, 'links-per-page': { type: 'string', default: '10' },
  batch: { type: 'string', default: '500' }, parallel: { type: 'string', default: '4' }, only: { type: 'string' },
} });
const SIZES = args.pages.split(',').map(Number);
const LPP = Number(args['links-per-page']);
const BATCH = Number(args.batch);
const PAR = Number(args.parallel);
const CHURN_PAGES = 100;
const THREADS = availableParallelism();

/**
 * The engine before batching (505dc55: per-row writes, per-content scan reads), its own bench at
 * 1000 pages × 10 links, run on this machine right before this bench on 2026-12-01 (a quiet hour)
 * (its committed figures, from a quieter day, were LMDB 14,690 / 5,449 / 14,981 / 4.66 and
 * Cassandra 8,828 / 4,043 / 3,748 / 0.97).
 */
const BEFORE: Record<string, Partial<Figures>> = {
  'embedded (LMDB)': { vertexWritesPerSec: 34_688, edgeWritesPerSec: 27_916, pointReadsPerSec: 23_127, scanMBPerSec: 9.32 },
  cassandra: { vertexWritesPerSec: 17_936, edgeWritesPerSec: 17_713, pointReadsPerSec: 8_902, scanMBPerSec: 2.32 },
};

interface Figures {
  backend: string;
  links: number;
  vertexWritesPerSec: number;
  edgeWritesPerSec: number;
  enginePageUpsertsPerSec: number;
  pointReadsPerSec: number;
  scanMBPerSec: number;
  scanContentsPerSec: number;
  /** Embedded: the export read by one worker thread per core (`threads`). */
  threadedScanMBPerSec?: number;
  retireMs: number;
  retireEntries: number;
  /** CPU µs per item of this process and of the Cassandra JVM, and the cores busy elsewhere. */
  edgeCpu: Cpu;
  scanCpu: Cpu;
  loadBefore: number;
  loadAfter: number;
  countsMs: number;
  exactCountsMs: number;
}

const sign = (i: number) => `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`;
const linkUrl = (i: number) => `http://bench.example/img/${i}.jpg`;
const pageUrl = (i: number) => `http://bench.example/page/${i}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const chunks = (n: number, size: number) => range(Math.ceil(n / size)).map((c) => range(Math.min(size, n - c * size)).map((k) => c * size + k));

interface Cpu {
  benchUs: number;
  cassandraUs?: number;
  otherCores: number;
}

/** The Cassandra JVM's pid (the shared server's, from .infra), when it runs on this machine. */
function cassandraPid(): number | undefined {
  try {
    const pid = Number(readFileSync(new URL('../.infra/run/cassandra.pid', import.meta.url), 'utf8').trim());
    return processCpuMs(pid) === undefined ? undefined : pid;
  } catch {
    return undefined;
  }
}
const cPid = cassandraPid();

let lastCpu: (items: number) => Cpu = () => ({ benchUs: 0, otherCores: 0 });

/** Wall seconds of `work`; `lastCpu(items)` then gives what it cost in CPU per item. */
async function timed<T>(work: () => Promise<T>, useCassandra = false): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const c0 = cPid === undefined ? undefined : processCpuMs(cPid);
  const m0 = machineCpuMs();
  const r = await work();
  const sec = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const benchMs = (cpu.user + cpu.system) / 1000;
  const c1 = cPid === undefined ? undefined : processCpuMs(cPid);
  const cassMs = useCassandra && c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined;
  const busyMs = machineCpuMs().busy - m0.busy;
  lastCpu = (items) => ({
    benchUs: (benchMs * 1000) / items,
    ...(cassMs !== undefined ? { cassandraUs: (cassMs * 1000) / items } : {}),
    otherCores: Math.max(0, busyMs - benchMs - (cassMs ?? 0)) / (sec * 1000),
  });
  return [r, sec];
}

async function applyAll(store: RelationStore, n: number, build: (ids: number[]) => WriteSet): Promise<void> {
  await mapLimit(chunks(n, BATCH), PAR, (ids) => store.apply(build(ids)));
}

async function measure(backend: string, make: MakeTestStore, pages: number): Promise<Figures> {
  const links = pages * LPP;
  const loadBefore = load1();
  const t = await make();
  const cass = t.store.kind === 'cassandra';
  try {
    const store = t.store;
    let clock = 1_700_000_000_000;
    const engine = createRelationEngine({ store, concurrency: 16, now: () => clock++ });
    const now = 1_700_000_000_000;
    const feat = { width: 640, height: 480, format: 'jpeg', clarity: 0.7, phash: 'f0e1d2c3b4a59687', dominantColor: '#336699' };
    // Vertices: links and contents through batched write sets (pages come with the engine below).
    const [, vSec] = await timed(async () => {
      await applyAll(store, links, (ids) => ({ linkVertices: ids.map((i) => ({ url: linkUrl(i), alive: true, version: 1, crawledAtMs: now })) }));
      await applyAll(store, links, (ids) => ({ contents: ids.map((i) => ({ sign: sign(i), patch: { features: feat, thumbnailRef: `blob://thumb/${i}` } })) }));
    });
    // Edges: oc (link → content), each one logical edge = two row writes (forward and reverse).
    const [, eSec] = await timed(() => applyAll(store, links, (ids) => ({ ocEdges: ids.map((i) => ({ link: linkUrl(i), sign: sign(i), crawledAtMs: now, oVersion: 1 })) })), cass);
    const edgeCpu = lastCpu(links);
    // Engine page upserts: read the page, journal, fo edges (forward and reverse), then the vertex.
    const [, pSec] = await timed(() => mapLimit(chunks(pages, Math.max(1, Math.floor(BATCH / LPP))), PAR, (ids) => engine.upsertPages(ids.map((p) => ({
      url: pageUrl(p), title: `Page ${p}`, pageType: 'article', contentHash: `h${p}`, crawledAtMs: now,
      links: range(LPP).map((k) => ({ url: linkUrl(p * LPP + k), alt: `alt text ${k}`, title: '', context: 'some surrounding words of context' })),
    })))));
    const reads = Math.min(links, 20_000);
    const [, rSec] = await timed(() => mapLimit(range(reads), 64, async (k) => {
      const r = await engine.contentOfLink(linkUrl((k * 7919) % links));
      if (!r?.content) throw new Error('bench: missing content');
    }));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const [report, sSec] = await timed(() => engine.exportJsonl(sink), cass);
    const scanCpu = lastCpu(links);
    if (report.contents !== links) throw new Error(`bench: exported ${report.contents} contents, expected ${links}`);
    let threadedScanMBPerSec: number | undefined;
    if (t.store.threadSpec !== undefined) {
      const [threaded, tSec] = await timed(() => engine.exportJsonl(sink, { threads: THREADS }));
      if (threaded.contents !== links || threaded.threads !== THREADS) throw new Error(`bench: the threaded export read ${threaded.contents} contents in ${threaded.threads} threads`);
      threadedScanMBPerSec = threaded.bytes / 1e6 / tSec;
    }
    // A fixed churn (100 pages each drop one link), then its retirement: the cost follows the churn.
    await engine.retire({ graceMs: 0 }); // the first writes' own journal entries
    clock += 1000;
    await engine.upsertPages(range(CHURN_PAGES).map((p) => ({
      url: pageUrl(p), title: `Page ${p} v2`, pageType: 'article', contentHash: `h${p}v2`, crawledAtMs: now + 1,
      links: range(LPP - 1).map((k) => ({ url: linkUrl(p * LPP + k), alt: `alt text ${k}`, title: '', context: 'some surrounding words of context' })),
    })));
    const [retired, retSec] = await timed(() => engine.retire({ graceMs: 0 }));
    const [, cSec] = await timed(() => engine.counts());
    const [, xSec] = await timed(() => engine.counts({ exact: true }));
    return {
      backend, links,
      vertexWritesPerSec: (2 * links) / vSec,
      edgeWritesPerSec: links / eSec,
      enginePageUpsertsPerSec: pages / pSec,
      pointReadsPerSec: reads / rSec,
      scanMBPerSec: report.bytes / 1e6 / sSec,
      scanContentsPerSec: report.contents / sSec,
      ...(threadedScanMBPerSec !== undefined ? { threadedScanMBPerSec } : {}),
      retireMs: retSec * 1000, retireEntries: retired.entries,
      countsMs: cSec * 1000, exactCountsMs: xSec * 1000,
      edgeCpu, scanCpu, loadBefore, loadAfter: load1(),
    };
  } finally {
    await t.dispose();
  }
}

const backends: [string, () => MakeTestStore][] = [
  ['embedded (LMDB)', () => embeddedTestStore()],
  ['cassandra', () => cassandraTestStore({ concurrency: 32, buckets: 64 })],
];
const results: Figures[] = [];
for (const pages of SIZES) {
  for (const [name, make] of backends) {
    if (args.only && !name.startsWith(args.only)) continue;
    process.stderr.write(`relations bench: ${name}, ${pages} pages…\n`);
    results.push(await measure(name, make(), pages));
  }
}

const m = machineInfo();
const command = `npx tsx bench/relations.bench.ts --pages ${SIZES.join(',')} --links-per-page ${LPP} --batch ${BATCH} --parallel ${PAR}${args.only ? ` --only ${args.only}` : ''}`;
const date = new Date().toISOString();
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/relations.json', import.meta.url), `${JSON.stringify({ command, date, machine: m, before: BEFORE, results }, null, 2)}\n`);

const f = (n: number | undefined) => (n === undefined ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const cell = (r: Figures, k: keyof Figures) => {
  const before = r.links === 10_000 ? BEFORE[r.backend]?.[k] as number | undefined : undefined;
  return `${f(r[k] as number)}${before ? ` (was ${f(before)})` : ''}`;
};
const cpuCell = (c: Cpu) => `${f(c.benchUs)}${c.cassandraUs !== undefined ? ` / ${f(c.cassandraUs)}` : ''} µs, ${c.otherCores.toFixed(2)}`;
const TARGETS: [string, string, keyof Figures, number][] = [
  ['Cassandra vertex writes/s', 'cassandra', 'vertexWritesPerSec', 15_000],
  ['Cassandra edge writes/s', 'cassandra', 'edgeWritesPerSec', 30_000],
  ['LMDB edge writes/s', 'embedded (LMDB)', 'edgeWritesPerSec', 100_000],
  ['Cassandra export MB/s', 'cassandra', 'scanMBPerSec', 30],
  ['LMDB export MB/s', 'embedded (LMDB)', 'scanMBPerSec', 100],
  [`LMDB export MB/s, ${THREADS} threads`, 'embedded (LMDB)', 'threadedScanMBPerSec', 100],
];
const md = [
  '## Relation engine',
  '',
  `Command: \`${command}\`  `,
  `Machine: ${m.nproc} cores, ${m.cpu}, ${m.ramGiB} GiB RAM, shared with other work. Date: ${date}.  `,
  `Dataset: pages × ${LPP} image links, one content per link; Cassandra 5.0 single node on loopback, rf 1, consistency ONE; ${BATCH} items per write set, ${PAR} in flight.`,
  '',
  `| backend | links | vertex writes/s | edge writes/s | engine page upserts/s | point reads/s | export MB/s | export MB/s, ${THREADS} threads | export contents/s | retire 100 changed pages | counts() | exact recount |`,
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.backend} | ${f(r.links)} | ${cell(r, 'vertexWritesPerSec')} | ${cell(r, 'edgeWritesPerSec')} | ${f(r.enginePageUpsertsPerSec)} | ${cell(r, 'pointReadsPerSec')} | ${cell(r, 'scanMBPerSec')} | ${f(r.threadedScanMBPerSec)} | ${f(r.scanContentsPerSec)} | ${f(r.retireMs)} ms (${r.retireEntries} entries) | ${f(r.countsMs)} ms | ${f(r.exactCountsMs)} ms |`),
  '',
  '"was": the same figure at 10,000 links from the engine before batching (505dc55, per-row writes and per-content reads), its own bench run on this machine on 2026-12-01 in a quieter hour, not in this run: on a loaded machine compare it only through the CPU-per-item table below.',
  'A vertex write is one link or content vertex; an edge write is one logical oc edge (two rows, forward and reverse), both through batched write sets.',
  'An engine page upsert reads the page, journals what it leaves behind, writes 10 fo edges (20 rows) and commits the vertex.',
  `"export MB/s, ${THREADS} threads": the same export (the same bytes, in the same order) read and encoded by ${THREADS} worker threads (\`--threads\`, embedded stores only), each thread's start (about half a second of CPU, loading its modules) included.`,
  'Retirement and counts() do not scan: their cost follows the churn (the same 100 changed pages at both sizes) and stays flat as the graph grows; the exact recount scans everything.',
  '',
  '**What the load cost.** CPU per item (bench process: `process.cpuUsage()`; Cassandra JVM: `/proc/<pid>/stat` of the shared server, so other clients\' work counts too) and the cores other work kept busy meanwhile (`/proc/stat` minus both). On a shared machine CPU per item moves much less with the load than items/s does (it still grows when the cores are contended).',
  '',
  '| backend | links | load 1m before → after | edge write: bench µs / Cassandra µs per edge, other cores | export: bench µs / Cassandra µs per content, other cores |',
  '|---|---|---|---|---|',
  ...results.map((r) => `| ${r.backend} | ${f(r.links)} | ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} | ${cpuCell(r.edgeCpu)} | ${cpuCell(r.scanCpu)} |`),
  '',
  '| issue 12 target (one node) | ' + results.map((r) => `${r.backend}, ${f(r.links)} links`).join(' | ') + ' |',
  '|---|' + results.map(() => '---:|').join(''),
  ...TARGETS.filter(([, backend]) => results.some((r) => r.backend === backend)).map(([label, backend, key, min]) => `| ${label} ≥ ${f(min)} | ${results.map((r) => (r.backend === backend ? `${f(r[key] as number)} ${(r[key] as number) >= min ? '(met)' : '(not met)'}` : '')).join(' | ')} |`),
  '',
].join('\n');
await writeFile(new URL('./results/relations.md', import.meta.url), md);
process.stdout.write(md);
