// The worker side of the pool: set up once (load model sessions), then run the jobs the pool
// posts, one at a time, each with an AbortSignal the pool's `cancel` message aborts. The job's
// own awaits (onnxruntime defers each run by a tick) are where a cancel is noticed.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerBoot } from './messages.ts';
import { toWireError } from './wire-error.ts';

export interface JobRunner<In, Out> {
  run(input: In, signal: AbortSignal): Promise<{ value: Out; transfer?: Transferable[] }>;
  close?(): Promise<void>;
}

export function serveJobs<Init, In, Out>(setup: (init: Init) => Promise<JobRunner<In, Out>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs runs inside a worker thread started by createWorkerPool');
  const boot = workerData as WorkerBoot;
  const runner = setup(boot.init as Init);
  runner.catch(() => undefined); // reported by the first job instead
  const jobs = new Map<number, AbortController>();
  const send = (message: FromWorker, transfer: Transferable[] = []) => port.postMessage(message, transfer as never);

  port.on('message', (message: ToWorker) => {
    if (message.t === 'cancel') {
      jobs.get(message.id)?.abort(new DOMException('the caller gave up on this job', 'AbortError'));
    } else if (message.t === 'close') {
      void runner
        .then((r) => r.close?.(), () => undefined)
        .finally(() => port.close());
    } else {
      const controller = new AbortController();
      jobs.set(message.id, controller);
      let ready: JobRunner<In, Out> | undefined;
      runner
        .then((r) => {
          ready = r;
          return r.run(message.input as In, controller.signal);
        })
        .then(
          ({ value, transfer }) => send({ t: 'done', id: message.id, value }, transfer),
          (err: unknown) => send({ t: 'fail', id: message.id, error: toWireError(err), fatal: ready === undefined }),
        )
        .finally(() => jobs.delete(message.id));
    }
  });
}
