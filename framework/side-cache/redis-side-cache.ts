// The Redis side-cache: one hash per tuple at `${namespace}:t:${tupleRef}`. A tuple ref carries
// its Redis Cluster hash tag (`{dag#bucket}messageId`, see item-ledger/tuple-ref.ts), so a tuple
// shares a slot with its item's ledger state; a ref without one is wrapped in braces.
//
// A tuple written with no fields must still exist, and a tuple whose fields were all deleted
// must too (the lifecycle deletes fields one by one, then the whole tuple when the item leaves),
// so every write also sets a one-byte sentinel field (NUL) that reads never return.
import type { FieldRead, FieldValues, SideCache, SideCacheStats } from './side-cache.ts';
import { SENTINEL_FIELD, checkFieldNames, checkTupleRef } from './internal/check-input.ts';
import { escapeGlob, execBatch, scanKeys, useRedis, type KeyCommand, type RedisClient } from '../redis/index.ts';
import { checkNamespace } from './internal/check-namespace.ts';

export interface RedisSideCacheOptions {
  /** A URL (the cache owns and closes the connection) or a client (the caller's to close). */
  redis: string | RedisClient;
  /** Prefix of every key, e.g. `quarry:page-ingest`. */
  namespace: string;
}

// `stats` sums value lengths (HSTRLEN, server-side, so no payload crosses the wire) rather than
// MEMORY USAGE: it is exact, equals what the memory adapter reports (one contract for both), and
// does not jump when Redis switches a hash from listpack to hashtable encoding. It is a
// SCAN over the namespace (every master of a Cluster), for tests and benchmarks, not the hot path.
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
      // One pipeline on one node; one per node on a Cluster (a tuple's two commands share a slot).
      const commands: KeyCommand[] = [];
      for (const { tupleRef, fields } of reads) {
        const key = keyOf(tupleRef);
        if (fields.length > 0) commands.push({ key, name: 'hmget', args: [key, ...fields], buffer: true });
        commands.push({ key, name: 'exists', args: [key] });
      }
      const replies = await execBatch(client, commands);
      let at = 0;
      return reads.map(({ fields }) => {
        const values = fields.length > 0 ? (replies[at++] as (Buffer | null)[]) : [];
        if (replies[at++] === 0) return null;
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
      for await (const keys of scanKeys(client, `${escapeGlob(namespace)}:t:*`)) {
        for (const size of await execBatch(client, keys.map((key) => ({ key, name: 'eval', args: [TUPLE_BYTES_LUA, 1, key] })))) {
          tuples += 1;
          bytes += Number(size);
        }
      }
      return { tuples, bytes };
    },
    async close() {
      await release();
    },
  };
}

function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The Redis key of a tuple (shared with the Redis item ledger, which edits tuples in its scripts). */
export function tupleKey(namespace: string, tupleRef: string): string {
  return tupleRef.startsWith('{') && tupleRef.includes('}') ? `${namespace}:t:${tupleRef}` : `${namespace}:t:{${tupleRef}}`;
}
