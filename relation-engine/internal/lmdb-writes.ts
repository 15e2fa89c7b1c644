// The embedded store's write and removal sets. A write set becomes a list of puts and removes
// built up front (every key checked), queued as one batch for lmdb-js's write thread: one
// transaction, applied off the event loop. Only content patches read (to merge into the vertex),
// so a write set with them, and every removal set (its deletions are conditional), runs in a
// transaction callback instead, where reads see the transaction's own writes. Counts are written
// as delta rows, so no write reads them; `foldCounts` adds the deltas into the totals now and then.
import type { Database, RootDatabase } from 'lmdb';
import type { ChurnEntry, EdgeCopy } from '../model.ts';
import { bucketOf } from '../model.ts';
import type { RemovalSet, WriteSet } from '../relation-store.ts';
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
  /** Maintained counts: totals, and delta rows (a unique key each) not yet folded into them. */
  n: Database<number, string>;
  k: Database<Record<string, number>, Buffer>;
}

/** One put (a value) or remove (undefined) of a write set. */
type Op = readonly [Database<Row, Buffer>, Buffer, Row | undefined];

export class KeyTooLongError extends Error {
  constructor(bytes: number, max: number) {
    super(`An embedded store key of ${bytes} bytes is longer than the ${max} bytes LMDB takes`);
    this.name = 'KeyTooLongError';
  }
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

/** Adds the delta rows into the totals and removes them: inside a transaction callback. */
export function foldCounts(t: Tables): void {
  const sum: Record<string, number> = {};
  for (const { key: k, value } of t.k.getRange({})) {
    for (const [name, d] of Object.entries(value)) sum[name] = (sum[name] ?? 0) + d;
    void t.k.remove(k);
  }
  for (const [name, d] of Object.entries(sum)) if (d !== 0) void t.n.put(name, (t.n.get(name) ?? 0) + d);
}

/** The totals with the deltas not folded yet. */
export function readCounts(t: Tables): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { key: k, value } of t.n.getRange({})) out[k] = value;
  for (const { value } of t.k.getRange({})) for (const [name, d] of Object.entries(value)) out[name] = (out[name] ?? 0) + d;
  return out;
}

function nonZero(delta: Record<string, number> | undefined): Record<string, number> | undefined {
  if (!delta) return undefined;
  let out: Record<string, number> | undefined;
  for (const [name, d] of Object.entries(delta)) if (d !== 0) (out ??= {})[name] = d;
  return out;
}

/**
 * Every put and remove of a write set but its content patches (see `mergeContents`), keys
 * checked against `maxKeyBytes` before anything is queued. `countKey` names the delta row.
 */
export function writeOps(t: Tables, w: WriteSet, countKey: () => Buffer, maxKeyBytes: number): Op[] {
  const ops: Op[] = [];
  for (const e of w.journal ?? []) ops.push([t.j, journalKey(e), e as unknown as Row]);
  // Edge rows hold what their key does not: the key already names both ends.
  for (const e of w.foEdges ?? []) {
    const row = { alt: e.alt, title: e.title, context: e.context, fVersion: e.fVersion };
    ops.push([t.f, key(e.page, e.link), row], [t.o, key(e.link, 'f', e.page), row]);
  }
  for (const e of w.ocEdges ?? []) {
    const row = { crawledAtMs: e.crawledAtMs, oVersion: e.oVersion };
    ops.push([t.o, key(e.link, 'c', e.sign), row], [t.c, key(cbase(e.sign, t.buckets), e.link), row]);
  }
  for (const r of w.blobRefs ?? []) ops.push([t.b, key(r.blob, r.sign, r.tenant), {}], [t.z, Buffer.from(r.blob, 'utf8'), undefined]);
  for (const o of w.blobOrphans ?? []) ops.push([t.z, Buffer.from(o.blob, 'utf8'), { sinceMs: o.sinceMs }]);
  for (const { state, prevDueAtMs } of w.visits ?? []) {
    if (prevDueAtMs !== undefined) ops.push([t.d, dueKey(prevDueAtMs, state.kind, state.url), undefined]);
    ops.push([t.v, key(state.kind, state.url), state as unknown as Row], [t.d, dueKey(state.nextVisitAtMs, state.kind, state.url), {}]);
  }
  for (const v of w.pageVertices ?? []) ops.push([t.f, key(v.url, ''), clean(v as unknown as Row)]);
  for (const v of w.linkVertices ?? []) ops.push([t.o, key(v.url, ''), clean(v as unknown as Row)]);
  const delta = nonZero(w.counts);
  if (delta) ops.push([t.k as unknown as Database<Row, Buffer>, countKey(), delta]);
  for (const [, k] of ops) if (k.length > maxKeyBytes) throw new KeyTooLongError(k.length, maxKeyBytes);
  return ops;
}

export function runOps(ops: readonly Op[]): void {
  for (const [db, k, v] of ops) void (v === undefined ? db.remove(k) : db.put(k, v));
}

/** Content patches merged into their vertices: reads, so inside a transaction callback. */
export function mergeContents(t: Tables, contents: WriteSet['contents']): void {
  for (const { sign, patch } of contents ?? []) {
    const k = key(cbase(sign, t.buckets), '');
    const merged: Row = { ...(t.c.get(k) ?? {}), sign };
    for (const [f, v] of Object.entries(patch)) if (v !== undefined) merged[f] = v;
    void t.c.put(k, merged);
  }
}

export function applyRemovals(t: Tables, r: RemovalSet, countKey: () => Buffer): void {
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
  const delta = nonZero(r.counts);
  if (delta) void t.k.put(countKey(), delta);
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
