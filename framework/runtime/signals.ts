// Backpressure as an admission reads it: consumer lag per node and items in flight (from the
// bus and the ledger, so they cover every miner of a deployment), plus utilisation, capacity,
// RESOURCE_EXHAUSTED answers and timeouts — from this process's node runners and operator
// clients, and, in a deployment, from what every miner published on the signal board. So
// `quarry gate run`, which hosts no node, sees the miners' load as an embedded runtime sees its
// own. Cached briefly: an admission asks every tick.
import { NO_SIGNALS, type AdmissionSignals } from '../admission/index.ts';
import type { TriggerBus } from '../bus/index.ts';
import type { DagPlan } from '../dag/index.ts';
import type { ItemLedger } from '../item-ledger/index.ts';
import { nodeLag, type NodeRunner, type NodeStats } from '../miner/index.ts';
import type { OperatorClient } from '../operator-client/index.ts';
import type { BoardReading } from './signal-board.ts';

export interface SignalSources {
  plans: ReadonlyMap<string, DagPlan>;
  bus: TriggerBus;
  ledger: ItemLedger;
  /** Node runners of a miner in this process, by `dag/node`. */
  runners?: () => ReadonlyMap<string, NodeRunner>;
  clients?: () => ReadonlyMap<string, OperatorClient>;
  /** Other processes' miners, as published on the signal board. */
  board?: { read(): Promise<BoardReading> };
  /** A board that cannot be read leaves its last reading in use; told here. */
  onError?(err: unknown): void;
}

/**
 * Utilisation of a node over an interval: item-milliseconds of work ÷ (capacity × elapsed), or
 * the share of its capacity in use now if that is larger (long calls show before they end).
 */
export function utilizationOf(prev: { busyMs: number; atMs: number } | undefined, now: NodeStats, atMs: number): number {
  if (now.capacity <= 0) return 0;
  const busy = prev && atMs > prev.atMs ? (now.busyMs - prev.busyMs) / (now.capacity * (atMs - prev.atMs)) : 0;
  return Math.min(1, Math.max(0, busy, now.inFlight / now.capacity));
}

/** Sums of this process's operator clients' counters. */
export function clientCounters(clients: Iterable<OperatorClient> | undefined): { resourceExhausted: number; timeouts: number } {
  let resourceExhausted = 0;
  let timeouts = 0;
  for (const c of clients ?? []) {
    resourceExhausted += c.stats().resourceExhausted;
    timeouts += c.stats().timeouts;
  }
  return { resourceExhausted, timeouts };
}

/** Per node, the miners' figures summed: utilisation weighted by each miner's capacity. */
export function boardLoad(reading: BoardReading): Map<string, { capacity: number; utilization: number; inHand: number }> {
  const sums = new Map<string, { capacity: number; busy: number; inHand: number }>();
  for (const m of reading.miners) {
    for (const [key, f] of Object.entries(m.nodes)) {
      const s = sums.get(key) ?? { capacity: 0, busy: 0, inHand: 0 };
      s.capacity += f.capacity;
      s.busy += f.utilization * f.capacity;
      s.inHand += f.inFlight;
      sums.set(key, s);
    }
  }
  return new Map([...sums].map(([key, s]) => [key, { capacity: s.capacity, utilization: s.capacity > 0 ? Math.min(1, s.busy / s.capacity) : 0, inHand: s.inHand }]));
}

/** `cacheMs` 0: every call waits for a reading of its own. */
export function runtimeSignals(src: SignalSources, cacheMs = 250): () => Promise<AdmissionSignals> {
  let last = NO_SIGNALS;
  let at = -Infinity;
  let pending: Promise<AdmissionSignals> | undefined;
  let lastBoard: BoardReading = { miners: [], resourceExhausted: 0, timeouts: 0 };
  const busy = new Map<string, { busyMs: number; atMs: number }>();
  const readBoard = async (): Promise<BoardReading> => {
    if (!src.board) return lastBoard;
    try {
      lastBoard = await src.board.read();
    } catch (err) {
      src.onError?.(err);
    }
    return lastBoard;
  };
  const collect = async (): Promise<AdmissionSignals> => {
    const lagByNode: Record<string, number> = {};
    const capacityByNode: Record<string, number> = {};
    const inHandByNode: Record<string, number> = {};
    let inFlight = 0;
    let capacity = 0;
    let utilization = 0;
    const runners = src.runners?.();
    const board = await readBoard();
    const remote = boardLoad(board);
    const t = Date.now();
    for (const plan of src.plans.values()) {
      inFlight += (await src.ledger.counts(plan.name))['in-flight'];
      const lags = await Promise.all(plan.nodes.map((node) => nodeLag(src.bus, node)));
      plan.nodes.forEach((node, i) => {
        const key = `${plan.name}/${node.id}`;
        lagByNode[key] = lags[i]!;
        if (node.kind !== 'operator') return;
        // The miners' capacity where they published it (two miners: twice the node's); the plan's otherwise.
        const published = remote.get(key);
        capacityByNode[key] = published && published.capacity > 0 ? published.capacity : node.concurrency;
        capacity += capacityByNode[key];
        if (published) utilization = Math.max(utilization, published.utilization);
        const runner = runners?.get(key);
        const s = runner?.stats();
        // In hand, as this process's runner says or else as the miners published (a miner of this process publishes too).
        inHandByNode[key] = s?.inFlight ?? published?.inHand ?? 0;
        if (!s) return;
        utilization = Math.max(utilization, utilizationOf(busy.get(key), s, t));
        busy.set(key, { busyMs: s.busyMs, atMs: t });
      });
    }
    const local = clientCounters(src.clients?.().values());
    return {
      lagByNode, inFlight, capacity, capacityByNode, inHandByNode,
      resourceExhausted: local.resourceExhausted + board.resourceExhausted,
      timeouts: local.timeouts + board.timeouts,
      utilization: Math.min(1, utilization),
    };
  };
  const refresh = (): Promise<AdmissionSignals> => (pending ??= collect().then((s) => {
    last = s;
    at = Date.now();
    return s;
  }).finally(() => {
    pending = undefined;
  }));
  // Stale while revalidating: once there is a reading, a caller (the gate's admission round) never
  // waits for the next one — collecting reads every DAG's counts and every node's lag, and a high
  // priority item must not wait for that. A reading is at most cacheMs plus one collection old.
  return async () => {
    if (Date.now() - at < cacheMs) return last;
    const next = refresh();
    if (at === -Infinity || cacheMs === 0) return next; // the first reading, or no caching asked for
    next.catch((err: unknown) => src.onError?.(err));
    return last;
  };
}
