// The in-memory blob store, for tests and one-shot runs. Refs are `mem:${key}`.
import type { BlobStore } from './blob-store.ts';
import { checkKey, copyBytes, keyOfRef } from './internal/refs.ts';

const PREFIX = 'mem:';

export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Uint8Array>();
  const keyOf = (ref: string): string => keyOfRef(ref, PREFIX, 'memory blob store');
  return {
    async put(key, bytes) {
      checkKey(key);
      blobs.set(key, copyBytes(bytes));
      return PREFIX + key;
    },
    async get(ref) {
      return blobs.get(keyOf(ref))?.slice() ?? null;
    },
    async delete(refs) {
      for (const key of refs.map(keyOf)) blobs.delete(key);
    },
    async stats() {
      let bytes = 0;
      for (const blob of blobs.values()) bytes += blob.byteLength;
      return { blobs: blobs.size, bytes };
    },
    async close() {
      blobs.clear();
    },
  };
}
