// The Redis item ledger: every rule of item-ledger.ts is one Lua script (internal/ledger-scripts.ts),
// so concurrent miners see each token, join and ending happen exactly once.
//
// Keys under `namespace`: per item (hash tag `{dag:messageId}`) `i:` live hash, `r:` ended record,
// `e:` events list; per DAG (hash tag `{dag}`) `c:` counters, `f:` in-flight sorted set by
// createdMs, `k:{dag}:<itemKey>` → the latest messageId. An ended item keeps only its record,
// events and index entry, all expiring after `retentionMs`.
import type { Redis } from 'ioredis';
import type { ClaimResult, FinishResult, ItemLedger, ItemRecord, ItemRef, ItemState, TerminalState } from './item-ledger.ts';
import { ConfigError, QuarryError } from '../errors/index.ts';
import {
  MAX_EVENTS, checkArrival, checkEnd, checkEvent, checkLease, checkOpenItem, checkRef, checkRetention, checkTokens,
  unknownItem, unknownToken,
} from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';
import { INDEX_SCRIPTS, LEDGER_SCRIPTS, type LedgerScript } from './internal/ledger-scripts.ts';
import { useRedis } from '../redis/index.ts';

export interface RedisItemLedgerOptions {
  /** A URL (the ledger owns and closes the connection) or a client (the caller's to close). */
  redis: string | Redis;
  namespace: string;
  /** How long an ended item's record stays queryable (default 7 days). */
  retentionMs?: number;
  /** The clock for leases and retention (default `Date.now`). */
  now?: () => number;
}

type Command = (...args: (string | number)[]) => Promise<unknown>;

export function createRedisItemLedger(options: RedisItemLedgerOptions): ItemLedger {
  const namespace = options?.namespace;
  if (typeof namespace !== 'string' || namespace.length === 0 || /[{}]/.test(namespace)) {
    throw new ConfigError([{ field: 'namespace', expected: 'a non-empty string without braces', received: namespace }], 'Redis item ledger options');
  }
  const retentionMs = checkRetention(options.retentionMs);
  const now = options.now ?? Date.now;
  const { client, release } = useRedis(options.redis);
  for (const [name, lua] of Object.entries(LEDGER_SCRIPTS)) {
    client.defineCommand(name, { numberOfKeys: name === 'quarryLedgerOpen' ? 6 : 5, lua });
  }
  for (const [name, lua] of Object.entries(INDEX_SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
  const command = (name: string): Command => (client as unknown as Record<string, Command>)[name]!.bind(client);

  const dagKey = (kind: string, dag: string): string => `${namespace}:${kind}:{${dag}}`;
  const indexKey = (dag: string, itemKey: string): string => `${dagKey('k', dag)}:${itemKey}`;
  const itemKeys = (ref: ItemRef): string[] => {
    const tag = `{${ref.dag}:${ref.messageId}}`;
    return [`${namespace}:i:${tag}`, `${namespace}:r:${tag}`, `${namespace}:e:${tag}`, dagKey('c', ref.dag), dagKey('f', ref.dag)];
  };

  const run = async (name: LedgerScript, ref: ItemRef, args: (string | number)[], extraKeys: string[] = [], token = ''): Promise<unknown> => {
    checkRef(ref);
    try {
      return await command(name)(...itemKeys(ref), ...extraKeys, now(), ref.messageId, ...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      if (/\bITEM_UNKNOWN\b/.test(message)) throw unknownItem(ref);
      if (/\bTOKEN_UNKNOWN\b/.test(message)) throw unknownToken(ref, token);
      throw new QuarryError('LEDGER_REDIS', `Item ledger ${name} failed for ${ref.dag}/${ref.messageId}: ${message}`, { retryable: true, cause: err });
    }
  };

  const get = async (ref: ItemRef): Promise<ItemRecord | null> => {
    checkRef(ref);
    const [live, rec, events] = itemKeys(ref) as [string, string, string];
    const replies = (await client.multi().hgetall(live).hgetall(rec).lrange(events, 0, -1).exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [liveHash, recHash, eventList] = replies.map(([, value]) => value) as [Record<string, string>, Record<string, string>, string[]];
    const parsedEvents = eventList.map((e) => JSON.parse(e) as ItemRecord['events'][number]);
    if (liveHash.meta !== undefined) return recordOf(liveHash, 'in-flight', parsedEvents);
    if (recHash.meta === undefined || Number(recHash.expiresMs) <= now()) return null;
    return recordOf(recHash, recHash.state as TerminalState, parsedEvents);
  };

  return {
    async open(item) {
      checkOpenItem(item);
      const meta = metaOf(item);
      const opened = await run('quarryLedgerOpen', item.ref, [item.createdMs, JSON.stringify(meta), ...item.tokens], [indexKey(item.ref.dag, item.itemKey)]);
      return opened === 1;
    },
    async claim(ref, token, owner, leaseMs) {
      checkTokens([token], 'token');
      checkLease(owner, leaseMs);
      return (await run('quarryLedgerClaim', ref, [token, owner, leaseMs], [], token)) as ClaimResult;
    },
    async arrive(ref, node, from, expected) {
      checkRef(ref);
      checkArrival(ref, node, from, expected);
      return (await run('quarryLedgerArrive', ref, [node, from, ...expected])) === 1;
    },
    async addTokens(ref, tokens) {
      checkTokens(tokens);
      await run('quarryLedgerAddTokens', ref, [...tokens]);
    },
    async finish(ref, token, opts = {}): Promise<FinishResult> {
      checkTokens([token], 'token');
      checkEnd(opts.end);
      const kept = Object.entries(opts.kept ?? {}).flat();
      if (kept.some((v) => typeof v !== 'string')) throw new QuarryError('LEDGER_BAD_INPUT', 'Expected `kept` to map field names to JSON text strings');
      const end = opts.end ? JSON.stringify({ state: opts.end.state, node: opts.end.node, reason: opts.end.reason }) : '';
      const result = await run('quarryLedgerFinish', ref, [token, end, retentionMs, ...kept], [], token);
      if (!Array.isArray(result)) return { terminal: false };
      const meta = JSON.parse(String(result[1])) as ItemMeta;
      await command('quarryLedgerIndexExpire')(indexKey(ref.dag, meta.itemKey), ref.messageId, retentionMs);
      const record = await get(ref);
      return record === null ? { terminal: true } : { terminal: true, record };
    },
    async event(ref, event) {
      checkEvent(event);
      await run('quarryLedgerEvent', ref, [JSON.stringify(event), MAX_EVENTS]);
    },
    async bumpCrashes(ref, node) {
      checkTokens([node], 'node');
      return Number(await run('quarryLedgerBumpCrashes', ref, [node]));
    },
    get,
    async findByKey(dag, itemKey) {
      const messageId = await client.get(indexKey(dag, itemKey));
      if (messageId === null) return null;
      const record = await get({ dag, messageId });
      // The record outlived retention on the caller's clock before Redis dropped the entry.
      if (record === null) await command('quarryLedgerIndexDrop')(indexKey(dag, itemKey), messageId);
      return record;
    },
    async counts(dag) {
      const stored = await client.hgetall(dagKey('c', dag));
      const counts = emptyCounts();
      for (const state of Object.keys(counts) as ItemState[]) counts[state] = Number(stored[state] ?? 0);
      return counts;
    },
    async inFlight(dag, limit = 100) {
      const ids = await client.zrange(dagKey('f', dag), 0, limit - 1);
      const records = await Promise.all(ids.map((messageId) => get({ dag, messageId })));
      return records.filter((r): r is ItemRecord => r !== null);
    },
    async close() {
      await release();
    },
  };
}

function recordOf(hash: Record<string, string>, state: ItemState, events: ItemRecord['events']): ItemRecord {
  const record: ItemRecord = { ...(JSON.parse(hash.meta ?? '{}') as ItemMeta), state, events };
  if (hash.endedMs !== undefined) record.endedMs = Number(hash.endedMs);
  if (hash.end !== undefined) {
    const end = JSON.parse(hash.end) as { node: string; reason: string };
    record.reason = end.reason;
    record.node = end.node;
  }
  const kept = Object.entries(hash).filter(([field]) => field.startsWith('k:'));
  if (kept.length > 0) record.kept = Object.fromEntries(kept.map(([field, value]) => [field.slice(2), value]));
  return record;
}
