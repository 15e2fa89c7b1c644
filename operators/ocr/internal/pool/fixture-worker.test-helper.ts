// A worker for the pool's tests: jobs that answer, wait, block their thread, or crash it.
import { threadId } from 'node:worker_threads';
import { NonRetryableError } from '../../../../framework/errors/index.ts';
import { serveJobs } from './worker-runtime.ts';

export type FixtureJob =
  | { op: 'echo'; value: unknown }
  | { op: 'wait'; ms: number }
  /** Blocks the thread (as a native inference call does) until `flag[0]` is set, at most 30 s. */
  | { op: 'block-until'; flag: Int32Array }
  | { op: 'exit'; code: number }
  | { op: 'throw-uncaught' };

let ran = 0;

export interface FixtureAnswer {
  threadId: number;
  value?: unknown;
  ran?: number;
  woken?: boolean;
}

serveJobs<{ failSetup?: boolean }, FixtureJob, FixtureAnswer>(async (init) => {
  if (init.failSetup) throw new NonRetryableError('fixture setup failed', { code: 'FIXTURE_SETUP' });
  return {
    async run(job, signal) {
      ran += 1;
      switch (job.op) {
        case 'echo':
          return { value: { value: job.value, threadId, ran } };
        case 'wait':
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, job.ms);
            signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
          });
          return { value: { threadId, ran } };
        case 'block-until':
          return { value: { woken: Atomics.wait(job.flag, 0, 0, 30_000) !== 'timed-out', threadId } };
        case 'exit':
          process.exit(job.code);
        case 'throw-uncaught':
          setImmediate(() => {
            throw new Error('fixture bug');
          });
          return new Promise<never>(() => undefined);
      }
    },
  };
});
