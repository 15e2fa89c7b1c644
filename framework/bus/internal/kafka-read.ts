// Reads a topic from the beginning up to its high watermarks at call time, through a
// throwaway consumer group that never commits and is deleted afterwards.
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { QuarryError } from '../../errors/index.ts';
import type { ConsumedMessage } from '../trigger-bus.ts';
import { fromKafkaMessage, kafkaErrorType } from './kafka-convert.ts';

export async function readKafkaTopic(
  kafka: Kafka,
  admin: Admin,
  clientId: string,
  topic: string,
  limit: number,
  timeoutMs: number,
): Promise<ConsumedMessage[]> {
  if (limit === 0) return [];
  let offsets;
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } catch (err) {
    if (kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION') return [];
    throw err;
  }
  // Per partition: the offset to read up to (exclusive); drop empty partitions.
  const until = new Map<number, bigint>();
  for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) until.set(o.partition, BigInt(o.high));
  if (until.size === 0) return [];

  const groupId = `${clientId}.read.${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const got = new Map<number, ConsumedMessage[]>();
  const pending = new Set(until.keys());
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }) => {
        const end = until.get(batch.partition);
        if (end === undefined || !pending.has(batch.partition)) return;
        const list = got.get(batch.partition) ?? [];
        got.set(batch.partition, list);
        for (const m of batch.messages) {
          if (BigInt(m.offset) < end && list.length < limit) list.push(fromKafkaMessage(topic, batch.partition, m));
        }
        // lastOffset() counts control records too, so transactional topics still finish.
        if (BigInt(batch.lastOffset()) + 1n >= end || list.length >= limit) pending.delete(batch.partition);
        if (pending.size === 0) finish();
      },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new QuarryError('BUS_READ_TIMEOUT', `Reading \`${topic}\` did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }
  const all = [...got.entries()].sort(([a], [b]) => a - b).flatMap(([, list]) => list);
  return all.slice(0, limit);
}
