import { Kafka, logLevel, type Consumer, type Producer, type Admin } from 'kafkajs';
import type { Backlog } from '../backlog.ts';
import { decodeGateItem, encodeGateItem, PRIORITIES, type GateItem, type Priority } from '../gate-item.ts';
import { createServedTopics, patientRead, restartOnCrash } from '../../framework/bus/index.ts';

export interface KafkaBacklogOptions {
  brokers: string[];
  /** Topics are `<topicPrefix>.high|normal|low`. */
  topicPrefix: string;
  groupId: string;
  clientId?: string;
  partitions?: number;
  /** Items fetched ahead per class before the class's topic is paused. */
  bufferMax?: number;
  /** Only read sizes (for `quarry gate stats`): never join the group or consume. */
  inspectOnly?: boolean;
}

interface Delivered { item: GateItem; topic: string; partition: number; offset: bigint }

/**
 * One topic per class, one consumer group. The consumer pauses a topic as soon as its
 * buffer is full, so Kafka hands the gate items only as fast as admission releases them;
 * offsets are committed only past items that were acked (admission done), so a crash
 * redelivers anything not yet admitted.
 */
export async function createKafkaBacklog(opts: KafkaBacklogOptions): Promise<Backlog> {
  const kafka = new Kafka({ clientId: opts.clientId ?? 'quarry-gate', brokers: opts.brokers, logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 } });
  const topic = (p: Priority) => `${opts.topicPrefix}.${p}`;
  const classOf = new Map(PRIORITIES.map((p) => [topic(p), p] as const));
  const bufferMax = opts.bufferMax ?? 1000;
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer: Consumer = kafka.consumer({ groupId: opts.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000,
    maxWaitTimeInMs: 100, rebalanceTimeout: 10_000, allowAutoTopicCreation: false });
  await admin.connect();
  // A fresh topic's leader is elected after createTopics answers: until then, reads of it are
  // refused (NOT_LEADER_FOR_PARTITION, UNKNOWN_TOPIC_OR_PARTITION).
  await createServedTopics(admin, PRIORITIES.map((p) => ({ topic: topic(p), numPartitions: opts.partitions ?? 1 })), 30_000);
  await producer.connect();
  if (!opts.inspectOnly) {
    await consumer.connect();
    await consumer.subscribe({ topics: PRIORITIES.map(topic), fromBeginning: true });
  }

  const buffer: Record<Priority, Delivered[]> = { high: [], normal: [], low: [] };
  const paused = new Set<Priority>();
  // Leases per id: one child emitted by two parents is two backlog items with one id.
  const leased = new Map<string, Delivered[]>();
  // Per partition: offsets handed to us in order, and which of them are acked.
  const outstanding = new Map<string, { offsets: bigint[]; acked: Set<bigint>; committed: bigint }>();
  const pkey = (t: string, p: number) => `${t}\u0000${p}`;

  const run = () => consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic: t, partition, message }) => {
      const cls = classOf.get(t);
      if (!cls || !message.value) return;
      const d: Delivered = { item: decodeGateItem(message.value.toString()), topic: t, partition, offset: BigInt(message.offset) };
      const k = pkey(t, partition);
      let o = outstanding.get(k);
      if (!o) { o = { offsets: [], acked: new Set(), committed: -1n }; outstanding.set(k, o); }
      o.offsets.push(d.offset);
      buffer[cls].push(d);
      if (buffer[cls].length >= bufferMax && !paused.has(cls)) { paused.add(cls); consumer.pause([{ topic: t }]); }
    },
  });
  // A rebalance moves partitions elsewhere (a crash drops them all): what we buffered there will be redelivered.
  const forget = () => {
    for (const p of PRIORITIES) buffer[p] = [];
    outstanding.clear();
    paused.clear();
  };
  consumer.on(consumer.events.REBALANCING, forget);
  let closing = false;
  const crashWatch = opts.inspectOnly ? undefined : restartOnCrash(consumer, `the gate's backlog consumer (${opts.groupId})`, async () => {
    await consumer.subscribe({ topics: PRIORITIES.map(topic), fromBeginning: true });
    await run();
  }, { isClosing: () => closing, onCrash: forget });
  if (!opts.inspectOnly) await run();

  const commit = async (ds: Delivered[]) => {
    const toCommit: { topic: string; partition: number; offset: string }[] = [];
    const touched = new Set<string>();
    for (const d of ds) {
      const k = pkey(d.topic, d.partition);
      const o = outstanding.get(k);
      if (!o) continue;
      o.acked.add(d.offset);
      touched.add(k);
    }
    for (const k of touched) {
      const o = outstanding.get(k)!;
      let next: bigint | undefined;
      while (o.offsets.length > 0 && o.acked.has(o.offsets[0]!)) { next = o.offsets.shift()! + 1n; o.acked.delete(next - 1n); }
      if (next !== undefined && next > o.committed) {
        o.committed = next;
        const [t, p] = k.split('\u0000');
        toCommit.push({ topic: t!, partition: Number(p), offset: next.toString() });
      }
    }
    if (toCommit.length > 0) await consumer.commitOffsets(toCommit);
  };

  return {
    async push(items) {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const it of items) {
        const t = topic(it.priority);
        let list = byTopic.get(t);
        if (!list) { list = []; byTopic.set(t, list); }
        // Keyed by id, not tenant: a heavy tenant's items spread over the partitions, so every gate
        // process shares them (the shared tenant buckets keep its quota).
        list.push({ key: it.id, value: encodeGateItem(it) });
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })) });
    },
    async pull(cls, max) {
      const taken = buffer[cls].splice(0, Math.max(0, max));
      for (const d of taken) leased.set(d.item.id, [...(leased.get(d.item.id) ?? []), d]);
      if (paused.has(cls) && buffer[cls].length < bufferMax / 2) { paused.delete(cls); consumer.resume([{ topic: topic(cls) }]); }
      return taken.map((d) => d.item);
    },
    async ack(_cls, ids) {
      const ds: Delivered[] = [];
      for (const id of ids) {
        const copies = leased.get(id);
        const d = copies?.shift();
        if (copies?.length === 0) leased.delete(id);
        if (d) ds.push(d);
      }
      await commit(ds);
    },
    async size(cls) {
      const t = topic(cls);
      const [ends, groups] = await Promise.all([
        patientRead(() => admin.fetchTopicOffsets(t)),
        patientRead(() => admin.fetchOffsets({ groupId: opts.groupId, topics: [t] })),
      ]);
      const committed = new Map((groups[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      let n = 0n;
      for (const e of ends) {
        const c = committed.get(e.partition) ?? -1n;
        n += BigInt(e.high) - (c < 0n ? BigInt(e.low) : c);
      }
      return Number(n);
    },
    async oldestAgeMs(cls, nowMs) {
      let oldest = buffer[cls][0]?.item.enqueuedMs;
      for (const d of [...leased.values()].flat()) if (d.item.priority === cls && (oldest === undefined || d.item.enqueuedMs < oldest)) oldest = d.item.enqueuedMs;
      return oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
    },
    async close() {
      closing = true;
      await crashWatch?.stop();
      if (!opts.inspectOnly) await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
