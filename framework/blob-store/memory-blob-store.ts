// The in-memory blob store, for tests and one-shot runs. Refs are `mem:${key}`.
import type { BlobStore } from './blob-store.ts';
import { checkKey, copyBytes, keyOfRef } from './internal/refs.ts';

const PREFIX = 'mem:';

export function createMemoryBlobStore(options: { now?: () => number } = {}): BlobStore {
  const now = options.now ?? Date.now;
  const blobs = new Map<string, Uint8Array>();
  const expires = new Map<string, number>();
  const keyOf = (ref: string): string => keyOfRef(ref, PREFIX, 'memory blob store');
  const sweep = (): void => {
    const at = now();
    for (const [key, when] of expires) {
      if (when > at) continue;
      expires.delete(key);
      blobs.delete(key);
    }
  };
  return {
    async put(key, bytes, options = {}) {
      checkKey(key);
      sweep();
      blobs.set(key, copyBytes(bytes));
      if (options.ttlMs !== undefined) expires.set(key, now() + options.ttlMs);
      else expires.delete(key);
      return PREFIX + key;
    },
    async get(ref) {
      sweep();
      return blobs.get(keyOf(ref))?.slice() ?? null;
    },
    async delete(refs) {
      for (const key of refs.map(keyOf)) {
        blobs.delete(key);
        expires.delete(key);
      }
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
