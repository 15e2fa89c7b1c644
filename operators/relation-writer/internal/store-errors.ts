// What a relation-writer item answers when the engine refuses it or the store fails: bad input
// can never succeed; an unreachable store is backpressure (the item waits, its attempts
// unspent); anything else is retried later. A whole batch that failed gets one answer for all
// its items, and the back-off grows once per batch, not once per item.
import { NonRetryableError, RetryLaterError, errorCode, errorMessage } from '../../../framework/errors/index.ts';
import { createBackoff, isUnavailable } from './backoff.ts';

export interface StoreGuard {
  /** Runs one batched engine call; a thrown error becomes every item's answer. */
  batch<R>(n: number, work: () => Promise<readonly (R | Error)[]>): Promise<(R | Error)[]>;
}

export function createStoreGuard(retryAfterMs: number): StoreGuard {
  const backoff = createBackoff();
  const answer = (err: unknown): Error => {
    const code = errorCode(err);
    if (code === 'FILTERED' || code === 'NON_RETRYABLE') return err as Error;
    if (code === 'CONFIG_INVALID') return new NonRetryableError(errorMessage(err), { code: 'RELATION_BAD_INPUT', cause: err });
    if (isUnavailable(err)) return new RetryLaterError(backoff.failed(), `relation store unreachable: ${errorMessage(err)}`, { code: 'BACKPRESSURE', cause: err });
    return new RetryLaterError(retryAfterMs, `relation store: ${errorMessage(err)}`, { code: 'RELATION_STORE_UNAVAILABLE', cause: err });
  };
  return {
    async batch(n, work) {
      if (n === 0) return [];
      let results: readonly (unknown)[];
      try {
        results = await work();
      } catch (err) {
        const e = answer(err);
        return Array.from({ length: n }, () => e);
      }
      backoff.succeeded();
      return results.map((r) => (r instanceof Error ? answer(r) : r)) as never;
    },
  };
}
