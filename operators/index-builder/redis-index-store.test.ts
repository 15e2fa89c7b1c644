import { before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisClient } from '../../framework/redis/index.ts';
import { DEFAULT_TEST_REDIS_CLUSTER, deleteMatching } from '../../framework/testing/index.ts';
import { openRedisIndexStore, type IndexStore } from './index.ts';
import { indexStoreContract } from './internal/index-store-contract.ts';

const targets = [
  ['redis', process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390', 'QUARRY_TEST_REDIS_URL'],
  ['redis-cluster', process.env.QUARRY_TEST_REDIS_CLUSTER ?? DEFAULT_TEST_REDIS_CLUSTER, 'QUARRY_TEST_REDIS_CLUSTER'],
] as const;

for (const [kind, url, variable] of targets) {
  const prefixes = new WeakMap<IndexStore, string>();
  const used: string[] = [];
  let admin: RedisClient;

  before(async () => {
    admin = createRedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 0, noReconnect: true });
    await admin.connect().then(() => admin.ping()).catch((err: unknown) => {
      assert.fail(`Redis is required for this test and is not reachable at ${url} (${variable}): ${String(err)}`);
    });
  });
  after(async () => {
    for (const p of used) await deleteMatching(admin, `${p}*`);
    await admin.quit();
  });

  indexStoreContract(kind, {
    async make() {
      const keyPrefix = `{quarry-index-test-${randomUUID()}}:`;
      used.push(keyPrefix);
      const store = openRedisIndexStore({ url, keyPrefix });
      prefixes.set(store, keyPrefix);
      return store;
    },
    async reopen(store) {
      const keyPrefix = prefixes.get(store)!;
      await store.close();
      const again = openRedisIndexStore({ url, keyPrefix });
      prefixes.set(again, keyPrefix);
      return again;
    },
  });
}

it('refuses, on a Redis Cluster, a key prefix without a hash tag (its scripts would span slots)', () => {
  assert.throws(() => openRedisIndexStore({ url: targets[1][1], keyPrefix: 'quarry-index:' }), /Expected `keyPrefix` to be a prefix holding a `\{hash tag\}`/);
});
