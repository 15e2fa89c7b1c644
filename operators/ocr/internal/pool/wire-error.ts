// Errors cross the thread line as plain data: structured clone keeps an Error's message but not
// its `code` or `retryable`, and those decide an item's outcome (FAILED, RETRY, FILTERED).
import { FilteredError, QuarryError } from '../../../../framework/errors/index.ts';

export interface WireError {
  name: string;
  message: string;
  code?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  reason?: string;
}

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & Partial<Record<'code' | 'reason', unknown> & Record<'retryable', unknown> & Record<'retryAfterMs', unknown>>;
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.retryable === 'boolean' ? { retryable: e.retryable } : {}),
    ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
    ...(typeof e.reason === 'string' ? { reason: e.reason } : {}),
  };
}

export function fromWireError(w: WireError): Error {
  if (w.name === 'AbortError') return new DOMException(w.message, 'AbortError');
  if (w.code === 'FILTERED' && w.reason !== undefined) return new FilteredError(w.reason, w.message);
  if (w.code === undefined) {
    const err = new Error(w.message);
    err.name = w.name;
    return err;
  }
  const err = new QuarryError(w.code, w.message, { retryable: w.retryable ?? false, ...(w.retryAfterMs === undefined ? {} : { retryAfterMs: w.retryAfterMs }) });
  err.name = w.name;
  return err;
}
