// Runs the TriggerBus contract against the real broker (QUARRY_TEST_KAFKA_BROKERS,
// default 127.0.0.1:9092). Start it with `bash scripts/services.sh start kafka`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
import { createKafkaBus, restartOnCrash } from './index.ts';
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

describe('a consumer that crashed for good', () => {
  it('is started again (kafkajs restarts only after retriable errors) and reads on', async () => {
    await (reachable ??= assertReachable());
    const kafka = new Kafka({ clientId: 'quarry-test-crash', brokers, logLevel: logLevel.NOTHING });
    const topic = `quarry-test-crash-${process.pid}-${Date.now()}`;
    const bus = createKafkaBus({ brokers, clientId: 'quarry-test-crash-bus' });
    await bus.ensureTopics([topic], 1);
    await bus.produce(topic, [{ key: 'k', value: new TextEncoder().encode('first') }]);
    const consumer = kafka.consumer({ groupId: `${topic}-g`, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    let crashed = false;
    let done = (): void => {};
    const finished = new Promise<void>((r) => (done = r));
    const run = () => consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length === 1) throw new kafkajs.KafkaJSNonRetriableError('injected: not retriable');
        done();
      },
    });
    const watch = restartOnCrash(consumer, 'test consumer', async () => {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await run();
    }, { isClosing: () => false, onCrash: () => (crashed = true), baseDelayMs: 100 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await run();
      await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`not read again after the crash (seen ${JSON.stringify(seen)})`)), 60_000))]);
      assert.ok(crashed, 'the consumer crashed without kafkajs restarting it');
      assert.deepEqual(seen, ['first', 'first'], 'the uncommitted message is read again by the restarted consumer');
    } finally {
      await watch.stop();
      await consumer.disconnect();
      await bus.close();
    }
  });
});

describe('the idempotent producer after a request the broker took in part', () => {
  it('starts a new producer session, so the partitions it did take are not refused for good', async () => {
    // One request to two topics: the broker appends the batch for `taken` and refuses the one
    // for `small` (over its max.message.bytes). kafkajs then rewinds the sequence of both, so
    // the same session would reuse the sequence number `taken` already holds, and every later
    // produce there is refused with OUT_OF_ORDER_SEQUENCE_NUMBER (what a broker restart under
    // load does at random).
    await (reachable ??= assertReachable());
    const admin = new Kafka({ clientId: 'quarry-test-session', brokers, logLevel: logLevel.NOTHING }).admin();
    const suffix = `${process.pid}-${Date.now()}`;
    const [taken, small] = [`quarry-test-taken-${suffix}`, `quarry-test-small-${suffix}`];
    const bus = createKafkaBus({ brokers, clientId: 'quarry-test-session-bus', logLevel: 'nothing' });
    const message = (text: string) => ({ key: 'k', value: new TextEncoder().encode(text) });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: small, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
      await bus.ensureTopics([taken, small], 1);
      await bus.produce(taken, [message('a')]);
      await assert.rejects(bus.produceMany([{ topic: taken, messages: [message('b')] }, { topic: small, messages: [message('x'.repeat(4000))] }]));
      await bus.produce(taken, [message('c'), message('d')]);
      await bus.produce(taken, [message('e')]);
      const read = (await bus.read(taken)).map((m) => new TextDecoder().decode(m.value));
      assert.deepEqual(read, ['a', 'b', 'c', 'd', 'e']);
    } finally {
      await admin.deleteTopics({ topics: [taken, small] }).catch(() => {});
      await admin.disconnect();
      await bus.close();
    }
  });
});
