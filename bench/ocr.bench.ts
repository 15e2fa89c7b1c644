// OCR throughput per core and the event loop's longest stall, on the demo site's text images:
// Quarry's PP-OCRv4 engine (before: inference on the event loop; after: worker threads, and
// batched calls), and RapidOCR (the same PP-OCRv4 models in Python) as the peer in the same run,
// at matched settings. Writes bench/results/ocr.json and bench/results/ocr.md.
//   npx tsx bench/ocr.bench.ts [--repeat 12] [--reps 2] [--batch 8] [--no-peer]
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { buildDemoSite } from '../demo-site/index.ts';
import { createPaddleOcrEngine, type OcrEngine } from '../operators/ocr/index.ts';
import { createInThreadOcrEngine } from '../operators/ocr/testing/index.ts';
import { commandLine, flag, numberFlag } from './internal/args.ts';
import { machineInfo } from './internal/machine.ts';
import { ensurePeer, RAPIDOCR_VERSION, runPeer, type PeerResult } from './internal/ocr-peer.ts';
import { measured, servedRun, type RunFigures } from './internal/ocr-runs.ts';
import { formatOcrMarkdown, similarity, type OcrRow } from './internal/ocr-report.ts';

const REPEAT = numberFlag('repeat', 12);
const REPS = numberFlag('reps', 2);
const BATCH = numberFlag('batch', 8);
const PEER = flag('no-peer') === undefined;
const REC_BATCH = 6;
const log = (line: string) => process.stderr.write(`${line}\n`);

const { spec, groundTruth } = await buildDemoSite();
const truth = groundTruth.ocr.map((o) => o.text);
const files = groundTruth.ocr.map((o) => o.imageUrl);
const images = files.map((url) => {
  const route = spec.routes.get(url);
  if (route?.kind !== 'file') throw new Error(`ocr bench: the demo site has no image at ${url}`);
  return new Uint8Array(route.body);
});
const tmp = new URL('./results/tmp/', import.meta.url);
await mkdir(tmp, { recursive: true });
const paths = await Promise.all(images.map(async (bytes, i) => {
  const file = new URL(`ocr-${i}-${files[i]!.split('/').pop()}`, tmp);
  await writeFile(file, bytes);
  return file.pathname;
}));
if (PEER) ensurePeer(log);

interface Config {
  name: string;
  engine: string;
  mode: string;
  threads: number;
  run(): Promise<RunFigures>;
}
const quarry = (make: () => OcrEngine, work: (e: OcrEngine) => Promise<RunFigures>) => async () => {
  const engine = make();
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
};
const peer = (workers: number, intra: number) => async (): Promise<RunFigures> => {
  let result: PeerResult | undefined;
  // Its own timing and CPU (the Python processes'); the probe still gives the noise floor.
  const beside = await measured(async () => (result = await runPeer({ images: paths, texts: truth, workers, intra, rec_batch: REC_BATCH, repeat: REPEAT })).texts, 0, { loop: false });
  return { ...beside, images: result!.images, seconds: result!.seconds, cpuSeconds: result!.cpuSeconds };
};
// In flight: two calls per thread, so a thread finds its next batch waiting.
const served = (engine: () => OcrEngine, threads: number, batch = BATCH) => quarry(engine, (e) => servedRun(e, images, REPEAT, batch, 2 * threads));
const configs: Config[] = [
  { name: 'before', engine: 'Quarry, inference on the event loop (before)', mode: `EchoBatch of ${BATCH}`, threads: 1, run: served(() => createInThreadOcrEngine(), 1) },
  { name: 'pool-1', engine: 'Quarry, 1 worker thread', mode: `EchoBatch of ${BATCH}`, threads: 1, run: served(() => createPaddleOcrEngine({ concurrency: 1 }), 1) },
  { name: 'pool-1-unary', engine: 'Quarry, 1 worker thread', mode: 'unary Echo per image', threads: 1, run: served(() => createPaddleOcrEngine({ concurrency: 1 }), 1, 1) },
  { name: 'pool-1-rec1', engine: 'Quarry, 1 worker thread, lines recognised one per run', mode: `EchoBatch of ${BATCH}`, threads: 1, run: served(() => createPaddleOcrEngine({ concurrency: 1, batchSize: 1 }), 1) },
  { name: 'pool-2', engine: 'Quarry, 2 worker threads', mode: `EchoBatch of ${BATCH}`, threads: 2, run: served(() => createPaddleOcrEngine({ concurrency: 2 }), 2) },
  { name: 'pool-1x2', engine: 'Quarry, 1 worker thread × 2 onnxruntime threads', mode: `EchoBatch of ${BATCH}`, threads: 2, run: served(() => createPaddleOcrEngine({ concurrency: 1, intraOpThreads: 2 }), 1) },
  ...(PEER
    ? [
        { name: 'rapidocr-1', engine: `RapidOCR ${RAPIDOCR_VERSION}, 1 process`, mode: 'per image', threads: 1, run: peer(1, 1) },
        { name: 'rapidocr-2', engine: `RapidOCR ${RAPIDOCR_VERSION}, 2 processes`, mode: 'per image', threads: 2, run: peer(2, 1) },
        { name: 'rapidocr-1x2', engine: `RapidOCR ${RAPIDOCR_VERSION}, 1 process × 2 onnxruntime threads`, mode: 'per image', threads: 2, run: peer(1, 2) },
      ]
    : []),
];

const started = Date.now();
const loadBefore = loadavg()[0]!;
const runs = new Map<string, RunFigures[]>();
// Interleaved repetitions: a burst of load from other work on the machine spreads over every config.
for (let rep = 0; rep < REPS; rep++) {
  for (const c of configs) {
    log(`ocr bench: rep ${rep + 1}/${REPS} ${c.name}…`);
    const r = await c.run();
    runs.set(c.name, [...(runs.get(c.name) ?? []), r]);
    log(`  ${(r.images / r.seconds).toFixed(2)} images/s, ${((r.cpuSeconds / r.images) * 1000).toFixed(0)} ms CPU/image, stall ${r.stallMaxMs.toFixed(0)} ms (idle process beside it: ${r.idleStallMaxMs.toFixed(0)} ms)`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const rows: OcrRow[] = configs.map((c) => {
  const rs = runs.get(c.name)!;
  const accuracy = Math.min(...rs.map((r) => Math.min(...truth.map((t, i) => similarity(t, r.texts[i] ?? '')))));
  return {
    name: c.name, engine: c.engine, mode: c.mode, threads: c.threads,
    imagesPerSecond: median(rs.map((r) => r.images / r.seconds)),
    cpuMsPerImage: median(rs.map((r) => (r.cpuSeconds / r.images) * 1000)),
    stallMaxMs: Math.max(...rs.map((r) => r.stallMaxMs)),
    stallP99Ms: median(rs.map((r) => r.stallP99Ms)),
    idleStallMaxMs: Math.max(...rs.map((r) => r.idleStallMaxMs)),
    worstAccuracy: accuracy,
    reps: rs.map((r) => ({ images: r.images, seconds: r.seconds, cpuSeconds: r.cpuSeconds, stallMaxMs: r.stallMaxMs, stallP99Ms: r.stallP99Ms, idleStallMaxMs: r.idleStallMaxMs })),
  };
});

const report = {
  command: commandLine('bench/ocr.bench.ts'),
  date: new Date().toISOString(),
  machine: machineInfo(),
  durationMs: Date.now() - started,
  loadAverage1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0]! * 100) / 100 },
  dataset: { images: files, texts: truth, perRun: images.length * REPEAT, reps: REPS },
  settings: { maxSide: 960, recBatch: REC_BATCH, callBatch: BATCH, intraOpThreads: 1, orientation: true, detBoxThreshold: 0.6, unclipRatio: 2, minConfidence: 0.5 },
  rows,
};
await writeFile(new URL('./results/ocr.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
const md = formatOcrMarkdown(report);
await writeFile(new URL('./results/ocr.md', import.meta.url), md);
process.stdout.write(md);
