import type { GateItem } from './gate-item.ts';
import type { AdmissionSignals } from './signals.ts';

export interface WorkerPoolOptions {
  concurrency: number;
  /** Service time of a cpu item; gpu items take `gpuCost` times longer. */
  serviceMs: number;
  gpuCost?: number;
  /** Beyond this many waiting items, each new item counts a RESOURCE_EXHAUSTED answer. */
  queueLimit?: number;
  now?: () => number;
  onDone?(item: GateItem, doneMs: number): void;
}

/**
 * A real bottleneck for gate tests and benchmarks: bounded concurrency, real timers, and
 * the saturation figures a miner would report. (The miner's own signals replace it.)
 */
export function createWorkerPool(o: WorkerPoolOptions) {
  const now = o.now ?? Date.now;
  const queue: GateItem[] = [];
  let running = 0;
  let exhausted = 0;
  let busyMs = 0; // cumulative server-busy milliseconds
  let lastChange = now();
  const account = () => { const t = now(); busyMs += running * (t - lastChange); lastChange = t; };
  /** Each reader gets the busy share since its own previous call. */
  const utilizationReader = () => {
    let fromT = now(); let fromBusy = busyMs;
    return () => {
      account();
      const t = now();
      const u = Math.min(1, (busyMs - fromBusy) / (o.concurrency * Math.max(1, t - fromT)));
      fromT = t; fromBusy = busyMs;
      return u;
    };
  };
  const gateReader = utilizationReader();

  const pump = () => {
    while (running < o.concurrency && queue.length > 0) {
      const item = queue.shift()!;
      account();
      running++;
      setTimeout(() => {
        account();
        running--;
        o.onDone?.(item, now());
        pump();
      }, o.serviceMs * (item.resource === 'gpu' ? o.gpuCost ?? 1 : 1));
    }
  };

  return {
    enqueue(items: readonly GateItem[]) {
      for (const it of items) {
        queue.push(it);
        if (o.queueLimit !== undefined && queue.length > o.queueLimit) exhausted++;
      }
      pump();
    },
    get inFlight() { return queue.length + running; },
    /** Signals as the gate reads them; utilization is the busy share since the last call. */
    utilizationReader,
    signals(): AdmissionSignals {
      const utilization = gateReader();
      return { lagByNode: { pool: queue.length }, inFlight: queue.length + running, capacity: o.concurrency,
        resourceExhausted: exhausted, timeouts: 0, utilization };
    },
  };
}
