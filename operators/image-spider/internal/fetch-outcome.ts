// How a failed or non-2xx fetch ends: a dead link (recorded, not thrown), a retry while the
// attempt budget lasts, or a filtered item for inputs that can never be fetched safely.
import { FilteredError, RetryLaterError } from '../../../framework/errors/index.ts';
import { fetchErrorReason, isFetchError } from '../../net/index.ts';

/** Attempts (0-based `ctx.attempt`) before a transient failure is recorded as a dead link. */
export const DEAD_AFTER_ATTEMPT = 2;

/** HTTP statuses worth retrying before calling the link dead. */
const TRANSIENT_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export type DeadLink = { kind: 'dead'; deadReason: string; httpStatus: number };

export function backoffMs(attempt: number, retryAfterHeader?: string): number {
  const seconds = retryAfterHeader === undefined ? NaN : Number(retryAfterHeader);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(60_000, Math.max(1_000, seconds * 1_000));
  return 1_000 * 4 ** attempt;
}

/** A non-2xx answer: a dead link, unless transient and retries remain (then it throws). */
export function deadForStatus(status: number, attempt: number, retryAfter: string | undefined): DeadLink {
  if (TRANSIENT_STATUS.has(status) && attempt < DEAD_AFTER_ATTEMPT) {
    throw new RetryLaterError(backoffMs(attempt, retryAfter), `HTTP ${status}, retrying (attempt ${attempt})`, { code: 'HTTP_TRANSIENT' });
  }
  return { kind: 'dead', deadReason: `http-${status}`, httpStatus: status };
}

/** A fetch that threw: map safeFetch's codes to outcomes; anything else propagates unchanged. */
export function outcomeForFetchError(err: unknown, attempt: number): DeadLink {
  if (!isFetchError(err)) throw err;
  switch (err.code) {
    case 'TIMEOUT':
    case 'CONNECT_FAILED':
    case 'DNS_FAILED':
    case 'READ_FAILED':
      if (attempt < DEAD_AFTER_ATTEMPT) {
        throw new RetryLaterError(backoffMs(attempt), `${err.message}, retrying (attempt ${attempt})`, { code: err.code, cause: err });
      }
      return { kind: 'dead', deadReason: fetchErrorReason(err), httpStatus: 0 };
    case 'ABORTED':
      throw err; // our own deadline or shutdown: the framework decides
    case 'HOST_BUSY':
      // Politeness: the host's turn is far off. Not the link's fault: wait, attempts unspent.
      throw new RetryLaterError(err.retryAfterMs ?? 1_000, err.message, { code: 'BACKPRESSURE', cause: err });
    case 'TOO_SLOW':
      // Data kept coming but too slowly: another try at the same budget would only cost as much again.
      return { kind: 'dead', deadReason: 'too-slow', httpStatus: 0 };
    default:
      // BAD_URL, SSRF_BLOCKED, REDIRECT_LOOP, TOO_MANY_REDIRECTS, TOO_LARGE, DECODE_FAILED, …
      throw new FilteredError(fetchErrorReason(err), err.message);
  }
}
