// Retirement driven by the churn journal: each entry names the edge copies one write left
// behind, so retiring costs what changed, not the graph's size. An entry whose write never
// committed (a crash before the vertex write, even a vertex's first) has its own edges removed
// once the grace period has passed. Links no page shows any more, and contents no link serves,
// are retired with them (optional), and so are their thumbnail references.
import type { ChurnEntry, EdgeCopy, LinkRecord, PageRecord } from './model.ts';
import type { CountDelta, RelationStore, RemovalSet } from './relation-store.ts';
import { addDelta } from './counts.ts';
import { pair, retireOrphans, type ContentIndexSink, type OrphanCandidates } from './retire-orphans.ts';
import { sweepBlobs, type BlobDeleter } from './write-contents.ts';

export type { ContentIndexSink } from './retire-orphans.ts';

export interface RetireOptions {
  /** Journal entries to process at most (default: all). */
  limit?: number;
  /** Entries younger than this are left for later: their write may still be in flight. */
  graceMs?: number;
  /** Also retire links no live page shows and contents no live link serves (default true). */
  orphans?: boolean;
  /** Where orphaned thumbnails are deleted; without it they wait for a run that has one. */
  blobs?: BlobDeleter;
  /**
   * Stores derived from the graph's contents (the content index) that forget a content retired
   * as an orphan. Told before the content goes, so a failure stops the run and the next one
   * finds the content again.
   */
  indexes?: readonly ContentIndexSink[];
}

export interface RetireReport {
  /** Journal entries processed. */
  entries: number;
  /** Edge copies removed. */
  removed: number;
  /** Entries left for later (younger than the grace period). */
  pending: number;
  orphanLinks: number;
  orphanContents: number;
  blobsDeleted: number;
  /** Orphaned blobs left in place because they were put again within the grace period (a new
   * reference is likely on its way); the next run looks at them again. */
  blobsLeased: number;
  /** True when every entry old enough was processed (the limit was not reached). */
  complete: boolean;
}

const BATCH = 256;

export async function retire(store: RelationStore, o: Required<Omit<RetireOptions, 'blobs' | 'indexes'>> & Pick<RetireOptions, 'blobs' | 'indexes'> & { now: () => number }): Promise<RetireReport> {
  if (!(o.limit >= 0)) throw new TypeError(`Expected \`limit\` to be a number ≥ 0, got \`${o.limit}\``);
  const report: RetireReport = { entries: 0, removed: 0, pending: 0, orphanLinks: 0, orphanContents: 0, blobsDeleted: 0, blobsLeased: 0, complete: true };
  const started = o.now();
  const cutoff = started - o.graceMs;
  // Entries younger than the grace period are left in place: read only those older.
  for (;;) {
    const room = Math.min(BATCH, o.limit - report.entries);
    if (room <= 0) {
      report.complete = (await store.readJournal({ beforeMs: cutoff + 1, limit: 1 })).length === 0;
      break;
    }
    const entries = await store.readJournal({ beforeMs: cutoff + 1, limit: room });
    if (entries.length === 0) break;
    const { removals, candidates } = await planBatch(store, entries);
    report.removed += removals.edges?.length ?? 0;
    await store.remove({ edges: removals.edges ?? [] });
    if (o.orphans) {
      const r = await retireOrphans(store, candidates, o.now(), o.indexes ?? []);
      report.orphanLinks += r.links;
      report.orphanContents += r.contents;
      report.removed += r.removed;
    }
    // The entries go last: a crash before this repeats their (idempotent) work.
    await store.remove({ journal: removals.journal ?? [], counts: removals.counts ?? {} });
    report.entries += entries.length;
  }
  report.pending = (await store.readJournal({ beforeMs: Number.MAX_SAFE_INTEGER, limit: 10_000 })).length;
  if (o.blobs) {
    const swept = await sweepBlobs(store, o.blobs, { beforeMs: o.now() - o.graceMs + 1, graceMs: o.graceMs, limit: 10_000 });
    report.blobsDeleted = swept.deleted;
    report.blobsLeased = swept.leased;
  }
  return report;
}

async function planBatch(store: RelationStore, entries: readonly ChurnEntry[]): Promise<{ removals: RemovalSet; candidates: OrphanCandidates }> {
  const pageIds = [...new Set(entries.filter((e) => e.kind === 'page').map((e) => e.id))];
  const linkIds = [...new Set(entries.filter((e) => e.kind === 'link').map((e) => e.id))];
  const [pages, links] = await Promise.all([store.readPages(pageIds), store.readLinks(linkIds)]);
  const pageRec = new Map<string, PageRecord>(pageIds.map((id, i) => [id, pages[i]!]));
  const linkRec = new Map<string, LinkRecord>(linkIds.map((id, i) => [id, links[i]!]));
  const edges: EdgeCopy[] = [];
  const counts: CountDelta = {};
  const candidates: OrphanCandidates = { links: new Set(), signs: new Set() };
  for (const e of entries) {
    const vertex = e.kind === 'page' ? pageRec.get(e.id)?.vertex : linkRec.get(e.id)?.vertex;
    const committed = vertex !== undefined && vertex.version >= e.version;
    addDelta(counts, { staleEdgeCopies: -2 * e.stale.length });
    if (committed) {
      // What the write left behind, at the version it replaced: a rewrite since then survives.
      const at = e.prevVersion ?? 0;
      for (const to of e.stale) edges.push(...pair(e.kind, e.id, to, at));
      for (const to of e.stale) (e.kind === 'page' ? candidates.links : candidates.signs).add(to);
      continue;
    }
    // Never committed: its own edges (at its version) go; what it would have replaced stays live.
    const written = e.kind === 'page'
      ? (pageRec.get(e.id)?.edges ?? []).filter((x) => x.fVersion === e.version).map((x) => x.link)
      : (linkRec.get(e.id)?.contents ?? []).filter((x) => x.oVersion === e.version).map((x) => x.sign);
    for (const to of written) {
      edges.push(...pair(e.kind, e.id, to, e.version));
      (e.kind === 'page' ? candidates.links : candidates.signs).add(to);
    }
  }
  return { removals: { edges, journal: [...entries], counts }, candidates };
}
