// Per-node load over a sliding window, from cumulative counters sampled over time: busy time
// (the sum of operator call durations), calls in flight, capacity and consumer lag.
import type { NodeLoad } from './bottleneck.ts';

export interface NodeCounters {
  dag: string;
  node: string;
  atMs: number;
  /** Cumulative operator call time, ms (a counter: the latency histogram's sum). */
  busyMs: number;
  /** Calls in flight at `atMs`. */
  inFlight: number;
  /** Calls the node may have in flight at once (summed over the processes hosting it); 0 = unknown. */
  capacity: number;
  /** Triggers waiting for the node at `atMs`. */
  lag: number;
}

const key = (c: { dag: string; node: string }) => `${c.dag}/${c.node}`;

/**
 * Load of every node present in `newer`, between two samples. Utilisation is the larger of busy
 * time ÷ (capacity × elapsed) and calls in flight ÷ capacity, at most 1: busy time counts a call only when it
 * ends, so long calls in progress show through the in-flight gauge.
 */
export function loadsBetween(older: readonly NodeCounters[], newer: readonly NodeCounters[]): NodeLoad[] {
  const before = new Map(older.map((c) => [key(c), c]));
  return newer.map((c) => {
    const o = before.get(key(c));
    const dtMs = o ? c.atMs - o.atMs : 0;
    let utilisation: number | undefined;
    if (c.capacity > 0) {
      const busy = o && dtMs > 0 ? Math.max(0, c.busyMs - o.busyMs) / (dtMs * c.capacity) : 0;
      const inFlight = (o ? (o.inFlight + c.inFlight) / 2 : c.inFlight) / c.capacity;
      // A call that ended in the window may have started before it: the share is capped at 1.
      utilisation = Math.min(1, Math.max(busy, inFlight));
    }
    const lagGrowthPerSec = o && dtMs > 0 ? ((c.lag - o.lag) * 1000) / dtMs : 0;
    return { dag: c.dag, node: c.node, utilisation, lag: c.lag, lagGrowthPerSec };
  });
}

/** Keeps samples for `windowMs` and answers the load between the oldest and the newest of them. */
export function createLoadWindow(windowMs = 15_000) {
  const samples: { atMs: number; counters: NodeCounters[] }[] = [];
  return {
    push(counters: NodeCounters[], atMs = counters[0]?.atMs ?? Date.now()): void {
      samples.push({ atMs, counters });
      // Keep one sample older than the window, so the window is always fully covered.
      while (samples.length > 2 && samples[1]!.atMs <= atMs - windowMs) samples.shift();
    },
    loads(): NodeLoad[] {
      const newest = samples.at(-1);
      if (!newest) return [];
      return loadsBetween(samples.length > 1 ? samples[0]!.counters : [], newest.counters);
    },
  };
}
