// A pool of worker threads for blocking work (model inference): the calling thread only posts
// jobs and bookkeeps. Threads start when work first arrives and each sets up once (loads its
// model sessions); a bounded queue holds jobs until a thread is free. A thread that crashes is
// replaced and its job fails retryably; an aborted job leaves the queue, or its result is
// dropped; close() ends every thread. Idle threads are unref'd: they never keep a process alive.
import { Worker } from 'node:worker_threads';
import { QuarryError, RetryLaterError } from '../../../../framework/errors/index.ts';
import type { FromWorker, ToWorker, WorkerBoot } from './messages.ts';
import { fromWireError } from './wire-error.ts';

export interface WorkerPoolOptions {
  /** Names the pool in errors: `ocr worker crashed …`. */
  name: string;
  /** The worker module; it calls `serveJobs` (worker-runtime.ts). TypeScript or JavaScript. */
  script: URL;
  /** Threads, at most. */
  size: number;
  /** Handed to each thread's setup (structured-cloned). */
  init: unknown;
  /** Most weight (e.g. images) waiting for a thread; past it `run` fails retryably. */
  maxQueued: number;
  /** How long close() lets running jobs finish before ending their threads. Default 10 s. */
  closeGraceMs?: number;
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  /** Counts against `maxQueued`. Default 1. */
  weight?: number;
  transfer?: Transferable[];
}

export interface WorkerPoolStats {
  threads: number;
  busy: number;
  queued: number;
  crashes: number;
}

export interface WorkerPool {
  run<Out>(input: unknown, options?: RunOptions): Promise<Out>;
  stats(): WorkerPoolStats;
  close(): Promise<void>;
}

interface Job {
  id: number;
  input: unknown;
  weight: number;
  transfer: Transferable[];
  settled: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** Completed a job: a crash after that is not a setup problem, so the slot is refilled at once. */
  proven: boolean;
  exited: Promise<void>;
  leaving: boolean;
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { name, size, maxQueued } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`worker pool \`${name}\`: size must be an integer ≥ 1, got ${size}`);
  const closeGraceMs = options.closeGraceMs ?? 10_000;
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let queuedWeight = 0;
  let nextId = 1;
  let crashes = 0;
  let closed = false;

  const spawn = (): Slot => {
    const boot: WorkerBoot = { script: options.script.href, init: options.init };
    const worker = new Worker(ENTRY, { workerData: boot });
    worker.unref();
    const slot: Slot = { worker, job: undefined, proven: false, leaving: false, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    worker.on('message', (message: FromWorker) => onMessage(slot, message));
    worker.on('error', (err) => onGone(slot, err));
    worker.on('exit', (code) => onGone(slot, new Error(`exited with code ${code}`)));
    slots.push(slot);
    return slot;
  };

  const finish = (slot: Slot) => {
    slot.job = undefined;
    slot.worker.unref();
    dispatch();
  };

  const onMessage = (slot: Slot, message: FromWorker) => {
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    if (message.t === 'done') {
      slot.proven = true;
      settle(job, () => job.resolve(message.value));
      finish(slot);
    } else {
      settle(job, () => job.reject(fromWireError(message.error)));
      // A failed setup (model file missing) is not kept: the next job starts a fresh thread.
      if (message.fatal) retire(slot);
      else finish(slot);
    }
  };

  const onGone = (slot: Slot, cause: Error) => {
    const index = slots.indexOf(slot);
    if (index < 0) return; // 'error' is followed by 'exit'
    slots.splice(index, 1);
    const job = slot.job;
    if (job) {
      const err = slot.leaving
        ? new QuarryError('WORKER_POOL_CLOSED', `${name} worker pool closed before the job finished`, { retryable: true })
        : new QuarryError('WORKER_CRASHED', `${name} worker crashed (${cause.message}); the item may be retried`, { retryable: true, cause });
      settle(job, () => job.reject(err));
    }
    if (slot.leaving || closed) return;
    crashes += 1;
    if (slot.proven && slots.length < size) spawn();
    dispatch();
  };

  const retire = (slot: Slot) => {
    slot.leaving = true;
    slot.job = undefined;
    void slot.worker.terminate();
    dispatch();
  };

  const dispatch = () => {
    while (!closed && queue.length > 0) {
      const live = slots.filter((s) => !s.leaving);
      const slot = live.find((s) => s.job === undefined) ?? (live.length < size ? spawn() : undefined);
      if (!slot) return;
      const job = queue.shift()!;
      queuedWeight -= job.weight;
      slot.job = job;
      slot.worker.ref();
      post(slot, { t: 'job', id: job.id, input: job.input }, job.transfer);
    }
  };

  const post = (slot: Slot, message: ToWorker, transfer: Transferable[] = []) => slot.worker.postMessage(message, transfer as never);

  const settle = (job: Job, action: () => void) => {
    if (job.settled) return;
    job.settled = true;
    action();
  };

  return {
    run<Out>(input: unknown, { signal, weight = 1, transfer = [] }: RunOptions = {}): Promise<Out> {
      if (closed) return Promise.reject(new QuarryError('WORKER_POOL_CLOSED', `${name} worker pool is closed`, { retryable: true }));
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (queue.length > 0 && queuedWeight + weight > maxQueued) {
        return Promise.reject(new RetryLaterError(1_000, `${name} worker pool is full (${queuedWeight} queued, limit ${maxQueued})`, { code: 'WORKER_POOL_FULL' }));
      }
      return new Promise<Out>((resolve, reject) => {
        const onAbort = () => {
          const at = queue.indexOf(job);
          if (at >= 0) {
            queue.splice(at, 1);
            queuedWeight -= job.weight;
          } else {
            const slot = slots.find((s) => s.job === job);
            if (slot) post(slot, { t: 'cancel', id: job.id });
          }
          settle(job, () => reject(signal!.reason));
        };
        const job: Job = {
          id: nextId++,
          input,
          weight,
          transfer,
          settled: false,
          resolve: (value) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(value as Out);
          },
          reject: (err) => {
            signal?.removeEventListener('abort', onAbort);
            reject(err);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(job);
        queuedWeight += weight;
        dispatch();
      });
    },
    stats: () => ({ threads: slots.length, busy: slots.filter((s) => s.job !== undefined).length, queued: queue.length, crashes }),
    async close() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0)) settle(job, () => job.reject(new QuarryError('WORKER_POOL_CLOSED', `${name} worker pool closed before the job started`, { retryable: true })));
      queuedWeight = 0;
      const idle = () => slots.every((s) => s.job === undefined);
      const deadline = Date.now() + closeGraceMs;
      while (!idle() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(
        [...slots].map(async (slot) => {
          slot.leaving = true;
          // A thread still busy after the grace is ended; an idle one releases its sessions first.
          if (slot.job === undefined) post(slot, { t: 'close' });
          if (slot.job !== undefined || !(await exitsWithin(slot, 2_000))) await slot.worker.terminate();
          await slot.exited;
        }),
      );
    },
  };
}

async function exitsWithin(slot: Slot, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([slot.exited.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
