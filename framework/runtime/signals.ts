// Backpressure as an admission reads it: consumer lag per node and items in flight (from the
// bus and the ledger, so they cover every miner of a deployment), plus, from this process's
// node runners and operator clients, utilisation, RESOURCE_EXHAUSTED answers and timeouts.
// Cached briefly: an admission asks every tick.
import { NO_SIGNALS, type AdmissionSignals } from '../admission/index.ts';
import type { TriggerBus } from '../bus/index.ts';
import type { DagPlan } from '../dag/index.ts';
import type { ItemLedger } from '../item-ledger/index.ts';
import { nodeGroup, type NodeRunner } from '../miner/index.ts';
import type { OperatorClient } from '../operator-client/index.ts';

export interface SignalSources {
  plans: ReadonlyMap<string, DagPlan>;
  bus: TriggerBus;
  ledger: ItemLedger;
  /** Node runners of a miner in this process, by `dag/node`. */
  runners?: () => ReadonlyMap<string, NodeRunner>;
  clients?: () => ReadonlyMap<string, OperatorClient>;
}

export function runtimeSignals(src: SignalSources, cacheMs = 250): () => Promise<AdmissionSignals> {
  let last = NO_SIGNALS;
  let at = -Infinity;
  let pending: Promise<AdmissionSignals> | undefined;
  const busy = new Map<string, { busyMs: number; at: number }>();
  const collect = async (): Promise<AdmissionSignals> => {
    const lagByNode: Record<string, number> = {};
    let inFlight = 0;
    let capacity = 0;
    let utilization = 0;
    const runners = src.runners?.();
    const t = Date.now();
    for (const plan of src.plans.values()) {
      inFlight += (await src.ledger.counts(plan.name))['in-flight'];
      const lags = await Promise.all(plan.nodes.map((node) => src.bus.lag(nodeGroup(node.topic), [node.topic])));
      plan.nodes.forEach((node, i) => {
        const key = `${plan.name}/${node.id}`;
        lagByNode[key] = lags[i]!.reduce((n, l) => n + l.lag, 0);
        if (node.kind !== 'operator') return;
        capacity += node.concurrency;
        const runner = runners?.get(key);
        if (!runner) return;
        // Utilisation over the last interval: item-milliseconds of work ÷ (capacity × elapsed).
        const s = runner.stats();
        const prev = busy.get(key);
        busy.set(key, { busyMs: s.busyMs, at: t });
        if (prev && t > prev.at) utilization = Math.max(utilization, (s.busyMs - prev.busyMs) / (s.capacity * (t - prev.at)));
        utilization = Math.max(utilization, s.inFlight / s.capacity);
      });
    }
    let resourceExhausted = 0;
    let timeouts = 0;
    for (const c of src.clients?.().values() ?? []) {
      resourceExhausted += c.stats().resourceExhausted;
      timeouts += c.stats().timeouts;
    }
    return { lagByNode, inFlight, capacity, resourceExhausted, timeouts, utilization: Math.min(1, utilization) };
  };
  return async () => {
    if (Date.now() - at < cacheMs) return last;
    pending ??= collect().then((s) => {
      last = s;
      at = Date.now();
      return s;
    }).finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
