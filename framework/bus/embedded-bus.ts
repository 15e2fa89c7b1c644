// The in-process TriggerBus: one append-only log per topic (a single partition), committed
// offsets per consumer group, and the same at-least-once rule as Kafka: a batch is committed
// only when its handler and every batch before it resolved, and redelivered after it rejects.
import type {
  BusMessage,
  ConsumedBatch,
  ConsumedMessage,
  SubscribeOptions,
  Subscription,
  TopicLag,
  TriggerBus,
} from './trigger-bus.ts';
import { ChunkWindow } from './internal/chunk-window.ts';
import {
  busClosedError,
  checkMessages,
  checkPartitions,
  checkReadLimit,
  checkSubscribeOptions,
  checkTopics,
} from './internal/validate.ts';

export interface EmbeddedBusOptions {
  /** Clock for message timestamps. Default `Date.now`. */
  now?: () => number;
  /** Pause before redelivering a batch whose handler rejected. Default 50 ms. */
  redeliveryDelayMs?: number;
  /** Default upper bound on a batch when the subscriber gives none. Default 500. */
  defaultMaxBatchSize?: number;
}

interface StoredMessage {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  timestampMs: number;
}

interface Member {
  topics: readonly string[];
  closing: boolean;
}

interface Group {
  committed: Map<string, number>;
  /** In join order: the first live member subscribed to a topic owns its only partition. */
  members: Member[];
}

const PARTITION = 0;
/** One topic's window, where its next batch starts, and when a rewound one may be delivered again. */
interface Lane {
  window: ChunkWindow<number>;
  next: number;
  retryAtMs: number;
}

export function createEmbeddedBus(options: EmbeddedBusOptions = {}): TriggerBus {
  const now = options.now ?? Date.now;
  const redeliveryDelayMs = options.redeliveryDelayMs ?? 50;
  const defaultMax = options.defaultMaxBatchSize ?? 500;
  const logs = new Map<string, StoredMessage[]>();
  const groups = new Map<string, Group>();
  const subscriptions = new Set<Subscription>();
  let closed = false;

  // One shared "something changed" signal: produce, join, leave and close all fire it.
  let changed = signal();
  const notify = (): void => {
    changed.resolve();
    changed = signal();
  };

  const logOf = (topic: string): StoredMessage[] => {
    let log = logs.get(topic);
    if (log === undefined) {
      log = [];
      logs.set(topic, log);
    }
    return log;
  };
  const groupOf = (groupId: string): Group => {
    let group = groups.get(groupId);
    if (group === undefined) {
      group = { committed: new Map(), members: [] };
      groups.set(groupId, group);
    }
    return group;
  };
  const assertOpen = (): void => {
    if (closed) throw busClosedError('embedded');
  };
  const toConsumed = (topic: string, m: StoredMessage, offset: number): ConsumedMessage => ({
    topic,
    partition: PARTITION,
    offset: String(offset),
    key: m.key,
    value: m.value.slice(),
    headers: { ...m.headers },
    timestampMs: m.timestampMs,
  });

  async function runMember(group: Group, member: Member, o: SubscribeOptions): Promise<void> {
    const max = o.maxBatchSize ?? defaultMax;
    const window = Math.max(1, o.concurrency ?? 1);
    const lanes = new Map<string, Lane>();
    const laneOf = (topic: string): Lane => {
      let lane = lanes.get(topic);
      if (!lane) {
        const l: Lane = {
          next: 0,
          retryAtMs: 0,
          window: new ChunkWindow<number>(window, {
            commit: (after) => group.committed.set(topic, after),
            rewind: async () => {
              l.retryAtMs = Date.now() + redeliveryDelayMs;
            },
            settled: notify,
          }),
        };
        lanes.set(topic, (lane = l));
      }
      return lane;
    };
    while (!member.closing) {
      const wake = changed.promise;
      let retryInMs: number | undefined;
      for (const topic of member.topics) {
        if (member.closing) break;
        const owner = group.members.find((m) => !m.closing && m.topics.includes(topic));
        if (owner !== member) continue;
        const lane = laneOf(topic);
        // An empty window starts at the committed offset (first delivery, takeover, redelivery).
        if (lane.window.empty && !lane.window.rewound) lane.next = group.committed.get(topic) ?? 0;
        const wait = lane.retryAtMs - Date.now();
        if (wait > 0) {
          retryInMs = Math.min(retryInMs ?? wait, wait);
          continue;
        }
        const log = logOf(topic);
        while (lane.window.hasSlot && lane.next < log.length) {
          const start = lane.next;
          const end = Math.min(log.length, start + max);
          const batch: ConsumedBatch = { topic, partition: PARTITION, messages: log.slice(start, end).map((m, i) => toConsumed(topic, m, start + i)), lag: log.length - end };
          lane.window.start(start, end, () => o.handleBatch(batch));
          lane.next = end;
        }
      }
      await (retryInMs === undefined ? wake : Promise.race([wake, sleep(retryInMs)]));
    }
    // Closing: what runs finishes, and is committed, before the member leaves.
    await Promise.all([...lanes.values()].map((l) => l.window.drain()));
  }

  return {
    async ensureTopics(topics, partitions) {
      assertOpen();
      checkTopics(topics, 'ensureTopics');
      checkPartitions(partitions);
      for (const t of topics) logOf(t);
    },

    async produce(topic, messages: readonly BusMessage[]) {
      assertOpen();
      checkMessages(topic, messages);
      const log = logOf(topic);
      const ts = now();
      for (const m of messages) {
        log.push({ key: m.key, value: m.value.slice(), headers: { ...m.headers }, timestampMs: ts });
      }
      if (messages.length > 0) notify();
    },

    async produceMany(batches) {
      assertOpen();
      for (const b of batches) checkMessages(b.topic, b.messages);
      const ts = now();
      let any = false;
      for (const b of batches) {
        const log = logOf(b.topic);
        for (const m of b.messages) log.push({ key: m.key, value: m.value.slice(), headers: { ...m.headers }, timestampMs: ts });
        any ||= b.messages.length > 0;
      }
      if (any) notify();
    },

    async subscribe(o) {
      assertOpen();
      checkSubscribeOptions(o);
      const group = groupOf(o.groupId);
      for (const topic of o.topics) {
        const log = logOf(topic);
        if (!group.committed.has(topic) && o.fromBeginning === false) group.committed.set(topic, log.length);
      }
      const member: Member = { topics: [...new Set(o.topics)], closing: false };
      group.members.push(member);
      const loop = runMember(group, member, o);
      notify();
      let closing: Promise<void> | undefined;
      const subscription: Subscription = {
        close() {
          closing ??= (async () => {
            member.closing = true;
            notify();
            await loop;
            group.members = group.members.filter((m) => m !== member);
            subscriptions.delete(subscription);
            notify(); // another member of the group may take over its topics
          })();
          return closing;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async lag(groupId, topics): Promise<TopicLag[]> {
      assertOpen();
      checkTopics(topics, 'lag');
      const committed = groups.get(groupId)?.committed;
      // Like Kafka: a topic that does not exist has no partitions, hence no entries.
      return [...new Set(topics)].filter((t) => logs.has(t)).map((topic) => {
        const end = logs.get(topic)?.length ?? 0;
        return { topic, partition: PARTITION, lag: Math.max(0, end - (committed?.get(topic) ?? 0)) };
      });
    },

    async read(topic, readOptions = {}) {
      assertOpen();
      checkTopics([topic], 'read');
      checkReadLimit(readOptions.limit);
      const log = logs.get(topic) ?? [];
      const limit = readOptions.limit ?? log.length;
      return log.slice(0, limit).map((m, i) => toConsumed(topic, m, i));
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
    },
  };
}

function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
