// Export of the whole ordered scan as JSON lines: one write per batch, honouring the writable's
// backpressure, with progress as it goes. Nothing is buffered beyond the scan's own bound.
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { ContentRelation } from './queries.ts';

export interface ExportProgress {
  contents: number;
  bytes: number;
  elapsedMs: number;
}

export interface ExportReport extends ExportProgress {
  /** Threads that read the store (1: the calling thread alone). */
  threads: number;
}

export interface ExportChunk {
  /** JSON lines, whole lines only. */
  bytes: Uint8Array;
  contents: number;
}

export interface WriteOptions {
  onProgress?: (p: ExportProgress) => void;
  progressEveryMs?: number;
  now?: () => number;
}

/** One batch as JSON lines. */
export function encodeBatch(batch: readonly ContentRelation[]): ExportChunk {
  let text = '';
  for (const row of batch) text += `${JSON.stringify(row)}\n`;
  return { bytes: Buffer.from(text, 'utf8'), contents: batch.length };
}

async function* encodeAll(batches: AsyncIterable<readonly ContentRelation[]>): AsyncIterable<ExportChunk> {
  for await (const batch of batches) yield encodeBatch(batch);
}

export function exportJsonl(batches: AsyncIterable<readonly ContentRelation[]>, out: Writable, o: WriteOptions = {}): Promise<ExportReport> {
  return writeChunks(encodeAll(batches), out, o);
}

/** Writes encoded chunks in order, honouring `out`'s backpressure, with progress. */
export async function writeChunks(chunks: AsyncIterable<ExportChunk>, out: Writable, o: WriteOptions = {}): Promise<ExportReport> {
  const now = o.now ?? Date.now;
  const started = now();
  const every = o.progressEveryMs ?? 1_000;
  let lastProgress = started;
  let contents = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
    contents += chunk.contents;
    bytes += chunk.bytes.byteLength;
    if (!out.write(chunk.bytes)) await once(out, 'drain');
    const t = now();
    if (t - lastProgress >= every) {
      lastProgress = t;
      o.onProgress?.({ contents, bytes, elapsedMs: t - started });
    }
  }
  const report = { contents, bytes, elapsedMs: now() - started };
  o.onProgress?.(report);
  return { ...report, threads: 1 };
}
