/**
 * The blob store: big payloads (page HTML, image bytes, thumbnails) that tuples reference by
 * an opaque ref the store hands out. In memory for tests, files for the embedded default (they
 * survive a restart), Redis strings for real deployments.
 *
 *   const blobs = createFileBlobStore({ dir: '.quarry/blobs' });
 *   const ref = await blobs.put(`${messageId}/html`, bytes); // stable key: a retry overwrites
 *   const back = await blobs.get(ref);                       // null when gone
 */
export type { BlobStore } from './blob-store.ts';
export { createMemoryBlobStore } from './memory-blob-store.ts';
export { createFileBlobStore, type FileBlobStoreOptions } from './file-blob-store.ts';
export { createRedisBlobStore, type RedisBlobStoreOptions } from './redis-blob-store.ts';
