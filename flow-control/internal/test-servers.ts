import { createConnection } from 'node:net';
import { DEFAULT_TEST_REDIS_CLUSTER } from '../../framework/testing/index.ts';

export const kafkaBrokers = () => (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const redisUrl = () => process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
export const redisClusterUrl = () => process.env.QUARRY_TEST_REDIS_CLUSTER ?? DEFAULT_TEST_REDIS_CLUSTER;

const reach = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = createConnection({ host, port, timeout: 2_000 });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
  s.once('timeout', () => { s.destroy(); resolve(false); });
});

/** Tests that need Kafka and Redis (and the Redis Cluster) fail loudly (never skip) when they are not reachable. */
export async function requireServers(options: { cluster?: boolean } = {}): Promise<void> {
  const [kh, kp] = kafkaBrokers()[0]!.split(':');
  const r = new URL(redisUrl());
  const problems: string[] = [];
  if (!(await reach(kh!, Number(kp)))) problems.push(`Kafka not reachable at ${kafkaBrokers().join(',')} (QUARRY_TEST_KAFKA_BROKERS); start it with scripts/services.sh`);
  if (!(await reach(r.hostname, Number(r.port || 6379)))) problems.push(`Redis not reachable at ${redisUrl()} (QUARRY_TEST_REDIS_URL)`);
  if (options.cluster) {
    for (const seed of redisClusterUrl().split(',')) {
      const u = new URL(seed.trim());
      if (!(await reach(u.hostname, Number(u.port || 6379)))) problems.push(`Redis Cluster node not reachable at ${seed} (QUARRY_TEST_REDIS_CLUSTER); start it with scripts/services.sh start redis-cluster`);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
}
