// The one error type safe-fetch throws: a QuarryError whose stable `code` callers map to their
// own outcomes (a spider turns SSRF_BLOCKED into FilteredError('ssrf-blocked'), and so on).
import { QuarryError } from '../../../framework/errors/index.ts';

export type FetchErrorCode =
  | 'BAD_URL'
  | 'SSRF_BLOCKED'
  | 'REDIRECT_LOOP'
  | 'TOO_MANY_REDIRECTS'
  | 'TOO_LARGE'
  | 'TIMEOUT'
  | 'CONNECT_FAILED'
  | 'DNS_FAILED'
  | 'READ_FAILED'
  | 'DECODE_FAILED'
  | 'UNSUPPORTED_ENCODING'
  | 'ABORTED'
  /** robots.txt refuses this URL to our user agent. */
  | 'ROBOTS_DISALLOWED'
  /** The host's politeness limits would make this request wait too long: try later. */
  | 'HOST_BUSY'
  /** The whole fetch did not finish within its time budget although data kept coming. */
  | 'TOO_SLOW';

const RETRYABLE: ReadonlySet<FetchErrorCode> = new Set(['TIMEOUT', 'CONNECT_FAILED', 'READ_FAILED', 'HOST_BUSY']);

export class FetchError extends QuarryError {
  override readonly code: FetchErrorCode;
  /** The URL being fetched when it failed (the redirect hop, not necessarily the first URL). */
  readonly url: string;
  constructor(code: FetchErrorCode, url: string, message: string, options: { cause?: unknown; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(code, `${message} (${url})`, { retryable: options.retryable ?? RETRYABLE.has(code), cause: options.cause, ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) });
    this.name = 'FetchError';
    this.code = code;
    this.url = url;
  }
}

export function isFetchError(err: unknown): err is FetchError {
  return err instanceof FetchError;
}

/**
 * The kebab-case reason a spider records when it filters an item for this error:
 * SSRF_BLOCKED → `ssrf-blocked`, TOO_LARGE → `too-large`, REDIRECT_LOOP → `redirect-loop`, …
 */
export function fetchErrorReason(err: FetchError): string {
  return err.code.toLowerCase().replace(/_/g, '-');
}
