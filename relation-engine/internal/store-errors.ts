// Errors shared by the store adapters: a store asked to exist that does not, and bucket counts.
import { QuarryError } from '../../framework/errors/index.ts';

/** Opening a store that must exist (a query, not a crawl) found none: name the path. */
export class StoreMissingError extends QuarryError {
  constructor(spec: string, where: string) {
    super('STORE_MISSING', `No relation store at \`${where}\` (${spec}): check the path, or crawl into it first`);
    this.name = 'StoreMissingError';
  }
}

export function checkBuckets(n: number, max: number): void {
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new TypeError(`Expected \`buckets\` to be an integer between 1 and ${max}, got \`${n}\``);
  }
}
