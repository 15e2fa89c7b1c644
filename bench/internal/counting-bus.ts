// Wrap a TriggerBus so every produced message is counted per topic (key + value + headers
// bytes), without changing what the bus does.
import type { BusMessage, TriggerBus } from '../../framework/bus/index.ts';

export interface TopicTally {
  messages: number;
  valueBytes: number;
  keyBytes: number;
}

export interface CountingBus extends TriggerBus {
  tally(): ReadonlyMap<string, TopicTally>;
  reset(): void;
}

const enc = new TextEncoder();
const headerBytes = (m: BusMessage): number =>
  Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + enc.encode(k).length + enc.encode(v).length, 0);

export function countingBus(inner: TriggerBus): CountingBus {
  let tallies = new Map<string, TopicTally>();
  return {
    ensureTopics: (topics, partitions) => inner.ensureTopics(topics, partitions),
    subscribe: (options) => inner.subscribe(options),
    lag: (groupId, topics) => inner.lag(groupId, topics),
    read: (topic, options) => inner.read(topic, options),
    close: () => inner.close(),
    async produce(topic, messages) {
      await inner.produce(topic, messages);
      // Counted once durably produced, so a rejected produce (retried by the miner) is not counted twice.
      const t = tallies.get(topic) ?? { messages: 0, valueBytes: 0, keyBytes: 0 };
      for (const m of messages) {
        t.messages++;
        t.valueBytes += m.value.length;
        t.keyBytes += enc.encode(m.key).length + headerBytes(m);
      }
      tallies.set(topic, t);
    },
    tally: () => tallies,
    reset() {
      tallies = new Map();
    },
  };
}
