// The trigger bus port: topics of small messages, consumed in batches by consumer groups,
// with offsets committed only after the handler's work is durable (at-least-once).
// No Kafka type appears here; the Kafka adapter and the embedded adapter both implement it.

export interface BusMessage {
  key: string;
  value: Uint8Array;
  headers?: Record<string, string>;
}

export interface TopicMessages {
  topic: string;
  messages: readonly BusMessage[];
}

export interface ConsumedMessage extends BusMessage {
  topic: string;
  partition: number;
  offset: string;
  timestampMs: number;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: readonly ConsumedMessage[];
  /** Lag of this partition after the batch, as far as the adapter knows (messages). */
  lag: number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: readonly string[];
  /**
   * Called once per batch. Once it resolves, every message of the batch is committed (soon:
   * adapters may gather commits for a few milliseconds, and always commit before a close
   * returns); when it rejects, nothing is committed and the batch is delivered again.
   */
  handleBatch(batch: ConsumedBatch): Promise<void>;
  /** Upper bound on messages in one batch (adapters may deliver fewer). */
  maxBatchSize?: number;
  /**
   * Batches of one partition handled at once (default 1). They may finish in any order; offsets
   * are still committed in order, only past batches whose handlers all resolved.
   */
  concurrency?: number;
  /** Start from the earliest retained message when the group has no offset. Default true. */
  fromBeginning?: boolean;
}

export interface Subscription {
  /** Stop consuming; resolves when the in-flight batch has finished and been committed. */
  close(): Promise<void>;
}

export interface TopicLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface TriggerBus {
  /**
   * Create the topics if they do not exist (idempotent). `compacted`: Kafka keeps the last
   * message per key (cleanup.policy=compact), for records read by key; the embedded bus keeps all.
   */
  ensureTopics(topics: readonly string[], partitions?: number, options?: { compacted?: boolean }): Promise<void>;
  /** Resolves once every message is durably appended (acks=all on Kafka). */
  produce(topic: string, messages: readonly BusMessage[]): Promise<void>;
  /** Several topics' messages in one go (one request to a Kafka broker); durable when it resolves. */
  produceMany(batches: readonly TopicMessages[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Consumer lag of a group on the given topics. */
  lag(groupId: string, topics: readonly string[]): Promise<TopicLag[]>;
  /** Read a topic from the beginning without committing (for `quarry dlq list`, `inspect`). */
  read(topic: string, options?: { limit?: number }): Promise<ConsumedMessage[]>;
  close(): Promise<void>;
}
