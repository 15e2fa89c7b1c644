// The idempotent producer sends one request at a time (max in flight 1, so retries keep order).
// Produces that arrive while a request is in flight wait for it, then go together in the next
// request: under load a miner's nodes share requests instead of queueing one each, and an idle
// miner still sends at once. A request stays under a byte budget (Kafka refuses a record batch
// over its message.max.bytes, 1 MiB by default): waiters beyond it go in the next request, and
// one produce larger than the budget is sent in several.
import type { BusMessage, TopicMessages } from '../trigger-bus.ts';

export type SendBatch = (batches: readonly TopicMessages[]) => Promise<void>;

/** Bytes of keys and values per request, well under Kafka's default 1 MiB record batch. */
export const REQUEST_BUDGET_BYTES = 512 * 1024;

const sizeOf = (batches: readonly TopicMessages[]): number =>
  batches.reduce((n, b) => n + b.messages.reduce((m, x) => m + x.value.length + x.key.length + 64, 0), 0);

/** One produce cut into requests of at most `budget` bytes (a message larger than that goes alone). */
export function splitByBytes(batches: readonly TopicMessages[], budget: number): TopicMessages[][] {
  const requests: { topic: string; messages: BusMessage[] }[][] = [[]];
  let bytes = 0;
  for (const b of batches) {
    for (const m of b.messages) {
      const size = m.value.length + m.key.length + 64;
      if (bytes + size > budget && bytes > 0) {
        requests.push([]);
        bytes = 0;
      }
      const request = requests[requests.length - 1]!;
      const last = request[request.length - 1];
      if (last?.topic === b.topic) last.messages.push(m);
      else request.push({ topic: b.topic, messages: [m] });
      bytes += size;
    }
  }
  return requests.filter((r) => r.length > 0);
}

export function coalesceProduces(send: SendBatch, budget = REQUEST_BUDGET_BYTES): SendBatch {
  let waiting: { batches: readonly TopicMessages[]; bytes: number; resolve(): void; reject(err: unknown): void }[] = [];
  let sending = false;
  const pump = async (): Promise<void> => {
    sending = true;
    while (waiting.length > 0) {
      let take = 1;
      let bytes = waiting[0]!.bytes;
      while (take < waiting.length && bytes + waiting[take]!.bytes <= budget) bytes += waiting[take++]!.bytes;
      const group = waiting.slice(0, take);
      waiting = waiting.slice(take);
      try {
        if (bytes <= budget) await send(group.flatMap((w) => w.batches));
        else for (const request of splitByBytes(group[0]!.batches, budget)) await send(request);
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    sending = false;
  };
  return (batches) => new Promise<void>((resolve, reject) => {
    waiting.push({ batches, bytes: sizeOf(batches), resolve, reject });
    if (!sending) void pump();
  });
}
