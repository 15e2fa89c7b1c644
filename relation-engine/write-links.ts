// Link writes, planned a batch at a time: one batched read of the links and the contents they
// now serve, then one write set. Every fetch gives the link a new version; the oc edge it keeps
// (alive, content unknown) is rewritten at that version, one it leaves behind is journalled.
import type { LinkVertex, OcEdge } from './model.ts';
import type { CountDelta, WriteSet } from './relation-store.ts';
import type { LinkInput } from './inputs.ts';
import { addDelta } from './counts.ts';
import { planVisits, type VisitOutcome } from './schedule.ts';
import { entry, type WriteContext, type WriteResult } from './write-pages.ts';

export type CheckedLink = Omit<LinkInput, 'visit'> & { visit?: { etag?: string; lastModified?: string } };

export interface LinkWriteResult extends WriteResult {
  /** The live content before this write, if any. */
  previousSign?: string;
}

const linkCounts = (v: LinkVertex | undefined): Record<string, number> =>
  v ? { links: 1, [v.alive ? 'aliveLinks' : 'deadLinks']: 1 } : {};

/** Plans one round of link writes whose urls are all distinct. */
export async function planLinks(ctx: WriteContext, inputs: readonly CheckedLink[]): Promise<{ writes: WriteSet; results: LinkWriteResult[] }> {
  const recs = await ctx.store.readLinks(inputs.map((l) => l.url));
  const signs = [...new Set(inputs.flatMap((l) => (l.alive && l.contentSign !== undefined ? [l.contentSign] : [])))];
  const known = await ctx.store.readContentVertices(signs);
  const exists = new Set(signs.filter((_, i) => known[i] !== undefined));
  const w: Required<Pick<WriteSet, 'journal' | 'ocEdges' | 'linkVertices' | 'contents'>> & { counts: CountDelta } = {
    journal: [], ocEdges: [], linkVertices: [], contents: [], counts: {},
  };
  const visits: VisitOutcome[] = [];
  const results = inputs.map((input, i): LinkWriteResult => {
    const rec = recs[i]!;
    const prev = rec.vertex;
    if (prev && input.crawledAtMs < prev.crawledAtMs) return { applied: false, version: prev.version };
    const current = prev?.alive ? rec.contents.find((e) => e.oVersion === prev.version) : undefined;
    const prevField = current ? { previousSign: current.sign } : {};
    const version = Math.max((prev?.version ?? 0) + 1, ctx.now());
    let edge: OcEdge | undefined;
    if (input.alive && input.contentSign !== undefined) {
      edge = { link: input.url, sign: input.contentSign, crawledAtMs: input.crawledAtMs, oVersion: version };
      if (!exists.has(input.contentSign)) {
        exists.add(input.contentSign);
        w.contents.push({ sign: input.contentSign, patch: {}, firsts: ['contents'] });
      }
    } else if (input.alive && current) {
      // Alive, content not determined (not modified, or not re-read): keep the live relation.
      edge = { ...current, oVersion: version };
    }
    const stale = current && current.sign !== edge?.sign ? [current.sign] : [];
    if (edge || stale.length > 0) w.journal.push(entry('link', input.url, version, prev?.version, stale, ctx.now()));
    if (edge) w.ocEdges.push(edge);
    const vertex: LinkVertex = {
      url: input.url, alive: input.alive, ...(!input.alive && input.reason !== undefined ? { reason: input.reason } : {}),
      version, crawledAtMs: input.crawledAtMs,
    };
    w.linkVertices.push(vertex);
    const d: Record<string, number> = { ocEdges: (edge ? 1 : 0) - (current ? 1 : 0), staleEdgeCopies: 2 * stale.length };
    for (const [k, n] of Object.entries(linkCounts(prev))) d[k] = (d[k] ?? 0) - n;
    for (const [k, n] of Object.entries(linkCounts(vertex))) d[k] = (d[k] ?? 0) + n;
    addDelta(w.counts, d);
    if (input.visit) {
      const changed = !prev || prev.alive !== input.alive || (edge !== undefined && edge.sign !== current?.sign);
      visits.push({ kind: 'link', url: input.url, changed, gone: !input.alive, checkedAtMs: input.crawledAtMs, ...input.visit });
    }
    return { applied: true, version, ...prevField };
  });
  return { writes: { ...w, visits: await planVisits(ctx.store, visits, ctx.policy) }, results };
}
