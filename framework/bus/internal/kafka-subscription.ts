// One consumer-group member on Kafka. A fetched batch is cut into chunks of `maxBatchSize`; up to
// `concurrency` chunks are handled at once. Offsets are committed by hand, in order, only past
// chunks whose handlers all resolved; a rejected chunk is not committed and the partition is
// rewound to its first message once the chunks before it settled, so the same messages come
// again (at-least-once).
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { QuarryError } from '../../errors/index.ts';
import type { ConsumedBatch, SubscribeOptions, Subscription } from '../trigger-bus.ts';
import { fromKafkaMessage, nextOffset, sleep } from './kafka-convert.ts';
import { restartOnCrash } from './restart-on-crash.ts';

export interface KafkaSubscriptionConfig {
  redeliveryDelayMs: number;
  maxWaitTimeMs: number;
  joinTimeoutMs: number;
  defaultMaxBatchSize: number;
  onHandlerError: ((err: unknown, batch: ConsumedBatch) => void) | undefined;
}

const COMMIT_EVERY_MS = 100;

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

  const concurrency = o.concurrency ?? 1;

  // Offsets are committed at most every COMMIT_EVERY_MS, not per batch: a crash redoes at most
  // that much work (handlers are idempotent), and a busy node sends a few commits a second
  // instead of one per batch.
  const pending = new Map<string, { topic: string; partition: number; offset: string }>();
  let timer: NodeJS.Timeout | undefined;
  const flush = async (): Promise<void> => {
    timer = undefined;
    if (pending.size === 0) return;
    const offsets = [...pending.values()];
    pending.clear();
    // A partition that moved to another member meanwhile refuses the commit: it redelivers (at-least-once).
    await consumer.commitOffsets(offsets).catch(() => undefined);
  };
  const commitSoon = (topic: string, partition: number, offset: string): void => {
    pending.set(`${topic}\u0000${partition}`, { topic, partition, offset });
    timer ??= setTimeout(() => void flush(), COMMIT_EVERY_MS);
  };

  // Closing: batches in flight finish (and their offsets are committed) before the member leaves.
  let closingNow = false;
  let active = 0;
  let idle: (() => void) | undefined;

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    if (closingNow) return; // not resolved, not committed: it comes again to whoever consumes next
    active += 1;
    try {
      await handleFetched(p);
    } finally {
      active -= 1;
      if (active === 0) idle?.();
    }
  }

  async function handleFetched(p: EachBatchPayload): Promise<void> {
    const { topic, partition } = p.batch;
    const high = BigInt(p.batch.highWatermark);
    const all = p.batch.messages;
    const chunks: (typeof all)[] = [];
    for (let i = 0; i < all.length; i += max) chunks.push(all.slice(i, i + max));
    // A sliding window of chunks in flight; the head is committed as soon as it and every chunk
    // before it resolved.
    const running: { chunk: (typeof all); done: Promise<unknown> }[] = [];
    let next = 0;

    const launch = (): void => {
      const chunk = chunks[next++]!;
      const after = nextOffset(chunk[chunk.length - 1]!.offset);
      const lag = high > BigInt(after) ? Number(high - BigInt(after)) : 0;
      const batch: ConsumedBatch = { topic, partition, messages: chunk.map((m) => fromKafkaMessage(topic, partition, m)), lag };
      const done = o.handleBatch(batch).then(() => undefined, (err: unknown) => {
        cfg.onHandlerError?.(err, batch);
        return err instanceof Error ? err : new Error(String(err));
      });
      running.push({ chunk, done });
    };
    while (running.length > 0 || next < chunks.length) {
      // Closing (or the partition moved): finish what runs, start nothing new.
      if (!closingNow && p.isRunning() && !p.isStale()) while (next < chunks.length && running.length < concurrency) launch();
      const head = running.shift();
      if (!head) return;
      const failed = await head.done;
      if (failed) {
        // Let the chunks after it settle (their work is redone: at-least-once), then rewind.
        await Promise.all(running.splice(0).map((r) => r.done));
        await sleep(cfg.redeliveryDelayMs);
        consumer.seek({ topic, partition, offset: head.chunk[0]!.offset }); // autoCommit is off: seek commits nothing
        return;
      }
      if (p.isStale()) continue; // another member owns the partition now: its offsets are not ours to commit
      for (const m of head.chunk) p.resolveOffset(m.offset);
      commitSoon(topic, partition, nextOffset(head.chunk[head.chunk.length - 1]!.offset));
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

  const crashWatch = restartOnCrash(consumer, `consumer of group ${o.groupId}`, async () => {
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
  }, { isClosing: () => closingNow, baseDelayMs: cfg.redeliveryDelayMs });

  let closing: Promise<void> | undefined;
  return {
    close() {
      // stop() waits for the in-flight batches; their offsets are committed before the member leaves.
      closing ??= (async () => {
        closingNow = true;
        await crashWatch.stop();
        if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
        clearTimeout(timer);
        await flush();
        await consumer.disconnect();
      })();
      return closing;
    },
  };
}
