// Delete the topics a bench run created, so repeated runs do not pile up topics on the broker.
import { Kafka, logLevel } from 'kafkajs';

export async function deleteTopicsWithPrefix(brokers: readonly string[], prefixes: readonly string[]): Promise<number> {
  const admin = new Kafka({ clientId: 'quarry-bench-cleanup', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    return topics.length;
  } finally {
    await admin.disconnect();
  }
}
