// The embedded item ledger, over a memory side-cache. Same rules as the Redis one (see
// item-ledger.ts), enforced by plain single-threaded code: each step runs to completion
// without awaiting, so it is atomic.
import { ConfigError } from '../errors/index.ts';
import { memoryTuplesOf, type FieldValues, type MemoryTuples, type SideCache } from '../side-cache/index.ts';
import type {
  Claim, ClaimOutcome, ItemEvent, ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, OpenOutcome, Redrive, RedriveOutcome, Step, StepOutcome,
} from './item-ledger.ts';
import { checkClaim, checkOpenItem, checkRef, checkRetention, checkStep, cleanEvent } from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';
import { LiveItem, byActivity, stalledOf } from './internal/live-item.ts';
import { tupleRefOf } from './tuple-ref.ts';

export interface MemoryItemLedgerOptions {
  /** The memory side-cache whose tuples this ledger opens, edits and drops. */
  sideCache: SideCache;
  now?: () => number;
  /** How long an ended item's record stays queryable (default 7 days). */
  retentionMs?: number;
}

/** What is left of an item once it ends: its record and history. */
interface Ended {
  record: Omit<ItemRecord, 'events'>;
  events: ItemEvent[];
  expiresMs: number;
}

export function createMemoryItemLedger(options: MemoryItemLedgerOptions): ItemLedger {
  const tuples: MemoryTuples | undefined = options?.sideCache ? memoryTuplesOf(options.sideCache) : undefined;
  if (!tuples) throw new ConfigError([{ field: 'sideCache', expected: 'the memory side-cache this ledger keeps tuples in (createMemorySideCache())', received: options?.sideCache }], 'memory item ledger options');
  const now = options.now ?? Date.now;
  const retentionMs = checkRetention(options.retentionMs);
  const live = new Map<string, LiveItem>();
  const ended = new Map<string, Ended>();
  const byKey = new Map<string, { messageId: string; live: boolean; endedMs?: number }>();
  const counts = new Map<string, Record<ItemState, number>>();
  const poison = new Map<string, number>();
  const id = (ref: ItemRef): string => `${ref.dag}\u0000${ref.messageId}`;
  const keyId = (dag: string, tenant: string | undefined, itemKey: string): string => `${dag}\u0000${tenant ?? 'default'}\u0000${itemKey}`;
  const countsOf = (dag: string): Record<ItemState, number> => {
    let c = counts.get(dag);
    if (c === undefined) counts.set(dag, (c = emptyCounts()));
    return c;
  };

  // Records end in time order, so expired ones sit at the front of `ended` (insertion order).
  const sweep = (): void => {
    const at = now();
    for (const [k, item] of ended) {
      if (item.expiresMs > at) break;
      ended.delete(k);
      const index = keyId(item.record.dag, item.record.tenant, item.record.itemKey);
      if (byKey.get(index)?.messageId === item.record.messageId) byKey.delete(index);
    }
  };
  const findEnded = (ref: ItemRef): Ended | undefined => {
    const item = ended.get(id(ref));
    return item !== undefined && item.expiresMs > now() ? item : undefined;
  };

  const tupleOf = (ref: ItemRef): string => tupleRefOf(ref.dag, ref.messageId);

  const end = (ref: ItemRef, item: LiveItem, blobFields: readonly string[]): { record: ItemRecord; blobRefs: string[] } => {
    const at = now();
    const state = item.end?.state ?? 'completed';
    const record: Omit<ItemRecord, 'events'> = { ...item.meta, state, endedMs: at };
    if (item.end) Object.assign(record, { reason: item.end.reason, node: item.end.node });
    if (Object.keys(item.kept).length > 0) record.kept = { ...item.kept };
    live.delete(id(ref));
    ended.set(id(ref), { record, events: item.events, expiresMs: at + retentionMs });
    const index = byKey.get(keyId(ref.dag, item.meta.tenant, item.meta.itemKey));
    if (index?.messageId === ref.messageId) Object.assign(index, { live: false, endedMs: at });
    const c = countsOf(ref.dag);
    c['in-flight'] -= 1;
    c[state] += 1;
    const tuple = tuples.get(tupleOf(ref));
    const blobRefs = blobFields.flatMap((f) => {
      const v = tuple?.get(f);
      return v ? [Buffer.from(v).toString()] : [];
    });
    tuples.delete(tupleOf(ref));
    return { record: { ...record, events: item.events.map(cleanEvent) }, blobRefs };
  };

  const toRecord = (ref: ItemRef): ItemRecord | null => {
    const item = live.get(id(ref));
    if (item !== undefined) return item.record();
    const done = findEnded(ref);
    if (done === undefined) return null;
    return { ...done.record, ...(done.record.kept ? { kept: { ...done.record.kept } } : {}), events: done.events.map(cleanEvent) };
  };

  const writeTuple = (ref: ItemRef, fields: FieldValues, fresh: boolean): void => {
    const key = tupleOf(ref);
    let tuple = fresh ? undefined : tuples.get(key);
    if (tuple === undefined) tuples.set(key, (tuple = new Map()));
    for (const [name, value] of fields) tuple.set(name, value);
  };

  const step = (s: Step): StepOutcome => {
    checkStep(s);
    const item = live.get(id(s.ref));
    if (item === undefined) return findEnded(s.ref) ? { status: 'already' } : { status: 'unknown' };
    if (item.done.has(s.token)) return { status: 'already' };
    if (!item.open.has(s.token)) return { status: 'stale' };
    item.activeMs = now();
    if (s.event) item.addEvent(s.event);
    if (s.kind === 'retry') {
      item.leases.delete(s.token);
      return { status: 'ok', blobRefs: [] };
    }
    const tuple = tuples.get(tupleOf(s.ref));
    if (s.writes && s.writes.size > 0) writeTuple(s.ref, s.writes, false);
    if (s.end && item.end === undefined) item.end = { ...s.end };
    if (s.kept) Object.assign(item.kept, s.kept);
    for (const t of s.successors ?? []) if (!item.done.has(t)) item.open.add(t);
    if (s.successors?.length) item.successors.set(s.token, [...s.successors]);
    item.close(s.token);
    const blobs = new Set(s.blobFields ?? []);
    for (const f of s.detach ?? []) {
      tuple?.delete(f);
      blobs.delete(f);
    }
    if (item.open.size === 0) {
      const { record, blobRefs } = end(s.ref, item, [...blobs]);
      return { status: 'ok', terminal: record, blobRefs };
    }
    const blobRefs: string[] = [];
    for (const f of s.releases ?? []) {
      const v = tuple?.get(f);
      if (v && blobs.has(f)) blobRefs.push(Buffer.from(v).toString());
      tuple?.delete(f);
    }
    return { status: 'ok', blobRefs };
  };

  return {
    async open(items: readonly OpenItem[]): Promise<OpenOutcome[]> {
      sweep();
      return items.map((item): OpenOutcome => {
        checkOpenItem(item);
        const { ref } = item;
        const current = live.get(id(ref));
        if (current) return { status: 'in-flight', reproduce: item.tokens.some((t) => current.open.has(t) && !current.everClaimed.has(t)) };
        const gone = findEnded(ref);
        if (gone) return { status: 'ended', state: gone.record.state as Exclude<ItemState, 'in-flight'> };
        const index = keyId(ref.dag, item.tenant, item.itemKey);
        if (item.dedupe) {
          const prior = byKey.get(index);
          if (prior && (prior.live || (prior.endedMs !== undefined && now() - prior.endedMs < item.dedupe.windowMs))) return { status: 'duplicate', of: prior.messageId };
        }
        ended.delete(id(ref));
        const opened = new LiveItem(metaOf(item) as ItemMeta, item.tokens);
        opened.activeMs = now();
        if (item.trigger) opened.trigger = item.trigger;
        live.set(id(ref), opened);
        writeTuple(ref, item.fields, true);
        byKey.set(index, { messageId: ref.messageId, live: true });
        countsOf(ref.dag)['in-flight'] += 1;
        return { status: 'opened' };
      });
    },

    async claim(claims: readonly Claim[], lease): Promise<ClaimOutcome[]> {
      sweep();
      const at = now();
      return claims.map((c): ClaimOutcome => {
        checkClaim(c, lease);
        const item = live.get(id(c.ref));
        if (item === undefined) {
          const gone = findEnded(c.ref);
          return gone ? { status: 'done', repair: [], ended: toRecord(c.ref)! } : { status: 'unknown' };
        }
        if (item.done.has(c.token)) return { status: 'done', repair: (item.successors.get(c.token) ?? []).filter((t) => item.open.has(t) && !item.everClaimed.has(t)) };
        if (!item.open.has(c.token)) return { status: 'stale' };
        const held = item.leases.get(c.token);
        if (held !== undefined && held.owner !== lease.owner && held.expiresMs > at) return { status: 'busy' };
        if (c.join && !item.arrive(c.join.node, c.join.from, c.join.expected)) return { status: 'waiting' };
        item.leases.set(c.token, { owner: lease.owner, expiresMs: at + lease.leaseMs });
        item.everClaimed.add(c.token);
        const tuple = tuples.get(tupleOf(c.ref));
        if (tuple === undefined) return { status: 'run', fields: null };
        const fields: FieldValues = new Map();
        for (const f of c.reads) {
          const v = tuple.get(f);
          if (v !== undefined) fields.set(f, v);
        }
        return { status: 'run', fields };
      });
    },

    async commit(steps) {
      sweep();
      return steps.map(step);
    },

    async redrive(items: readonly Redrive[]): Promise<RedriveOutcome[]> {
      return items.map((r): RedriveOutcome => {
        checkRef(r.ref);
        const item = live.get(id(r.ref));
        if (item === undefined) return { status: 'gone' };
        const count = item.reset(r.tokens);
        item.activeMs = now();
        item.addEvent({ node: r.node, status: 'redriven', atMs: r.atMs, detail: r.why });
        writeTuple(r.ref, r.fields, true);
        return { status: 'reset', count };
      });
    },

    async markPoison(fingerprints) {
      for (const fp of fingerprints) poison.set(fp, now() + retentionMs);
    },
    async isPoison(fingerprints) {
      return fingerprints.map((fp) => (poison.get(fp) ?? 0) > now());
    },

    async get(ref) {
      checkRef(ref);
      sweep();
      return toRecord(ref);
    },

    async findByKey(dag, itemKey, tenant) {
      sweep();
      const index = byKey.get(keyId(dag, tenant, itemKey));
      return index === undefined ? null : toRecord({ dag, messageId: index.messageId });
    },

    async counts(dag) {
      return { ...(counts.get(dag) ?? emptyCounts()) };
    },

    async stalled(dag, o) {
      return stalledOf(live.values(), dag, o, now());
    },

    async inFlight(dag, limit = 100) {
      return byActivity(live.values(), dag).slice(0, limit).map((item) => item.record());
    },

    async close() {},
  };
}
