// `quarry inspect`: decode trigger messages (or dead letters) to JSON, from a file or a topic.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createKafkaBus } from '../../framework/bus/index.ts';
import { decodeDeadLetter, decodeTrigger } from '../../framework/wire/index.ts';

export function inspectBytes(bytes: Uint8Array, kind: 'trigger' | 'dead-letter' = 'trigger'): Record<string, unknown> {
  if (kind === 'dead-letter') {
    const d = decodeDeadLetter(bytes);
    return { ...d, raw: d.raw.length > 0 ? Buffer.from(d.raw).toString('base64') : '' };
  }
  return { ...decodeTrigger(bytes), encodedBytes: bytes.length };
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('decode trigger messages or dead letters to JSON lines')
    .argument('[file]', 'a file holding one encoded message')
    .option('--topic <topic>', 'read messages from this Kafka topic instead')
    .option('--kafka <brokers>', 'Kafka brokers', process.env.QUARRY_KAFKA_BROKERS ?? '127.0.0.1:9092')
    .option('--limit <n>', 'at most this many messages', '20')
    .option('--dead-letter', 'the messages are dead letters')
    .action(async (file: string | undefined, opts: { topic?: string; kafka: string; limit: string; deadLetter?: boolean }) => {
      const kind = opts.deadLetter || opts.topic?.endsWith('.dlq') || opts.topic?.endsWith('.quarantine') ? 'dead-letter' : 'trigger';
      if (file) {
        process.stdout.write(`${JSON.stringify(inspectBytes(readFileSync(file), kind))}\n`);
        return;
      }
      if (!opts.topic) throw new Error('name a file or --topic');
      const bus = createKafkaBus({ brokers: opts.kafka.split(','), clientId: 'quarry-inspect' });
      try {
        for (const m of await bus.read(opts.topic, { limit: Number(opts.limit) })) {
          let out: Record<string, unknown>;
          try {
            out = inspectBytes(m.value, kind);
          } catch (err) {
            out = { error: (err as Error).message };
          }
          process.stdout.write(`${JSON.stringify({ offset: m.offset, key: m.key, ...out })}\n`);
        }
      } finally {
        await bus.close();
      }
    });
}
