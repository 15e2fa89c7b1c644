// The embedded store's write and removal sets, applied inside one LMDB write transaction (so
// reads here see the transaction's own writes, and nothing is visible until it commits).
import type { Database, RootDatabase } from 'lmdb';
import type { ChurnEntry, EdgeCopy } from '../model.ts';
import { bucketOf } from '../model.ts';
import { gives, lacks, type CountDelta, type RemovalSet, type WriteSet } from '../relation-store.ts';
import { addDelta } from '../counts.ts';
import { key, u64, under } from './keys.ts';

type Row = Record<string, unknown>;

export interface Tables {
  root: RootDatabase;
  buckets: number;
  /** Pages, links, contents (the graph). */
  f: Database<Row, Buffer>;
  o: Database<Row, Buffer>;
  c: Database<Row, Buffer>;
  /** Churn journal, keyed by (recordedAt, kind, id, version). */
  j: Database<Row, Buffer>;
  /** Visit states and their due index (dueAt, kind, url). */
  v: Database<Row, Buffer>;
  d: Database<Row, Buffer>;
  /** Blob references (blob, sign, tenant) and orphaned blobs. */
  b: Database<Row, Buffer>;
  z: Database<Row, Buffer>;
  /** Maintained counts. */
  n: Database<number, string>;
}

/** A content's key prefix: its bucket (2 bytes, big-endian), then its sign. */
export function cbase(sign: string, buckets: number): Buffer {
  const b = Buffer.allocUnsafe(2 + Buffer.byteLength(sign, 'utf8'));
  b.writeUInt16BE(bucketOf(sign, buckets));
  b.write(sign, 2, 'utf8');
  return b;
}

export function journalKey(e: Pick<ChurnEntry, 'recordedAtMs'> & Partial<ChurnEntry>): Buffer {
  if (e.kind === undefined) return u64(e.recordedAtMs);
  return Buffer.concat([u64(e.recordedAtMs), key(e.kind, e.id ?? '', u64(e.version ?? 0))]);
}

const dueKey = (dueAtMs: number, kind: string, url: string) => Buffer.concat([u64(dueAtMs), key(kind, url)]);

function addCounts(t: Tables, delta: Record<string, number> | undefined): void {
  if (!delta) return;
  for (const [name, d] of Object.entries(delta)) if (d !== 0) void t.n.put(name, (t.n.get(name) ?? 0) + d);
}

export function applyWrites(t: Tables, w: WriteSet): void {
  for (const e of w.journal ?? []) void t.j.put(journalKey(e), e as unknown as Row);
  // Edge rows hold what their key does not: the key already names both ends.
  for (const e of w.foEdges ?? []) {
    const row = { alt: e.alt, title: e.title, context: e.context, fVersion: e.fVersion };
    void t.f.put(key(e.page, e.link), row);
    void t.o.put(key(e.link, 'f', e.page), row);
  }
  for (const e of w.ocEdges ?? []) {
    const row = { crawledAtMs: e.crawledAtMs, oVersion: e.oVersion };
    void t.o.put(key(e.link, 'c', e.sign), row);
    void t.c.put(key(cbase(e.sign, t.buckets), e.link), row);
  }
  const firsts: CountDelta = {};
  for (const { sign, patch, firsts: maybe } of w.contents ?? []) {
    const k = key(cbase(sign, t.buckets), '');
    const prev = t.c.get(k);
    // Inside the write transaction: the first write to give a milestone counts it.
    for (const m of maybe ?? []) if (lacks(prev, m) && gives(patch, m)) addDelta(firsts, { [m]: 1 });
    const merged: Row = { ...(prev ?? {}), sign };
    for (const [f, v] of Object.entries(patch)) if (v !== undefined) merged[f] = v;
    void t.c.put(k, merged);
  }
  for (const r of w.blobRefs ?? []) {
    void t.b.put(key(r.blob, r.sign, r.tenant), {});
    void t.z.remove(Buffer.from(r.blob, 'utf8'));
  }
  for (const o of w.blobOrphans ?? []) void t.z.put(Buffer.from(o.blob, 'utf8'), { sinceMs: o.sinceMs });
  for (const { state, prevDueAtMs } of w.visits ?? []) {
    if (prevDueAtMs !== undefined) void t.d.remove(dueKey(prevDueAtMs, state.kind, state.url));
    void t.v.put(key(state.kind, state.url), state as unknown as Row);
    void t.d.put(dueKey(state.nextVisitAtMs, state.kind, state.url), {});
  }
  for (const v of w.pageVertices ?? []) void t.f.put(key(v.url, ''), clean(v as unknown as Row));
  for (const v of w.linkVertices ?? []) void t.o.put(key(v.url, ''), clean(v as unknown as Row));
  addCounts(t, w.counts);
  addCounts(t, firsts);
}

export function applyRemovals(t: Tables, r: RemovalSet): void {
  for (const e of r.edges ?? []) removeEdge(t, e);
  for (const l of r.linkVertices ?? []) {
    const k = key(l.url, '');
    const cur = t.o.get(k) as { version?: number } | undefined;
    if (cur && (cur.version ?? 0) <= l.version) void t.o.remove(k);
  }
  for (const sign of r.contents ?? []) {
    for (const { key: k } of t.c.getRange(under(cbase(sign, t.buckets)))) void t.c.remove(k);
  }
  for (const b of r.blobRefs ?? []) void t.b.remove(key(b.blob, b.sign, b.tenant));
  for (const blob of r.blobOrphans ?? []) void t.z.remove(Buffer.from(blob, 'utf8'));
  for (const v of r.visits ?? []) {
    const k = key(v.kind, v.url);
    const cur = t.v.get(k) as { nextVisitAtMs?: number } | undefined;
    const due = v.dueAtMs ?? cur?.nextVisitAtMs;
    if (due !== undefined) void t.d.remove(dueKey(due, v.kind, v.url));
    if (v.dueAtMs === undefined) void t.v.remove(k);
  }
  for (const e of r.journal ?? []) void t.j.remove(journalKey(e));
  addCounts(t, r.counts);
}

/** Deletes one edge copy if what is stored is at most the given version (a rewrite survives). */
function removeEdge(t: Tables, e: EdgeCopy): void {
  const [db, k, field] = locate(t, e);
  const cur = db.get(k);
  if (cur && (cur[field] as number) <= e.version) void db.remove(k);
}

function locate(t: Tables, e: EdgeCopy): [Database<Row, Buffer>, Buffer, string] {
  switch (e.kind) {
    case 'fo': return [t.f, key(e.from, e.to), 'fVersion'];
    case 'of': return [t.o, key(e.to, 'f', e.from), 'fVersion'];
    case 'oc': return [t.o, key(e.from, 'c', e.to), 'oVersion'];
    case 'co': return [t.c, key(cbase(e.to, t.buckets), e.from), 'oVersion'];
  }
}

function clean(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
  return out;
}
