// The OCR bench's markdown section and its text check.
import { describeMachine, type MachineInfo } from './machine.ts';

export interface OcrRow {
  name: string;
  engine: string;
  mode: string;
  threads: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
  stallMaxMs: number;
  stallP99Ms: number;
  idleStallMaxMs: number;
  worstAccuracy: number;
  reps: { images: number; seconds: number; cpuSeconds: number; stallMaxMs: number; stallP99Ms: number; idleStallMaxMs: number }[];
}

export interface OcrReport {
  command: string;
  date: string;
  machine: MachineInfo;
  durationMs: number;
  loadAverage1m: { before: number; after: number };
  dataset: { images: string[]; perRun: number; reps: number };
  settings: { maxSide: number; recBatch: number; callBatch: number };
  rows: OcrRow[];
}

/** 1 − Levenshtein / longer length, over characters. */
export function similarity(expected: string, actual: string): number {
  const a = [...expected];
  const b = [...actual];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[b.length]! / Math.max(a.length, b.length, 1);
}

const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

export function formatOcrMarkdown(r: OcrReport): string {
  const rows = r.rows.map((row) => {
    const stall = Number.isFinite(row.stallMaxMs) ? `${f(row.stallMaxMs, 0)} ms (p99 ${f(row.stallP99Ms, 0)})` : 'n/a (other process)';
    return `| ${row.engine} | ${row.mode} | ${row.threads} | ${f(row.imagesPerSecond)} | ${f(row.imagesPerSecond / row.threads)} | ${f(row.cpuMsPerImage, 0)} | ${f(1000 / row.cpuMsPerImage)} | ${stall} | ${f(row.idleStallMaxMs, 0)} ms | ${f(row.worstAccuracy * 100, 0)} % |`;
  });
  return [
    '## OCR: images per core, and the event loop while OCR runs',
    '',
    `Command: \`${r.command}\`  `,
    `Machine: ${describeMachine(r.machine)}. Date: ${r.date}. Whole bench: ${f(r.durationMs / 1000, 0)} s. 1-min load average ${r.loadAverage1m.before} before, ${r.loadAverage1m.after} after (other work shares the machine).  `,
    `Dataset: the demo site's ${r.dataset.images.length} text images (${r.dataset.images.join(', ')}), ${r.dataset.perRun} reads per run, ${r.dataset.reps} interleaved runs per row (medians; stall: the worst run).  `,
    `Settings, both engines: PP-OCRv4 detection (input ≤ ${r.settings.maxSide} px on the longer side, never enlarged; DB box threshold 0.6, unclip ratio 2.0, no dilation), the orientation classifier and recognition in batches of ${r.settings.recBatch} lines, text score ≥ 0.5, 1 onnxruntime thread per model unless the row says otherwise.`,
    '',
    '| engine | calls | threads | images/s | images/s per thread | CPU ms / image | images per CPU-second | longest event-loop stall | idle process beside it | worst text accuracy |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    '*images/s* is wall-clock throughput; with other work on the machine it understates what a core does, so *images per CPU-second* (the process\'s CPU time over all its threads: event loop, OCR workers, onnxruntime and libvips) is the per-core figure that holds under load. ' +
      '*Longest event-loop stall*: `perf_hooks.monitorEventLoopDelay` (5 ms resolution) in the process hosting the engine, over the measured run; *idle process beside it*: the same in an idle Node process running at the same time, the machine\'s scheduling noise floor (a loaded 2-core machine delays even an idle loop). ' +
      '*EchoBatch of n*: the `ocr` operator served over gRPC on loopback and called as the miner calls it, n images per call (one engine batch: the lines of all its images recognised together), two calls per thread in flight; *unary Echo per image*: one image per call. ' +
      'RapidOCR rows: `rapidocr-onnxruntime` in a venv (bench/.venv), its processes each with their own engine; its CPU is theirs. *Worst text accuracy*: 1 − edit distance / length against the demo site\'s ground truth, worst image of the worst run.',
    '',
  ].join('\n');
}
