import { QuarryError, describeValue } from '../../errors/index.ts';

/** Marks a tuple as existing in Redis even when it holds no field; reads never return it. */
export const SENTINEL_FIELD = '\u0000';

export function checkTupleRef(tupleRef: unknown): asserts tupleRef is string {
  if (typeof tupleRef !== 'string' || tupleRef.length === 0) {
    throw new QuarryError('SIDE_CACHE_BAD_INPUT', `Expected \`tupleRef\` to be a non-empty string, got ${describeValue(tupleRef)}`);
  }
}

export function checkFieldNames(names: readonly unknown[]): void {
  for (const name of names) {
    if (typeof name !== 'string' || name.length === 0 || name === SENTINEL_FIELD) {
      throw new QuarryError('SIDE_CACHE_BAD_INPUT', `Expected a field name to be a non-empty string other than NUL, got ${describeValue(name)}`);
    }
  }
}
