// Back-off while the relation store is unreachable, reset by the first success so a recovered
// store is used at once.
import { errorCode } from '../../../framework/errors/index.ts';

const UNAVAILABLE_NAMES = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError', 'StoreUnavailableError']);
const UNAVAILABLE_CODES = new Set(['STORE_UNAVAILABLE', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Whether an error says the store cannot be reached now (as opposed to refusing this write). */
export function isUnavailable(err: unknown): boolean {
  for (let e = err as { name?: string; code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (UNAVAILABLE_NAMES.has(e.name ?? '') || UNAVAILABLE_CODES.has(errorCode(e))) return true;
  }
  return false;
}

/**
 * Each retry waits about as long as the outage has lasted so far (0.5 s up to 30 s): so the waits
 * double per retry whatever the number of items failing at once, and a short blip costs little.
 */
export function createBackoff(o: { initialMs?: number; maxMs?: number; now?: () => number } = {}) {
  const initial = o.initialMs ?? 500;
  const max = o.maxMs ?? 30_000;
  const now = o.now ?? Date.now;
  let since: number | undefined;
  return {
    failed(): number {
      since ??= now();
      return Math.round(Math.min(max, Math.max(initial, now() - since)));
    },
    succeeded(): void {
      since = undefined;
    },
  };
}
