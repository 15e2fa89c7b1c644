// The "fat message" baseline: what Kafka pays when each trigger carries the whole tuple instead
// of a reference. It produces, through the same Kafka bus and batching (64 messages per produce, fewer when that
// would pass Kafka's 1 MB batch limit,
// `parallel` produces in flight, acks=all), `items × hops` messages of (trigger + tuple) bytes,
// and the same number of reference-sized messages (the measured average trigger), into fresh
// one-partition topics, and times both. It measures the Kafka produce path only: no consumer,
// no operator call, no side-cache; so its ratios isolate the bus cost of fat vs thin messages.
import { randomBytes } from 'node:crypto';
import type { PlainProducer } from './quarry-adapter.ts';

export interface ProduceRun {
  messages: number;
  bytesPerMessage: number;
  messagesPerProduce: number;
  elapsedMs: number;
  messagesPerSec: number;
  mbPerSec: number;
  /** messages/s ÷ hops per item: items/s the bus alone could carry. */
  itemsPerSecBound: number;
}

export async function timeProduce(bus: PlainProducer, topic: string, opts: { messages: number; bytes: number; hopsPerItem: number; parallel?: number }): Promise<ProduceRun> {
  await bus.ensureTopics([topic]);
  const value = randomBytes(opts.bytes);
  // Kafka refuses a record batch over max.message.bytes (1 MB by default), so a fat producer
  // must split: at most 64 messages and ~900 KB per produce call.
  const batch = Math.max(1, Math.min(64, Math.floor(900_000 / opts.bytes)));
  const parallel = opts.parallel ?? 4;
  // One warm-up produce so the connection and the topic's leader are known before timing.
  await bus.produce(topic, [{ key: 'warm', value }]);
  let next = 0;
  const start = Date.now();
  const worker = async () => {
    while (next < opts.messages) {
      const n = Math.min(batch, opts.messages - next);
      const from = next;
      next += n;
      await bus.produce(topic, Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value })));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const elapsedMs = Date.now() - start;
  const messagesPerSec = (opts.messages * 1000) / elapsedMs;
  return {
    messages: opts.messages,
    bytesPerMessage: opts.bytes,
    messagesPerProduce: batch,
    elapsedMs,
    messagesPerSec: Math.round(messagesPerSec),
    mbPerSec: Math.round((messagesPerSec * opts.bytes) / 1e4) / 100,
    itemsPerSecBound: Math.round(messagesPerSec / opts.hopsPerItem),
  };
}
