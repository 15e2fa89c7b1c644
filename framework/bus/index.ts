/**
 * The trigger bus: topics of small trigger messages, consumed in batches by consumer groups,
 * committed only after the handler's work is durable (at-least-once). Two adapters share one
 * contract (`framework/testing/bus-contract.ts`): Kafka for real deployments, embedded for one
 * process and tests.
 *
 *   const bus = createKafkaBus({ brokers: ['127.0.0.1:9092'], clientId: 'miner-1' });
 *   // or: const bus = createEmbeddedBus();
 *   await bus.ensureTopics(['page-ingest.spider']);
 *   await bus.produce('page-ingest.spider', [{ key: itemKey, value: triggerBytes }]);
 *   const sub = await bus.subscribe({
 *     groupId: 'page-ingest.spider', topics: ['page-ingest.spider'], maxBatchSize: 64,
 *     async handleBatch(batch) { await runNode(batch.messages); }, // reject → redelivered
 *   });
 *   await sub.close(); await bus.close();
 */
export type {
  BusMessage,
  ConsumedBatch,
  ConsumedMessage,
  SubscribeOptions,
  Subscription,
  TopicLag,
  TopicMessages,
  TriggerBus,
} from './trigger-bus.ts';
export { createEmbeddedBus, type EmbeddedBusOptions } from './embedded-bus.ts';
export { createKafkaBus, type KafkaBusOptions, type KafkaBusLogLevel } from './kafka-bus.ts';
export { restartOnCrash, type RestartOnCrash } from './internal/restart-on-crash.ts';
export { createServedTopics, patientRead } from './internal/kafka-admin.ts';
