// The idempotent producer sends one request at a time (max in flight 1, so retries keep order).
// Produces that arrive while a request is in flight wait for it, then all go together in the
// next request: under load a miner's nodes share requests instead of queueing one each, and an
// idle miner still sends at once.
import type { TopicMessages } from '../trigger-bus.ts';

export type SendBatch = (batches: readonly TopicMessages[]) => Promise<void>;

export function coalesceProduces(send: SendBatch): SendBatch {
  let waiting: { batches: readonly TopicMessages[]; resolve(): void; reject(err: unknown): void }[] = [];
  let sending = false;
  const pump = async (): Promise<void> => {
    sending = true;
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        await send(group.flatMap((w) => w.batches));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    sending = false;
  };
  return (batches) => new Promise<void>((resolve, reject) => {
    waiting.push({ batches, resolve, reject });
    if (!sending) void pump();
  });
}
