// A node's declared routing, composed around its operator's batch call when the miner builds
// the node: its tenant pools (a tenant's items go to that tenant's operator), its shadow (a
// share of the answers also asked of another operator and compared, never used) and its
// fallback (the items the primary declines go to another operator, by name). Outermost first:
//   fallback( shadow( pools( primary ) ) )
// so the shadow is compared with what served the item first (the primary or the tenant's pool),
// and the fallback rescues what that declined.
import type { DagPlan, PlanNode } from '../dag/index.ts';
import { intercept, shadow, tenantPools, withFallback, type EchoBatchFn, type Interceptor } from '../operator-client/index.ts';
import type { ShadowLog } from '../shadow-log/index.ts';
import { createShadowRecorder } from './shadow-recorder.ts';

export interface NodeRoutingOptions {
  /** The batch call of an operator by name. */
  operators: (name: string) => EchoBatchFn;
  shadowLog: ShadowLog;
  now: () => number;
  /** Picks the shadowed share (default Math.random). */
  random?: () => number;
}

export function routeNode(plan: DagPlan, node: PlanNode, o: NodeRoutingOptions): EchoBatchFn {
  const primary = o.operators(node.operator);
  const interceptors: Interceptor[] = [];
  if (node.fallback) interceptors.push(withFallback(o.operators(node.fallback), { operator: node.fallback }));
  if (node.shadow) {
    const recorder = createShadowRecorder(plan, node, o.shadowLog, o.now);
    interceptors.push(shadow(o.operators(node.shadow.operator), recorder.compare, {
      operator: node.shadow.operator, share: node.shadow.share, onSkipped: (items) => recorder.skipped(items.length), ...(o.random ? { random: o.random } : {}),
    }));
  }
  if (node.pools) interceptors.push(tenantPools(Object.fromEntries(Object.entries(node.pools).map(([tenant, operator]) => [tenant, { operator, echo: o.operators(operator) }]))));
  return interceptors.length > 0 ? intercept(primary, interceptors) : primary;
}
