import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { openRedisIndexStore, type IndexStore } from './index.ts';
import { indexStoreContract } from './internal/index-store-contract.ts';

const url = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const prefixes = new WeakMap<IndexStore, string>();
const used: string[] = [];
let admin: Redis;

before(async () => {
  admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await admin.connect().catch((err: unknown) => {
    assert.fail(`Redis is required for this test and is not reachable at ${url} (QUARRY_TEST_REDIS_URL): ${String(err)}`);
  });
});
after(async () => {
  for (const p of used) {
    const keys = await admin.keys(`${p}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
});

indexStoreContract('redis', {
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
