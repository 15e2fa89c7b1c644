/** Backpressure figures the runtime reports; the gate polls them every tick. */
export interface AdmissionSignals {
  /** Consumer lag (items waiting) per DAG node. */
  lagByNode: Record<string, number>;
  /** Items admitted into the DAG and not yet finished. */
  inFlight: number;
  /** Items the DAG can work on at once (sum of bottleneck concurrency), 0 if unknown. */
  capacity: number;
  /** Cumulative RESOURCE_EXHAUSTED answers from operators (a counter). */
  resourceExhausted: number;
  /** Cumulative operator timeouts (a counter). */
  timeouts: number;
  /** Utilization of the bottleneck operator, 0..1. */
  utilization: number;
}

export function totalLag(s: AdmissionSignals): number {
  let sum = 0;
  for (const v of Object.values(s.lagByNode)) sum += v;
  return sum;
}

export function maxLag(s: AdmissionSignals): number {
  let max = 0;
  for (const v of Object.values(s.lagByNode)) if (v > max) max = v;
  return max;
}
