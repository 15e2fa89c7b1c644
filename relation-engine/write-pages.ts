// Page writes, planned a batch at a time: one batched read of the pages (and their aliases) as
// they are, then one write set: journal entries naming the edges each write leaves behind,
// the new fo edges, alias tombstones, visits, and the vertices that commit it all.
import type { ChurnEntry, FoEdge, PageRecord, PageVertex } from './model.ts';
import type { CountDelta, RelationStore, WriteSet } from './relation-store.ts';
import type { PageInput } from './inputs.ts';
import { addDelta } from './counts.ts';
import { planVisits, type SchedulePolicy, type VisitOutcome } from './schedule.ts';

export type CheckedPage = Omit<Required<PageInput>, 'finalUrl' | 'visit' | 'links'> & {
  finalUrl?: string;
  links: { url: string; alt: string; title: string; context: string }[];
  visit?: { etag?: string; lastModified?: string; depth?: number; maxDepth?: number };
};

export interface WriteResult {
  /** False when the write was older than what is stored (a late, out-of-order crawl). */
  applied: boolean;
  version: number;
}

export interface WriteContext {
  store: RelationStore;
  now: () => number;
  policy: SchedulePolicy;
}

const nextVersion = (ctx: WriteContext, prev: number | undefined) => Math.max((prev ?? 0) + 1, ctx.now());

/** Live fo edges of a page record: those at the vertex's version, on a live vertex. */
export function liveEdges(rec: PageRecord): FoEdge[] {
  const v = rec.vertex;
  return v && !v.deleted ? rec.edges.filter((e) => e.fVersion === v.version) : [];
}

function pageCountsBefore(v: PageVertex | undefined): Record<string, number> {
  if (!v) return {};
  if (v.aliasOf !== undefined) return { aliasPages: 1 };
  return v.deleted ? { deletedPages: 1 } : { pages: 1 };
}

/** Counts change of replacing `before` by `after` (with their live edge counts). */
function pageDelta(before: PageVertex | undefined, beforeEdges: number, after: PageVertex, afterEdges: number): Record<string, number> {
  const d: Record<string, number> = { foEdges: afterEdges - beforeEdges };
  for (const [k, n] of Object.entries(pageCountsBefore(before))) d[k] = (d[k] ?? 0) - n;
  for (const [k, n] of Object.entries(pageCountsBefore(after))) d[k] = (d[k] ?? 0) + n;
  return d;
}

/** Plans one round of page writes whose keys (url and aliases) are all distinct. */
export async function planPages(ctx: WriteContext, inputs: readonly CheckedPage[]): Promise<{ writes: WriteSet; results: WriteResult[] }> {
  const aliasUrls = inputs.flatMap((p) => p.aliases.filter((a) => a !== p.url));
  const recs = await ctx.store.readPages([...inputs.map((p) => p.url), ...aliasUrls]);
  const byUrl = new Map<string, PageRecord>();
  [...inputs.map((p) => p.url), ...aliasUrls].forEach((u, i) => byUrl.set(u, recs[i]!));
  const w: Required<Pick<WriteSet, 'journal' | 'foEdges' | 'pageVertices'>> & { counts: CountDelta } = { journal: [], foEdges: [], pageVertices: [], counts: {} };
  const visits: VisitOutcome[] = [];
  const results = inputs.map((input): WriteResult => {
    const rec = byUrl.get(input.url)!;
    const prev = rec.vertex;
    if (prev && input.crawledAtMs < prev.crawledAtMs) return { applied: false, version: prev.version };
    const version = nextVersion(ctx, prev?.version);
    const seen = new Set<string>();
    const links = input.links.filter((l) => !seen.has(l.url) && seen.add(l.url));
    const before = liveEdges(rec);
    const stale = before.filter((e) => !seen.has(e.link)).map((e) => e.link);
    w.journal.push(entry('page', input.url, version, prev?.version, stale, ctx.now()));
    for (const l of links) w.foEdges.push({ page: input.url, link: l.url, alt: l.alt, title: l.title, context: l.context, fVersion: version });
    const aliases = [...new Set([...(prev && !prev.deleted ? prev.aliases ?? [] : []), ...input.aliases.filter((a) => a !== input.url)])].sort();
    const vertex: PageVertex = {
      url: input.url, title: input.title, pageType: input.pageType, contentHash: input.contentHash,
      ...(input.finalUrl !== undefined ? { finalUrl: input.finalUrl } : {}),
      version, crawledAtMs: input.crawledAtMs, deleted: false, ...(aliases.length > 0 ? { aliases } : {}),
    };
    w.pageVertices.push(vertex);
    addDelta(w.counts, { ...pageDelta(prev, before.length, vertex, links.length), staleEdgeCopies: 2 * stale.length });
    for (const a of input.aliases) if (a !== input.url) planAlias(ctx, w, byUrl.get(a)!, a, input.url, input.crawledAtMs);
    if (input.visit) {
      const changed = !prev || prev.deleted || prev.contentHash !== input.contentHash;
      visits.push({ kind: 'page', url: input.url, changed, gone: false, checkedAtMs: input.crawledAtMs, ...input.visit });
    }
    return { applied: true, version };
  });
  return { writes: { ...w, visits: await planVisits(ctx.store, visits, ctx.policy) }, results };
}

/** Makes `alias` a tombstone pointing at `canonical`, unless it already is one (or is newer). */
function planAlias(ctx: WriteContext, w: { journal: ChurnEntry[]; pageVertices: PageVertex[]; counts: CountDelta }, rec: PageRecord, alias: string, canonical: string, crawledAtMs: number): void {
  const prev = rec.vertex;
  if (prev?.aliasOf === canonical || (prev && prev.crawledAtMs > crawledAtMs)) return;
  const version = nextVersion(ctx, prev?.version);
  const before = liveEdges(rec);
  const stale = before.map((e) => e.link);
  w.journal.push(entry('page', alias, version, prev?.version, stale, ctx.now()));
  const vertex: PageVertex = { url: alias, title: '', pageType: '', contentHash: '', version, crawledAtMs, deleted: true, aliasOf: canonical };
  w.pageVertices.push(vertex);
  addDelta(w.counts, { ...pageDelta(prev, before.length, vertex, 0), staleEdgeCopies: 2 * stale.length });
}

/** Plans a page's deletion (it vanished): a tombstone at a new version hides every edge it had. */
export async function planPageDeletion(ctx: WriteContext, url: string, atMs?: number): Promise<WriteSet | undefined> {
  const [rec] = await ctx.store.readPages([url]);
  const prev = rec?.vertex;
  if (!rec || !prev || prev.deleted || (atMs !== undefined && atMs < prev.crawledAtMs)) return undefined;
  const version = nextVersion(ctx, prev.version);
  const before = liveEdges(rec);
  const stale = before.map((e) => e.link);
  const vertex: PageVertex = { ...prev, version, crawledAtMs: Math.max(prev.crawledAtMs, atMs ?? 0), deleted: true };
  const counts: CountDelta = {};
  addDelta(counts, { ...pageDelta(prev, before.length, vertex, 0), staleEdgeCopies: 2 * stale.length });
  return { journal: [entry('page', url, version, prev.version, stale, ctx.now())], pageVertices: [vertex], counts };
}

export function entry(kind: 'page' | 'link', id: string, version: number, prevVersion: number | undefined, stale: string[], recordedAtMs: number): ChurnEntry {
  return { kind, id, version, ...(prevVersion !== undefined ? { prevVersion } : {}), stale, recordedAtMs };
}
