// One consumer-group member on Kafka. A fetched batch is cut into chunks of `maxBatchSize`; up to
// `concurrency` chunks per partition are handled at once, across fetches: a chunk's messages are
// marked fetched as soon as it starts, so the next fetch of its partition does not wait for the
// slowest chunk before it (one slow item never holds back the items behind it while the
// partition has a free slot). Offsets are committed by hand, in order, only past
// chunks whose handlers all resolved; a rejected chunk is not committed and the partition is
// rewound to its first message once the chunks in its window settled, so the same messages come
// again (at-least-once).
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { QuarryError } from '../../errors/index.ts';
import type { ConsumedBatch, SubscribeOptions, Subscription } from '../trigger-bus.ts';
import { ChunkWindow } from './chunk-window.ts';
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

  // Closing: chunks in flight finish (and their offsets are committed) before the member leaves.
  let closingNow = false;
  const lanes = new Map<string, ChunkWindow<string>>();
  const laneOf = (topic: string, partition: number): ChunkWindow<string> => {
    const k = `${topic}\u0000${partition}`;
    let lane = lanes.get(k);
    if (!lane) {
      lane = new ChunkWindow<string>(concurrency, {
        commit: (after) => commitSoon(topic, partition, after),
        async rewind(first) {
          await sleep(cfg.redeliveryDelayMs);
          if (closingNow) return;
          try {
            consumer.seek({ topic, partition, offset: first }); // seek commits nothing
          } catch {
            // The partition moved to another member meanwhile: it starts at the committed offset.
          }
        },
      });
      lanes.set(k, lane);
    }
    return lane;
  };

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const { topic, partition } = p.batch;
    const lane = laneOf(topic, partition);
    // Rewinding: hold this partition's fetches until the seek; what was fetched comes again.
    if (lane.rewound) await lane.rewound;
    const high = BigInt(p.batch.highWatermark);
    const all = p.batch.messages;
    for (let i = 0; i < all.length; i += max) {
      await waitForSlot(lane, p);
      // Closing, rewinding or seeked: start nothing more; unstarted messages are fetched again.
      if (closingNow || lane.rewound || !p.isRunning() || p.isStale()) return;
      const chunk = all.slice(i, i + max);
      const last = chunk[chunk.length - 1]!.offset;
      const after = nextOffset(last);
      const lag = high > BigInt(after) ? Number(high - BigInt(after)) : 0;
      const batch: ConsumedBatch = { topic, partition, messages: chunk.map((m) => fromKafkaMessage(topic, partition, m)), lag };
      lane.start(chunk[0]!.offset, after, () => o.handleBatch(batch).catch((err: unknown) => {
        cfg.onHandlerError?.(err, batch);
        throw err;
      }));
      p.resolveOffset(last); // the next fetch starts after it; autoCommit is off, so nothing is committed
    }
    // The next fetch waits for a free slot, so it takes what arrived meanwhile in full chunks
    // instead of one small fetch per message.
    await waitForSlot(lane, p);
  }

  /** A full window holds the partition's fetches: backpressure, with heartbeats meanwhile. */
  async function waitForSlot(lane: ChunkWindow<string>, p: EachBatchPayload): Promise<void> {
    while (!lane.hasSlot && !closingNow && !lane.rewound) {
      await lane.settledOrAfter(1_000);
      await p.heartbeat(); // a rebalance throws here, and kafkajs rejoins
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
      // Chunks in flight finish, and their offsets are committed, before the member leaves.
      closing ??= (async () => {
        closingNow = true;
        for (const lane of lanes.values()) lane.wake();
        await crashWatch.stop();
        await Promise.all([...lanes.values()].map((lane) => lane.drain()));
        clearTimeout(timer);
        await flush();
        await consumer.disconnect();
      })();
      return closing;
    },
  };
}

