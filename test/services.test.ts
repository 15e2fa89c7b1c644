// scripts/services.sh on a dedicated instance (never the shared servers): data survives a
// SIGKILL and a restart, `--fresh` wipes it, and the Redis Cluster it starts is a real one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { destroyInstance, killService, restartService, serviceStatus, startInstance, stopService, type ServiceInstance } from './fixtures/services.ts';

const name = `svc-test-${process.pid}`;
let inst: ServiceInstance;

before(async () => {
  inst = await startInstance(name, ['redis', 'kafka', 'redis-cluster'], { fresh: true });
});
after(async () => {
  await destroyInstance(name);
});

const withRedis = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
  const r = new Redis(inst.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
};

describe('services.sh named instance', () => {
  it('runs on its own ports, not the shared ones', () => {
    assert.notEqual(inst.redisUrl, 'redis://127.0.0.1:6390');
    assert.notDeepEqual(inst.kafkaBrokers, ['127.0.0.1:9092']);
    assert.ok(inst.runDir.endsWith(`/run/${name}`), inst.runDir);
  });

  it('Redis: AOF everysec; a SIGKILL loses nothing acknowledged; restart keeps data; --fresh wipes it', async () => {
    await withRedis(async (r) => {
      assert.deepEqual(await r.config('GET', 'appendonly'), ['appendonly', 'yes']);
      assert.deepEqual(await r.config('GET', 'appendfsync'), ['appendfsync', 'everysec']);
      await r.set('kept', 'before-kill');
    });
    await killService(name, 'redis');
    assert.equal(await serviceStatus(name, 'redis'), 'stopped');
    // A SIGTERM would have logged a shutdown; a SIGKILL leaves no trace in the log.
    assert.doesNotMatch(readFileSync(join(inst.runDir, 'redis.log'), 'utf8'), /Received SIGTERM|ready to exit/);
    await restartService(name, 'redis');
    assert.equal(await withRedis((r) => r.get('kept')), 'before-kill');
    await stopService(name, 'redis');
    await startInstance(name, ['redis']);
    assert.equal(await withRedis((r) => r.get('kept')), 'before-kill', 'a plain start keeps the data');
    await stopService(name, 'redis');
    await startInstance(name, ['redis'], { fresh: true });
    assert.equal(await withRedis((r) => r.get('kept')), null, '--fresh wiped the data');
  });

  it('Kafka: a SIGKILLed broker relaunched on the same data still has every acknowledged record', async () => {
    const kafka = new Kafka({ clientId: 'svc-test', brokers: inst.kafkaBrokers, logLevel: logLevel.NOTHING });
    const topic = 'svc-test-kept';
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ key: String(i), value: `m${i}` })) });
    await producer.disconnect();
    await killService(name, 'kafka');
    assert.equal(await serviceStatus(name, 'kafka'), 'stopped');
    await restartService(name, 'kafka');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.deepEqual(offsets.map((o) => o.high), ['20']);
    } finally {
      await admin.disconnect();
    }
    await killService(name, 'kafka'); // (no graceful shutdown to wait for)
    await startInstance(name, ['kafka'], { fresh: true });
    const again = kafka.admin();
    await again.connect();
    try {
      assert.ok(!(await again.listTopics()).includes(topic), '--fresh wiped the topic');
    } finally {
      await again.disconnect();
    }
  });

  it('Redis Cluster: three masters own all 16384 slots; keys spread over them and survive a restart', async () => {
    const seeds = inst.redisClusterUrl.split(',').map((u) => new URL(u));
    assert.equal(seeds.length, 3);
    const cluster = new Cluster(seeds.map((u) => ({ host: u.hostname, port: Number(u.port) })), { redisOptions: { maxRetriesPerRequest: 2 } });
    try {
      const info = await cluster.cluster('INFO');
      assert.match(info, /cluster_state:ok/);
      assert.match(info, /cluster_slots_ok:16384/);
      assert.equal(cluster.nodes('master').length, 3);
      for (let i = 0; i < 30; i++) await cluster.set(`spread:${i}`, String(i));
      const perNode = await Promise.all(cluster.nodes('master').map((n) => n.dbsize()));
      assert.ok(perNode.every((n) => n > 0), `every master holds keys: ${perNode.join(',')}`);
    } finally {
      cluster.disconnect();
    }
    await restartService(name, 'redis-cluster');
    assert.equal(await serviceStatus(name, 'redis-cluster'), 'running');
    const after = new Cluster([{ host: seeds[0]!.hostname, port: Number(seeds[0]!.port) }], { redisOptions: { maxRetriesPerRequest: 2 } });
    try {
      assert.equal(await after.get('spread:7'), '7');
    } finally {
      after.disconnect();
    }
  });
});
