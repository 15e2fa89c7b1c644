// Build the framework's adapters from a BackendConfig: embedded by default; Kafka and Redis when
// configured. The one place that picks adapters. `--redis` names one node or a Redis Cluster
// (comma-separated `redis://host:port` seeds): one client, shared by the Redis adapters. On the
// embedded state the item ledger is this run's journal in `<data>/journal`, so `quarry trace`
// answers after the run is gone.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createFileBlobStore, createRedisBlobStore, type BlobStore } from '../framework/blob-store/index.ts';
import { createEmbeddedBus, createKafkaBus, type TriggerBus } from '../framework/bus/index.ts';
import { createRedisItemLedger, createRunJournal, type ItemLedger } from '../framework/item-ledger/index.ts';
import { createMemorySideCache, createRedisSideCache, type SideCache } from '../framework/side-cache/index.ts';
import { createRedisClient, redactRedisUrl, type RedisClient } from '../framework/redis/index.ts';
import type { BackendConfig } from './config.ts';

export interface Backends {
  bus: TriggerBus;
  sideCache: SideCache;
  blobs: BlobStore;
  ledger: ItemLedger;
  describe(): string;
  close(): Promise<void>;
}

/** Where embedded runs keep their journals (one per run). */
export const journalDir = (dataDir: string): string => join(dataDir, 'journal');

export function openBackends(config: BackendConfig, clientId = 'quarry'): Backends {
  const bus = config.kafkaBrokers.length > 0 ? createKafkaBus({ brokers: config.kafkaBrokers, clientId }) : createEmbeddedBus();
  let redis: RedisClient | undefined;
  let sideCache: SideCache;
  let blobs: BlobStore;
  let ledger: ItemLedger;
  if (config.redisUrl) {
    redis = createRedisClient(config.redisUrl, { maxRetriesPerRequest: 20 });
    sideCache = createRedisSideCache({ redis, namespace: config.namespace });
    blobs = createRedisBlobStore({ redis, namespace: config.namespace });
    ledger = createRedisItemLedger({ redis, namespace: config.namespace });
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    sideCache = createMemorySideCache();
    blobs = createFileBlobStore({ dir: join(config.dataDir, 'blobs') });
    ledger = createRunJournal({ dir: journalDir(config.dataDir), sideCache });
  }
  return {
    bus,
    sideCache,
    blobs,
    ledger,
    describe: () => `bus=${config.kafkaBrokers.length ? `kafka(${config.kafkaBrokers.join(',')})` : 'embedded'} state=${config.redisUrl ? `redis(${redactRedisUrl(config.redisUrl)})` : `embedded(journal ${journalDir(config.dataDir)})`} relations=${config.relations} index=${config.index}`,
    async close() {
      await bus.close();
      await Promise.all([sideCache.close(), blobs.close(), ledger.close()]);
      redis?.disconnect();
    },
  };
}
