// Runs the TriggerBus contract against the real broker (QUARRY_TEST_KAFKA_BROKERS,
// default 127.0.0.1:9092). Start it with `bash scripts/services.sh start kafka`.
import { Kafka, logLevel } from 'kafkajs';
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
