// Relation engine throughput on both backends in one run: vertex writes/s, edge writes/s,
// validated point reads/s, and full ordered scan (JSONL export) MB/s.
//   npx tsx bench/relations.bench.ts [--pages 1000] [--links-per-page 10] [--only embedded|cassandra]
// Cassandra from QUARRY_TEST_CASSANDRA (default 127.0.0.1:9042), in a fresh keyspace dropped after.
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createRelationEngine, type RelationStore } from '../relation-engine/index.ts';
import { cassandraTestStore, embeddedTestStore, type MakeTestStore } from '../relation-engine/testing/index.ts';
import { mapLimit } from '../relation-engine/index.ts';

const { values: args } = parseArgs({ options: {
  pages: { type: 'string', default: '1000' }, 'links-per-page': { type: 'string', default: '10' },
  concurrency: { type: 'string', default: '64' }, only: { type: 'string' },
} });
const PAGES = Number(args.pages);
const LPP = Number(args['links-per-page']);
const CONC = Number(args.concurrency);
const LINKS = PAGES * LPP;

interface Figures {
  backend: string;
  vertexWrites: number; vertexWritesPerSec: number;
  edgeWrites: number; edgeWritesPerSec: number;
  pointReads: number; pointReadsPerSec: number;
  scanContents: number; scanBytes: number; scanMBPerSec: number; scanContentsPerSec: number;
}

const sign = (i: number) => `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`;
const linkUrl = (i: number) => `http://bench.example/img/${i}.jpg`;
const pageUrl = (i: number) => `http://bench.example/page/${i}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await work();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

async function measure(backend: string, make: MakeTestStore): Promise<Figures> {
  const t = await make();
  try {
    const store: RelationStore = t.store;
    const engine = createRelationEngine({ store, concurrency: 16 });
    const now = 1_700_000_000_000;
    // Vertices: pages, links and contents (one store write each).
    const [, vSec] = await timed(async () => {
      await mapLimit(range(PAGES), CONC, (i) => store.writePageVertex({ url: pageUrl(i), title: `Page ${i}`, pageType: 'article', contentHash: `h${i}`, version: 1, crawledAtMs: now, deleted: false }));
      await mapLimit(range(LINKS), CONC, (i) => store.writeLinkVertex({ url: linkUrl(i), alive: true, version: 1, crawledAtMs: now }));
      await mapLimit(range(LINKS), CONC, (i) => store.mergeContent(sign(i), { features: { width: 640, height: 480, format: 'jpeg', clarity: 0.7, phash: 'f0e1d2c3b4a59687', dominantColor: '#336699' }, thumbnailRef: `blob://thumb/${i}` }));
    });
    const vertexWrites = PAGES + 2 * LINKS;
    // Edges: fo (page → its links) and oc (link → content); each logical edge is two row writes.
    const [, eSec] = await timed(async () => {
      await mapLimit(range(PAGES), Math.max(1, CONC / LPP), (p) => store.writeFoEdges(range(LPP).map((k) => ({
        page: pageUrl(p), link: linkUrl(p * LPP + k), alt: `alt text ${k}`, title: '', context: 'some surrounding words of context', fVersion: 1,
      }))));
      await mapLimit(range(LINKS), CONC / 2, (i) => store.writeOcEdge({ link: linkUrl(i), sign: sign(i), crawledAtMs: now, oVersion: 1 }));
    });
    const edgeWrites = 2 * LINKS;
    // Validated point reads: link → its live content (one partition read + version check).
    const reads = Math.min(LINKS, 20_000);
    const [, rSec] = await timed(() => mapLimit(range(reads), CONC, async (k) => {
      const r = await engine.contentOfLink(linkUrl((k * 7919) % LINKS));
      if (!r?.content) throw new Error('bench: missing content');
    }));
    // Full ordered scan with every relation resolved, as JSON lines to a counting sink.
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const [report, sSec] = await timed(() => engine.exportJsonl(sink));
    if (report.contents !== LINKS) throw new Error(`bench: scanned ${report.contents} contents, expected ${LINKS}`);
    return {
      backend,
      vertexWrites, vertexWritesPerSec: vertexWrites / vSec,
      edgeWrites, edgeWritesPerSec: edgeWrites / eSec,
      pointReads: reads, pointReadsPerSec: reads / rSec,
      scanContents: report.contents, scanBytes: report.bytes, scanMBPerSec: report.bytes / 1e6 / sSec, scanContentsPerSec: report.contents / sSec,
    };
  } finally {
    await t.dispose();
  }
}

const backends: [string, MakeTestStore][] = [
  ['embedded (LMDB)', embeddedTestStore()],
  ['cassandra', cassandraTestStore({ concurrency: CONC })],
];
const results: Figures[] = [];
for (const [name, make] of backends) {
  if (args.only && !name.startsWith(args.only)) continue;
  process.stderr.write(`relations bench: ${name}…\n`);
  results.push(await measure(name, make));
}

const machine = {
  nproc: Number(execSync('nproc').toString().trim()),
  cpu: cpus()[0]?.model ?? 'unknown',
  ramGiB: Math.round(totalmem() / 2 ** 30),
};
const command = `npx tsx bench/relations.bench.ts --pages ${PAGES} --links-per-page ${LPP} --concurrency ${CONC}${args.only ? ` --only ${args.only}` : ''}`;
const date = new Date().toISOString();
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/relations.json', import.meta.url), `${JSON.stringify({ command, date, machine, dataset: { pages: PAGES, links: LINKS, contents: LINKS }, results }, null, 2)}\n`);

const f = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const base = results[0];
const ratio = (r: Figures, k: keyof Figures) => (base && r !== base ? ` (${((r[k] as number) / (base[k] as number)).toFixed(2)}×)` : '');
const md = [
  '## Relation engine',
  '',
  `Command: \`${command}\`  `,
  `Machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.ramGiB} GiB RAM. Date: ${date}.  `,
  `Dataset: ${PAGES} pages × ${LPP} image links = ${LINKS} links and ${LINKS} contents; Cassandra 5.0 single node on loopback, rf 1, consistency ONE.`,
  '',
  '| backend | vertex writes/s | edge writes/s | point reads/s | scan MB/s | scan contents/s |',
  '|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.backend} | ${f(r.vertexWritesPerSec)}${ratio(r, 'vertexWritesPerSec')} | ${f(r.edgeWritesPerSec)}${ratio(r, 'edgeWritesPerSec')} | ${f(r.pointReadsPerSec)}${ratio(r, 'pointReadsPerSec')} | ${f(r.scanMBPerSec)}${ratio(r, 'scanMBPerSec')} | ${f(r.scanContentsPerSec)}${ratio(r, 'scanContentsPerSec')} |`),
  '',
  'Ratios are against the first row, measured in the same run. An edge write is one logical edge (fo or oc) = two row writes (forward and reverse).',
  'A point read is `contentOfLink` (one partition read plus version validation). Scan = `exportJsonl` of every content with its links and pages resolved and validated.',
  '',
].join('\n');
await writeFile(new URL('./results/relations.md', import.meta.url), md);
process.stdout.write(md);
