// The item ledger on disk: the rules of item-ledger.ts over an LMDB journal, with the tuples in a
// memory side-cache (the memory ledger's pairing). Live items are held in memory as well, so a
// step is plain code that runs to completion without awaiting (atomic, as in the memory ledger);
// each call then commits every change it made in one LMDB transaction before it answers. A
// second process opening the same path finds every item where the last commit left it: ended
// records and their history, and live items with their open and done tokens, join arrivals,
// early end and history (their tuples were in memory, so their next claim says so and the miner
// re-drives them from their source).
//
// Claims are not written. What a claim changes is the lease, "claimed at least once", and a join
// arrival — and a restart needs none of them: one process writes a journal, so a restart leaves
// no owner whose lease could still hold; a token believed never claimed only has its trigger
// produced once more (harmless, like any redelivery); and an arrival is committed with its
// token's step (the miner commits every `waiting` arrival), or else its trigger is redelivered
// and arrives again. The commit that follows a claim writes the whole item, claim included.
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../errors/index.ts';
import { memoryTuplesOf, type MemoryTuples, type SideCache } from '../side-cache/index.ts';
import type {
  ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, OpenOutcome, Redrive, RedriveOutcome, TerminalState,
} from './item-ledger.ts';
import { decodeLive, encodeLive, endedRecord, indexKeyOf, itemKeyOf, poisonKeyOf, type Key, type StoredEnded, type StoredKey } from './internal/journal-codec.ts';
import { Journal, StagedTable } from './internal/lmdb-journal.ts';
import { checkClaim, checkOpenItem, checkRef, checkRetention, checkStep, cleanEvent } from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';
import { LiveItem, byActivity, stalledOf } from './internal/live-item.ts';
import { claimLive, liveId, stepLive, writeTuple, type LiveRules } from './internal/live-rules.ts';

export interface LmdbItemLedgerOptions {
  /** The journal's directory: an LMDB environment, created if missing. One process writes it at a time. */
  path: string;
  /** The memory side-cache whose tuples this ledger opens, edits and drops. */
  sideCache: SideCache;
  now?: () => number;
  /** How long an ended item's record stays queryable (default 7 days). */
  retentionMs?: number;
}

/** Expired records are removed at most this often, this many at a time (reads check expiry themselves). */
const SWEEP_EVERY_MS = 1_000;
const SWEEP_LIMIT = 1_000;

export function createLmdbItemLedger(options: LmdbItemLedgerOptions): ItemLedger {
  const tuples: MemoryTuples | undefined = options?.sideCache ? memoryTuplesOf(options.sideCache) : undefined;
  if (!tuples) throw new ConfigError([{ field: 'sideCache', expected: 'the memory side-cache this ledger keeps tuples in (createMemorySideCache())', received: options?.sideCache }], 'LMDB item ledger options');
  if (typeof options.path !== 'string' || options.path === '') throw new ConfigError([{ field: 'path', expected: 'the directory of the journal', received: options.path }], 'LMDB item ledger options');
  const now = options.now ?? Date.now;
  const retentionMs = checkRetention(options.retentionMs);
  mkdirSync(options.path, { recursive: true });
  const journal = new Journal(options.path);
  const { tables } = journal;
  const ended = new StagedTable<StoredEnded>(journal, tables.ended);
  const keys = new StagedTable<StoredKey>(journal, tables.keys);
  const poison = new StagedTable<number>(journal, tables.poison);

  const id = liveId;
  const live = new Map<string, LiveItem>();
  for (const { value } of tables.live.getRange()) {
    const item = decodeLive(value);
    live.set(id(item.meta), item);
  }
  const counts = new Map<string, Record<ItemState, number>>();
  for (const { key, value } of tables.counts.getRange()) counts.set(key, value);

  // What a call changed, staged for its commit when its synchronous part is over.
  const changedLive = new Map<string, ItemRef>();
  const changedCounts = new Set<string>();
  const touch = (ref: ItemRef): void => void changedLive.set(id(ref), ref);
  const countsOf = (dag: string): Record<ItemState, number> => {
    changedCounts.add(dag);
    let c = counts.get(dag);
    if (c === undefined) counts.set(dag, (c = emptyCounts()));
    return c;
  };
  const settle = async <T>(result: T): Promise<T> => {
    for (const [k, ref] of changedLive) {
      const item = live.get(k);
      if (item) journal.put(tables.live, itemKeyOf(ref.dag, ref.messageId), encodeLive(item));
      else journal.remove(tables.live, itemKeyOf(ref.dag, ref.messageId));
    }
    changedLive.clear();
    for (const dag of changedCounts) journal.put(tables.counts, dag, { ...counts.get(dag)! });
    changedCounts.clear();
    await journal.commit();
    return result;
  };

  let nextSweepMs = -Infinity;
  const sweep = (): void => {
    const at = now();
    if (at < nextSweepMs) return;
    nextSweepMs = at + SWEEP_EVERY_MS;
    for (const { key } of tables.expiry.getRange({ end: [at + 1], limit: SWEEP_LIMIT })) {
      const [expiresMs, kind, ...parts] = key;
      if (expiresMs > at) break;
      journal.remove(tables.expiry, key);
      if (kind === 'p') {
        if ((poison.get(parts) ?? Infinity) <= at) poison.set(parts, undefined);
        continue;
      }
      const gone = ended.get(parts);
      if (gone === undefined || gone.expiresMs > at) continue; // ended again since, under a later expiry
      ended.set(parts, undefined);
      const index = indexKeyOf(gone.record.dag, gone.record.tenant, gone.record.itemKey);
      const entry = keys.get(index);
      if (entry && !entry.live && entry.messageId === gone.record.messageId) keys.set(index, undefined);
    }
  };
  const findEnded = (ref: ItemRef): StoredEnded | undefined => {
    const item = ended.get(itemKeyOf(ref.dag, ref.messageId));
    return item !== undefined && item.expiresMs > now() ? item : undefined;
  };
  const toRecord = (ref: ItemRef): ItemRecord | null => {
    const item = live.get(id(ref));
    if (item !== undefined) return item.record();
    const done = findEnded(ref);
    return done === undefined ? null : endedRecord(done);
  };

  const end = (ref: ItemRef, item: LiveItem): ItemRecord => {
    const at = now();
    const state = item.end?.state ?? 'completed';
    const record: Omit<ItemRecord, 'events'> = { ...item.meta, state, endedMs: at };
    if (item.end) Object.assign(record, { reason: item.end.reason, node: item.end.node });
    if (Object.keys(item.kept).length > 0) record.kept = { ...item.kept };
    live.delete(id(ref));
    touch(ref);
    const key = itemKeyOf(ref.dag, ref.messageId);
    const expiresMs = at + retentionMs;
    ended.set(key, { record, events: item.events, expiresMs });
    journal.put(tables.expiry, [expiresMs, 'r', ...key], true);
    const index = indexKeyOf(ref.dag, item.meta.tenant, item.meta.itemKey);
    if (keys.get(index)?.messageId === ref.messageId) keys.set(index, { messageId: ref.messageId, live: false, endedMs: at });
    const c = countsOf(ref.dag);
    c['in-flight'] -= 1;
    c[state] += 1;
    return { ...record, events: item.events.map(cleanEvent) };
  };
  const rules: LiveRules = { live, tuples, now, end, touch, endedRecord: (ref) => (findEnded(ref) ? toRecord(ref)! : undefined) };

  const openOne = (item: OpenItem): OpenOutcome => {
    const { ref } = item;
    const current = live.get(id(ref));
    if (current) return { status: 'in-flight', reproduce: item.tokens.some((t) => current.open.has(t) && !current.everClaimed.has(t)) };
    const gone = findEnded(ref);
    if (gone) return { status: 'ended', state: gone.record.state as TerminalState };
    const index = indexKeyOf(ref.dag, item.tenant, item.itemKey);
    const prior = item.dedupe ? keys.get(index) : undefined;
    if (prior && prior.messageId !== ref.messageId) {
      const of = { dag: ref.dag, messageId: prior.messageId };
      const recent = prior.live ? live.has(id(of)) : prior.endedMs !== undefined && now() - prior.endedMs < item.dedupe!.windowMs && findEnded(of) !== undefined;
      if (recent) return { status: 'duplicate', of: prior.messageId };
    }
    const key = itemKeyOf(ref.dag, ref.messageId);
    if (ended.get(key) !== undefined) ended.set(key, undefined); // an expired record under this id
    const opened = new LiveItem(metaOf(item) as ItemMeta, item.tokens);
    opened.activeMs = now();
    if (item.trigger) opened.trigger = item.trigger;
    live.set(id(ref), opened);
    touch(ref);
    writeTuple(tuples, ref, item.fields, true);
    keys.set(index, { messageId: ref.messageId, live: true });
    countsOf(ref.dag)['in-flight'] += 1;
    return { status: 'opened' };
  };

  // Every call checks its whole batch before changing anything, fails fast if the journal failed
  // or closed, applies the batch in memory without awaiting, then commits it.
  const begin = (): void => {
    journal.check();
    sweep();
  };

  return {
    async open(items) {
      items.forEach(checkOpenItem);
      begin();
      return settle(items.map(openOne));
    },

    async claim(claims, lease) {
      claims.forEach((c) => checkClaim(c, lease));
      begin();
      const at = now();
      // A claim changes only what a restart need not keep (see the top of this file): not written.
      return settle(claims.map((c) => claimLive(rules, c, lease, at)));
    },

    async commit(steps) {
      steps.forEach(checkStep);
      begin();
      return settle(steps.map((step) => stepLive(rules, step)));
    },

    async redrive(items: readonly Redrive[]) {
      items.forEach((r) => checkRef(r.ref));
      begin();
      return settle(items.map((r): RedriveOutcome => {
        const item = live.get(id(r.ref));
        if (item === undefined) return { status: 'gone' };
        touch(r.ref);
        const count = item.reset(r.tokens);
        item.activeMs = now();
        item.addEvent({ node: r.node, status: 'redriven', atMs: r.atMs, detail: r.why });
        writeTuple(tuples, r.ref, r.fields, true);
        return { status: 'reset', count };
      }));
    },

    async markPoison(fingerprints) {
      begin();
      const expiresMs = now() + retentionMs;
      for (const fp of fingerprints) {
        const key: Key = poisonKeyOf(fp);
        poison.set(key, expiresMs);
        journal.put(tables.expiry, [expiresMs, 'p', ...key], true);
      }
      await settle(undefined);
    },
    async isPoison(fingerprints) {
      begin();
      return settle(fingerprints.map((fp) => (poison.get(poisonKeyOf(fp)) ?? 0) > now()));
    },

    async get(ref) {
      checkRef(ref);
      begin();
      return settle(toRecord(ref));
    },

    async findByKey(dag, itemKey, tenant) {
      begin();
      const index = keys.get(indexKeyOf(dag, tenant, itemKey));
      return settle(index === undefined ? null : toRecord({ dag, messageId: index.messageId }));
    },

    async counts(dag) {
      journal.check();
      return { ...(counts.get(dag) ?? emptyCounts()) };
    },

    async stalled(dag, o) {
      journal.check();
      return stalledOf(live.values(), dag, o, now());
    },

    async inFlight(dag, limit = 100) {
      journal.check();
      return byActivity(live.values(), dag).slice(0, limit).map((item) => item.record());
    },

    close: () => journal.close(),
  };
}
