// The Redis item ledger: every per-item rule of item-ledger.ts is one Lua script
// (internal/ledger-scripts.ts) over the item's keys and its tuple, and one script call runs it
// for a whole batch (for each slot's items on a Cluster), so a miner's claim or commit of a batch
// is one round trip while concurrent miners still see each token, join and ending happen once.
//
// Keys under `namespace`, with the item's tag `{dag#bucket}` (tuple-ref.ts): `i:` live hash,
// `r:` ended record, `e:` events list, `c:` the bucket's counters, `f:` the bucket's in-flight
// sorted set by last activity; the tuple is the side-cache's (`tupleNamespace`, default the same).
// Outside any item's slot: `k:<dag>:<tenant>:<itemKey>` the by-key index, `q:<fingerprint>`
// inputs known to crash operators. Ended items keep their record, events and index entry for
// `retentionMs`.
import { ConfigError, QuarryError } from '../errors/index.ts';
import { tupleKey, type FieldValues } from '../side-cache/index.ts';
import type {
  ClaimOutcome, ItemLedger, ItemRecord, ItemRef, ItemState, OpenOutcome, RedriveOutcome, StalledItem, Step, StepOutcome, TerminalState,
} from './item-ledger.ts';
import { MAX_EVENTS, checkClaim, checkOpenItem, checkRef, checkRetention, checkStalled, checkStep } from './internal/ledger-input.ts';
import { emptyCounts, metaOf, type ItemMeta } from './internal/item-record.ts';
import { INDEX_SCRIPTS, LEDGER_SCRIPTS, SWEEP_SCRIPTS } from './internal/ledger-scripts.ts';
import { sendAll, type Call, type Send } from './internal/send-all.ts';
import { packArgs, type Arg } from './internal/pack-args.ts';
import { BUCKETS, bucketOf, bucketTag } from './tuple-ref.ts';
import { useRedis, type RedisClient } from '../redis/index.ts';

export interface RedisItemLedgerOptions {
  /** A URL — one node or a Redis Cluster — (the ledger owns and closes the connection) or a client (the caller's to close). */
  redis: string | RedisClient;
  namespace: string;
  /** The side-cache namespace whose tuples this ledger edits (default: `namespace`). */
  tupleNamespace?: string;
  /** How long an ended item's record stays queryable (default 7 days). */
  retentionMs?: number;
  /**
   * How long a live item's tuple outlives its last step (default 24 h): a tuple whose item the
   * ledger forgot expires instead of staying for good.
   */
  tupleTtlMs?: number;
  /** The clock for leases and retention (default `Date.now`). */
  now?: () => number;
}

type Reply = (string | Buffer | number | null)[];
type ItemScript = 'quarryLedgerOpen' | 'quarryLedgerClaimBuffer' | 'quarryLedgerCommit' | 'quarryLedgerRedrive';
/** Items per script call: bounds one call's time on the server (it blocks other clients meanwhile). */
const MANY_ITEMS = 128;
/** Items per DAG whose keys are kept built (the oldest go first). */
const KEY_CACHE_ITEMS = 8192;
const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString() : String(v));

export function createRedisItemLedger(options: RedisItemLedgerOptions): ItemLedger {
  const namespace = options?.namespace;
  if (typeof namespace !== 'string' || namespace.length === 0 || /[{}]/.test(namespace)) {
    throw new ConfigError([{ field: 'namespace', expected: 'a non-empty string without braces', received: namespace }], 'Redis item ledger options');
  }
  const tupleNamespace = options.tupleNamespace ?? namespace;
  const retentionMs = checkRetention(options.retentionMs);
  const tupleTtlMs = options.tupleTtlMs ?? 24 * 3600_000;
  const now = options.now ?? Date.now;
  const { client, release } = useRedis(options.redis);
  for (const [name, lua] of Object.entries(LEDGER_SCRIPTS)) client.defineCommand(name, { lua }); // the key count goes first
  for (const [name, lua] of Object.entries(SWEEP_SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
  for (const [name, lua] of Object.entries(INDEX_SCRIPTS)) client.defineCommand(name, { lua }); // the key count goes first
  const send: Send = (calls) => sendAll(client, calls);

  // An item's keys, built once while it is in flight: a dozen script calls or so use them.
  const keyCache = new Map<string, Map<string, string[]>>();
  const itemKeys = (ref: ItemRef): string[] => {
    let byId = keyCache.get(ref.dag);
    const hit = byId?.get(ref.messageId);
    if (hit) return hit;
    checkRef(ref);
    const tag = bucketTag(ref.dag, bucketOf(ref.messageId));
    const keys = [`${namespace}:i:${tag}${ref.messageId}`, `${namespace}:r:${tag}${ref.messageId}`, `${namespace}:e:${tag}${ref.messageId}`, tupleKey(tupleNamespace, `${tag}${ref.messageId}`), `${namespace}:c:${tag}`, `${namespace}:f:${tag}`];
    if (!byId) keyCache.set(ref.dag, (byId = new Map()));
    if (byId.size >= KEY_CACHE_ITEMS) byId.delete(byId.keys().next().value!);
    byId.set(ref.messageId, keys);
    return keys;
  };
  // One script call for many items: all of them on a single node, the items of one slot (bucket)
  // on a Cluster, at most MANY_ITEMS per call. Replies come back in the items' order.
  const many = async (script: ItemScript, items: readonly { ref: ItemRef; args: readonly Arg[] }[]): Promise<unknown[]> => {
    const keysOf = items.map(({ ref }) => itemKeys(ref));
    const groups = new Map<string, number[]>();
    items.forEach((_, i) => {
      const group = client.isCluster ? keysOf[i]![4]! : ''; // the bucket's counters key: one per slot
      const members = groups.get(group);
      if (members) members.push(i);
      else groups.set(group, [i]);
    });
    const chunks: number[][] = [];
    for (const members of groups.values()) for (let j = 0; j < members.length; j += MANY_ITEMS) chunks.push(members.slice(j, j + MANY_ITEMS));
    const replies = await send(chunks.map((chunk) => {
      // One flat array (key count, keys, then each item's arguments packed as one), handed to
      // ioredis as it is: a call spreading a thousand arguments costs a copy or two of them more.
      const all: Arg[] = [6 * chunk.length];
      for (const i of chunk) for (const k of keysOf[i]!) all.push(k);
      for (const i of chunk) all.push(packArgs(items[i]!.args));
      return (c) => c[script](all);
    }));
    const out = new Array<unknown>(items.length);
    chunks.forEach((chunk, k) => chunk.forEach((i, j) => (out[i] = (replies[k] as unknown[])[j])));
    return out;
  };
  const indexKey = (dag: string, tenant: string | undefined, itemKey: string): string => `${namespace}:k:${dag}:${tenant ?? 'default'}:${itemKey}`;
  const poisonKey = (fp: string): string => `${namespace}:q:${fp}`;
  const failed = (op: string, err: unknown): QuarryError =>
    new QuarryError('LEDGER_REDIS', `Item ledger ${op} failed: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });

  // The commit script's arguments (its layout is documented there), built without temporaries.
  const commitArgs = (s: Step): Arg[] => {
    const a: Arg[] = [now(), s.ref.messageId, s.token, s.kind, s.end ? JSON.stringify(s.end) : '', retentionMs, tupleTtlMs, s.event ? JSON.stringify(s.event) : '', MAX_EVENTS];
    const list = (l: readonly string[] | undefined) => {
      a.push(l?.length ?? 0);
      if (l) for (const x of l) a.push(x);
    };
    list(s.successors);
    a.push(s.writes?.size ?? 0);
    if (s.writes) for (const [name, value] of s.writes) a.push(name, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    list(s.releases);
    list(s.detach);
    list(s.blobFields);
    const kept: [string, string][] = s.kept ? Object.entries(s.kept) : [];
    a.push(kept.length);
    for (const [k, v] of kept) a.push(k, v);
    a.push(s.claimNext?.owner ?? '', s.claimNext?.leaseMs ?? 0);
    list(s.claimNext?.tokens);
    return a;
  };

  const pairs = (fields: FieldValues): (string | Buffer)[] => {
    const out: (string | Buffer)[] = [];
    for (const [name, value] of fields) out.push(name, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return out;
  };

  const get = async (ref: ItemRef): Promise<ItemRecord | null> => {
    const [live, rec, events] = itemKeys(ref) as [string, string, string];
    const replies = (await client.multi().hgetall(live).hgetall(rec).lrange(events, 0, -1).exec()) ?? [];
    for (const [err] of replies) if (err) throw failed('get', err);
    const [liveHash, recHash, eventList] = replies.map(([, value]) => value) as [Record<string, string>, Record<string, string>, string[]];
    if (liveHash.meta !== undefined) return recordOf(liveHash, 'in-flight', eventList);
    if (recHash.meta === undefined || Number(recHash.expiresMs) <= now()) return null;
    return recordOf(recHash, recHash.state as TerminalState, eventList);
  };

  return {
    async open(items) {
      items.forEach(checkOpenItem);
      if (items.length === 0) return [];
      // Dedupe first: the by-key index sits in its own slot, so it is read before the items open.
      const dup: (string | null)[] = items.map(() => null);
      const deduped = items.map((item, i) => ({ item, i })).filter(({ item }) => item.dedupe);
      if (deduped.length > 0) {
        const entries = await send(deduped.map(({ item }) => (c) => c.get(indexKey(item.ref.dag, item.tenant, item.itemKey))));
        const live: { i: number; of: string }[] = [];
        deduped.forEach(({ item, i }, j) => {
          const entry = entries[j] as string | null;
          if (!entry) return;
          const [of, state, endedMs] = entry.split('|') as [string, string, string | undefined];
          if (of === item.ref.messageId) return; // its own entry: the open below says what it is
          if (state === 'E' && now() - Number(endedMs) < item.dedupe!.windowMs) dup[i] = of;
          if (state === 'L') live.push({ i, of });
        });
        // An entry says live: believe it only if that item really is (its end may not have reached the index).
        if (live.length > 0) {
          const alive = await send(live.map(({ i, of }) => (c) => c.exists(itemKeys({ dag: items[i]!.ref.dag, messageId: of })[0]!)));
          live.forEach(({ i, of }, j) => { if (alive[j] === 1) dup[i] = of; });
        }
      }
      const opening = items.map((item, i) => ({ item, i })).filter(({ i }) => dup[i] === null);
      const replies = await many('quarryLedgerOpen', opening.map(({ item }) => ({
        ref: item.ref,
        args: [now(), item.ref.messageId, item.createdMs, JSON.stringify(metaOf(item)), tupleTtlMs, item.trigger ? Buffer.from(item.trigger.buffer, item.trigger.byteOffset, item.trigger.byteLength) : '', item.tokens.length, ...item.tokens, ...pairs(item.fields)],
      })));
      const out: OpenOutcome[] = items.map((_, i) => ({ status: 'duplicate', of: dup[i] ?? '' }));
      const opened: number[] = [];
      const live: number[] = [];
      opening.forEach(({ i }, j) => {
        const r = replies[j] as Reply;
        const status = str(r[0]);
        if (status === 'opened') {
          out[i] = { status: 'opened' };
          opened.push(i);
        } else if (status === 'in-flight') {
          out[i] = { status: 'in-flight', reproduce: Number(r[1]) === 1 };
          live.push(i);
        } else out[i] = { status: 'ended', state: str(r[1]) as TerminalState };
      });
      // The entry of an item opened earlier is written again if it is missing: a process that
      // died between the open and its index write left the item without one.
      const entry = (i: number) => [indexKey(items[i]!.ref.dag, items[i]!.tenant, items[i]!.itemKey), `${items[i]!.ref.messageId}|L`, 'PX', retentionMs] as const;
      if (opened.length + live.length > 0) {
        await send([...opened.map((i): Call => (c) => c.set(...entry(i))), ...live.map((i): Call => (c) => c.set(...entry(i), 'NX'))]);
      }
      return out;
    },

    async claim(claims, lease) {
      claims.forEach((c) => checkClaim(c, lease));
      if (claims.length === 0) return [];
      const replies = await many('quarryLedgerClaimBuffer', claims.map((cl) => ({
        ref: cl.ref,
        args: [now(), cl.ref.messageId, cl.token, lease.owner, lease.leaseMs, cl.chained ? '1' : '',
          cl.join?.node ?? '', cl.join?.from ?? '', cl.join?.expected.length ?? 0, ...(cl.join?.expected ?? []), ...cl.reads],
      })));
      return claims.map((cl, i): ClaimOutcome => {
        const r = replies[i] as Reply;
        const status = str(r[0]);
        if (status === 'run') {
          if (Number(str(r[1])) === 1) return { status: 'run', fields: null };
          const fields: FieldValues = new Map();
          cl.reads.forEach((f, j) => {
            const v = r[2 + j];
            if (Buffer.isBuffer(v)) fields.set(f, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
          });
          return { status: 'run', fields };
        }
        if (status === 'done') return { status: 'done', repair: r.slice(1).map(str) };
        if (status === 'ended') {
          const sep = r.findIndex((v, j) => j > 0 && str(v) === '\u0000');
          const hash = toHash(r.slice(1, sep).map(str));
          return { status: 'done', repair: [], ended: recordOf(hash, hash.state as TerminalState, r.slice(sep + 1).map(str)) };
        }
        return { status: status as 'waiting' | 'busy' | 'unknown' | 'stale' };
      });
    },

    async commit(steps) {
      steps.forEach(checkStep);
      if (steps.length === 0) return [];
      const replies = await many('quarryLedgerCommit', steps.map((s) => ({
        ref: s.ref,
        args: commitArgs(s),
      })));
      const out = steps.map((_, i): StepOutcome => {
        const r = (replies[i] as Reply).map(str);
        if (r[0] === 'ok') {
          const n = Number(r[1]);
          return { status: 'ok', blobRefs: r.slice(2 + n), ...(n > 0 ? { claimed: r.slice(2, 2 + n) } : {}) };
        }
        if (r[0] !== 'end') return { status: r[0] as 'already' | 'unknown' | 'stale' };
        const a = r.indexOf('\u0000', 1);
        const b = r.indexOf('\u0000', a + 1);
        const hash = toHash(r.slice(1, a));
        return { status: 'ok', terminal: recordOf(hash, hash.state as TerminalState, r.slice(a + 1, b)), blobRefs: r.slice(b + 1) };
      });
      // The by-key index learns of each ending (its own slot, so a second command).
      const ends = out.flatMap((o) => (o.status === 'ok' && o.terminal ? [o.terminal] : []));
      if (ends.length > 0) {
        // One call on a single node; on a Cluster every entry is in a slot of its own.
        const calls = client.isCluster ? ends.map((rec) => [rec]) : [ends];
        await send(calls.map((recs) => (c) => c.quarryLedgerIndexEnded(
          recs.length, ...recs.map((rec) => indexKey(rec.dag, rec.tenant, rec.itemKey)), retentionMs, ...recs.flatMap((rec) => [rec.messageId, rec.endedMs ?? now()]),
        )));
      }
      return out;
    },

    async redrive(items) {
      if (items.length === 0) return [];
      const replies = await many('quarryLedgerRedrive', items.map((r) => ({
        ref: r.ref,
        args: [now(), r.ref.messageId, JSON.stringify({ node: r.node, status: 'redriven', atMs: r.atMs, detail: r.why }), MAX_EVENTS, tupleTtlMs,
          r.tokens.length, ...r.tokens, ...pairs(r.fields)],
      })));
      return replies.map((reply): RedriveOutcome => {
        const r = (reply as Reply).map(str);
        return r[0] === 'reset' ? { status: 'reset', count: Number(r[1]) } : { status: 'gone' };
      });
    },

    async markPoison(fingerprints, detail) {
      if (fingerprints.length > 0) await send(fingerprints.map((fp) => (c) => c.set(poisonKey(fp), detail, 'PX', retentionMs)));
    },
    async isPoison(fingerprints) {
      if (fingerprints.length === 0) return [];
      return (await send(fingerprints.map((fp) => (c) => c.exists(poisonKey(fp))))).map((n) => n === 1);
    },

    get,
    async findByKey(dag, itemKey, tenant) {
      const entry = await client.get(indexKey(dag, tenant, itemKey));
      if (entry === null) return null;
      return get({ dag, messageId: entry.split('|')[0]! });
    },
    async counts(dag) {
      const hashes = await send(Array.from({ length: BUCKETS }, (_, b) => (c) => c.hgetall(`${namespace}:c:${bucketTag(dag, b)}`)));
      const counts = emptyCounts();
      for (const h of hashes as Record<string, string>[]) for (const state of Object.keys(counts) as ItemState[]) counts[state] += Number(h[state] ?? 0);
      return counts;
    },
    async stalled(dag, o) {
      checkStalled(o);
      const at = now();
      const replies = await send(Array.from({ length: BUCKETS }, (_, b) => (c) => c.quarryLedgerStalledBuffer(`${namespace}:f:${bucketTag(dag, b)}`, at, o.idleMs, o.limit, `${namespace}:i:${bucketTag(dag, b)}`)));
      const out: StalledItem[] = [];
      for (const reply of replies as Buffer[][]) {
        for (let i = 0; i + 2 < reply.length && out.length < o.limit; i += 3) {
          const trigger = reply[i + 1]!;
          const tokens = reply[i + 2]!.toString();
          out.push({ ref: { dag, messageId: reply[i]!.toString() }, tokens: tokens === '' ? [] : tokens.split(','), ...(trigger.length > 0 ? { trigger: new Uint8Array(trigger) } : {}) });
        }
      }
      return out;
    },
    async inFlight(dag, limit = 100) {
      if (limit < 1) return [];
      const lists = await send(Array.from({ length: BUCKETS }, (_, b) => (c) => c.zrange(`${namespace}:f:${bucketTag(dag, b)}`, 0, limit - 1, 'WITHSCORES')));
      const all: { id: string; at: number }[] = [];
      for (const list of lists as string[][]) for (let i = 0; i < list.length; i += 2) all.push({ id: list[i]!, at: Number(list[i + 1]) });
      // The oldest `limit` across buckets (and any tied with the last), so at most that many reads.
      all.sort((a, b) => a.at - b.at);
      const cut = all.length > limit ? all[limit - 1]!.at : Infinity;
      const oldest = all.filter((x, i) => i < limit || x.at === cut);
      const records = await Promise.all(oldest.map(async ({ id, at }) => ({ at, record: await get({ dag, messageId: id }) })));
      return records.filter((r): r is { at: number; record: ItemRecord } => r.record !== null)
        .sort((a, b) => a.at - b.at || a.record.createdMs - b.record.createdMs).slice(0, limit).map((r) => r.record);
    },
    async close() {
      await release();
    },
  };
}

function toHash(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}

function recordOf(hash: Record<string, string>, state: ItemState, events: readonly string[]): ItemRecord {
  const record: ItemRecord = { ...(JSON.parse(hash.meta ?? '{}') as ItemMeta), state, events: events.map((e) => JSON.parse(e) as ItemRecord['events'][number]) };
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
