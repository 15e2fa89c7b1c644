// Runs the TriggerBus contract against the real broker (QUARRY_TEST_KAFKA_BROKERS,
// default 127.0.0.1:9092). Start it with `bash scripts/services.sh start kafka`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
import { createKafkaBus } from './index.ts';
import { busContract } from '../testing/index.ts';

const brokers = (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

let reachable: Promise<void> | undefined;
async function assertReachable(): Promise<void> {
  const admin = new Kafka({ clientId: 'quarry-test-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new Error(
      `Kafka is not reachable at ${brokers.join(',')} (${(err as Error).message}). ` +
        'Start it with `bash scripts/services.sh start kafka` or set QUARRY_TEST_KAFKA_BROKERS.',
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

busContract('kafka', async () => {
  await (reachable ??= assertReachable());
  return createKafkaBus({ brokers, clientId: 'quarry-bus-contract' });
});

describe('Kafka bus topics', () => {
  it('creates a compacted topic when asked (records read by key), a plain one otherwise', async () => {
    await (reachable ??= assertReachable());
    const bus = createKafkaBus({ brokers, clientId: 'quarry-bus-topics' });
    const admin = new Kafka({ clientId: 'quarry-test-topics', brokers, logLevel: logLevel.NOTHING }).admin();
    const suffix = `${process.pid}-${Date.now()}`;
    const [compacted, plain] = [`quarry-test-compacted-${suffix}`, `quarry-test-plain-${suffix}`];
    try {
      await bus.ensureTopics([compacted], 1, { compacted: true });
      await bus.ensureTopics([plain], 1);
      await admin.connect();
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [compacted, plain].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['cleanup.policy'] })) });
      const policy = new Map(resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue]));
      assert.equal(policy.get(compacted), 'compact');
      assert.equal(policy.get(plain), 'delete');
    } finally {
      await admin.deleteTopics({ topics: [compacted, plain] }).catch(() => {});
      await admin.disconnect();
      await bus.close();
    }
  });
});
