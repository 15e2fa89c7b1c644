// Admin reads made patient: a broker that just created a topic, or just restarted, refuses
// reads for a moment. Shared by the Kafka bus and the gate's Kafka backlog.
import type { Admin, ITopicConfig } from 'kafkajs';
import { QuarryError } from '../../errors/index.ts';
import { kafkaErrorType } from './kafka-convert.ts';

/**
 * An admin read that a broker refused for a moment (a partition whose leader is being elected
 * answers NOT_LEADER_FOR_PARTITION, as after a broker restart or a topic's creation) is asked
 * again, a few times, before the error goes to the caller.
 */
export async function patientRead<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= 5 || (err as { retriable?: boolean }).retriable !== true || kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Resolves once the broker answers metadata for every topic with a leader for each partition. A
 * freshly started broker acknowledges `createTopics` (even `waitForLeaders`) before it serves
 * the topics: a consumer subscribing at once fails with UNKNOWN_TOPIC_OR_PARTITION.
 */
async function topicsServed(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ready = await admin.fetchTopicMetadata({ topics: [...topics] }).then(
      (m) => m.topics.length === topics.length && m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)),
      (err: unknown) => {
        if (Date.now() > until) throw err;
        return false;
      },
    );
    if (ready) return;
    if (Date.now() > until) throw new QuarryError('BUS_TOPICS_UNSERVED', `the broker did not serve topic(s) ${topics.join(', ')} within ${timeoutMs} ms of creating them`, { retryable: true });
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Creates those of the topics that do not exist yet, and resolves once the broker serves every
 * one of them. kafkajs's own `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION, which a
 * fresh broker answers for a while: `topicsServed` waits for the leaders instead.
 */
export async function createServedTopics(admin: Admin, topics: readonly ITopicConfig[], timeoutMs: number): Promise<void> {
  try {
    await admin.createTopics({ topics: [...topics], waitForLeaders: false });
  } catch (err) {
    const errors = (err as { errors?: unknown[] }).errors;
    if (!Array.isArray(errors) || !errors.every((e) => kafkaErrorType(e) === 'TOPIC_ALREADY_EXISTS')) throw err;
  }
  await topicsServed(admin, topics.map((t) => t.topic), timeoutMs);
}
