// One consumer-group member on Kafka. Offsets are committed by hand, per batch, only after
// the handler resolved; a rejected batch is not committed and the partition is rewound to
// its first message, so the same messages come again (at-least-once).
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { QuarryError } from '../../errors/index.ts';
import type { ConsumedBatch, SubscribeOptions, Subscription } from '../trigger-bus.ts';
import { fromKafkaMessage, nextOffset, sleep } from './kafka-convert.ts';

export interface KafkaSubscriptionConfig {
  redeliveryDelayMs: number;
  maxWaitTimeMs: number;
  joinTimeoutMs: number;
  defaultMaxBatchSize: number;
  onHandlerError: ((err: unknown, batch: ConsumedBatch) => void) | undefined;
}

export async function subscribeKafka(
  kafka: Kafka,
  o: SubscribeOptions,
  cfg: KafkaSubscriptionConfig,
): Promise<Subscription> {
  const max = o.maxBatchSize ?? cfg.defaultMaxBatchSize;
  const consumer = kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: cfg.maxWaitTimeMs,
  });

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const { topic, partition } = p.batch;
    const high = BigInt(p.batch.highWatermark);
    const all = p.batch.messages;
    for (let i = 0; i < all.length; i += max) {
      if (!p.isRunning() || p.isStale()) return;
      const chunk = all.slice(i, i + max);
      const first = chunk[0]!.offset;
      const next = nextOffset(chunk[chunk.length - 1]!.offset);
      const lag = high > BigInt(next) ? Number(high - BigInt(next)) : 0;
      const batch: ConsumedBatch = { topic, partition, messages: chunk.map((m) => fromKafkaMessage(topic, partition, m)), lag };
      try {
        await o.handleBatch(batch);
      } catch (err) {
        cfg.onHandlerError?.(err, batch);
        await sleep(cfg.redeliveryDelayMs);
        consumer.seek({ topic, partition, offset: first }); // autoCommit is off: seek commits nothing
        return;
      }
      for (const m of chunk) p.resolveOffset(m.offset);
      await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
      await p.heartbeat();
    }
  }

  let joined = (): void => {};
  const join = new Promise<void>((resolve) => {
    joined = resolve;
  });
  const stopListening = consumer.on(consumer.events.GROUP_JOIN, () => joined());
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
    // Resolve only once the member holds its assignment, so "subscribed" means consuming.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new QuarryError('BUS_JOIN_TIMEOUT', `Group \`${o.groupId}\` did not join within ${cfg.joinTimeoutMs} ms`)),
        cfg.joinTimeoutMs,
      );
    });
    await Promise.race([join, timeout]).finally(() => clearTimeout(timer));
  } catch (err) {
    stopListening();
    await consumer.disconnect().catch(() => {});
    throw err;
  } finally {
    stopListening();
  }

  let closing: Promise<void> | undefined;
  return {
    close() {
      // disconnect() stops the runner, which waits for the in-flight batch (and its commit).
      closing ??= consumer.disconnect();
      return closing;
    },
  };
}
