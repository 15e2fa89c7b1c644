// Export of the whole ordered scan as JSON lines, honouring the writable's backpressure.
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { ContentRelation } from './queries.ts';

export interface ExportProgress {
  contents: number;
  bytes: number;
  elapsedMs: number;
}

export interface ExportReport extends ExportProgress {}

export async function exportJsonl(
  rows: AsyncIterable<ContentRelation>, out: Writable,
  o: { onProgress?: (p: ExportProgress) => void; progressEvery?: number; now?: () => number } = {},
): Promise<ExportReport> {
  const now = o.now ?? Date.now;
  const started = now();
  const every = o.progressEvery ?? 1000;
  let contents = 0;
  let bytes = 0;
  for await (const row of rows) {
    const line = `${JSON.stringify(row)}\n`;
    contents++;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
    if (contents % every === 0) o.onProgress?.({ contents, bytes, elapsedMs: now() - started });
  }
  const report = { contents, bytes, elapsedMs: now() - started };
  o.onProgress?.(report);
  return report;
}
