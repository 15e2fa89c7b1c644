// The retirement job: walks every stored edge copy and deletes those older than their source
// vertex. Versions only rise, so "older than a version once seen" is stale for good; an edge
// newer than its vertex is an in-flight write and is left alone; the store's conditional delete
// spares an edge rewritten since the scan saw it.
import type { ScannedEdge } from './model.ts';
import { isStale } from './model.ts';
import type { RelationStore } from './relation-store.ts';
import { mapLimit } from './internal/limiter.ts';

export interface RetireReport {
  scanned: number;
  stale: number;
  deleted: number;
  /** True when the whole graph was walked (the limit was not reached). */
  complete: boolean;
}

const BATCH = 256;

export async function retire(store: RelationStore, o: { limit: number; concurrency: number }): Promise<RetireReport> {
  if (!(o.limit >= 0)) throw new TypeError(`Expected \`limit\` to be a number ≥ 0, got \`${o.limit}\``);
  const report: RetireReport = { scanned: 0, stale: 0, deleted: 0, complete: true };
  const pages = new Map<string, Promise<number | undefined>>();
  const links = new Map<string, Promise<number | undefined>>();
  const versionOf = (e: ScannedEdge): Promise<number | undefined> => {
    const isPage = e.kind === 'fo' || e.kind === 'of';
    const cache = isPage ? pages : links;
    const id = e.from;
    let p = cache.get(id);
    if (!p) {
      p = isPage ? store.readPageVertex(id).then((v) => v?.version) : store.readLinkVertex(id).then((v) => v?.version);
      if (cache.size > 10_000) cache.clear();
      cache.set(id, p);
    }
    return p;
  };
  let batch: ScannedEdge[] = [];
  const flush = async () => {
    const verdicts = await mapLimit(batch, o.concurrency, async (e) => isStale(e.version, await versionOf(e)));
    const stale = batch.filter((_, i) => verdicts[i]).slice(0, o.limit - report.deleted);
    report.stale += verdicts.filter(Boolean).length;
    const done = await mapLimit(stale, o.concurrency, (e) => store.deleteEdgeIfUnchanged(e));
    report.deleted += done.filter(Boolean).length;
    batch = [];
  };
  for await (const e of store.scanEdges()) {
    if (report.deleted >= o.limit) {
      report.complete = false;
      break;
    }
    report.scanned++;
    batch.push(e);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  if (report.deleted >= o.limit && report.stale > report.deleted) report.complete = false;
  return report;
}
