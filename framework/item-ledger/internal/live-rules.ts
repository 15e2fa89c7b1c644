// The per-item rules of item-ledger.ts over items held in memory (LiveItem) and a memory
// side-cache: claim, step, the tuple's writes and what an ended item hands back. The memory and
// LMDB ledgers share them; each supplies where ended items are and how an item ends (the LMDB
// ledger also journals what changed). Plain synchronous code, so each rule is atomic.
import type { FieldValues, MemoryTuples } from '../../side-cache/index.ts';
import type { Claim, ClaimOutcome, ItemRecord, ItemRef, Step, StepOutcome } from '../item-ledger.ts';
import type { LiveItem } from './live-item.ts';
import { tupleRefOf } from '../tuple-ref.ts';

export interface LiveRules {
  live: Map<string, LiveItem>;
  tuples: MemoryTuples;
  now: () => number;
  /** The ended record of an item that is not live, while it is retained. */
  endedRecord(ref: ItemRef): ItemRecord | undefined;
  /** The item's last token closed: record its end (and forget it as live). */
  end(ref: ItemRef, item: LiveItem): ItemRecord;
  /** The item changed (the LMDB ledger journals it). */
  touch?(ref: ItemRef): void;
}

export const liveId = (ref: ItemRef): string => `${ref.dag}\u0000${ref.messageId}`;
const tupleOf = (ref: ItemRef): string => tupleRefOf(ref.dag, ref.messageId);

export function writeTuple(tuples: MemoryTuples, ref: ItemRef, fields: FieldValues, fresh: boolean): void {
  const key = tupleOf(ref);
  let tuple = fresh ? undefined : tuples.get(key);
  if (tuple === undefined) tuples.set(key, (tuple = new Map()));
  for (const [name, value] of fields) tuple.set(name, value);
}

/**
 * The open tokens below a done token whose trigger may be lost: those never claimed, or claimed
 * chained (no trigger of their own), looking through successors that ran chained.
 */
function repairOf(item: LiveItem, token: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const queue = [token];
  for (let q = 0; q < queue.length; q++) {
    for (const s of item.successors.get(queue[q]!) ?? []) {
      if (seen.has(s)) continue;
      seen.add(s);
      if (item.open.has(s) && (!item.everClaimed.has(s) || item.chained.has(s))) out.push(s);
      else if (item.done.has(s) && item.chained.has(s)) queue.push(s);
    }
  }
  return out;
}

export function claimLive(r: LiveRules, c: Claim, lease: { owner: string; leaseMs: number }, at: number): ClaimOutcome {
  const item = r.live.get(liveId(c.ref));
  if (item === undefined) {
    const ended = r.endedRecord(c.ref);
    return ended ? { status: 'done', repair: [], ended } : { status: 'unknown' };
  }
  if (item.done.has(c.token)) return { status: 'done', repair: repairOf(item, c.token) };
  if (!item.open.has(c.token)) return { status: 'stale' };
  const held = item.leases.get(c.token);
  if (held !== undefined && held.owner !== lease.owner && held.expiresMs > at) return { status: 'busy' };
  if (c.join && !item.arrive(c.join.node, c.join.from, c.join.expected)) return { status: 'waiting' };
  item.leases.set(c.token, { owner: lease.owner, expiresMs: at + lease.leaseMs });
  item.everClaimed.add(c.token);
  if (c.chained) item.chained.add(c.token);
  const tuple = r.tuples.get(tupleOf(c.ref));
  if (tuple === undefined) return { status: 'run', fields: null };
  const fields: FieldValues = new Map();
  for (const f of c.reads) {
    const v = tuple.get(f);
    if (v !== undefined) fields.set(f, v);
  }
  return { status: 'run', fields };
}

export function stepLive(r: LiveRules, s: Step): StepOutcome {
  const item = r.live.get(liveId(s.ref));
  if (item === undefined) return r.endedRecord(s.ref) ? { status: 'already' } : { status: 'unknown' };
  if (item.done.has(s.token)) return { status: 'already' };
  if (!item.open.has(s.token)) return { status: 'stale' };
  r.touch?.(s.ref);
  item.activeMs = r.now();
  if (s.event) item.addEvent(s.event);
  if (s.kind === 'retry') {
    item.leases.delete(s.token);
    return { status: 'ok', blobRefs: [] };
  }
  if (s.writes && s.writes.size > 0) writeTuple(r.tuples, s.ref, s.writes, false);
  // Read after the writes: a step's own writes may be detached or released by it.
  const tuple = r.tuples.get(tupleOf(s.ref));
  if (s.end && item.end === undefined) item.end = { ...s.end };
  if (s.kept) Object.assign(item.kept, s.kept);
  const opened: string[] = [];
  for (const t of s.successors ?? []) {
    if (item.done.has(t) || item.open.has(t)) continue;
    item.open.add(t);
    opened.push(t);
  }
  if (s.successors?.length) item.successors.set(s.token, [...s.successors]);
  item.close(s.token);
  const blobs = new Set(s.blobFields ?? []);
  for (const f of s.detach ?? []) {
    tuple?.delete(f);
    blobs.delete(f);
  }
  const refsOf = (fields: Iterable<string>): string[] => [...fields].flatMap((f) => {
    const v = tuple?.get(f);
    return v ? [Buffer.from(v).toString()] : [];
  });
  if (item.open.size === 0) {
    // The blobs the item still owns go with it, as does its tuple.
    const blobRefs = refsOf(blobs);
    r.tuples.delete(tupleOf(s.ref));
    return { status: 'ok', terminal: r.end(s.ref, item), blobRefs };
  }
  const blobRefs: string[] = [];
  for (const f of s.releases ?? []) {
    const v = tuple?.get(f);
    if (v && blobs.has(f)) blobRefs.push(Buffer.from(v).toString());
    tuple?.delete(f);
  }
  const next = s.claimNext;
  const claimed = next && tuple !== undefined ? opened.filter((t) => next.tokens.includes(t)) : [];
  for (const t of claimed) {
    item.leases.set(t, { owner: next!.owner, expiresMs: r.now() + next!.leaseMs });
    item.everClaimed.add(t);
    item.chained.add(t);
  }
  return { status: 'ok', blobRefs, ...(claimed.length > 0 ? { claimed } : {}) };
}
