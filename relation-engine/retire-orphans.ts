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

/** A store derived from the graph's contents (the content index) that forgets retired ones. */
export interface ContentIndexSink {
  removeContents(signs: readonly string[]): Promise<void>;
}

/** Both copies of a page→link or link→content edge, at most at `version`. */
export function pair(kind: 'page' | 'link', from: string, to: string, version: number): EdgeCopy[] {
  return kind === 'page'
    ? [{ kind: 'fo', from, to, version }, { kind: 'of', from, to, version }]
    : [{ kind: 'oc', from, to, version }, { kind: 'co', from, to, version }];
}

export async function retireOrphans(store: RelationStore, c: OrphanCandidates, now: number, indexes: readonly ContentIndexSink[] = []): Promise<{ links: number; contents: number; removed: number }> {
  const out = { links: 0, contents: 0, removed: 0 };
  const signs = new Set(c.signs);
  const linkIds = [...c.links];
  // The links to retire: planned first, removed last (below).
  const gone = new Set<string>();
  const lr: Required<Pick<RemovalSet, 'edges' | 'linkVertices' | 'visits'>> & { counts: CountDelta } = { edges: [], linkVertices: [], visits: [], counts: {} };
  if (linkIds.length > 0) {
    const recs = await store.readLinks(linkIds);
    const pageUrls = [...new Set(recs.flatMap((r) => r.pages.map((p) => p.page)))];
    const pv = new Map<string, PageVertex | undefined>();
    (await store.readPageVertices(pageUrls)).forEach((v, i) => pv.set(pageUrls[i]!, v));
    recs.forEach((rec, i) => {
      const v = rec.vertex;
      if (!v) return;
      const shown = rec.pages.some((e) => {
        const p = pv.get(e.page);
        return !p || e.fVersion > p.version || (!p.deleted && e.fVersion === p.version);
      });
      if (shown) return;
      const url = linkIds[i]!;
      gone.add(url);
      lr.linkVertices.push({ url, version: v.version });
      lr.visits.push({ kind: 'link', url });
      for (const e of rec.contents) {
        lr.edges.push(...pair('link', url, e.sign, e.oVersion));
        signs.add(e.sign);
      }
      for (const e of rec.pages) lr.edges.push(...pair('page', e.page, url, e.fVersion));
      const live = rec.contents.some((e) => v.alive && e.oVersion === v.version);
      addDelta(lr.counts, { links: -1, [v.alive ? 'aliveLinks' : 'deadLinks']: -1, ocEdges: live ? -1 : 0 });
      out.links++;
    });
    out.removed += lr.edges.length;
  }
  const cr: Required<Pick<RemovalSet, 'edges' | 'contents'>> & { counts: CountDelta } = { edges: [], contents: [], counts: {} };
  const refs = [];
  if (signs.size > 0) {
    const contents: ContentRecord[] = await mapLimit([...signs], 16, (s) => store.readContent(s));
    const linkUrls = [...new Set(contents.flatMap((rec) => rec.links.map((e) => e.link)))].filter((u) => !gone.has(u));
    const lv = new Map<string, LinkVertex | undefined>();
    (await store.readLinks(linkUrls)).forEach((rec, i) => lv.set(linkUrls[i]!, rec.vertex));
    for (const rec of contents) {
      if (!rec.vertex) continue;
      // A link retiring in this run serves nothing; its edges go with it.
      const served = rec.links.some((e) => {
        if (gone.has(e.link)) return false;
        const l = lv.get(e.link);
        return !l || e.oVersion > l.version || (l.alive && e.oVersion === l.version);
      });
      if (served) continue;
      cr.contents.push(rec.sign);
      for (const e of rec.links) if (!gone.has(e.link)) cr.edges.push(...pair('link', e.link, rec.sign, e.oVersion));
      addDelta(cr.counts, { contents: -1, contentsWithFeatures: rec.vertex.features ? -1 : 0, contentsWithOcr: rec.vertex.ocrText !== undefined ? -1 : 0 });
      if (rec.vertex.thumbnailRef !== undefined) refs.push({ blob: rec.vertex.thumbnailRef, sign: rec.sign, tenant: '*' });
      out.contents++;
    }
    out.removed += cr.edges.length;
  }
  // Contents before the links that served them, and their references and index entries before
  // them: a crash (or a failing index) anywhere leaves what the next run, from the same journal
  // entries, finds again — the links still there lead it to their contents.
  await releaseRefs(store, refs, now);
  if (cr.contents.length > 0) {
    for (const index of indexes) await index.removeContents(cr.contents);
    await store.remove(cr);
  }
  if (lr.linkVertices.length > 0) await store.remove(lr);
  return out;
}
