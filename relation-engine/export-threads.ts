// The ordered export read by several threads: the C buckets are cut into slices (a bucket, or a
// range of its signs when buckets are big), each thread reads and encodes one slice at a time (as
// JSON lines), and the chunks are written in scan order, so the output is the same as a
// single-threaded export's. Memory stays bounded: a thread has at most `ahead` chunks
// unacknowledged, and slices are handed out at most `2 × threads` ahead of the one being written.
// Slices are cut to about a batch each (from the maintained content count), so a thread ahead of
// the write order rarely waits.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { ExportChunk } from './export-jsonl.ts';
import type { FromThread, Slice, ThreadBoot, ToThread } from './internal/export-messages.ts';

const ENTRY = new URL('./internal/thread-entry.mjs', import.meta.url);
const SCRIPT = fileURLToPath(new URL('./internal/export-thread.ts', import.meta.url));

export interface ThreadedScanOptions {
  threads: number;
  buckets: number;
  fromBucket?: number;
  toBucket?: number;
  batchSize?: number;
  ahead?: number;
  /** Contents in the store (the maintained count), to cut slices of about a batch. */
  contents: number;
}

interface Range {
  slice: Slice;
  chunks: ExportChunk[];
  done: boolean;
  thread?: Worker;
}

/** Chunks of JSON lines in scan order, read by `threads` threads from the store at `spec`. */
export async function* threadedChunks(spec: string, o: ThreadedScanOptions): AsyncIterable<ExportChunk> {
  const from = o.fromBucket ?? 0;
  const to = Math.min(o.toBucket ?? o.buckets, o.buckets);
  const threads = Math.max(1, o.threads);
  const batchSize = o.batchSize ?? 256;
  // Signs are hex hashes: 16^depth slices per bucket (16 to 4,096), each about a batch when the
  // count is right.
  const perBucket = o.contents / Math.max(1, o.buckets);
  const depth = Math.min(3, Math.max(1, Math.ceil(Math.log(perBucket / batchSize) / Math.log(16))));
  const bounds = Array.from({ length: 16 ** depth }, (_, i) => i.toString(16).padStart(depth, '0'));
  const ranges: Range[] = [];
  for (let b = from; b < to; b++) {
    bounds.forEach((_, i) => ranges.push({
      slice: { bucket: b, ...(i > 0 ? { signFrom: bounds[i]! } : {}), ...(i + 1 < bounds.length ? { signTo: bounds[i + 1]! } : {}) },
      chunks: [], done: false,
    }));
  }
  if (ranges.length === 0) return;

  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let next = 0;
  let current = 0;
  const idle: Worker[] = [];
  const send = (w: Worker, m: ToThread): void => w.postMessage(m);
  const assign = (): void => {
    while (idle.length > 0 && next < ranges.length && next - current < threads * 2) {
      const w = idle.shift()!;
      const r = ranges[next]!;
      r.thread = w;
      send(w, { range: next++, slice: r.slice });
    }
  };
  const boot: ThreadBoot = { script: SCRIPT, spec, batchSize, ahead: o.ahead ?? 4 };
  const workers = Array.from({ length: threads }, () => new Worker(ENTRY, { workerData: boot }));
  const exited = new Map<Worker, Promise<void>>(workers.map((w) => [w, new Promise<void>((resolve) => w.once('exit', () => resolve()))]));
  for (const w of workers) {
    w.on('message', (m: FromThread) => {
      if ('error' in m) failure ??= new Error(`export thread: ${m.error}`);
      else if ('ready' in m) idle.push(w);
      else if ('done' in m) {
        ranges[m.range]!.done = true;
        idle.push(w);
      } else ranges[m.range]!.chunks.push({ bytes: m.bytes, contents: m.contents });
      assign();
      notify();
    });
    w.on('error', (err) => {
      failure ??= err;
      notify();
    });
    w.on('exit', (code) => {
      if (code !== 0) failure ??= new Error(`export thread exited with code ${code}`);
      notify();
    });
  }
  try {
    while (current < ranges.length) {
      if (failure) throw failure;
      const r = ranges[current]!;
      const chunk = r.chunks.shift();
      if (chunk) {
        yield chunk;
        send(r.thread!, { credit: current });
        continue;
      }
      if (r.done) {
        current++;
        assign();
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    // Each thread closes its store (ending its read transactions) and exits; one that does not
    // within 10 s is terminated.
    await Promise.all(workers.map(async (w) => {
      send(w, { stop: true });
      const timer = setTimeout(() => void w.terminate(), 10_000);
      await exited.get(w);
      clearTimeout(timer);
    }));
  }
}
