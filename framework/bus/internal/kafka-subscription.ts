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
/**
 * Chunks a partition may have started but not committed, per slot of its concurrency: a slow
 * chunk lets the others run past it up to this far (all of them are redone if the process dies).
 */
const UNCOMMITTED_PER_SLOT = 16;

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
  let active = 0;
  let idle: (() => void) | undefined;
  const lanes = new Map<string, Lane>();
  const laneOf = (topic: string, partition: number): Lane => {
    const k = `${topic}\u0000${partition}`;
    let lane = lanes.get(k);
    if (!lane) lanes.set(k, (lane = new Lane()));
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
      const entry: Running = { first: chunk[0]!.offset, after, settled: false, failed: false, done: Promise.resolve() };
      active += 1;
      lane.inFlight += 1;
      entry.done = o.handleBatch(batch).then(() => undefined, (err: unknown) => {
        cfg.onHandlerError?.(err, batch);
        entry.failed = true;
      }).finally(() => {
        entry.settled = true;
        active -= 1;
        lane.inFlight -= 1;
        advance(topic, partition, lane);
        if (active === 0) idle?.();
      });
      lane.running.push(entry);
      p.resolveOffset(last); // the next fetch starts after it; autoCommit is off, so nothing is committed
    }
    // The next fetch waits for a free slot, so it takes what arrived meanwhile in full chunks
    // instead of one small fetch per message.
    await waitForSlot(lane, p);
  }

  /** A full window holds the partition's fetches: backpressure, with heartbeats meanwhile. */
  async function waitForSlot(lane: Lane, p: EachBatchPayload): Promise<void> {
    while ((lane.inFlight >= concurrency || lane.running.length >= concurrency * UNCOMMITTED_PER_SLOT) && !closingNow && !lane.rewound) {
      await lane.slotFreed(1_000);
      await p.heartbeat(); // a rebalance throws here, and kafkajs rejoins
    }
  }

  /** Commits past the settled head of the window; a failed head rewinds the partition. */
  function advance(topic: string, partition: number, lane: Lane): void {
    if (lane.rewound) return; // the window is being dropped
    while (lane.running[0]?.settled) {
      const head = lane.running.shift()!;
      if (head.failed) {
        lane.rewind(async () => {
          // Let the chunks after it settle (their work is redone: at-least-once), then rewind.
          await Promise.all(lane.running.splice(0).map((r) => r.done));
          await sleep(cfg.redeliveryDelayMs);
          if (closingNow) return;
          try {
            consumer.seek({ topic, partition, offset: head.first }); // seek commits nothing
          } catch {
            // The partition moved to another member meanwhile: it starts at the committed offset.
          }
        });
        return;
      }
      commitSoon(topic, partition, head.after);
    }
    lane.wake();
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
        if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
        clearTimeout(timer);
        await flush();
        await consumer.disconnect();
      })();
      return closing;
    },
  };
}

interface Running {
  first: string;
  /** The offset after its last message: committed once it and every chunk before it resolved. */
  after: string;
  settled: boolean;
  failed: boolean;
  done: Promise<void>;
}

/** One partition's window of chunks in flight, in offset order. */
class Lane {
  /** Started and not yet committed, in offset order (settled ones wait behind an unsettled head). */
  readonly running: Running[] = [];
  /** Started and not yet settled. */
  inFlight = 0;
  /** Set while the partition is rewound to a failed chunk; resolves after the seek. */
  rewound: Promise<void> | undefined;
  private waiters: (() => void)[] = [];

  /** Resolves when a slot may be free (or after `ms`, to heartbeat). */
  slotFreed(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  rewind(work: () => Promise<void>): void {
    this.rewound = work().finally(() => {
      this.rewound = undefined;
      this.wake();
    });
    this.wake();
  }
}
