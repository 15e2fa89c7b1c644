// kafkajs restarts a crashed consumer only after a retriable error; after any other (a broker
// restarted under it can cause one) the member stays gone and its partitions unread until the
// process restarts. This starts it again, with backoff, until it runs or its owner closes.
import type { Consumer } from 'kafkajs';
import { sleep } from './kafka-convert.ts';

export interface RestartOnCrash {
  /** Stop watching, and wait for a restart under way to finish. */
  stop(): Promise<void>;
}

export function restartOnCrash(consumer: Consumer, label: string, start: () => Promise<void>, options: { isClosing: () => boolean; onCrash?: () => void; baseDelayMs?: number }): RestartOnCrash {
  let restarting: Promise<void> | undefined;
  let stopped = false;
  const closing = () => stopped || options.isClosing();
  const off = consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || closing()) return;
    process.stderr.write(`quarry bus: ${label} stopped (${payload.error.message}); starting it again\n`);
    options.onCrash?.();
    restarting ??= (async () => {
      for (let attempt = 0; !closing(); attempt++) {
        await sleep(Math.min(10_000, Math.max(500, options.baseDelayMs ?? 500) * 2 ** attempt));
        if (closing()) break;
        try {
          await consumer.connect();
          await start();
          break;
        } catch (err) {
          process.stderr.write(`quarry bus: ${label} could not start again yet: ${(err as Error).message}\n`);
          await consumer.disconnect().catch(() => {});
        }
      }
      restarting = undefined;
    })();
  });
  return {
    async stop() {
      stopped = true;
      off();
      await restarting;
    },
  };
}
