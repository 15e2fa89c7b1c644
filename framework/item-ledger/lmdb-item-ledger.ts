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
import { memoryTuplesOf, type FieldValues, type MemoryTuples, type SideCache } from '../side-cache/index.ts';
import type {
  Claim, ClaimOutcome, ItemLedger, ItemRecord, ItemRef, ItemState, OpenItem, OpenOutcome, Redrive, RedriveOutcome, Step, StepOutcome, TerminalState,
} from './item-ledger.ts';
import { decodeLive, encodeLive, endedRecord, indexKeyOf, itemKeyOf, poisonKeyOf, type Key, type StoredEnded, type StoredKey } from './internal/journal-codec.ts';
import { Journal, StagedTable } from './internal/lmdb-journal.ts';
import { checkClaim, checkOpenItem, checkRef, checkRetention, checkStep, cleanEvent } from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';
import { LiveItem, byActivity, stalledOf } from './internal/live-item.ts';
import { tupleRefOf } from './tuple-ref.ts';

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

  const id = (ref: ItemRef): string => `${ref.dag}\u0000${ref.messageId}`;
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

  const tupleOf = (ref: ItemRef): string => tupleRefOf(ref.dag, ref.messageId);
  const writeTuple = (ref: ItemRef, fields: FieldValues, fresh: boolean): void => {
    const key = tupleOf(ref);
    let tuple = fresh ? undefined : tuples.get(key);
    if (tuple === undefined) tuples.set(key, (tuple = new Map()));
    for (const [name, value] of fields) tuple.set(name, value);
  };

  const end = (ref: ItemRef, item: LiveItem, blobFields: readonly string[]): { record: ItemRecord; blobRefs: string[] } => {
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
    const tuple = tuples.get(tupleOf(ref));
    const blobRefs = blobFields.flatMap((f) => {
      const v = tuple?.get(f);
      return v ? [Buffer.from(v).toString()] : [];
    });
    tuples.delete(tupleOf(ref));
    return { record: { ...record, events: item.events.map(cleanEvent) }, blobRefs };
  };

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
    writeTuple(ref, item.fields, true);
    keys.set(index, { messageId: ref.messageId, live: true });
    countsOf(ref.dag)['in-flight'] += 1;
    return { status: 'opened' };
  };

  const claimOne = (c: Claim, lease: { owner: string; leaseMs: number }, at: number): ClaimOutcome => {
    const item = live.get(id(c.ref));
    if (item === undefined) return findEnded(c.ref) ? { status: 'done', repair: [], ended: toRecord(c.ref)! } : { status: 'unknown' };
    if (item.done.has(c.token)) return { status: 'done', repair: (item.successors.get(c.token) ?? []).filter((t) => item.open.has(t) && !item.everClaimed.has(t)) };
    if (!item.open.has(c.token)) return { status: 'stale' };
    const held = item.leases.get(c.token);
    if (held !== undefined && held.owner !== lease.owner && held.expiresMs > at) return { status: 'busy' };
    // A claim changes only what a restart need not keep (see the top of this file): not written.
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
  };

  const step = (s: Step): StepOutcome => {
    const item = live.get(id(s.ref));
    if (item === undefined) return findEnded(s.ref) ? { status: 'already' } : { status: 'unknown' };
    if (item.done.has(s.token)) return { status: 'already' };
    if (!item.open.has(s.token)) return { status: 'stale' };
    touch(s.ref);
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
      return settle(claims.map((c) => claimOne(c, lease, at)));
    },

    async commit(steps) {
      steps.forEach(checkStep);
      begin();
      return settle(steps.map(step));
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
        writeTuple(r.ref, r.fields, true);
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
