// Build the framework's adapters from a BackendConfig: embedded by default; Kafka and Redis when
// configured. The one place that picks adapters. `--redis` names one node or a Redis Cluster
// (comma-separated `redis://host:port` seeds): one client, shared by the Redis adapters.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createFileBlobStore, createRedisBlobStore, type BlobStore } from '../framework/blob-store/index.ts';
import { createEmbeddedBus, createKafkaBus, type TriggerBus } from '../framework/bus/index.ts';
import { createMemoryItemLedger, createRedisItemLedger, type ItemLedger } from '../framework/item-ledger/index.ts';
import { createMemorySideCache, createRedisSideCache, type SideCache } from '../framework/side-cache/index.ts';
import { createRedisClient, parseRedisUrl, redactRedisUrl, type RedisClient } from '../framework/redis/index.ts';
import { ConfigError } from '../framework/errors/index.ts';
import type { BackendConfig } from './config.ts';

export interface Backends {
  bus: TriggerBus;
  sideCache: SideCache;
  blobs: BlobStore;
  ledger: ItemLedger;
  describe(): string;
  close(): Promise<void>;
}

export function openBackends(config: BackendConfig, clientId = 'quarry'): Backends {
  if (config.redisUrl && parseRedisUrl(config.redisUrl).kind === 'cluster') {
    throw new ConfigError([{ field: 'redis', expected: 'a single Redis node for now: the item ledger does not run on Redis Cluster yet', received: config.redisUrl }]);
  }
  const bus = config.kafkaBrokers.length > 0 ? createKafkaBus({ brokers: config.kafkaBrokers, clientId }) : createEmbeddedBus();
  let redis: RedisClient | undefined;
  let sideCache: SideCache;
  let blobs: BlobStore;
  let ledger: ItemLedger;
  if (config.redisUrl) {
    redis = createRedisClient(config.redisUrl, { maxRetriesPerRequest: 20 });
    sideCache = createRedisSideCache({ redis, namespace: config.namespace });
    blobs = createRedisBlobStore({ redis, namespace: config.namespace });
    ledger = createRedisItemLedger({ redis: redis as Redis, namespace: config.namespace });
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    sideCache = createMemorySideCache();
    blobs = createFileBlobStore({ dir: join(config.dataDir, 'blobs') });
    ledger = createMemoryItemLedger();
  }
  return {
    bus,
    sideCache,
    blobs,
    ledger,
    describe: () => `bus=${config.kafkaBrokers.length ? `kafka(${config.kafkaBrokers.join(',')})` : 'embedded'} state=${config.redisUrl ? `redis(${redactRedisUrl(config.redisUrl)})` : 'embedded'} relations=${config.relations} index=${config.index}`,
    async close() {
      await bus.close();
      await Promise.all([sideCache.close(), blobs.close(), ledger.close()]);
      redis?.disconnect();
    },
  };
}
