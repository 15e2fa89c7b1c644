// Write and removal sets as Cassandra statements, phase by phase, each tagged with the partition
// it writes (for grouping into unlogged batches). Versioned rows carry timestamp version × 1000.
import type { EdgeCopy } from '../model.ts';
import { bucketOf } from '../model.ts';
import type { RemovalSet, WriteSet } from '../relation-store.ts';
import type { Queries } from './cassandra-queries.ts';
import type { Stmt } from './cassandra-batch.ts';

export const JOURNAL_SHARDS = 16;
export const JOURNAL_SLOT_MS = 5 * 60_000;
export const DUE_SHARDS = 8;
export const DUE_SLOT_MS = 24 * 3_600_000;
export const ORPHAN_SHARDS = 16;

/** FNV-1a over the whole string: spreads URLs that share a long prefix. */
export function shardOf(s: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

export const ts = (version: number) => version * 1000;
/** The timestamp that deletes the write at `version` (and older), never a later one. */
export const upTo = (version: number) => version * 1000 + 999;

export interface Phases {
  journal: Stmt[];
  rows: Stmt[];
  vertices: Stmt[];
  counts: Record<string, number>;
}

export function writeStatements(q: Queries, buckets: number, w: WriteSet): Phases {
  const journal: Stmt[] = (w.journal ?? []).flatMap((e) => {
    const shard = shardOf(e.id, JOURNAL_SHARDS);
    const slot = Math.floor(e.recordedAtMs / JOURNAL_SLOT_MS);
    return [
      { query: q.writeChurn, params: [shard, slot, e.recordedAtMs, e.kind, e.id, e.version, e.prevVersion ?? null, JSON.stringify(e.stale)], partition: `j|${shard}|${slot}` },
      slotRow(q, 'churn', shard, slot),
    ];
  });
  const rows: Stmt[] = [];
  for (const e of w.foEdges ?? []) {
    rows.push({ query: q.writeFo, params: [e.page, e.link, e.fVersion, e.alt, e.title, e.context, ts(e.fVersion)], partition: `f|${e.page}` });
    rows.push({ query: q.writeOf, params: [e.link, e.page, e.fVersion, e.alt, e.title, e.context, ts(e.fVersion)], partition: `o|${e.link}` });
  }
  for (const e of w.ocEdges ?? []) {
    const b = bucketOf(e.sign, buckets);
    rows.push({ query: q.writeOc, params: [e.link, e.sign, e.oVersion, e.crawledAtMs, ts(e.oVersion)], partition: `o|${e.link}` });
    rows.push({ query: q.writeCo, params: [b, e.sign, e.link, e.oVersion, e.crawledAtMs, ts(e.oVersion)], partition: `c|${b}` });
  }
  for (const { sign, patch: p } of w.contents ?? []) {
    const b = bucketOf(sign, buckets);
    const f = p.features;
    // Absent fields bind `undefined`, which the driver sends as "unset": they keep their value.
    rows.push({
      query: q.mergeContent, partition: `c|${b}`,
      params: [b, sign, f?.width, f?.height, f?.format, f?.clarity, f?.phash, f?.dominantColor, p.ocrText, p.ocrLines === undefined ? undefined : JSON.stringify(p.ocrLines), p.thumbnailRef],
    });
  }
  for (const r of w.blobRefs ?? []) {
    rows.push({ query: q.writeBlobRef, params: [r.blob, r.sign, r.tenant], partition: `b|${r.blob}` });
    const shard = shardOf(r.blob, ORPHAN_SHARDS);
    rows.push({ query: q.deleteOrphan, params: [shard, r.blob], partition: `z|${shard}` });
  }
  for (const o of w.blobOrphans ?? []) {
    const shard = shardOf(o.blob, ORPHAN_SHARDS);
    rows.push({ query: q.writeOrphan, params: [shard, o.blob, o.sinceMs], partition: `z|${shard}` });
  }
  for (const { state, prevDueAtMs } of w.visits ?? []) {
    rows.push({ query: q.writeVisit, params: [state.kind, state.url, JSON.stringify(state)], partition: `v|${state.kind}|${state.url}` });
    if (prevDueAtMs !== undefined && prevDueAtMs !== state.nextVisitAtMs) rows.push(dueRow(q.deleteDue, prevDueAtMs, state.kind, state.url));
    rows.push(dueRow(q.writeDue, state.nextVisitAtMs, state.kind, state.url));
    const shard = shardOf(state.url, DUE_SHARDS);
    rows.push(slotRow(q, 'due', shard, Math.floor(state.nextVisitAtMs / DUE_SLOT_MS)));
  }
  const vertices: Stmt[] = [];
  for (const v of w.pageVertices ?? []) {
    vertices.push({
      query: q.writePageVertex, partition: `f|${v.url}`,
      params: [v.url, v.title, v.pageType, v.contentHash, v.finalUrl ?? null, v.version, v.crawledAtMs, v.deleted, v.aliasOf ?? null, v.aliases ? JSON.stringify(v.aliases) : null, ts(v.version)],
    });
  }
  for (const v of w.linkVertices ?? []) {
    vertices.push({ query: q.writeLinkVertex, params: [v.url, v.alive, v.reason ?? null, v.version, v.crawledAtMs, ts(v.version)], partition: `o|${v.url}` });
  }
  return { journal, rows, vertices, counts: w.counts ?? {} };
}

function slotRow(q: Queries, queue: string, shard: number, slot: number): Stmt {
  return { query: q.writeSlot, params: [queue, shard, slot], partition: `s|${queue}|${shard}` };
}

function dueRow(query: string, dueAtMs: number, kind: string, url: string): Stmt {
  const shard = shardOf(url, DUE_SHARDS);
  const slot = Math.floor(dueAtMs / DUE_SLOT_MS);
  return { query, params: [shard, slot, dueAtMs, kind, url], partition: `d|${shard}|${slot}` };
}

/** Removal phases: edges and vertices first, then refs and visits, then the journal entries. */
export function removalStatements(q: Queries, buckets: number, r: RemovalSet): { first: Stmt[]; last: Stmt[]; counts: Record<string, number> } {
  const first: Stmt[] = (r.edges ?? []).map((e) => edgeDeletion(q, buckets, e));
  for (const l of r.linkVertices ?? []) first.push({ query: q.deleteLinkVertex, params: [upTo(l.version), l.url], partition: `o|${l.url}` });
  for (const sign of r.contents ?? []) {
    const b = bucketOf(sign, buckets);
    first.push({ query: q.deleteContent, params: [b, sign], partition: `c|${b}` });
  }
  for (const b of r.blobRefs ?? []) first.push({ query: q.deleteBlobRef, params: [b.blob, b.sign, b.tenant], partition: `b|${b.blob}` });
  for (const blob of r.blobOrphans ?? []) {
    const shard = shardOf(blob, ORPHAN_SHARDS);
    first.push({ query: q.deleteOrphan, params: [shard, blob], partition: `z|${shard}` });
  }
  for (const v of r.visits ?? []) {
    if (v.dueAtMs !== undefined) first.push(dueRow(q.deleteDue, v.dueAtMs, v.kind, v.url));
    else first.push({ query: q.deleteVisit, params: [v.kind, v.url], partition: `v|${v.kind}|${v.url}` });
  }
  const last: Stmt[] = (r.journal ?? []).map((e) => {
    const shard = shardOf(e.id, JOURNAL_SHARDS);
    const slot = Math.floor(e.recordedAtMs / JOURNAL_SLOT_MS);
    return { query: q.deleteChurn, params: [shard, slot, e.recordedAtMs, e.kind, e.id, e.version], partition: `j|${shard}|${slot}` };
  });
  return { first, last, counts: r.counts ?? {} };
}

function edgeDeletion(q: Queries, buckets: number, e: EdgeCopy): Stmt {
  const t = upTo(e.version);
  switch (e.kind) {
    case 'fo': return { query: q.deleteFo, params: [t, e.from, e.to], partition: `f|${e.from}` };
    case 'of': return { query: q.deleteLinkRow, params: [t, e.to, 'f', e.from], partition: `o|${e.to}` };
    case 'oc': return { query: q.deleteLinkRow, params: [t, e.from, 'c', e.to], partition: `o|${e.from}` };
    case 'co': {
      const b = bucketOf(e.to, buckets);
      return { query: q.deleteCo, params: [t, b, e.to, e.from], partition: `c|${b}` };
    }
  }
}
