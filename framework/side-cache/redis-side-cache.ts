// The Redis side-cache: one hash per tuple at `${namespace}:t:${tupleRef}`. A tuple ref carries
// its Redis Cluster hash tag (`{dag#bucket}messageId`, see item-ledger/tuple-ref.ts), so a tuple
// shares a slot with its item's ledger state; a ref without one is wrapped in braces.
//
// A tuple written with no fields must still exist, and a tuple whose fields were all deleted
// must too (the lifecycle deletes fields one by one, then the whole tuple when the item leaves),
// so every write also sets a one-byte sentinel field (NUL) that reads never return.
import type { Redis } from 'ioredis';
import type { FieldRead, FieldValues, SideCache, SideCacheStats } from './side-cache.ts';
import { SENTINEL_FIELD, checkFieldNames, checkTupleRef } from './internal/check-input.ts';
import { useRedis } from '../redis/index.ts';
import { checkNamespace } from './internal/check-namespace.ts';

export interface RedisSideCacheOptions {
  /** A URL (the cache owns and closes the connection) or a client (the caller's to close). */
  redis: string | Redis;
  /** Prefix of every key, e.g. `quarry:page-ingest`. */
  namespace: string;
}

// `stats` sums value lengths (HSTRLEN, server-side, so no payload crosses the wire) rather than
// MEMORY USAGE: it is exact, equals what the memory adapter reports (one contract for both), and
// does not jump when Redis switches a hash from listpack to hashtable encoding. It is a
// SCAN over the namespace, for tests and benchmarks, not for the hot path.
const TUPLE_BYTES_LUA = `
local fields = redis.call('HKEYS', KEYS[1])
local total = 0
for i = 1, #fields do
  if fields[i] ~= '\\0' then total = total + redis.call('HSTRLEN', KEYS[1], fields[i]) end
end
return total`;

export function createRedisSideCache(options: RedisSideCacheOptions): SideCache {
  const namespace = checkNamespace(options?.namespace);
  const { client, release } = useRedis(options.redis);
  const keyOf = (tupleRef: string): string => {
    checkTupleRef(tupleRef);
    return tupleKey(namespace, tupleRef);
  };

  return {
    async readMany(reads: readonly FieldRead[]) {
      if (reads.length === 0) return [];
      const pipeline = client.pipeline();
      for (const { tupleRef, fields } of reads) {
        const key = keyOf(tupleRef);
        if (fields.length > 0) pipeline.hmgetBuffer(key, ...fields);
        pipeline.exists(key);
      }
      const replies = (await pipeline.exec()) ?? [];
      let at = 0;
      return reads.map(({ fields }) => {
        const values = fields.length > 0 ? (reply(replies[at++]) as (Buffer | null)[]) : [];
        if (reply(replies[at++]) === 0) return null;
        const out: FieldValues = new Map();
        fields.forEach((name, i) => {
          const value = values[i];
          if (value != null && name !== SENTINEL_FIELD) out.set(name, view(value));
        });
        return out;
      });
    },
    async write(tupleRef, fields) {
      const key = keyOf(tupleRef);
      checkFieldNames([...fields.keys()]);
      const args: (string | Buffer)[] = [SENTINEL_FIELD, ''];
      for (const [name, value] of fields) args.push(name, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      await client.hset(key, ...args);
    },
    async deleteFields(tupleRef, fields) {
      const key = keyOf(tupleRef);
      const names = fields.filter((name) => name !== SENTINEL_FIELD);
      if (names.length > 0) await client.hdel(key, ...names);
    },
    async deleteTuple(tupleRef) {
      await client.del(keyOf(tupleRef));
    },
    async exists(tupleRef) {
      return (await client.exists(keyOf(tupleRef))) === 1;
    },
    async stats(): Promise<SideCacheStats> {
      let tuples = 0;
      let bytes = 0;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeGlob(namespace)}:t:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length === 0) continue;
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.eval(TUPLE_BYTES_LUA, 1, key);
        const replies = (await pipeline.exec()) ?? [];
        for (const r of replies) {
          tuples += 1;
          bytes += Number(reply(r));
        }
      } while (cursor !== '0');
      return { tuples, bytes };
    },
    async close() {
      await release();
    },
  };
}

function reply(entry: [Error | null, unknown] | undefined): unknown {
  if (entry === undefined) throw new Error('side-cache: missing pipeline reply');
  if (entry[0] !== null) throw entry[0];
  return entry[1];
}

function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The Redis key of a tuple (shared with the Redis item ledger, which edits tuples in its scripts). */
export function tupleKey(namespace: string, tupleRef: string): string {
  return tupleRef.startsWith('{') && tupleRef.includes('}') ? `${namespace}:t:${tupleRef}` : `${namespace}:t:{${tupleRef}}`;
}

export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
