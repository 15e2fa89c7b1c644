// The embedded item ledger. Same rules as the Redis one (see item-ledger.ts), enforced by plain
// single-threaded code: each method runs to completion without awaiting, so it is atomic.
import type {
  ClaimResult, EarlyEnd, FinishResult, ItemEvent, ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, TerminalState,
} from './item-ledger.ts';
import {
  MAX_EVENTS, checkArrival, checkEnd, checkEvent, checkLease, checkOpenItem, checkRef, checkRetention, checkTokens,
  cleanEvent, unknownItem, unknownToken,
} from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';

export interface MemoryItemLedgerOptions {
  now?: () => number;
  /** How long an ended item's record stays queryable (default 7 days). */
  retentionMs?: number;
}

interface Live {
  meta: ItemMeta;
  open: Set<string>;
  done: Set<string>;
  leases: Map<string, { owner: string; expiresMs: number }>;
  arrivals: Map<string, Set<string>>;
  fired: Map<string, string>;
  end?: EarlyEnd;
  crashes: Map<string, number>;
  kept: Record<string, string>;
  events: ItemEvent[];
}

/** What is left of an item once it ends: no tokens, joins or leases. */
interface Ended {
  record: Omit<ItemRecord, 'events'>;
  crashes: Map<string, number>;
  events: ItemEvent[];
  expiresMs: number;
}

export function createMemoryItemLedger(options: MemoryItemLedgerOptions = {}): ItemLedger {
  const now = options.now ?? Date.now;
  const retentionMs = checkRetention(options.retentionMs);
  const live = new Map<string, Live>();
  const ended = new Map<string, Ended>();
  const byKey = new Map<string, string>();
  const counts = new Map<string, Record<ItemState, number>>();
  const id = (ref: ItemRef): string => `${ref.dag}\u0000${ref.messageId}`;
  const keyId = (dag: string, itemKey: string): string => `${dag}\u0000${itemKey}`;
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
      const index = keyId(item.record.dag, item.record.itemKey);
      if (byKey.get(index) === item.record.messageId) byKey.delete(index);
    }
  };
  const findEnded = (ref: ItemRef): Ended | undefined => {
    const item = ended.get(id(ref));
    return item !== undefined && item.expiresMs > now() ? item : undefined;
  };
  const findLive = (ref: ItemRef): Live | undefined => {
    checkRef(ref);
    sweep();
    const item = live.get(id(ref));
    if (item === undefined && findEnded(ref) === undefined) throw unknownItem(ref);
    return item;
  };

  const end = (ref: ItemRef, item: Live): ItemRecord => {
    const at = now();
    const state: TerminalState = item.end?.state ?? 'completed';
    const record: Omit<ItemRecord, 'events'> = { ...item.meta, state, createdMs: item.meta.createdMs, endedMs: at };
    if (item.end) Object.assign(record, { reason: item.end.reason, node: item.end.node });
    if (Object.keys(item.kept).length > 0) record.kept = { ...item.kept };
    live.delete(id(ref));
    ended.delete(id(ref));
    ended.set(id(ref), { record, crashes: item.crashes, events: item.events, expiresMs: at + retentionMs });
    const c = countsOf(ref.dag);
    c['in-flight'] -= 1;
    c[state] += 1;
    return { ...record, events: item.events.map(cleanEvent) };
  };

  const toRecord = (ref: ItemRef): ItemRecord | null => {
    const item = live.get(id(ref));
    if (item !== undefined) {
      const record: ItemRecord = { ...item.meta, state: 'in-flight', events: item.events.map(cleanEvent) };
      if (Object.keys(item.kept).length > 0) record.kept = { ...item.kept };
      return record;
    }
    const done = findEnded(ref);
    if (done === undefined) return null;
    return { ...done.record, ...(done.record.kept ? { kept: { ...done.record.kept } } : {}), events: done.events.map(cleanEvent) };
  };

  return {
    async open(item: OpenItem) {
      checkOpenItem(item);
      sweep();
      const { ref } = item;
      if (live.has(id(ref)) || findEnded(ref) !== undefined) return false;
      ended.delete(id(ref));
      live.set(id(ref), {
        meta: metaOf(item), open: new Set(item.tokens), done: new Set(), leases: new Map(), arrivals: new Map(),
        fired: new Map(), crashes: new Map(), kept: {}, events: [],
      });
      byKey.set(keyId(ref.dag, item.itemKey), ref.messageId);
      countsOf(ref.dag)['in-flight'] += 1;
      return true;
    },

    async claim(ref, token, owner, leaseMs): Promise<ClaimResult> {
      checkTokens([token], 'token');
      checkLease(owner, leaseMs);
      const item = findLive(ref);
      if (item === undefined || item.done.has(token)) return 'done';
      if (!item.open.has(token)) throw unknownToken(ref, token);
      const at = now();
      const lease = item.leases.get(token);
      if (lease !== undefined && lease.owner !== owner && lease.expiresMs > at) return 'busy';
      item.leases.set(token, { owner, expiresMs: at + leaseMs });
      return 'run';
    },

    async arrive(ref, node, from, expected) {
      checkRef(ref);
      checkArrival(ref, node, from, expected);
      const item = findLive(ref);
      if (item === undefined) return false;
      const fired = item.fired.get(node);
      if (fired !== undefined) return fired === from;
      let arrived = item.arrivals.get(node);
      if (arrived === undefined) item.arrivals.set(node, (arrived = new Set()));
      arrived.add(from);
      if (!expected.every((e) => arrived.has(e))) return false;
      item.fired.set(node, from);
      return true;
    },

    async addTokens(ref, tokens) {
      checkTokens(tokens);
      const item = findLive(ref);
      if (item === undefined) return;
      for (const token of tokens) if (!item.done.has(token)) item.open.add(token);
    },

    async finish(ref, token, opts = {}): Promise<FinishResult> {
      checkTokens([token], 'token');
      checkEnd(opts.end);
      const item = findLive(ref);
      if (item === undefined || item.done.has(token)) return { terminal: false };
      if (!item.open.has(token)) throw unknownToken(ref, token);
      if (opts.end && item.end === undefined) item.end = { ...opts.end };
      if (opts.kept) Object.assign(item.kept, opts.kept);
      item.open.delete(token);
      item.leases.delete(token);
      item.done.add(token);
      if (item.open.size > 0) return { terminal: false };
      return { terminal: true, record: end(ref, item) };
    },

    async event(ref, event) {
      checkEvent(event);
      const item = findLive(ref);
      const events = item?.events ?? findEnded(ref)?.events ?? [];
      events.push(cleanEvent(event));
      if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
    },

    async bumpCrashes(ref, node) {
      checkTokens([node], 'node');
      const crashes = (findLive(ref) ?? findEnded(ref))?.crashes ?? new Map<string, number>();
      const n = (crashes.get(node) ?? 0) + 1;
      crashes.set(node, n);
      return n;
    },

    async get(ref) {
      checkRef(ref);
      sweep();
      return toRecord(ref);
    },

    async findByKey(dag, itemKey) {
      sweep();
      const messageId = byKey.get(keyId(dag, itemKey));
      return messageId === undefined ? null : toRecord({ dag, messageId });
    },

    async counts(dag) {
      return { ...(counts.get(dag) ?? emptyCounts()) };
    },

    async inFlight(dag, limit = 100) {
      const items = [...live.values()].filter((item) => item.meta.dag === dag);
      items.sort((a, b) => a.meta.createdMs - b.meta.createdMs);
      return items.slice(0, limit).map((item) => toRecord(item.meta) as ItemRecord);
    },

    async close() {},
  };
}
