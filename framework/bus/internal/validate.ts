// Input checks shared by every TriggerBus adapter, so both reject bad input the same way.
import { ConfigError, QuarryError, type ConfigProblem } from '../../errors/index.ts';
import type { BusMessage, SubscribeOptions } from '../trigger-bus.ts';

// Kafka's own rule for topic names; the embedded bus follows it so code moves between them.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

function topicProblems(field: string, topics: unknown): ConfigProblem[] {
  if (!Array.isArray(topics)) return [{ field, expected: 'an array of topic names', received: topics }];
  const problems: ConfigProblem[] = [];
  topics.forEach((t, i) => {
    if (typeof t !== 'string' || !TOPIC_NAME.test(t) || t === '.' || t === '..') {
      problems.push({ field: `${field}[${i}]`, expected: 'a topic name of 1–249 chars from [a-zA-Z0-9._-]', received: t });
    }
  });
  return problems;
}

export function checkTopics(topics: unknown, context: string): void {
  const problems = topicProblems('topics', topics);
  if (problems.length > 0) throw new ConfigError(problems, context);
}

export function checkPartitions(partitions: unknown): void {
  if (partitions === undefined) return;
  if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1) {
    throw new ConfigError([{ field: 'partitions', expected: 'an integer ≥ 1', received: partitions }], 'ensureTopics');
  }
}

export function checkMessages(topic: unknown, messages: unknown): void {
  const problems = topicProblems('topic', [topic]).map((p) => ({ ...p, field: 'topic' }));
  if (!Array.isArray(messages)) {
    problems.push({ field: 'messages', expected: 'an array of { key, value, headers? }', received: messages });
  } else {
    messages.forEach((m: Partial<BusMessage> | null, i) => {
      if (typeof m !== 'object' || m === null) {
        problems.push({ field: `messages[${i}]`, expected: 'an object { key, value, headers? }', received: m });
        return;
      }
      if (typeof m.key !== 'string') problems.push({ field: `messages[${i}].key`, expected: 'a string', received: m.key });
      if (!(m.value instanceof Uint8Array)) {
        problems.push({ field: `messages[${i}].value`, expected: 'a Uint8Array', received: m.value });
      }
      if (m.headers !== undefined) {
        for (const [k, v] of Object.entries(m.headers)) {
          if (typeof v !== 'string') problems.push({ field: `messages[${i}].headers.${k}`, expected: 'a string', received: v });
        }
      }
    });
  }
  if (problems.length > 0) throw new ConfigError(problems, 'produce');
}

export function checkSubscribeOptions(o: SubscribeOptions): void {
  const problems: ConfigProblem[] = [];
  if (typeof o?.groupId !== 'string' || o.groupId.length === 0) {
    problems.push({ field: 'groupId', expected: 'a non-empty string', received: o?.groupId });
  }
  problems.push(...topicProblems('topics', o?.topics));
  if (Array.isArray(o?.topics) && o.topics.length === 0) {
    problems.push({ field: 'topics', expected: 'at least one topic', received: o.topics });
  }
  if (typeof o?.handleBatch !== 'function') {
    problems.push({ field: 'handleBatch', expected: 'a function (batch) => Promise<void>', received: o?.handleBatch });
  }
  const max = o?.maxBatchSize;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    problems.push({ field: 'maxBatchSize', expected: 'an integer ≥ 1', received: max });
  }
  const c = o?.concurrency;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c < 1)) {
    problems.push({ field: 'concurrency', expected: 'an integer ≥ 1', received: c });
  }
  if (problems.length > 0) throw new ConfigError(problems, 'subscribe options');
}

export function checkReadLimit(limit: unknown): void {
  if (limit === undefined) return;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new ConfigError([{ field: 'limit', expected: 'an integer ≥ 0', received: limit }], 'read options');
  }
}

export function busClosedError(adapter: string): QuarryError {
  return new QuarryError('BUS_CLOSED', `The ${adapter} trigger bus is closed`);
}
