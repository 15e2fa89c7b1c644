// The messages between a pool and its workers. Each worker runs one job at a time.
import type { WireError } from './wire-error.ts';

export type ToWorker =
  | { t: 'job'; id: number; input: unknown }
  | { t: 'cancel'; id: number }
  /** Release what the worker holds (model sessions) and let the thread end. */
  | { t: 'close' };

export type FromWorker =
  | { t: 'done'; id: number; value: unknown }
  /** `fatal`: the worker cannot run any job (its setup failed); the pool discards it. */
  | { t: 'fail'; id: number; error: WireError; fatal: boolean };

/** What the pool hands a worker thread at start (as `workerData`). */
export interface WorkerBoot {
  /** URL of the worker module: it calls `serveJobs` (worker-runtime.ts). */
  script: string;
  init: unknown;
}
