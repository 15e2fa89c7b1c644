// Counts of the live graph. `counts()` reads the counts every write maintains (no scan); the
// exact variant recounts by full scans, for tests and for checking the maintained figures.
import { isFoLive, isOcLive, isStale, type LinkVertex, type PageVertex } from './model.ts';
import type { CountDelta, RelationStore } from './relation-store.ts';

export interface RelationCounts {
  pages: number;
  deletedPages: number;
  /** URLs recorded as aliases of another page (redirects, canonical links). */
  aliasPages: number;
  links: number;
  aliveLinks: number;
  deadLinks: number;
  contents: number;
  contentsWithFeatures: number;
  contentsWithOcr: number;
  /** Live fo edges (page shows link). */
  foEdges: number;
  /** Live oc edges (link serves content). */
  ocEdges: number;
  /** Edge copies (forward and reverse) recorded stale and awaiting retirement. */
  staleEdgeCopies: number;
}

export const COUNT_NAMES: readonly (keyof RelationCounts)[] = [
  'pages', 'deletedPages', 'aliasPages', 'links', 'aliveLinks', 'deadLinks', 'contents', 'contentsWithFeatures',
  'contentsWithOcr', 'foEdges', 'ocEdges', 'staleEdgeCopies',
];

export function emptyCounts(): RelationCounts {
  return Object.fromEntries(COUNT_NAMES.map((n) => [n, 0])) as unknown as RelationCounts;
}

/** Adds `delta` into `into` (both name → number). */
export function addDelta(into: CountDelta, delta: Partial<Record<keyof RelationCounts, number>>): void {
  for (const [k, v] of Object.entries(delta)) if (v) into[k] = (into[k] ?? 0) + v;
}

export async function maintainedCounts(store: RelationStore): Promise<RelationCounts> {
  const c = emptyCounts();
  const stored = await store.readCounts();
  for (const n of COUNT_NAMES) c[n] = stored[n] ?? 0;
  return c;
}

/** The same figures by full scans; `staleEdgeCopies` here counts every stored copy older than its vertex. */
export async function exactCounts(store: RelationStore): Promise<RelationCounts> {
  const c = emptyCounts();
  const pages = new Map<string, PageVertex>();
  for await (const p of store.scanPageVertices()) {
    pages.set(p.url, p);
    if (p.aliasOf !== undefined) c.aliasPages++;
    else if (p.deleted) c.deletedPages++;
    else c.pages++;
  }
  const links = new Map<string, LinkVertex>();
  for await (const l of store.scanLinkVertices()) {
    links.set(l.url, l);
    c.links++;
    if (l.alive) c.aliveLinks++;
    else c.deadLinks++;
  }
  for await (const batch of store.scanContents()) {
    for (const r of batch) {
      if (!r.vertex) continue;
      c.contents++;
      if (r.vertex.features) c.contentsWithFeatures++;
      if (r.vertex.ocrText !== undefined) c.contentsWithOcr++;
    }
  }
  for await (const e of store.scanEdges()) {
    const isPage = e.kind === 'fo' || e.kind === 'of';
    const v = isPage ? pages.get(e.from) : links.get(e.from);
    if (isStale(e.version, v?.version)) c.staleEdgeCopies++;
    if (e.kind === 'fo' && isFoLive({ fVersion: e.version }, pages.get(e.from))) c.foEdges++;
    if (e.kind === 'oc' && isOcLive({ oVersion: e.version }, links.get(e.from))) c.ocEdges++;
  }
  return c;
}
