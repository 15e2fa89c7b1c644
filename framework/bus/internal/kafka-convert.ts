// Conversions between kafkajs records and the port's plain types (no Kafka type leaks out).
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { BusMessage, ConsumedMessage } from '../trigger-bus.ts';

export function toKafkaMessage(m: BusMessage): Message {
  return {
    key: m.key,
    value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
    ...(m.headers === undefined ? {} : { headers: { ...m.headers } }),
  };
}

function headerText(v: IHeaders[string]): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map((x) => x.toString()).join(',');
  return v.toString();
}

export function fromKafkaMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const text = headerText(v);
    if (text !== undefined) headers[k] = text;
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? '' : m.key.toString(),
    // A copy, so the handler holds a plain Uint8Array independent of kafkajs's buffers.
    value: m.value === null ? new Uint8Array(0) : new Uint8Array(m.value),
    headers,
    timestampMs: Number(m.timestamp),
  };
}

export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

export function kafkaErrorType(err: unknown): string | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
