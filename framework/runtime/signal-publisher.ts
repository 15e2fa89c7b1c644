// A miner's side of the signal board: every interval, the figures of the nodes it hosts
// (utilisation over the interval, items in hand, capacity, busy time, consumer lag) and the
// RESOURCE_EXHAUSTED answers and timeouts its operator clients saw since the last time. The
// lag it measures is also what the process exports as quarry_node_lag (`lagByNode`).
import type { TriggerBus } from '../bus/index.ts';
import type { DagPlan } from '../dag/index.ts';
import { nodeLag, type NodeRunner } from '../miner/index.ts';
import type { OperatorClient } from '../operator-client/index.ts';
import type { MinerLoad, SignalBoard } from './signal-board.ts';
import { clientCounters, utilizationOf } from './signals.ts';

export interface SignalPublisherOptions {
  board: SignalBoard;
  minerId: string;
  plans: ReadonlyMap<string, DagPlan>;
  bus: TriggerBus;
  /** The miner's node runners by `dag/node` (the nodes it hosts). */
  runners: () => ReadonlyMap<string, NodeRunner>;
  clients?: () => ReadonlyMap<string, OperatorClient>;
  /** Default 1 s. */
  intervalMs?: number;
  onError?(err: unknown): void;
}

export interface SignalPublisher {
  /** Consumer lag of the hosted operator nodes at the last publish, by `dag/node`. */
  lagByNode(): ReadonlyMap<string, number>;
  /** Publish now (also done every interval). */
  publishNow(): Promise<void>;
  /** Stop, and leave the board (this miner's load stops counting at once). */
  stop(): Promise<void>;
}

export function startSignalPublisher(o: SignalPublisherOptions): SignalPublisher {
  const nodes = [...o.plans.values()].flatMap((plan) => plan.nodes.filter((n) => n.kind === 'operator').map((node) => ({ key: `${plan.name}/${node.id}`, node })));
  const prev = new Map<string, { busyMs: number; atMs: number }>();
  let counted = clientCounters(o.clients?.().values());
  let countedAt = Date.now();
  let lags = new Map<string, number>();
  let running: Promise<void> | undefined;
  let stopped = false;

  const publish = async (): Promise<void> => {
    const runners = o.runners();
    const hosted = nodes.filter((n) => runners.has(n.key));
    const lagList = await Promise.all(hosted.map(({ node }) => nodeLag(o.bus, node)));
    const t = Date.now();
    const load: MinerLoad = { minerId: o.minerId, nodes: {}, resourceExhaustedPerSec: 0, timeoutsPerSec: 0 };
    hosted.forEach(({ key }, i) => {
      const s = runners.get(key)!.stats();
      load.nodes[key] = { inFlight: s.inFlight, capacity: s.capacity, busyMs: s.busyMs, utilization: utilizationOf(prev.get(key), s, t), lag: lagList[i]! };
      prev.set(key, { busyMs: s.busyMs, atMs: t });
    });
    lags = new Map(hosted.map(({ key }, i) => [key, lagList[i]!]));
    const now = clientCounters(o.clients?.().values());
    const delta = { resourceExhausted: Math.max(0, now.resourceExhausted - counted.resourceExhausted), timeouts: Math.max(0, now.timeouts - counted.timeouts) };
    const secs = Math.max(0.001, (t - countedAt) / 1000);
    load.resourceExhaustedPerSec = delta.resourceExhausted / secs;
    load.timeoutsPerSec = delta.timeouts / secs;
    if (stopped) return;
    await o.board.publish(load, delta);
    counted = now;
    countedAt = t;
  };
  const publishNow = async (): Promise<void> => {
    while (running) await running;
    running = publish().catch((err: unknown) => o.onError?.(err)).finally(() => { running = undefined; });
    await running;
  };
  void publishNow();
  const timer = setInterval(() => { if (!running) void publishNow(); }, o.intervalMs ?? 1_000);
  timer.unref();

  return {
    lagByNode: () => lags,
    publishNow,
    async stop() {
      clearInterval(timer);
      stopped = true;
      while (running) await running;
      await o.board.withdraw(o.minerId).catch((err: unknown) => o.onError?.(err));
    },
  };
}
