// Counts of the live graph (and of stale edge copies awaiting retirement), by full scans:
// meant for the CLI and tests, not for a hot path.
import { isFoLive, isOcLive, isStale, type LinkVertex, type PageVertex } from './model.ts';
import type { RelationStore } from './relation-store.ts';

export interface RelationCounts {
  pages: number;
  deletedPages: number;
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
  /** Stored edge copies (forward and reverse) that retirement would delete. */
  staleEdgeCopies: number;
}

export async function countRelations(store: RelationStore): Promise<RelationCounts> {
  const c: RelationCounts = {
    pages: 0, deletedPages: 0, links: 0, aliveLinks: 0, deadLinks: 0, contents: 0, contentsWithFeatures: 0,
    contentsWithOcr: 0, foEdges: 0, ocEdges: 0, staleEdgeCopies: 0,
  };
  const pages = new Map<string, PageVertex>();
  for await (const p of store.scanPageVertices()) {
    pages.set(p.url, p);
    if (p.deleted) c.deletedPages++;
    else c.pages++;
  }
  const links = new Map<string, LinkVertex>();
  for await (const l of store.scanLinkVertices()) {
    links.set(l.url, l);
    c.links++;
    if (l.alive) c.aliveLinks++;
    else c.deadLinks++;
  }
  for await (const r of store.scanContents()) {
    if (!r.vertex) continue;
    c.contents++;
    if (r.vertex.features) c.contentsWithFeatures++;
    if (r.vertex.ocrText !== undefined) c.contentsWithOcr++;
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
