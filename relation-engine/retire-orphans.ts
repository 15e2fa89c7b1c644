// Orphans left by retirement: a link that no page shows now (nor is about to: an edge newer
// than its page's version is a write in flight) is retired with its edges and its schedule; a
// content that no link serves now (nor is about to) is retired with its thumbnail references.
import type { ContentRecord, EdgeCopy, LinkVertex, PageVertex } from './model.ts';
import type { CountDelta, RelationStore, RemovalSet } from './relation-store.ts';
import { addDelta } from './counts.ts';
import { mapLimit } from './internal/limiter.ts';
import { releaseRefs } from './write-contents.ts';

export interface OrphanCandidates {
  links: Set<string>;
  signs: Set<string>;
}

/** Both copies of a page→link or link→content edge, at most at `version`. */
export function pair(kind: 'page' | 'link', from: string, to: string, version: number): EdgeCopy[] {
  return kind === 'page'
    ? [{ kind: 'fo', from, to, version }, { kind: 'of', from, to, version }]
    : [{ kind: 'oc', from, to, version }, { kind: 'co', from, to, version }];
}

export async function retireOrphans(store: RelationStore, c: OrphanCandidates, now: number): Promise<{ links: number; contents: number; removed: number }> {
  const out = { links: 0, contents: 0, removed: 0 };
  const signs = new Set(c.signs);
  const linkIds = [...c.links];
  if (linkIds.length > 0) {
    const recs = await store.readLinks(linkIds);
    const pageUrls = [...new Set(recs.flatMap((r) => r.pages.map((p) => p.page)))];
    const pv = new Map<string, PageVertex | undefined>();
    (await store.readPageVertices(pageUrls)).forEach((v, i) => pv.set(pageUrls[i]!, v));
    const r: Required<Pick<RemovalSet, 'edges' | 'linkVertices' | 'visits'>> & { counts: CountDelta } = { edges: [], linkVertices: [], visits: [], counts: {} };
    recs.forEach((rec, i) => {
      const v = rec.vertex;
      if (!v) return;
      const shown = rec.pages.some((e) => {
        const p = pv.get(e.page);
        return !p || e.fVersion > p.version || (!p.deleted && e.fVersion === p.version);
      });
      if (shown) return;
      const url = linkIds[i]!;
      r.linkVertices.push({ url, version: v.version });
      r.visits.push({ kind: 'link', url });
      for (const e of rec.contents) {
        r.edges.push(...pair('link', url, e.sign, e.oVersion));
        signs.add(e.sign);
      }
      for (const e of rec.pages) r.edges.push(...pair('page', e.page, url, e.fVersion));
      const live = rec.contents.some((e) => v.alive && e.oVersion === v.version);
      addDelta(r.counts, { links: -1, [v.alive ? 'aliveLinks' : 'deadLinks']: -1, ocEdges: live ? -1 : 0 });
      out.links++;
    });
    out.removed += r.edges.length;
    if (r.linkVertices.length > 0) await store.remove(r);
  }
  if (signs.size === 0) return out;
  const contents: ContentRecord[] = await mapLimit([...signs], 16, (s) => store.readContent(s));
  const linkUrls = [...new Set(contents.flatMap((rec) => rec.links.map((e) => e.link)))];
  const lv = new Map<string, LinkVertex | undefined>();
  (await store.readLinks(linkUrls)).forEach((rec, i) => lv.set(linkUrls[i]!, rec.vertex));
  const r: Required<Pick<RemovalSet, 'edges' | 'contents'>> & { counts: CountDelta } = { edges: [], contents: [], counts: {} };
  const refs = [];
  for (const rec of contents) {
    if (!rec.vertex) continue;
    const served = rec.links.some((e) => {
      const l = lv.get(e.link);
      return !l || e.oVersion > l.version || (l.alive && e.oVersion === l.version);
    });
    if (served) continue;
    r.contents.push(rec.sign);
    for (const e of rec.links) r.edges.push(...pair('link', e.link, rec.sign, e.oVersion));
    addDelta(r.counts, { contents: -1, contentsWithFeatures: rec.vertex.features ? -1 : 0, contentsWithOcr: rec.vertex.ocrText !== undefined ? -1 : 0 });
    if (rec.vertex.thumbnailRef !== undefined) refs.push({ blob: rec.vertex.thumbnailRef, sign: rec.sign, tenant: '*' });
    out.contents++;
  }
  out.removed += r.edges.length;
  // References first: a crash after leaves a content whose next retirement finds it again.
  await releaseRefs(store, refs, now);
  if (r.contents.length > 0) await store.remove(r);
  return out;
}
