import type { GateItem } from '../gate-item.ts';
import type { AdmissionSignals } from '../signals.ts';

export interface CapacityModelOptions {
  /** Parallel servers at the bottleneck. */
  concurrency: number;
  /** Service time of one cpu item; a gpu item costs `gpuCost` times more. */
  serviceMs: number;
  gpuCost: number;
  /** Beyond this many waiting items the operator answers RESOURCE_EXHAUSTED. */
  queueLimit: number;
}

export const defaultCapacity: CapacityModelOptions = { concurrency: 8, serviceMs: 400, gpuCost: 3, queueLimit: 64 };

/**
 * The DAG's bottleneck as a fluid FIFO server: `concurrency × 1000 / serviceMs` cost units
 * per second. Items complete in arrival order; an item's latency is its wait plus its own
 * full service time.
 */
export function createCapacityModel(o: CapacityModelOptions, onDone: (item: GateItem, doneMs: number) => void) {
  const queue: GateItem[] = [];
  let head = 0;
  let headLeft = 0; // cost units left on the head item
  let exhausted = 0;
  let usedUnits = 0;
  let offeredUnits = 0;
  let bytes = 0;
  const cost = (i: GateItem) => (i.resource === 'gpu' ? o.gpuCost : 1);
  const unitsPerMs = o.concurrency / o.serviceMs;

  return {
    enqueue(items: readonly GateItem[]) {
      for (const it of items) { queue.push(it); bytes += approxBytes(it); }
      const waiting = queue.length - head - o.concurrency;
      if (waiting > o.queueLimit) exhausted += Math.min(items.length, waiting - o.queueLimit);
    },
    /** Work for `dtMs` ending at `endMs`. */
    advance(endMs: number, dtMs: number) {
      let budget = dtMs * unitsPerMs;
      offeredUnits += budget;
      const start = endMs - dtMs;
      const total = budget;
      while (budget > 1e-9 && head < queue.length) {
        const it = queue[head]!;
        if (headLeft === 0) headLeft = cost(it);
        const use = Math.min(budget, headLeft);
        headLeft -= use; budget -= use;
        if (headLeft <= 1e-9) {
          headLeft = 0; head++;
          bytes -= approxBytes(it);
          // Fluid time to drain its cost, plus the part of its own service time a single
          // server spends on it beyond that (so latency = queueing + full service time).
          const c = cost(it);
          onDone(it, start + ((total - budget) / unitsPerMs) + c * o.serviceMs - c / unitsPerMs);
        }
      }
      usedUnits += total - budget;
      if (head > 8192 && head * 2 > queue.length) { queue.splice(0, head); head = 0; }
    },
    get inFlight() { return queue.length - head; },
    get bytesInFlight() { return bytes; },
    /** Utilization since the last call (0..1), then reset. */
    takeUtilization(): number {
      const u = offeredUnits === 0 ? 0 : usedUnits / offeredUnits;
      usedUnits = 0; offeredUnits = 0;
      return u;
    },
    signals(utilization: number): AdmissionSignals {
      const inFlight = queue.length - head;
      return { lagByNode: { bottleneck: Math.max(0, inFlight - o.concurrency) }, inFlight, capacity: o.concurrency,
        resourceExhausted: exhausted, timeouts: 0, utilization };
    },
  };
}

/** Bytes an admitted item holds inside the DAG (its trigger plus its small tuple fields). */
export const approxBytes = (i: GateItem) => 1024 + i.itemKey.length + JSON.stringify(i.source).length;
