// The embedded item ledger, over a memory side-cache. Same rules as the Redis one (see
// item-ledger.ts), enforced by plain single-threaded code: each step runs to completion
// without awaiting, so it is atomic.
import { ConfigError } from '../errors/index.ts';
import { memoryTuplesOf, type MemoryTuples, type SideCache } from '../side-cache/index.ts';
import type {
  Claim, ClaimOutcome, ItemEvent, ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, OpenOutcome, Redrive, RedriveOutcome,
} from './item-ledger.ts';
import { checkClaim, checkOpenItem, checkRef, checkRetention, checkStep, cleanEvent } from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';
import { LiveItem, byActivity, stalledOf } from './internal/live-item.ts';
import { claimLive, liveId, stepLive, writeTuple, type LiveRules } from './internal/live-rules.ts';

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
  const id = liveId;
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

  const end = (ref: ItemRef, item: LiveItem): ItemRecord => {
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
    return { ...record, events: item.events.map(cleanEvent) };
  };

  const toRecord = (ref: ItemRef): ItemRecord | null => {
    const item = live.get(id(ref));
    if (item !== undefined) return item.record();
    const done = findEnded(ref);
    if (done === undefined) return null;
    return { ...done.record, ...(done.record.kept ? { kept: { ...done.record.kept } } : {}), events: done.events.map(cleanEvent) };
  };
  const rules: LiveRules = { live, tuples, now, end, endedRecord: (ref) => (findEnded(ref) ? toRecord(ref)! : undefined) };

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
        writeTuple(tuples, ref, item.fields, true);
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
        return claimLive(rules, c, lease, at);
      });
    },

    async commit(steps) {
      sweep();
      return steps.map((step) => {
        checkStep(step);
        return stepLive(rules, step);
      });
    },

    async redrive(items: readonly Redrive[]): Promise<RedriveOutcome[]> {
      return items.map((r): RedriveOutcome => {
        checkRef(r.ref);
        const item = live.get(id(r.ref));
        if (item === undefined) return { status: 'gone' };
        const count = item.reset(r.tokens);
        item.activeMs = now();
        item.addEvent({ node: r.node, status: 'redriven', atMs: r.atMs, detail: r.why });
        writeTuple(tuples, r.ref, r.fields, true);
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
