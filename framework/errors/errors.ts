// Errors carry a stable string `code` so they can be checked across process lines
// (operators in other languages, miners in other processes) without `instanceof`.

export interface QuarryErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

export class QuarryError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: QuarryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QuarryError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The item can never succeed: dead-letter it at once. */
export class NonRetryableError extends QuarryError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(options.code ?? 'NON_RETRYABLE', message, { retryable: false, cause: options.cause });
    this.name = 'NonRetryableError';
  }
}

/** A transient condition: try again after `retryAfterMs`. */
export class RetryLaterError extends QuarryError {
  constructor(retryAfterMs: number, message = 'retry later', options: { code?: string; cause?: unknown } = {}) {
    super(options.code ?? 'RETRY_LATER', message, { retryable: true, retryAfterMs, cause: options.cause });
    this.name = 'RetryLaterError';
  }
}

/** The item is intentionally dropped; `reason` is recorded as its terminal state. */
export class FilteredError extends QuarryError {
  readonly reason: string;
  constructor(reason: string, message = `filtered: ${reason}`) {
    super('FILTERED', message, { retryable: false });
    this.name = 'FilteredError';
    this.reason = reason;
  }
}

export interface ConfigProblem {
  field: string;
  expected: string;
  received: unknown;
}

/** One error listing every configuration problem found, field by field. */
export class ConfigError extends QuarryError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], context = 'configuration') {
    super('CONFIG_INVALID', `Invalid ${context}:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `  - Expected \`${p.field}\` to be ${p.expected}, got ${describeValue(p.received)}`;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return '`null`';
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `\`${short}\` (${Array.isArray(v) ? 'array' : typeof v})`;
}

export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'INTERNAL';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}
