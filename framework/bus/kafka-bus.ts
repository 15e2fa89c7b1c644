// The Kafka TriggerBus (kafkajs): an idempotent producer with acks=all, consumer groups that
// commit by hand after each handled batch, lag from committed vs end offsets, and `read`
// through a throwaway group. Nothing Kafka-specific crosses the port.
import { Kafka, Partitioners, logLevel as kafkaLogLevel, type Admin } from 'kafkajs';
import { ConfigError, type ConfigProblem } from '../errors/index.ts';
import type { ConsumedBatch, Subscription, TopicLag, TriggerBus } from './trigger-bus.ts';
import {
  busClosedError,
  checkMessages,
  checkPartitions,
  checkReadLimit,
  checkSubscribeOptions,
  checkTopics,
} from './internal/validate.ts';
import { kafkaErrorType, toKafkaMessage } from './internal/kafka-convert.ts';
import { subscribeKafka } from './internal/kafka-subscription.ts';
import { coalesceProduces } from './internal/produce-coalescer.ts';
import { readKafkaTopic } from './internal/kafka-read.ts';
import { quietLogCreator } from './internal/kafka-log.ts';
import { createServedTopics, patientRead } from './internal/kafka-admin.ts';

export type KafkaBusLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaBusOptions {
  /** `host:port` of at least one broker. */
  brokers: readonly string[];
  clientId: string;
  /** kafkajs's own logging. Default `error` (it is chatty at `info`). */
  logLevel?: KafkaBusLogLevel;
  /** Pause before a rejected batch is fetched again. Default 100 ms. */
  redeliveryDelayMs?: number;
  /** Longest a fetch waits for new messages; also bounds how long `close` waits. Default 500 ms. */
  maxWaitTimeMs?: number;
  /** `subscribe` resolves once the member joined its group; fail after this. Default 30 s. */
  joinTimeoutMs?: number;
  /** `read` gives up after this. Default 30 s. */
  readTimeoutMs?: number;
  /** Batch size when the subscriber gives no `maxBatchSize`. Default 500. */
  defaultMaxBatchSize?: number;
  /** Told about every rejected batch (which will be redelivered). */
  onHandlerError?: (err: unknown, batch: ConsumedBatch) => void;
}

const LOG_LEVELS: Record<KafkaBusLogLevel, kafkaLogLevel> = {
  nothing: kafkaLogLevel.NOTHING,
  error: kafkaLogLevel.ERROR,
  warn: kafkaLogLevel.WARN,
  info: kafkaLogLevel.INFO,
  debug: kafkaLogLevel.DEBUG,
};

function checkOptions(o: KafkaBusOptions): void {
  const problems: ConfigProblem[] = [];
  if (!Array.isArray(o?.brokers) || o.brokers.length === 0 || o.brokers.some((b) => typeof b !== 'string' || !/^[^\s:]+:\d+$/.test(b))) {
    problems.push({ field: 'brokers', expected: 'a non-empty array of "host:port" strings', received: o?.brokers });
  }
  if (typeof o?.clientId !== 'string' || o.clientId.length === 0) {
    problems.push({ field: 'clientId', expected: 'a non-empty string', received: o?.clientId });
  }
  if (o?.logLevel !== undefined && !(o.logLevel in LOG_LEVELS)) {
    problems.push({ field: 'logLevel', expected: `one of ${Object.keys(LOG_LEVELS).join('|')}`, received: o.logLevel });
  }
  for (const field of ['redeliveryDelayMs', 'maxWaitTimeMs', 'joinTimeoutMs', 'readTimeoutMs', 'defaultMaxBatchSize'] as const) {
    const v = o?.[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < (field === 'redeliveryDelayMs' ? 0 : 1))) {
      problems.push({ field, expected: `an integer ≥ ${field === 'redeliveryDelayMs' ? 0 : 1}`, received: v });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'Kafka bus options');
}

/** A connection opened on first use and shared; `forget` drops it, so the next `get` opens anew. */
function lazyConnection<T>(open: () => Promise<T>) {
  let current: Promise<T> | undefined;
  const forget = (p: Promise<T>): void => {
    if (current === p) current = undefined;
  };
  return {
    get(): Promise<T> {
      if (current) return current;
      const p = open();
      p.catch(() => forget(p));
      return (current = p);
    },
    forget,
    current: (): Promise<T> | undefined => current,
  };
}

export function createKafkaBus(options: KafkaBusOptions): TriggerBus {
  checkOptions(options);
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: LOG_LEVELS[options.logLevel ?? 'error'],
    logCreator: quietLogCreator,
    connectionTimeout: 3_000,
  });
  const subConfig = {
    redeliveryDelayMs: options.redeliveryDelayMs ?? 100,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 500,
    joinTimeoutMs: options.joinTimeoutMs ?? 30_000,
    defaultMaxBatchSize: options.defaultMaxBatchSize ?? 500,
    onHandlerError: options.onHandlerError,
  };
  const subscriptions = new Set<Subscription>();
  let closed = false;

  // Connections open on first use and are shared by every call; one that failed to open is
  // opened anew on the next call.
  const producer = lazyConnection(async () => {
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Explicit partitioner: keys hash as in the Java client, and no kafkajs v2 warning.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await p.connect();
    return p;
  });
  const admin = lazyConnection(async () => {
    const a = kafka.admin();
    await a.connect();
    return a;
  });
  // A failed request ends its producer session: the next one starts a new session (a new
  // producer id, sequences from 0). kafkajs rewinds the sequence of every partition of a failed
  // request, also of those the broker did append (a request refused in part, or a broker killed
  // after its append), and the same session would then be refused there with
  // OUT_OF_ORDER_SEQUENCE_NUMBER for good.
  const send = coalesceProduces(async (batches) => {
    const session = producer.get();
    try {
      const p = await session;
      await p.sendBatch({ acks: -1, topicMessages: batches.map((b) => ({ topic: b.topic, messages: b.messages.map(toKafkaMessage) })) });
    } catch (err) {
      producer.forget(session);
      void session.then((p) => p.disconnect()).catch(() => {});
      throw err;
    }
  });
  const getAdmin = admin.get;
  const assertOpen = (): void => {
    if (closed) throw busClosedError('Kafka');
  };

  return {
    async ensureTopics(topics, partitions, options = {}) {
      assertOpen();
      checkTopics(topics, 'ensureTopics');
      checkPartitions(partitions);
      if (topics.length === 0) return;
      const a = await getAdmin();
      await createServedTopics(a, [...new Set(topics)].map((topic) => ({
        topic, numPartitions: partitions ?? 1,
        ...(options.compacted ? { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] } : {}),
      })), subConfig.joinTimeoutMs);
    },

    async produce(topic, messages) {
      assertOpen();
      checkMessages(topic, messages);
      if (messages.length > 0) await send([{ topic, messages }]);
    },

    async produceMany(batches) {
      assertOpen();
      for (const b of batches) checkMessages(b.topic, b.messages);
      const some = batches.filter((b) => b.messages.length > 0);
      if (some.length > 0) await send(some);
    },

    async subscribe(o) {
      assertOpen();
      checkSubscribeOptions(o);
      const sub = await subscribeKafka(kafka, o, subConfig);
      const tracked: Subscription = {
        async close() {
          await sub.close();
          subscriptions.delete(tracked);
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    async lag(groupId, topics): Promise<TopicLag[]> {
      assertOpen();
      checkTopics(topics, 'lag');
      const a = await getAdmin();
      const result: TopicLag[] = [];
      const ends = new Map<string, Awaited<ReturnType<Admin['fetchTopicOffsets']>>>();
      for (const topic of new Set(topics)) {
        try {
          ends.set(topic, await patientRead(() => a.fetchTopicOffsets(topic)));
        } catch (err) {
          if (kafkaErrorType(err) !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
        }
      }
      if (ends.size === 0) return [];
      const committed = await patientRead(() => a.fetchOffsets({ groupId, topics: [...ends.keys()] }));
      for (const [topic, partitions] of ends) {
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const p of [...partitions].sort((x, y) => x.partition - y.partition)) {
          const c = BigInt(mine.find((m) => m.partition === p.partition)?.offset ?? '-1');
          const from = c >= 0n ? c : BigInt(p.low);
          const high = BigInt(p.high);
          result.push({ topic, partition: p.partition, lag: high > from ? Number(high - from) : 0 });
        }
      }
      return result;
    },

    async read(topic, readOptions = {}) {
      assertOpen();
      checkTopics([topic], 'read');
      checkReadLimit(readOptions.limit);
      const limit = readOptions.limit ?? Number.MAX_SAFE_INTEGER;
      return readKafkaTopic(kafka, await getAdmin(), options.clientId, topic, limit, options.readTimeoutMs ?? 30_000);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await Promise.all([
        producer.current()?.then((x) => x.disconnect()).catch(() => {}),
        admin.current()?.then((x) => x.disconnect()).catch(() => {}),
      ]);
    },
  };
}
