// The in-memory blob store, for tests and one-shot runs. Refs are `mem:${key}`.
import type { BlobStore } from './blob-store.ts';
import { checkIdleMs, checkKey, copyBytes, keyOfRef } from './internal/refs.ts';

const PREFIX = 'mem:';

export function createMemoryBlobStore(options: { now?: () => number } = {}): BlobStore {
  const now = options.now ?? Date.now;
  const blobs = new Map<string, Uint8Array>();
  const expires = new Map<string, number>();
  const putAt = new Map<string, number>();
  const keyOf = (ref: string): string => keyOfRef(ref, PREFIX, 'memory blob store');
  const remove = (key: string): void => {
    blobs.delete(key);
    expires.delete(key);
    putAt.delete(key);
  };
  const sweep = (): void => {
    const at = now();
    for (const [key, when] of expires) {
      if (when <= at) remove(key);
    }
  };
  return {
    async put(key, bytes, options = {}) {
      checkKey(key);
      sweep();
      blobs.set(key, copyBytes(bytes));
      putAt.set(key, now());
      if (options.ttlMs !== undefined) expires.set(key, now() + options.ttlMs);
      else expires.delete(key);
      return PREFIX + key;
    },
    async get(ref) {
      sweep();
      return blobs.get(keyOf(ref))?.slice() ?? null;
    },
    async delete(refs) {
      refs.map(keyOf).forEach(remove);
    },
    async deleteIdle(refs, idleMs) {
      checkIdleMs(idleMs);
      const keys = refs.map(keyOf);
      const at = now();
      const leased = (key: string): boolean => !expires.has(key) && putAt.has(key) && at - putAt.get(key)! < idleMs;
      keys.filter((key) => !leased(key)).forEach(remove);
      return refs.filter((_, i) => leased(keys[i]!));
    },
    async stats() {
      sweep();
      let bytes = 0;
      for (const blob of blobs.values()) bytes += blob.byteLength;
      return { blobs: blobs.size, bytes };
    },
    async close() {
      blobs.clear();
    },
  };
}
