// Adapters against the real servers (Kafka, Redis on loopback); unreachable = failure.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { backlogContract } from '../backlog-contract.ts';
import { deferredStoreContract } from '../deferred-store-contract.ts';
import { createKafkaBacklog } from './kafka-backlog.ts';
import { createRedisDeferredStore } from './redis-deferred-store.ts';
import { kafkaBrokers, redisUrl, requireServers } from './test-servers.ts';

await requireServers();

let prefix = `quarry-test-gate-${randomUUID().slice(0, 8)}`;
backlogContract('kafka', {
  open: () => createKafkaBacklog({ brokers: kafkaBrokers(), topicPrefix: prefix, groupId: `${prefix}-g` }),
  reset: async () => { prefix = `quarry-test-gate-${randomUUID().slice(0, 8)}`; },
});

let name = `test-${randomUUID().slice(0, 8)}`;
const names: string[] = [];
deferredStoreContract('redis', {
  open: async () => createRedisDeferredStore({ url: redisUrl(), name }),
  reset: async () => { name = `test-${randomUUID().slice(0, 8)}`; names.push(name); },
  cleanup: async () => {
    const r = new Redis(redisUrl());
    for (const n of names) { const keys = await r.keys(`{quarry:gate:${n}}*`); if (keys.length) await r.del(...keys); }
    r.disconnect();
  },
});
