// Tell telemetry which operator nodes this process hosts: capacity from the plan (the node's
// concurrency), lag from the bus (its consumer group). Then the process exports per-node
// utilisation and the bottleneck (quarry_node_utilization, quarry_bottleneck …).
import type { TriggerBus } from '../framework/bus/index.ts';
import type { DagPlan } from '../framework/dag/index.ts';
import { nodeLag } from '../framework/miner/index.ts';
import { observeNodes } from '../framework/telemetry/index.ts';

/** `lagOf`: the lag already measured for `dag/node` (a miner's signal publisher), read from the bus when it has none. */
export function observeHostedNodes(plans: Iterable<DagPlan>, bus: TriggerBus, hosted?: (dag: string, node: string) => boolean, lagOf?: (key: string) => number | undefined): () => void {
  const nodes = [...plans].flatMap((plan) => plan.nodes.filter((n) => n.kind === 'operator' && (hosted?.(plan.name, n.id) ?? true)).map((node) => ({ dag: plan.name, node })));
  return observeNodes(
    () =>
      Promise.all(
        nodes.map(async ({ dag, node }) => ({
          dag,
          node: node.id,
          capacity: node.concurrency,
          lag: lagOf?.(`${dag}/${node.id}`) ?? (await nodeLag(bus, node)),
        })),
      ),
    { onError: (err) => process.stderr.write(`quarry: node load: ${(err as Error).message}\n`) },
  );
}
