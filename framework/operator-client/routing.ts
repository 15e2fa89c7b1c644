// Routing rules composed as interceptors around an operator client's batch call. Each works per
// item: one item's route never changes its batch-mates'.
import type { EchoRequest, EchoResponse } from '../wire/index.ts';
import type { EchoBatchFn, Interceptor } from './operator-client.ts';

/** The default "the primary declined": FAILED for good, or FILTERED with code DECLINED. */
export const declined = (res: EchoResponse): boolean =>
  (res.status === 'FAILED' && res.errorCode !== 'OPERATOR_CRASHED') || (res.status === 'FILTERED' && res.errorCode === 'DECLINED');

/**
 * Primary → fallback: the cheap engine first; the items it declines go to the expensive one, by
 * name (`operator`), and its answers are used for them.
 */
export function withFallback(fallback: EchoBatchFn, options: { operator: string; when?: (res: EchoResponse) => boolean }): Interceptor {
  const when = options.when ?? declined;
  return async (call, next) => {
    const primary = await next(call);
    const again = primary.map(when);
    if (!again.some(Boolean)) return primary;
    const items = call.items.filter((_, i) => again[i]).map((item) => ({ ...item, operator: options.operator }));
    const rescued = await fallback({ ...call, operator: options.operator, items });
    let j = 0;
    return primary.map((res, i) => (again[i] ? rescued[j++]! : res));
  };
}

export interface ShadowComparison {
  request: EchoRequest;
  primary: EchoResponse;
  shadow: EchoResponse;
}

/**
 * Shadow traffic: a share of items is also sent to another operator (a new version), whose
 * answers are compared (by `compare`), never used. The shadow runs after the primary answered
 * and is never awaited, so its failure or slowness cannot touch the item.
 */
export function shadow(candidate: EchoBatchFn, compare: (c: ShadowComparison) => void, options: { operator: string; share?: number; random?: () => number }): Interceptor {
  const share = options.share ?? 1;
  const random = options.random ?? Math.random;
  return async (call, next) => {
    const primary = await next(call);
    const picked = call.items.map((_, i) => primary[i]!.status === 'OK' && random() < share);
    const items = call.items.filter((_, i) => picked[i]);
    if (items.length > 0) {
      const answers = primary.filter((_, i) => picked[i]);
      candidate({ operator: options.operator, items: items.map((item) => ({ ...item, operator: options.operator })) })
        .then((res) => items.forEach((request, i) => compare({ request, primary: answers[i]!, shadow: res[i]! })))
        .catch(() => undefined); // a shadow's failure is its own business
    }
    return primary;
  };
}

/** Per-tenant pools: a tenant with its own pool is served by it; others go to the default. */
export function tenantPools(pools: Readonly<Record<string, EchoBatchFn>>): Interceptor {
  return async (call, next) => {
    const routes = new Map<EchoBatchFn, number[]>();
    call.items.forEach((item, i) => {
      const route = pools[item.trigger.tenant] ?? next;
      const at = routes.get(route);
      if (at) at.push(i);
      else routes.set(route, [i]);
    });
    if (routes.size === 1 && routes.has(next)) return next(call);
    const out = new Array<EchoResponse>(call.items.length);
    await Promise.all([...routes].map(async ([route, at]) => {
      const res = await route({ ...call, items: at.map((i) => call.items[i]!) });
      at.forEach((pos, j) => (out[pos] = res[j]!));
    }));
    return out;
  };
}

/** Field-by-field agreement of two answers: which output fields are equal, which differ. */
export function compareOutputs(a: EchoResponse, b: EchoResponse): { same: boolean; fields: Record<string, boolean> } {
  const fields: Record<string, boolean> = {};
  const names = new Set([...Object.keys(a.fields), ...Object.keys(b.fields), ...Object.keys(a.blobs), ...Object.keys(b.blobs)]);
  for (const k of names) {
    const x = a.fields[k] ?? a.blobs[k];
    const y = b.fields[k] ?? b.blobs[k];
    fields[k] = !!x && !!y && Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
  }
  return { same: a.status === b.status && Object.values(fields).every(Boolean), fields };
}

/** Compare two responses' statuses and outputs (a default for `shadow`). */
export function sameOutputs(a: EchoResponse, b: EchoResponse): boolean {
  return compareOutputs(a, b).same;
}
