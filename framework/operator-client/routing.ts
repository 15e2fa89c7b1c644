// Routing rules composed as interceptors around an operator client's batch call. Each works per
// item: one item's route never changes its batch-mates'.
import { isDeepStrictEqual } from 'node:util';
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

export interface ShadowOptions {
  operator: string;
  /** Fraction of the primary's OK answers also asked of the shadow (default 1). */
  share?: number;
  random?: () => number;
  /** Most items waiting for the shadow at once; beyond, items are not shadowed (default 512). */
  maxInFlight?: number;
  /** Items picked for the shadow but not sent, because `maxInFlight` were still waiting. */
  onSkipped?: (items: readonly EchoRequest[]) => void;
}

/**
 * Shadow traffic: a share of items is also sent to another operator (a new version), whose
 * answers are compared (by `compare`), never used. The shadow runs after the primary answered
 * and is never awaited, so its failure or slowness cannot touch the item; a shadow that hangs
 * holds at most `maxInFlight` items before the rest go unshadowed.
 */
export function shadow(candidate: EchoBatchFn, compare: (c: ShadowComparison) => void, options: ShadowOptions): Interceptor {
  const share = options.share ?? 1;
  const random = options.random ?? Math.random;
  const maxInFlight = options.maxInFlight ?? 512;
  let waiting = 0;
  return async (call, next) => {
    const primary = await next(call);
    const picked = call.items.map((_, i) => primary[i]!.status === 'OK' && random() < share);
    const items = call.items.filter((_, i) => picked[i]);
    if (items.length === 0) return primary;
    if (waiting + items.length > maxInFlight) {
      options.onSkipped?.(items);
      return primary;
    }
    const answers = primary.filter((_, i) => picked[i]);
    waiting += items.length;
    // Started on a later tick: even a candidate that throws synchronously cannot reach the item.
    void Promise.resolve()
      .then(() => candidate({ operator: options.operator, items: items.map((item) => ({ ...item, operator: options.operator })) }))
      .then((res) => items.forEach((request, i) => compare({ request, primary: answers[i]!, shadow: res[i]! })))
      .catch(() => undefined) // a shadow's failure is its own business
      .finally(() => (waiting -= items.length));
    return primary;
  };
}

/** A tenant's pool: its own batch call, and the operator name its calls carry (when not the primary's). */
export type TenantPool = EchoBatchFn | { operator: string; echo: EchoBatchFn };

/** Per-tenant pools: a tenant with its own pool is served by it; others go to the default. */
export function tenantPools(pools: Readonly<Record<string, TenantPool>>): Interceptor {
  const routes = new Map<string, EchoBatchFn>(Object.entries(pools).map(([tenant, pool]) => [tenant, typeof pool === 'function' ? pool : named(pool.echo, pool.operator)]));
  return async (call, next) => {
    const byRoute = new Map<EchoBatchFn, number[]>();
    call.items.forEach((item, i) => {
      const route = routes.get(item.trigger.tenant) ?? next;
      const at = byRoute.get(route);
      if (at) at.push(i);
      else byRoute.set(route, [i]);
    });
    if (byRoute.size === 1 && byRoute.has(next)) return next(call);
    const out = new Array<EchoResponse>(call.items.length);
    await Promise.all([...byRoute].map(async ([route, at]) => {
      const res = await route({ ...call, items: at.map((i) => call.items[i]!) });
      at.forEach((pos, j) => (out[pos] = res[j]!));
    }));
    return out;
  };
}

/** A batch call to another operator by name: the call and each of its items carry that name. */
export function named(echo: EchoBatchFn, operator: string): EchoBatchFn {
  return (call) => echo({ ...call, operator, items: call.items.map((item) => ({ ...item, operator })) });
}

/** Interceptors around a batch call; the first is the outermost (it sees what the others return). */
export function intercept(echo: EchoBatchFn, interceptors: readonly Interceptor[]): EchoBatchFn {
  return interceptors.reduceRight<EchoBatchFn>((next, interceptor) => (call) => interceptor(call, next), echo);
}

const dec = new TextDecoder();
const sameBytes = (x: Uint8Array, y: Uint8Array): boolean => Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;

/** Two JSON fields agree when they encode the same value (key order and spacing aside). */
function sameJson(x: Uint8Array, y: Uint8Array): boolean {
  if (sameBytes(x, y)) return true;
  try {
    return isDeepStrictEqual(JSON.parse(dec.decode(x)), JSON.parse(dec.decode(y)));
  } catch {
    return false;
  }
}

/** Field-by-field agreement of two answers: which output fields are equal (JSON by value, blobs by bytes), which differ. */
export function compareOutputs(a: EchoResponse, b: EchoResponse): { same: boolean; fields: Record<string, boolean> } {
  const fields: Record<string, boolean> = {};
  for (const k of new Set([...Object.keys(a.fields), ...Object.keys(b.fields)])) {
    const x = a.fields[k];
    const y = b.fields[k];
    fields[k] = !!x && !!y && sameJson(x, y);
  }
  for (const k of new Set([...Object.keys(a.blobs), ...Object.keys(b.blobs)])) {
    const x = a.blobs[k];
    const y = b.blobs[k];
    fields[k] = !!x && !!y && sameBytes(x, y);
  }
  return { same: a.status === b.status && Object.values(fields).every(Boolean), fields };
}

/** Compare two responses' statuses and outputs (a default for `shadow`). */
export function sameOutputs(a: EchoResponse, b: EchoResponse): boolean {
  return compareOutputs(a, b).same;
}
