// This process's own per-node figures, kept beside the instruments (which are write-only): busy
// time and calls in flight, plus what `observeNodes` learns about capacity and lag, turned into
// load and the bottleneck every few seconds.
import { findBottleneck, type Bottleneck, type NodeLoad } from './bottleneck.ts';
import { createLoadWindow } from './load.ts';

const busyMs = new Map<string, number>();
const inFlight = new Map<string, number>();
const k = (dag: string, node: string) => `${dag}/${node}`;

export const tally = {
  busy(dag: string, node: string, ms: number): void {
    busyMs.set(k(dag, node), (busyMs.get(k(dag, node)) ?? 0) + ms);
  },
  inFlight(dag: string, node: string, delta: number): void {
    inFlight.set(k(dag, node), (inFlight.get(k(dag, node)) ?? 0) + delta);
  },
};

export interface NodeFigures {
  dag: string;
  node: string;
  /** Calls this process lets the node have in flight at once. */
  capacity: number;
  /** Triggers waiting for the node (its consumer group's lag). */
  lag: number;
}

interface View {
  nodes: (NodeLoad & { capacity: number })[];
  bottleneck: Bottleneck | undefined;
}
let view: View = { nodes: [], bottleneck: undefined };

/**
 * Tell telemetry which nodes this process hosts, with their capacity and lag (`figures` is asked
 * every `intervalMs`). From then on the process exports quarry_node_capacity, quarry_node_lag,
 * quarry_node_utilization, quarry_node_lag_growth_per_second and quarry_bottleneck, and
 * `nodeLoadNow()` answers the same figures in process. Call it once per process that runs a miner.
 *
 *   const stop = observeNodes(async () => [{ dag: 'image-ingest', node: 'features', capacity: 2, lag: await lagOf('features') }]);
 */
export function observeNodes(figures: () => Promise<NodeFigures[]>, options: { intervalMs?: number; windowMs?: number; onError?: (err: unknown) => void } = {}): () => void {
  const window = createLoadWindow(options.windowMs ?? 15_000);
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const atMs = Date.now();
      const got = await figures();
      window.push(got.map((f) => ({ ...f, atMs, busyMs: busyMs.get(k(f.dag, f.node)) ?? 0, inFlight: inFlight.get(k(f.dag, f.node)) ?? 0 })), atMs);
      const capacity = new Map(got.map((f) => [k(f.dag, f.node), f.capacity]));
      const loads = window.loads();
      view = { nodes: loads.map((l) => ({ ...l, capacity: capacity.get(k(l.dag, l.node)) ?? 0 })), bottleneck: findBottleneck(loads) };
    } catch (err) {
      options.onError?.(err);
    } finally {
      busy = false;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), options.intervalMs ?? 2_000);
  timer.unref();
  return () => clearInterval(timer);
}

/** This process's per-node load and bottleneck, as last sampled by `observeNodes`. */
export const nodeLoadNow = (): View => view;

/** Operator calls in flight per node in this process, as the miner reported them. */
export function callsInFlight(): { dag: string; node: string; inFlight: number }[] {
  return [...inFlight].map(([key, n]) => {
    const at = key.indexOf('/');
    return { dag: key.slice(0, at), node: key.slice(at + 1), inFlight: n };
  });
}
