// The embedded side-cache: tuples in a Map. Values are copied in and out so a caller mutating
// its buffer never changes what another reader sees (Redis gives the same isolation).
import type { FieldRead, FieldValues, SideCache, SideCacheStats } from './side-cache.ts';
import { QuarryError } from '../errors/index.ts';
import { checkFieldNames, checkTupleRef } from './internal/check-input.ts';

/**
 * The tuples of a memory side-cache, for the memory item ledger built over it: the ledger edits
 * them in the same synchronous step as the token changes they belong to.
 */
export const MEMORY_TUPLES = Symbol('quarry.memoryTuples');

export type MemoryTuples = Map<string, Map<string, Uint8Array>>;

export function memoryTuplesOf(cache: SideCache): MemoryTuples | undefined {
  return (cache as { [MEMORY_TUPLES]?: MemoryTuples })[MEMORY_TUPLES];
}

export function createMemorySideCache(): SideCache {
  const tuples: MemoryTuples = new Map();
  const cache = { [MEMORY_TUPLES]: tuples };
  let closed = false;
  const open = (): void => {
    if (closed) throw new QuarryError('SIDE_CACHE_CLOSED', 'The memory side-cache is closed');
  };

  return Object.assign(cache, {
    async readMany(reads: readonly FieldRead[]) {
      open();
      return reads.map(({ tupleRef, fields }) => {
        checkTupleRef(tupleRef);
        const tuple = tuples.get(tupleRef);
        if (tuple === undefined) return null;
        const out: FieldValues = new Map();
        for (const name of fields) {
          const value = tuple.get(name);
          if (value !== undefined) out.set(name, value.slice());
        }
        return out;
      });
    },
    async write(tupleRef, fields) {
      open();
      checkTupleRef(tupleRef);
      checkFieldNames([...fields.keys()]);
      let tuple = tuples.get(tupleRef);
      if (tuple === undefined) tuples.set(tupleRef, (tuple = new Map()));
      for (const [name, value] of fields) tuple.set(name, Uint8Array.from(value));
    },
    async deleteFields(tupleRef, fields) {
      open();
      checkTupleRef(tupleRef);
      const tuple = tuples.get(tupleRef);
      for (const name of fields) tuple?.delete(name);
    },
    async deleteTuple(tupleRef) {
      open();
      checkTupleRef(tupleRef);
      tuples.delete(tupleRef);
    },
    async exists(tupleRef) {
      open();
      checkTupleRef(tupleRef);
      return tuples.has(tupleRef);
    },
    async stats(): Promise<SideCacheStats> {
      open();
      let bytes = 0;
      for (const tuple of tuples.values()) for (const value of tuple.values()) bytes += value.byteLength;
      return { tuples: tuples.size, bytes };
    },
    async close() {
      closed = true;
      tuples.clear();
    },
  } satisfies SideCache);
}
