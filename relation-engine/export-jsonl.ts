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

export interface ExportReport extends ExportProgress {}

export async function exportJsonl(
  batches: AsyncIterable<readonly ContentRelation[]>, out: Writable,
  o: { onProgress?: (p: ExportProgress) => void; progressEveryMs?: number; now?: () => number } = {},
): Promise<ExportReport> {
  const now = o.now ?? Date.now;
  const started = now();
  const every = o.progressEveryMs ?? 1_000;
  let lastProgress = started;
  let contents = 0;
  let bytes = 0;
  for await (const batch of batches) {
    let text = '';
    for (const row of batch) text += `${JSON.stringify(row)}\n`;
    const chunk = Buffer.from(text, 'utf8');
    contents += batch.length;
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
    const t = now();
    if (t - lastProgress >= every) {
      lastProgress = t;
      o.onProgress?.({ contents, bytes, elapsedMs: t - started });
    }
  }
  const report = { contents, bytes, elapsedMs: now() - started };
  o.onProgress?.(report);
  return report;
}
