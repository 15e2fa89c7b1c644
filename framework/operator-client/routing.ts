// Routing rules composed as interceptors around an operator client's echo call.
import type { EchoResponse } from '../wire/index.ts';
import type { EchoCall, EchoFn, Interceptor } from './operator-client.ts';

/**
 * Primary → fallback: the cheap engine first; when it declines (FILTERED with code DECLINED,
 * or FAILED) the expensive one answers instead.
 */
export function withFallback(fallback: EchoFn, options: { when?: (res: EchoResponse) => boolean } = {}): Interceptor {
  const declined = options.when ?? ((res) => res.status === 'FAILED' || (res.status === 'FILTERED' && res.errorCode === 'DECLINED') || res.message === 'declined');
  return async (call, next) => {
    const res = await next(call);
    if (!declined(res)) return res;
    return fallback({ ...call, request: { ...call.request, operator: '' } });
  };
}

export interface ShadowComparison {
  primary: EchoResponse;
  shadow: EchoResponse | undefined;
  error?: unknown;
  call: EchoCall;
}

/**
 * Shadow traffic: a share of calls is also sent to a new operator version; its answer is
 * compared (by `compare`), never used. The shadow never delays or fails the primary call.
 */
export function shadow(candidate: EchoFn, compare: (c: ShadowComparison) => void, options: { share?: number; random?: () => number } = {}): Interceptor {
  const share = options.share ?? 1;
  const random = options.random ?? Math.random;
  return async (call, next) => {
    const primary = await next(call);
    if (random() < share) {
      candidate({ ...call, signal: undefined }).then(
        (res) => compare({ primary, shadow: res, call }),
        (error: unknown) => compare({ primary, shadow: undefined, error, call }),
      );
    }
    return primary;
  };
}

/** Per-tenant pools: a tenant with its own pool is served by it; others go to the default. */
export function tenantPools(pools: Readonly<Record<string, EchoFn>>): Interceptor {
  return (call, next) => {
    const pool = pools[call.request.trigger.tenant];
    return pool ? pool(call) : next(call);
  };
}

/** Compare two responses' statuses and outputs (a default for `shadow`). */
export function sameOutputs(a: EchoResponse, b: EchoResponse): boolean {
  if (a.status !== b.status) return false;
  const keys = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
  for (const k of keys) {
    const x = a.fields[k];
    const y = b.fields[k];
    if (!x || !y || Buffer.compare(Buffer.from(x), Buffer.from(y)) !== 0) return false;
  }
  return true;
}
